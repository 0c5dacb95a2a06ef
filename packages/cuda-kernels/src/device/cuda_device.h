// The CUDA device as the rest of the addon sees it. Two implementations: cuda_device.cu
// (CUDA runtime, linked statically) and cuda_device_none.cc (a build without CUDA).
// No GPU at run time is a normal state: cuda_info() says why, and every call fails cleanly.
#pragma once
#include <cstddef>
#include <string>

#include "../core/status.h"

namespace lb {

struct CudaInfo {
  bool built = false;       // compiled with CUDA
  bool available = false;   // a device can be used now
  int device_count = 0;
  std::string reason;       // why not available, or what is available
};

const CudaInfo& cuda_info();
Status cuda_alloc(size_t bytes, void** out);
void cuda_free(void* ptr);
Status cuda_memcpy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes);
Status cuda_synchronize();

}  // namespace lb
