// The CUDA device as the rest of the addon sees it. Two implementations: cuda_device.cu
// (the CUDA runtime, linked statically under nvcc; the CUDA emulation in the emulated
// build, LARGEBATCH_CUDA_EMULATE=1) and cuda_device_none.cc (a build without CUDA).
// No GPU at run time is a normal state: cuda_info() says why, and every call fails cleanly.
//
// One stream per device: every allocation, free, copy and kernel goes on it, so the
// device runs them in the order the host issued them and the host waits only to read
// data back. Memory is stream-ordered (cudaMallocAsync / cudaFreeAsync from the device's
// pool, which keeps freed memory cached); host transfers go through pinned staging.
#pragma once
#include <cstddef>
#include <string>

#include "../core/status.h"

namespace lb {

struct CudaInfo {
  bool built = false;       // compiled with CUDA (or its emulation)
  bool available = false;   // a device can be used now
  bool emulated = false;    // the kernels run on the CPU through src/cuda_emu
  int device_count = 0;
  std::string reason;       // why not available, or what is available
};

const CudaInfo& cuda_info();
// The device's stream (a cudaStream_t), for the *_cuda kernels.
void* cuda_stream();
// Stream-ordered device memory; a free takes effect after the work already issued.
Status cuda_alloc(size_t bytes, void** out);
void cuda_free(void* ptr);
// Copies on the stream: device to device, host to device through pinned staging (the host
// memory may be reused as soon as it returns), device to host (waits for the stream).
Status cuda_copy_device(void* dst, const void* src, size_t bytes);
Status cuda_write(void* device_dst, const void* host_src, size_t bytes);
Status cuda_read(void* host_dst, const void* device_src, size_t bytes);
Status cuda_memset(void* device_dst, int value, size_t bytes);
Status cuda_synchronize();

// Device memory for the length of one call (a kernel's workspace, say), freed in stream
// order when it goes out of scope, so the kernels queued before still see it.
class CudaScratch {
 public:
  CudaScratch() = default;
  CudaScratch(const CudaScratch&) = delete;
  CudaScratch& operator=(const CudaScratch&) = delete;
  ~CudaScratch() { cuda_free(data_); }
  Status alloc(size_t bytes) { return cuda_alloc(bytes, &data_); }
  template <typename T = void>
  T* data() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
};

}  // namespace lb
