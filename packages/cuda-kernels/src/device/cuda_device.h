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
// bytes: what cuda_alloc was asked for (the counter of cuda_memory_stats takes it off).
void cuda_free(void* ptr, size_t bytes);
// Copies on the stream: device to device, host to device through pinned staging (the host
// memory may be reused as soon as it returns), device to host (waits for the stream).
Status cuda_copy_device(void* dst, const void* src, size_t bytes);
Status cuda_write(void* device_dst, const void* host_src, size_t bytes);
Status cuda_read(void* host_dst, const void* device_src, size_t bytes);
Status cuda_memset(void* device_dst, int value, size_t bytes);
Status cuda_synchronize();

// Device memory taken through cuda_alloc (tensor buffers, CudaScratch), counted where the
// host issues each allocation and free: with one stream that is the order the device sees
// them in. Bytes as requested (0 counts as 1), not what the pool reserves or keeps cached,
// so that the figure compares with PyTorch's torch.cuda.max_memory_allocated(). Kernels
// take no memory of their own: their workspaces come through CudaScratch.
struct CudaMemoryStats {
  size_t in_use_bytes = 0;  // allocated and not yet freed
  size_t peak_bytes = 0;    // the most in use at once since start-up or the last reset
};
CudaMemoryStats cuda_memory_stats();
// Starts a new peak from the bytes in use now.
void cuda_reset_peak_memory();
// Waits for the stream, then hands the pool's cached free memory back to the device, so
// that another process (a benchmark's peer on the same GPU) can use it; the next
// allocations take it from the device again. As torch.cuda.empty_cache().
Status cuda_empty_cache();

// A device-to-host copy that the host collects later, such as an optimizer step's NaN/Inf
// report: start() queues the copy into pinned memory of its own and records an event after
// it; wait() waits for that event alone (not for the work queued since), then hands the
// bytes over. The pinned memory and the event are made at the first start().
class CudaReadBack {
 public:
  explicit CudaReadBack(size_t bytes) : bytes_(bytes) {}
  CudaReadBack(const CudaReadBack&) = delete;
  CudaReadBack& operator=(const CudaReadBack&) = delete;
  // Waits for a copy still in flight, which writes into the pinned memory freed here.
  ~CudaReadBack();
  // Queues the copy of `bytes` from device_src; fails while an earlier one is pending.
  Status start(const void* device_src);
  bool pending() const { return pending_; }
  // Waits for the pending copy and copies its bytes to host_dst; fails if none is pending.
  Status wait(void* host_dst);

 private:
  size_t bytes_;
  void* pinned_ = nullptr;
  void* event_ = nullptr;  // a cudaEvent_t
  bool pending_ = false;
};

// Device memory for the length of one call (a kernel's workspace, say), freed in stream
// order when it goes out of scope, so the kernels queued before still see it.
class CudaScratch {
 public:
  CudaScratch() = default;
  CudaScratch(const CudaScratch&) = delete;
  CudaScratch& operator=(const CudaScratch&) = delete;
  ~CudaScratch() { cuda_free(data_, bytes_); }
  Status alloc(size_t bytes) {
    bytes_ = bytes;
    return cuda_alloc(bytes, &data_);
  }
  template <typename T = void>
  T* data() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace lb
