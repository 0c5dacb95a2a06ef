// Fused activations over contiguous arrays of n values, for the ReLUs of a ResNet:
//   relu:          out = max(a, 0)             (NaN stays NaN, as torch.relu)
//   add_relu:      out = max(a + b, 0)         (the residual join of a ResNet block)
//   relu_backward: out = a where b > 0, else 0 (a = dy, b = the ReLU's output y)
// float32 and float64. CUDA (activation_cuda.cu): the same on device memory, through the
// same scalar functions below. Bench: `npx tsx bench/conv.ts` from the repo root.
#pragma once
#include <cstdint>
#include <string>

#include "../../core/dtype.h"
#include "../../core/host_device.h"
#include "../../core/status.h"

namespace lb {

enum class ActivationOp : int { Relu = 0, AddRelu = 1, ReluBackward = 2 };

template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T relu_value(T a) {
  return a < T(0) ? T(0) : a;
}
template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T add_relu_value(T a, T b) {
  return relu_value(a + b);
}
template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T relu_backward_value(T dy, T y) {
  return y > T(0) ? dy : T(0);
}

// The argument checks both kernels make.
inline Status activation_check(ActivationOp op, DType type, const void* b) {
  if (op != ActivationOp::Relu && op != ActivationOp::AddRelu && op != ActivationOp::ReluBackward)
    return LB_FAIL("activation: unknown op " + std::to_string(static_cast<int>(op)));
  if (op != ActivationOp::Relu && !b) return LB_FAIL("activation: this op needs a second operand");
  if (type != DType::F32 && type != DType::F64)
    return LB_FAIL(std::string("activation needs float32 or float64, got ") + dtype_name(type));
  return Status::Ok();
}

// b is read by add_relu and relu_backward only (and may be null for relu).
Status activation_cpu(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out);

// a, b and out are device memory; stream is a cudaStream_t (null: the default stream).
Status activation_cuda(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out, void* stream);

}  // namespace lb
