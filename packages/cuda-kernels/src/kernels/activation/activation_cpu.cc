// Fused activations on the CPU (activation.h): contiguous loops the compiler vectorises,
// in parallel chunks; the scalar functions are activation.h's, shared with the CUDA kernel. Bench: `npx tsx bench/conv.ts` from the repo root.
#include "../../core/thread_pool.h"
#include "activation.h"

namespace lb {
namespace {

template <typename T>
void run(ActivationOp op, int64_t n, const T* a, const T* b, T* out) {
  parallel_for(n, 1 << 15, [&](int64_t i0, int64_t i1) {
    switch (op) {
      case ActivationOp::Relu:
        for (int64_t i = i0; i < i1; ++i) out[i] = relu_value(a[i]);
        break;
      case ActivationOp::AddRelu:
        for (int64_t i = i0; i < i1; ++i) out[i] = add_relu_value(a[i], b[i]);
        break;
      case ActivationOp::ReluBackward:
        for (int64_t i = i0; i < i1; ++i) out[i] = relu_backward_value(a[i], b[i]);
        break;
    }
  });
}

}  // namespace

Status activation_cpu(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out) {
  LB_RETURN_IF_FAILED(activation_check(op, type, b));
  if (type == DType::F32) run(op, n, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out));
  else run(op, n, static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(out));
  return Status::Ok();
}

}  // namespace lb
