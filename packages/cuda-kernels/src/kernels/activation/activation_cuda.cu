// Fused activations on the GPU (activation.h): one thread per element, threads striding
// over the rest; the op is a switch uniform across the launch; the scalar functions are
// activation.h's, shared with the CPU kernel.
// Test: test/emu/activation_test.cc (emulated, against activation_cpu). Bench: bench/gpu.
#include "../../cuda_emu/cuda.h"
#include "activation.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    activation_kernel(ActivationOp op, int64_t n, const T* a, const T* b, T* out) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    switch (op) {
      case ActivationOp::Relu: out[i] = relu_value(a[i]); break;
      case ActivationOp::AddRelu: out[i] = add_relu_value(a[i], b[i]); break;
      default: out[i] = relu_backward_value(a[i], b[i]); break;
    }
  }
}

template <typename T>
Status launch(ActivationOp op, int64_t n, const void* a, const void* b, void* out, cudaStream_t stream) {
  LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, stream, activation_kernel<T>)(
      op, n, static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out));
  return LB_CUDA_CHECK(cudaGetLastError(), "activation_kernel");
}

}  // namespace

Status activation_cuda(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out, void* stream) {
  LB_RETURN_IF_FAILED(activation_check(op, type, b));
  if (n == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  return type == DType::F32 ? launch<float>(op, n, a, b, out, s) : launch<double>(op, n, a, b, out, s);
}

}  // namespace lb
