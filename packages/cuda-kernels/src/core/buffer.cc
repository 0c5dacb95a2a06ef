// Buffer allocation and copies. CPU memory is 64-byte aligned (one AVX-512 vector, one
// cache line); CUDA memory and transfers go through device/cuda_device.h, in the order of
// the device's one stream.
#include "buffer.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "../device/cuda_device.h"

namespace lb {

Status buffer_alloc(Device device, size_t bytes, Buffer* out) {
  out->bytes = bytes;
  out->device = device;
  if (device == Device::Cuda) return cuda_alloc(bytes, &out->data);
  size_t rounded = ((bytes + 63) / 64) * 64;
  if (rounded == 0) rounded = 64;
  out->data = std::aligned_alloc(64, rounded);
  if (!out->data) return LB_FAIL("out of host memory allocating " + std::to_string(bytes) + " bytes");
  return Status::Ok();
}

void buffer_free(Buffer* buffer) {
  if (!buffer->data) return;
  if (buffer->device == Device::Cuda) {
    cuda_free(buffer->data, buffer->bytes);
  } else {
    std::free(buffer->data);
  }
  buffer->data = nullptr;
}

static Status check_range(const Buffer& b, size_t offset, size_t bytes, const char* what) {
  if (offset > b.bytes || bytes > b.bytes - offset)
    return LB_FAIL(std::string(what) + " range [" + std::to_string(offset) + ", " + std::to_string(offset + bytes) +
                   ") is outside a buffer of " + std::to_string(b.bytes) + " bytes");
  return Status::Ok();
}

Status buffer_copy(Buffer& dst, size_t dst_offset, const Buffer& src, size_t src_offset, size_t bytes) {
  LB_RETURN_IF_FAILED(check_range(dst, dst_offset, bytes, "copy destination"));
  LB_RETURN_IF_FAILED(check_range(src, src_offset, bytes, "copy source"));
  char* d = static_cast<char*>(dst.data) + dst_offset;
  const char* s = static_cast<const char*>(src.data) + src_offset;
  if (dst.device == Device::Cpu && src.device == Device::Cpu) {
    std::memmove(d, s, bytes);
    return Status::Ok();
  }
  if (dst.device == Device::Cuda && src.device == Device::Cuda) return cuda_copy_device(d, s, bytes);
  if (dst.device == Device::Cuda) return cuda_write(d, s, bytes);
  return cuda_read(d, s, bytes);
}

Status buffer_write_host(Buffer& dst, size_t offset, const void* host, size_t bytes) {
  LB_RETURN_IF_FAILED(check_range(dst, offset, bytes, "write"));
  char* d = static_cast<char*>(dst.data) + offset;
  if (dst.device == Device::Cpu) {
    std::memcpy(d, host, bytes);
    return Status::Ok();
  }
  return cuda_write(d, host, bytes);
}

Status buffer_read_host(const Buffer& src, size_t offset, void* host, size_t bytes) {
  LB_RETURN_IF_FAILED(check_range(src, offset, bytes, "read"));
  const char* s = static_cast<const char*>(src.data) + offset;
  if (src.device == Device::Cpu) {
    std::memcpy(host, s, bytes);
    return Status::Ok();
  }
  return cuda_read(host, s, bytes);
}

}  // namespace lb
