// Fused activations on the CPU (activation.h): contiguous loops the compiler vectorises,
// in parallel chunks. Bench: `npx tsx bench/conv.ts` from the repo root.
#include <string>

#include "../../core/thread_pool.h"
#include "activation.h"

namespace lb {
namespace {

template <typename T>
void run(ActivationOp op, int64_t n, const T* a, const T* b, T* out) {
  parallel_for(n, 1 << 15, [&](int64_t i0, int64_t i1) {
    switch (op) {
      case ActivationOp::Relu:
        for (int64_t i = i0; i < i1; ++i) out[i] = a[i] < T(0) ? T(0) : a[i];
        break;
      case ActivationOp::AddRelu:
        for (int64_t i = i0; i < i1; ++i) {
          const T v = a[i] + b[i];
          out[i] = v < T(0) ? T(0) : v;
        }
        break;
      case ActivationOp::ReluBackward:
        for (int64_t i = i0; i < i1; ++i) out[i] = b[i] > T(0) ? a[i] : T(0);
        break;
    }
  });
}

}  // namespace

Status activation_cpu(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out) {
  if (op != ActivationOp::Relu && op != ActivationOp::AddRelu && op != ActivationOp::ReluBackward)
    return LB_FAIL("activation: unknown op " + std::to_string(static_cast<int>(op)));
  if (op != ActivationOp::Relu && !b) return LB_FAIL("activation: this op needs a second operand");
  if (type == DType::F32) run(op, n, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(out));
  else if (type == DType::F64) run(op, n, static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(out));
  else return LB_FAIL(std::string("activation needs float32 or float64, got ") + dtype_name(type));
  return Status::Ok();
}

}  // namespace lb
