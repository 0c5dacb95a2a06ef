// The CUDA device through the CUDA runtime (cudart linked statically), or through the CUDA
// emulation when this file is compiled by g++ (the emulated build, LARGEBATCH_CUDA_EMULATE=1):
// one source for both, as for the kernels. Every call is checked; a failure names the
// call and the CUDA error string. With no driver or no GPU, cudaGetDeviceCount fails
// cleanly and cuda_info() reports that error as the reason.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "../cuda_emu/cuda.h"
#include "cuda_device.h"

namespace lb {

namespace {

// Checks a runtime call. A failed one is also taken out of cudaGetLastError, so that the
// next kernel's launch check does not report it as its own (a sticky error stays).
Status checked(cudaError_t err, const char* what, const char* file, int line) {
  if (err != cudaSuccess) cudaGetLastError();
  return cuda_status(err, what, file, line);
}

#define LB_CUDA(call) checked((call), #call " failed", __FILE__, __LINE__)

#if defined(__CUDACC__)
CudaInfo query_device() {
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
}

// Keeps freed memory in the device's pool instead of returning it at every synchronisation:
// the pool is then the caching allocator.
Status keep_pool_memory() {
  cudaMemPool_t pool;
  LB_RETURN_IF_FAILED(LB_CUDA(cudaDeviceGetDefaultMemPool(&pool, 0)));
  uint64_t keep_all = UINT64_MAX;
  return LB_CUDA(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
}

Status pinned_alloc(size_t bytes, void** out) { return LB_CUDA(cudaMallocHost(out, bytes)); }
void pinned_free(void* ptr) { cudaFreeHost(ptr); }

// Only memory whose frees the device has completed is released: call after a synchronize.
Status trim_pool() {
  cudaMemPool_t pool;
  LB_RETURN_IF_FAILED(LB_CUDA(cudaDeviceGetDefaultMemPool(&pool, 0)));
  return LB_CUDA(cudaMemPoolTrimTo(pool, 0));
}
#else
CudaInfo query_device() {
  CudaInfo i;
  i.built = true;
  i.available = true;
  i.emulated = true;
  i.device_count = 1;
  i.reason = "emulated: the CUDA kernels run on the CPU through the CUDA emulation (src/cuda_emu), "
             "an addon built with LARGEBATCH_CUDA_EMULATE=1; it checks correctness, not speed";
  return i;
}

// The emulation allocates each buffer against guard pages and frees it at once, which is
// what finds out-of-bounds accesses; it has no pool to configure.
Status keep_pool_memory() { return Status::Ok(); }

// Nothing is cached: the emulation unmaps each buffer when it is freed.
Status trim_pool() { return Status::Ok(); }

// The emulation has no page-locked memory: ordinary host memory stands in for it.
Status pinned_alloc(size_t bytes, void** out) {
  *out = std::malloc(bytes);
  if (*out == nullptr) return LB_FAIL("out of host memory for " + std::to_string(bytes) + " bytes of staging");
  return Status::Ok();
}
void pinned_free(void* ptr) { std::free(ptr); }
#endif

constexpr size_t kStagingBytes = size_t{4} << 20;
// Uploads take the staging buffer's slots in turn, each with an event recorded after the
// copy out of it: a write waits only for the copy that last used its slot (kStagingSlots
// pieces ago), not for all the work queued on the stream.
constexpr size_t kStagingSlots = 4;
constexpr size_t kSlotBytes = kStagingBytes / kStagingSlots;

// The stream and the staging buffer, made once on first use.
struct DeviceState {
  Status status;  // why the device cannot be used, if it cannot
  cudaStream_t stream = nullptr;
  void* staging = nullptr;  // pinned host memory for transfers
  cudaEvent_t slot_copied[kStagingSlots] = {};  // recorded after each upload from the slot
  size_t next_slot = 0;
  std::mutex staging_mutex;
};

DeviceState& state() {
  static DeviceState s;
  static std::once_flag once;
  std::call_once(once, [] {
    const CudaInfo& info = cuda_info();
    if (!info.available) {
      s.status = LB_FAIL("CUDA is unavailable: " + info.reason);
      return;
    }
    s.status = LB_CUDA(cudaStreamCreate(&s.stream));
    if (s.status.ok) s.status = keep_pool_memory();
    if (s.status.ok) s.status = pinned_alloc(kStagingBytes, &s.staging);
    for (cudaEvent_t& e : s.slot_copied)
      if (s.status.ok) s.status = LB_CUDA(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  });
  return s;
}

// The device's state when it is usable; otherwise the status says why.
Status usable(DeviceState** out) {
  DeviceState& s = state();
  *out = &s;
  return s.status;
}

// Bytes in use and their peak. Allocations come from any thread that creates tensors.
struct MemoryCounter {
  std::mutex mutex;
  CudaMemoryStats stats;
};

// What an allocation of `bytes` takes (a zero-byte one still gets a distinct pointer).
size_t allocated_size(size_t bytes) { return bytes == 0 ? 1 : bytes; }

MemoryCounter& memory_counter() {
  static MemoryCounter counter;
  return counter;
}

}  // namespace

const CudaInfo& cuda_info() {
  static const CudaInfo info = query_device();
  return info;
}

void* cuda_stream() { return state().stream; }

Status cuda_alloc(size_t bytes, void** out) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  const size_t size = allocated_size(bytes);
  LB_RETURN_IF_FAILED(LB_CUDA(cudaMallocAsync(out, size, s->stream)));
  MemoryCounter& counter = memory_counter();
  std::lock_guard<std::mutex> lock(counter.mutex);
  counter.stats.in_use_bytes += size;
  if (counter.stats.in_use_bytes > counter.stats.peak_bytes) counter.stats.peak_bytes = counter.stats.in_use_bytes;
  return Status::Ok();
}

void cuda_free(void* ptr, size_t bytes) {
  if (!ptr) return;
  {
    MemoryCounter& counter = memory_counter();
    std::lock_guard<std::mutex> lock(counter.mutex);
    counter.stats.in_use_bytes -= allocated_size(bytes);
  }
  // A free that fails leaves a sticky error that the next checked call reports.
  cudaFreeAsync(ptr, state().stream);
}

CudaMemoryStats cuda_memory_stats() {
  MemoryCounter& counter = memory_counter();
  std::lock_guard<std::mutex> lock(counter.mutex);
  return counter.stats;
}

Status cuda_empty_cache() {
  LB_RETURN_IF_FAILED(cuda_synchronize());
  return trim_pool();
}

void cuda_reset_peak_memory() {
  MemoryCounter& counter = memory_counter();
  std::lock_guard<std::mutex> lock(counter.mutex);
  counter.stats.peak_bytes = counter.stats.in_use_bytes;
}

Status cuda_copy_device(void* dst, const void* src, size_t bytes) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  if (bytes == 0) return Status::Ok();
  return LB_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s->stream));
}

// Host to device, a slot-sized piece at a time through the staging slots in turn: a slot
// is refilled once its previous upload has left it (its event), so the caller's memory is
// free on return and nothing else queued on the stream is waited for.
Status cuda_write(void* device_dst, const void* host_src, size_t bytes) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  std::lock_guard<std::mutex> lock(s->staging_mutex);
  for (size_t done = 0; done < bytes; done += kSlotBytes) {
    const size_t n = bytes - done < kSlotBytes ? bytes - done : kSlotBytes;
    const size_t slot = s->next_slot;
    s->next_slot = (slot + 1) % kStagingSlots;
    char* staging = static_cast<char*>(s->staging) + slot * kSlotBytes;
    LB_RETURN_IF_FAILED(LB_CUDA(cudaEventSynchronize(s->slot_copied[slot])));
    std::memcpy(staging, static_cast<const char*>(host_src) + done, n);
    LB_RETURN_IF_FAILED(
        LB_CUDA(cudaMemcpyAsync(static_cast<char*>(device_dst) + done, staging, n, cudaMemcpyHostToDevice, s->stream)));
    LB_RETURN_IF_FAILED(LB_CUDA(cudaEventRecord(s->slot_copied[slot], s->stream)));
  }
  return Status::Ok();
}

Status cuda_read(void* host_dst, const void* device_src, size_t bytes) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  std::lock_guard<std::mutex> lock(s->staging_mutex);
  for (size_t done = 0; done < bytes; done += kStagingBytes) {
    const size_t n = bytes - done < kStagingBytes ? bytes - done : kStagingBytes;
    LB_RETURN_IF_FAILED(LB_CUDA(
        cudaMemcpyAsync(s->staging, static_cast<const char*>(device_src) + done, n, cudaMemcpyDeviceToHost, s->stream)));
    LB_RETURN_IF_FAILED(LB_CUDA(cudaStreamSynchronize(s->stream)));
    std::memcpy(static_cast<char*>(host_dst) + done, s->staging, n);
  }
  return Status::Ok();
}

CudaReadBack::~CudaReadBack() {
  cudaEvent_t event = static_cast<cudaEvent_t>(event_);
  if (pending_) cudaEventSynchronize(event);
  if (event) cudaEventDestroy(event);
  if (pinned_) pinned_free(pinned_);
}

Status CudaReadBack::start(const void* device_src) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  if (pending_) return LB_FAIL("CudaReadBack::start: the previous read-back was not collected");
  if (!pinned_) LB_RETURN_IF_FAILED(pinned_alloc(bytes_, &pinned_));
  if (!event_) {
    cudaEvent_t event;
    LB_RETURN_IF_FAILED(LB_CUDA(cudaEventCreateWithFlags(&event, cudaEventDisableTiming)));
    event_ = event;
  }
  LB_RETURN_IF_FAILED(LB_CUDA(cudaMemcpyAsync(pinned_, device_src, bytes_, cudaMemcpyDeviceToHost, s->stream)));
  LB_RETURN_IF_FAILED(LB_CUDA(cudaEventRecord(static_cast<cudaEvent_t>(event_), s->stream)));
  pending_ = true;
  return Status::Ok();
}

Status CudaReadBack::wait(void* host_dst) {
  if (!pending_) return LB_FAIL("CudaReadBack::wait: no read-back is pending");
  pending_ = false;
  LB_RETURN_IF_FAILED(LB_CUDA(cudaEventSynchronize(static_cast<cudaEvent_t>(event_))));
  std::memcpy(host_dst, pinned_, bytes_);
  return Status::Ok();
}

Status cuda_memset(void* device_dst, int value, size_t bytes) {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  return LB_CUDA(cudaMemsetAsync(device_dst, value, bytes, s->stream));
}

Status cuda_synchronize() {
  DeviceState* s;
  LB_RETURN_IF_FAILED(usable(&s));
  return LB_CUDA(cudaStreamSynchronize(s->stream));
}

}  // namespace lb
