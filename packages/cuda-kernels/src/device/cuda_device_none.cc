// The CUDA device of a build without CUDA (LARGEBATCH_CUDA=0, or no nvcc at install).
#include "cuda_device.h"

namespace lb {

static const char* kNotBuilt =
    "built without CUDA: nvcc was not found at install or LARGEBATCH_CUDA=0 (reinstall with nvcc on PATH)";

const CudaInfo& cuda_info() {
  static const CudaInfo info{false, false, 0, kNotBuilt};
  return info;
}

Status cuda_alloc(size_t, void**) { return LB_FAIL(kNotBuilt); }
void cuda_free(void*) {}
Status cuda_memcpy(void*, bool, const void*, bool, size_t) { return LB_FAIL(kNotBuilt); }
Status cuda_synchronize() { return LB_FAIL(kNotBuilt); }

}  // namespace lb
