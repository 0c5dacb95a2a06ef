// Bindings for buffers: alloc, free, write, read, copy. CPU buffers report their size to
// V8 as external memory, so garbage collection sees what tensors really hold.
#include "bindings.h"

#include <napi.h>

#include "../device/cuda_device.h"
#include "napi_util.h"

namespace lb {
namespace {

void adjust_external(Napi::Env env, const Buffer& b, int sign) {
  if (b.device == Device::Cpu) Napi::MemoryManagement::AdjustExternalMemory(env, sign * static_cast<int64_t>(b.bytes));
}

void release(Napi::Env env, BufferHandle* h) {
  if (h->freed) return;
  adjust_external(env, h->buffer, -1);
  buffer_free(&h->buffer);
  h->freed = true;
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  const char* k = "alloc";
  const int64_t device = arg_int(info, 0, k);
  const int64_t bytes = arg_int(info, 1, k);
  if (device != 0 && device != 1) throw_error(info.Env(), k, "device must be 0 (cpu) or 1 (cuda)");
  if (bytes < 0) throw_error(info.Env(), k, "negative size");
  auto* h = new BufferHandle();
  Status s = buffer_alloc(static_cast<Device>(device), static_cast<size_t>(bytes), &h->buffer);
  if (!s.ok) {
    delete h;
    throw_if_failed(info.Env(), k, s);
  }
  adjust_external(info.Env(), h->buffer, +1);
  // The finalizer is the safety net for a handle that JS dropped without free().
  return Napi::External<BufferHandle>::New(info.Env(), h, [](Napi::Env env, BufferHandle* p) {
    release(env, p);
    delete p;
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) throw_error(info.Env(), "free", "argument 0 must be a buffer handle");
  release(info.Env(), info[0].As<Napi::External<BufferHandle>>().Data());
  return info.Env().Undefined();
}

// The bytes of a typed array. napi_get_typedarray_info gives the data pointer directly,
// which also works for arrays over a SharedArrayBuffer (ArrayBuffer::Data() does not).
std::pair<void*, size_t> typed_array_bytes(const Napi::CallbackInfo& info, size_t i, const char* k) {
  if (i >= info.Length() || !info[i].IsTypedArray()) throw_error(info.Env(), k, "argument " + std::to_string(i) + " must be a typed array");
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  void* data = nullptr;
  napi_status st = napi_get_typedarray_info(info.Env(), ta, nullptr, nullptr, &data, nullptr, nullptr);
  if (st != napi_ok) throw_error(info.Env(), k, "cannot read the typed array's memory");
  return {data, ta.ByteLength()};
}

// write(buffer, byteOffset, typedArray)
Napi::Value Write(const Napi::CallbackInfo& info) {
  const char* k = "write";
  Buffer& b = arg_buffer(info, 0, k);
  auto [host, bytes] = typed_array_bytes(info, 2, k);
  throw_if_failed(info.Env(), k, buffer_write_host(b, static_cast<size_t>(arg_int(info, 1, k)), host, bytes));
  return info.Env().Undefined();
}

// read(buffer, byteOffset, typedArray): fills the whole typed array.
Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* k = "read";
  Buffer& b = arg_buffer(info, 0, k);
  auto [host, bytes] = typed_array_bytes(info, 2, k);
  throw_if_failed(info.Env(), k, buffer_read_host(b, static_cast<size_t>(arg_int(info, 1, k)), host, bytes));
  return info.Env().Undefined();
}

// copy(dst, dstByteOffset, src, srcByteOffset, bytes), across devices too.
Napi::Value Copy(const Napi::CallbackInfo& info) {
  const char* k = "copy";
  Buffer& dst = arg_buffer(info, 0, k);
  Buffer& src = arg_buffer(info, 2, k);
  throw_if_failed(info.Env(), k,
                  buffer_copy(dst, static_cast<size_t>(arg_int(info, 1, k)), src, static_cast<size_t>(arg_int(info, 3, k)),
                              static_cast<size_t>(arg_int(info, 4, k))));
  return info.Env().Undefined();
}

}  // namespace

void register_memory(Napi::Env env, Napi::Object exports) {
  exports.Set("alloc", Napi::Function::New(env, Alloc, "alloc"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
}

}  // namespace lb
