// The CUDA device of a build without CUDA (LARGEBATCH_CUDA=0, or no nvcc at install).
#include "cuda_device.h"

namespace lb {

static const char* kNotBuilt =
    "built without CUDA: nvcc was not found at install or LARGEBATCH_CUDA=0 (reinstall with nvcc on PATH, "
    "or with LARGEBATCH_CUDA_EMULATE=1 for the emulated CUDA device)";

const CudaInfo& cuda_info() {
  static const CudaInfo info{false, false, false, 0, kNotBuilt};
  return info;
}

void* cuda_stream() { return nullptr; }
Status cuda_alloc(size_t, void**) { return LB_FAIL(kNotBuilt); }
void cuda_free(void*, size_t) {}
Status cuda_copy_device(void*, const void*, size_t) { return LB_FAIL(kNotBuilt); }
Status cuda_write(void*, const void*, size_t) { return LB_FAIL(kNotBuilt); }
Status cuda_read(void*, const void*, size_t) { return LB_FAIL(kNotBuilt); }
Status cuda_memset(void*, int, size_t) { return LB_FAIL(kNotBuilt); }
Status cuda_synchronize() { return LB_FAIL(kNotBuilt); }
// Nothing can be allocated, so nothing is ever in use.
CudaMemoryStats cuda_memory_stats() { return {}; }
void cuda_reset_peak_memory() {}
Status cuda_empty_cache() { return Status::Ok(); }
// Nothing can be on a device to read back.
CudaReadBack::~CudaReadBack() = default;
Status CudaReadBack::start(const void*) { return LB_FAIL(kNotBuilt); }
Status CudaReadBack::wait(void*) { return LB_FAIL(kNotBuilt); }

}  // namespace lb
