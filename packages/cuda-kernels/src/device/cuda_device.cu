// The CUDA device through the CUDA runtime (cudart linked statically). Every call is
// checked; a failure names the call and the CUDA error string. With no driver or no GPU,
// cudaGetDeviceCount fails cleanly and cuda_info() reports that error as the reason.
#include <string>

#include "../cuda_emu/cuda.h"
#include "cuda_device.h"

namespace lb {

#define LB_CUDA(call) LB_CUDA_CHECK((call), #call " failed")

const CudaInfo& cuda_info() {
  static const CudaInfo info = [] {
    CudaInfo i;
    i.built = true;
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      i.reason = std::string("CUDA runtime error: ") + cudaGetErrorName(err) + ": " + cudaGetErrorString(err);
      cudaGetLastError();  // clear the sticky error
      return i;
    }
    if (count == 0) {
      i.reason = "no CUDA device found";
      return i;
    }
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
      i.reason = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ")";
    }
    i.available = true;
    i.device_count = count;
    return i;
  }();
  return info;
}

static Status require_device() {
  const CudaInfo& info = cuda_info();
  if (!info.available) return LB_FAIL("CUDA is unavailable: " + info.reason);
  return Status::Ok();
}

Status cuda_alloc(size_t bytes, void** out) {
  LB_RETURN_IF_FAILED(require_device());
  return LB_CUDA(cudaMalloc(out, bytes == 0 ? 1 : bytes));
}

void cuda_free(void* ptr) {
  if (ptr) cudaFree(ptr);
}

Status cuda_memcpy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes) {
  LB_RETURN_IF_FAILED(require_device());
  cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                      : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  return LB_CUDA(cudaMemcpy(dst, src, bytes, kind));
}

Status cuda_synchronize() {
  LB_RETURN_IF_FAILED(require_device());
  return LB_CUDA(cudaDeviceSynchronize());
}

}  // namespace lb
