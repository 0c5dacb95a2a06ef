// Buffer: one allocation on one device. The addon hands JS an opaque handle to it;
// tensors in TypeScript hold the handle and free it deterministically.
#pragma once
#include <cstddef>

#include "status.h"

namespace lb {

enum class Device : int { Cpu = 0, Cuda = 1 };

struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::Cpu;
};

Status buffer_alloc(Device device, size_t bytes, Buffer* out);
void buffer_free(Buffer* buffer);
Status buffer_copy(Buffer& dst, size_t dst_offset, const Buffer& src, size_t src_offset, size_t bytes);
Status buffer_write_host(Buffer& dst, size_t offset, const void* host, size_t bytes);
Status buffer_read_host(const Buffer& src, size_t offset, void* host, size_t bytes);

}  // namespace lb
