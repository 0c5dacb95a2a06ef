// Argument parsing and error conversion for the bindings: every failure becomes a JS
// Error naming the kernel, and kernel Status failures also name file:line. CallDevice
// picks the device a call runs on from its buffers.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "../core/buffer.h"
#include "../core/dtype.h"
#include "../core/status.h"
#include "../device/cuda_device.h"
#include "../kernels/elementwise/elementwise.h"

namespace lb {

// The object behind a buffer handle; `freed` guards use after free() from JS.
struct BufferHandle {
  Buffer buffer;
  bool freed = false;
};

[[noreturn]] inline void throw_error(Napi::Env env, const std::string& kernel, const std::string& message) {
  throw Napi::Error::New(env, "largebatch kernel '" + kernel + "': " + message);
}

inline void throw_if_failed(Napi::Env env, const std::string& kernel, const Status& s) {
  if (s.ok) return;
  std::string where = std::string(s.file) + ":" + std::to_string(s.line);
  throw_error(env, kernel, s.message + " (" + where + ")");
}

inline double arg_number(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  if (i >= info.Length() || !info[i].IsNumber())
    throw_error(info.Env(), kernel, "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline int64_t arg_int(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  return static_cast<int64_t>(arg_number(info, i, kernel));
}

inline DType arg_dtype(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  int64_t code = arg_int(info, i, kernel);
  if (!dtype_valid(static_cast<int>(code))) throw_error(info.Env(), kernel, "unknown dtype code " + std::to_string(code));
  return static_cast<DType>(code);
}

inline Buffer& arg_buffer(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  if (i >= info.Length() || !info[i].IsExternal())
    throw_error(info.Env(), kernel, "argument " + std::to_string(i) + " must be a buffer handle");
  BufferHandle* h = info[i].As<Napi::External<BufferHandle>>().Data();
  if (h->freed) throw_error(info.Env(), kernel, "argument " + std::to_string(i) + " is a freed buffer (used after dispose)");
  return h->buffer;
}

inline const char* device_name(Device d) { return d == Device::Cuda ? "cuda" : "cpu"; }

// The device a call runs on: every buffer it takes must be on the device of the first one
// (all CPU: the *_cpu kernel runs; all CUDA: the *_cuda kernel, on the device's stream).
class CallDevice {
 public:
  CallDevice(Napi::Env env, const char* kernel) : env_(env), kernel_(kernel) {}

  // Adds buffer `b`, called `name` in errors, to the call.
  Buffer& add(Buffer& b, const std::string& name) {
    if (first_.empty()) {
      first_ = name;
      device_ = b.device;
    } else if (b.device != device_) {
      throw_error(env_, kernel_, name + " is on '" + device_name(b.device) + "' but " + first_ + " is on '" +
                                     device_name(device_) + "'; every buffer of one call must be on one device");
    }
    return b;
  }

  // The buffer at argument i, added as "<name> (argument i)".
  Buffer& arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
    return add(arg_buffer(info, i, kernel_), std::string(name) + " (argument " + std::to_string(i) + ")");
  }

  bool cuda() const { return device_ == Device::Cuda; }

 private:
  Napi::Env env_;
  const char* kernel_;
  std::string first_;
  Device device_ = Device::Cpu;
};

// The numbers of the array at argument i (each checked to be a number).
inline std::vector<double> arg_number_array(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  if (i >= info.Length() || !info[i].IsArray())
    throw_error(info.Env(), kernel, "argument " + std::to_string(i) + " must be an array of numbers");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<double> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr.Get(k);
    if (!v.IsNumber()) throw_error(info.Env(), kernel, "argument " + std::to_string(i) + "[" + std::to_string(k) + "] must be a number");
    out[k] = v.As<Napi::Number>().DoubleValue();
  }
  return out;
}

inline std::vector<int64_t> arg_int_array(const Napi::CallbackInfo& info, size_t i, const char* kernel) {
  if (i >= info.Length() || !info[i].IsArray())
    throw_error(info.Env(), kernel, "argument " + std::to_string(i) + " must be an array of integers");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) out[k] = static_cast<int64_t>(arr.Get(k).As<Napi::Number>().DoubleValue());
  return out;
}

// A strided operand from (buffer, offset, strides) at arguments i, i+1, i+2, checked so
// that every element it can address lies inside the buffer; the buffer joins `device`.
inline Operand arg_operand(const Napi::CallbackInfo& info, size_t i, const std::vector<int64_t>& shape, DType type,
                           CallDevice& device, const char* name, const char* kernel) {
  Buffer& buf = device.arg(info, i, name);
  Operand op{};
  op.data = buf.data;
  op.offset = arg_int(info, i + 1, kernel);
  std::vector<int64_t> strides = arg_int_array(info, i + 2, kernel);
  if (strides.size() != shape.size()) throw_error(info.Env(), kernel, "strides and shape differ in length");
  int64_t lo = op.offset, hi = op.offset;
  bool empty = false;
  for (size_t d = 0; d < shape.size(); ++d) {
    op.strides[d] = strides[d];
    if (shape[d] == 0) empty = true;
    int64_t span = (shape[d] - 1) * strides[d];
    if (span > 0) hi += span;
    else lo += span;
  }
  const int64_t count = static_cast<int64_t>(buf.bytes / dtype_size(type));
  if (!empty && (lo < 0 || hi >= count))
    throw_error(info.Env(), kernel, "strided view [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                        "] is outside a buffer of " + std::to_string(count) + " elements");
  return op;
}

inline Iteration to_iteration(Napi::Env env, const std::vector<int64_t>& shape, const char* kernel) {
  if (shape.size() > static_cast<size_t>(kMaxDims))
    throw_error(env, kernel, "at most " + std::to_string(kMaxDims) + " dimensions after merging");
  Iteration it{};
  it.ndim = static_cast<int>(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) it.shape[d] = shape[d];
  return it;
}

// Checks that `count` elements of `type` from element `offset` fit in the buffer.
inline void check_span(Napi::Env env, const Buffer& b, int64_t offset, int64_t count, DType type, const char* kernel) {
  const int64_t have = static_cast<int64_t>(b.bytes / dtype_size(type));
  if (offset < 0 || count < 0 || offset + count > have)
    throw_error(env, kernel, "elements [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                                 ") are outside a buffer of " + std::to_string(have));
}

template <typename T>
T* typed(Buffer& b, int64_t offset_elems) {
  return static_cast<T*>(b.data) + offset_elems;
}

#if defined(LARGEBATCH_WITH_CUDA)
// Runs `launch(bad_position)`, a CUDA kernel call that reports a bad index through one
// device int32 (the lowest bad position, or -1) instead of making the host wait, then
// waits for it: a bad index fails with `describe(position, index value)`, as the CPU
// kernels fail.
template <typename Launch, typename Describe>
Status checked_indices(Launch launch, const int32_t* indices, Describe describe) {
  CudaScratch bad;
  LB_RETURN_IF_FAILED(bad.alloc(sizeof(int32_t)));
  LB_RETURN_IF_FAILED(launch(bad.data<int32_t>()));
  int32_t position = -1, value = 0;
  LB_RETURN_IF_FAILED(cuda_read(&position, bad.data(), sizeof position));
  if (position < 0) return Status::Ok();
  LB_RETURN_IF_FAILED(cuda_read(&value, indices + position, sizeof value));
  return describe(position, value);
}
#endif

}  // namespace lb

// A call of a *_cuda kernel: compiled only in builds with CUDA (or its emulation); a build
// without has no CUDA buffers, so CallDevice never picks the device there.
#if defined(LARGEBATCH_WITH_CUDA)
#define LB_ON_CUDA(call) (call)
#else
#define LB_ON_CUDA(call) LB_FAIL("this addon was built without CUDA")
#endif
