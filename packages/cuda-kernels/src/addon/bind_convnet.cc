// Bindings of the convolutional-network kernel families: conv2d, batch_norm, pool,
// activation, softmax (the fused log-softmax + cross-entropy) and augment (crop, flip, normalise). Each takes its tensors as two parallel arrays, buffer handles (null where
// the kernel allows) and element offsets; every tensor is checked to hold all the elements
// the kernel touches before it runs. Tensors are contiguous; outputs must not overlap inputs.
// All tensors on the CPU run the *_cpu kernel, all on CUDA the *_cuda kernel.
//   conv2d(op, type, shape, handles, offsets)
//     shape [n, c, h, w, k, r, s, p, q, strideH, strideW, padH, padW, dilH, dilW, groups]
//     op 0 forward [x, w, y, bias?]; 1 backward data [dy, w, dx]; 2 backward weight [x, dy, dw?, dbias?]
//   batchNorm(op, type, shape [n, c, hw], options [training, relu, eps, momentum], handles, offsets)
//     op 0 forward [x, weight?, bias?, runningMean?, runningVar?, y, saveMean, saveInvstd]
//     op 1 backward [dy, x, y?, weight?, saveMean, saveInvstd, dx?, dweight?, dbias?]
//   pool2d(op, mode, type, shape [planes, h, w, p, q, kh, kw, sh, sw, ph, pw], handles, offsets)
//     op 0 forward [x, y, indices?]; 1 backward [dy, indices?, dx] (indices: int32, max mode)
//   activation(op, type, n, handles, offsets): [a, b?, out]
//   crossEntropy(op, type, [rows, classes], labelSmoothing, handles, offsets) (labels: int32)
//     op 0 forward [logits, labels, loss]; 1 backward [logits, labels, dloss, dlogits]
//   augment(shape [n, c, h, w, pad, layout], mean, std, handles, offsets)
//     [images (uint8), top, left, flip (int32 [n]), out (float32 [n, c, h, w])]
#include <napi.h>

#include <string>
#include <vector>

#include "../kernels/activation/activation.h"
#include "../kernels/augment/augment.h"
#include "../kernels/batch_norm/batch_norm.h"
#include "../kernels/conv2d/conv2d.h"
#include "../kernels/pool/pool.h"
#include "../kernels/softmax/softmax.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

// One tensor argument: its name (for errors), the elements the kernel touches, its type.
struct Slot {
  const char* name;
  int64_t count;
  DType type;
  bool required;
};

// The data pointers of the tensors at arguments i (handles) and i + 1 (offsets), null for
// an optional tensor given as null; their buffers join `dev`.
std::vector<void*> arg_tensors(const Napi::CallbackInfo& info, size_t i, const std::vector<Slot>& slots, CallDevice& dev,
                               const char* k) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsArray()) throw_error(env, k, "argument " + std::to_string(i) + " must be an array of buffer handles");
  Napi::Array handles = info[i].As<Napi::Array>();
  const std::vector<int64_t> offsets = arg_int_array(info, i + 1, k);
  if (handles.Length() != slots.size() || offsets.size() != slots.size())
    throw_error(env, k, "expected " + std::to_string(slots.size()) + " tensors and offsets, got " +
                            std::to_string(handles.Length()) + " and " + std::to_string(offsets.size()));
  std::vector<void*> out(slots.size(), nullptr);
  for (uint32_t t = 0; t < slots.size(); ++t) {
    const Slot& slot = slots[t];
    const std::string name = std::string("tensor '") + slot.name + "'";
    Napi::Value v = handles.Get(t);
    if (v.IsNull() || v.IsUndefined()) {
      if (slot.required) throw_error(env, k, name + " is required");
      continue;
    }
    if (!v.IsExternal()) throw_error(env, k, name + " must be a buffer handle");
    BufferHandle* h = v.As<Napi::External<BufferHandle>>().Data();
    if (h->freed) throw_error(env, k, name + " is a freed buffer (used after dispose)");
    dev.add(h->buffer, name);
    const int64_t have = static_cast<int64_t>(h->buffer.bytes / dtype_size(slot.type));
    if (offsets[t] < 0 || offsets[t] > have || slot.count > have - offsets[t])
      throw_error(env, k, name + ": elements [" + std::to_string(offsets[t]) + ", " + std::to_string(offsets[t] + slot.count) +
                              ") are outside a buffer of " + std::to_string(have));
    out[t] = static_cast<char*>(h->buffer.data) + offsets[t] * static_cast<int64_t>(dtype_size(slot.type));
  }
  return out;
}

// Integer sizes at argument i: exactly `n` of them, each in [0, 2^31).
std::vector<int64_t> arg_sizes(const Napi::CallbackInfo& info, size_t i, size_t n, const char* k) {
  std::vector<int64_t> v = arg_int_array(info, i, k);
  if (v.size() != n) throw_error(info.Env(), k, "expected " + std::to_string(n) + " sizes, got " + std::to_string(v.size()));
  for (int64_t x : v)
    if (x < 0 || x >= (int64_t(1) << 31)) throw_error(info.Env(), k, "size " + std::to_string(x) + " is outside [0, 2^31)");
  return v;
}

// The product of sizes, refused above 2^53 (no overflow in the span checks).
int64_t count_of(Napi::Env env, std::initializer_list<int64_t> sizes, const char* k) {
  double product = 1;
  for (int64_t s : sizes) product *= static_cast<double>(s);
  if (product >= 9007199254740992.0) throw_error(env, k, "a tensor of more than 2^53 elements");
  return static_cast<int64_t>(product);
}

#if defined(LARGEBATCH_WITH_CUDA)
// Backward weight on the device, with the split-K workspace its shape may need taken as
// CudaScratch (so cuda_memory_stats counts it), freed in stream order after the kernels.
Status conv2d_backward_weight_on_device(DType t, const Conv2dShape& s, const void* x, const void* dy, void* dw,
                                        void* dbias) {
  CudaScratch workspace;
  const size_t bytes = dw ? conv2d_backward_weight_cuda_workspace(t, s) : 0;
  if (bytes > 0) LB_RETURN_IF_FAILED(workspace.alloc(bytes));
  return conv2d_backward_weight_cuda(t, s, x, dy, dw, dbias, workspace.data(), cuda_stream());
}
#endif

Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  const char* k = "conv2d";
  Napi::Env env = info.Env();
  const int64_t op = arg_int(info, 0, k);
  const DType t = arg_dtype(info, 1, k);
  const std::vector<int64_t> v = arg_sizes(info, 2, 16, k);
  const Conv2dShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  throw_if_failed(env, k, conv2d_check(s));
  const int64_t xs = count_of(env, {s.n, s.c, s.h, s.w}, k), ys = count_of(env, {s.n, s.k, s.p, s.q}, k);
  const int64_t ws = count_of(env, {s.k, s.c / s.groups, s.r, s.s}, k);
  CallDevice dev(env, k);
  if (op == 0) {
    auto p = arg_tensors(info, 3, {{"x", xs, t, true}, {"w", ws, t, true}, {"y", ys, t, true}, {"bias", s.k, t, false}}, dev, k);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(conv2d_forward_cuda(t, s, p[0], p[1], p[3], p[2], cuda_stream()))
                               : conv2d_forward_cpu(t, s, p[0], p[1], p[3], p[2]));
  } else if (op == 1) {
    auto p = arg_tensors(info, 3, {{"dy", ys, t, true}, {"w", ws, t, true}, {"dx", xs, t, true}}, dev, k);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(conv2d_backward_data_cuda(t, s, p[0], p[1], p[2], cuda_stream()))
                               : conv2d_backward_data_cpu(t, s, p[0], p[1], p[2]));
  } else if (op == 2) {
    auto p = arg_tensors(info, 3, {{"x", xs, t, true}, {"dy", ys, t, true}, {"dw", ws, t, false}, {"dbias", s.k, t, false}}, dev, k);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(conv2d_backward_weight_on_device(t, s, p[0], p[1], p[2], p[3]))
                               : conv2d_backward_weight_cpu(t, s, p[0], p[1], p[2], p[3]));
  } else {
    throw_error(env, k, "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  const char* k = "batchNorm";
  Napi::Env env = info.Env();
  const int64_t op = arg_int(info, 0, k);
  const DType t = arg_dtype(info, 1, k);
  const std::vector<int64_t> v = arg_sizes(info, 2, 3, k);
  const BatchNormShape s{v[0], v[1], v[2]};
  if (info.Length() <= 3 || !info[3].IsArray() || info[3].As<Napi::Array>().Length() != 4)
    throw_error(env, k, "argument 3 must be [training, relu, eps, momentum]");
  Napi::Array opts = info[3].As<Napi::Array>();
  const BatchNormOptions o{opts.Get(0u).ToBoolean().Value(), opts.Get(1u).ToBoolean().Value(),
                           opts.Get(2u).ToNumber().DoubleValue(), opts.Get(3u).ToNumber().DoubleValue()};
  const int64_t all = count_of(env, {s.n, s.c, s.hw}, k);
  CallDevice dev(env, k);
  if (op == 0) {
    auto p = arg_tensors(info, 4,
                         {{"x", all, t, true}, {"weight", s.c, t, false}, {"bias", s.c, t, false}, {"runningMean", s.c, t, !o.training},
                          {"runningVar", s.c, t, !o.training}, {"y", all, t, true}, {"saveMean", s.c, t, true}, {"saveInvstd", s.c, t, true}},
                         dev, k);
    const BatchNormForward f{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]};
    throw_if_failed(env, k, dev.cuda() ? LB_ON_CUDA(batch_norm_forward_cuda(t, s, o, f, cuda_stream())) : batch_norm_forward_cpu(t, s, o, f));
  } else if (op == 1) {
    auto p = arg_tensors(info, 4,
                         {{"dy", all, t, true}, {"x", all, t, true}, {"y", all, t, o.relu}, {"weight", s.c, t, false},
                          {"saveMean", s.c, t, true}, {"saveInvstd", s.c, t, true}, {"dx", all, t, false}, {"dweight", s.c, t, false},
                          {"dbias", s.c, t, false}},
                         dev, k);
    const BatchNormBackward b{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]};
    throw_if_failed(env, k, dev.cuda() ? LB_ON_CUDA(batch_norm_backward_cuda(t, s, o, b, cuda_stream())) : batch_norm_backward_cpu(t, s, o, b));
  } else {
    throw_error(env, k, "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

#if defined(LARGEBATCH_WITH_CUDA)
// Max pooling's backward on the device reports an index outside its window through device
// memory; this waits for that report (only in Max mode) to fail as the CPU kernel does.
Status pool2d_backward_on_device(DType t, PoolMode mode, const Pool2dShape& s, const void* dy, const int32_t* indices,
                                 void* dx) {
  if (mode != PoolMode::Max) return pool2d_backward_cuda(t, mode, s, dy, indices, dx, nullptr, cuda_stream());
  return checked_indices([&](int32_t* bad) { return pool2d_backward_cuda(t, mode, s, dy, indices, dx, bad, cuda_stream()); },
                         indices, [&](int32_t position, int32_t value) {
                           return LB_FAIL("pool2d: index " + std::to_string(value) + " at position " + std::to_string(position) +
                                          " is outside its window in a plane of " + std::to_string(s.h * s.w));
                         });
}
#endif

Napi::Value Pool2d(const Napi::CallbackInfo& info) {
  const char* k = "pool2d";
  Napi::Env env = info.Env();
  const int64_t op = arg_int(info, 0, k);
  const int64_t mode_code = arg_int(info, 1, k);
  if (mode_code < 0 || mode_code > 3) throw_error(env, k, "unknown mode " + std::to_string(mode_code));
  const PoolMode mode = static_cast<PoolMode>(mode_code);
  const DType t = arg_dtype(info, 2, k);
  const std::vector<int64_t> v = arg_sizes(info, 3, 11, k);
  const Pool2dShape s{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
  throw_if_failed(env, k, pool2d_check(mode, s));
  const int64_t xs = count_of(env, {s.planes, s.h, s.w}, k), ys = count_of(env, {s.planes, s.p, s.q}, k);
  const bool max = mode == PoolMode::Max;
  CallDevice dev(env, k);
  if (op == 0) {
    auto p = arg_tensors(info, 4, {{"x", xs, t, true}, {"y", ys, t, true}, {"indices", ys, DType::I32, max}}, dev, k);
    int32_t* indices = static_cast<int32_t*>(p[2]);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(pool2d_forward_cuda(t, mode, s, p[0], p[1], indices, cuda_stream()))
                               : pool2d_forward_cpu(t, mode, s, p[0], p[1], indices));
  } else if (op == 1) {
    auto p = arg_tensors(info, 4, {{"dy", ys, t, true}, {"indices", ys, DType::I32, max}, {"dx", xs, t, true}}, dev, k);
    const int32_t* indices = static_cast<const int32_t*>(p[1]);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(pool2d_backward_on_device(t, mode, s, p[0], indices, p[2]))
                               : pool2d_backward_cpu(t, mode, s, p[0], indices, p[2]));
  } else {
    throw_error(env, k, "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

Napi::Value Activation(const Napi::CallbackInfo& info) {
  const char* k = "activation";
  Napi::Env env = info.Env();
  const int64_t op = arg_int(info, 0, k);
  if (op < 0 || op > 2) throw_error(env, k, "unknown op " + std::to_string(op));
  const DType t = arg_dtype(info, 1, k);
  const int64_t n = arg_int(info, 2, k);
  if (n < 0 || n >= (int64_t(1) << 53)) throw_error(env, k, "n must be in [0, 2^53), got " + std::to_string(n));
  CallDevice dev(env, k);
  auto p = arg_tensors(info, 3, {{"a", n, t, true}, {"b", n, t, op != 0}, {"out", n, t, true}}, dev, k);
  const ActivationOp a = static_cast<ActivationOp>(op);
  throw_if_failed(env, k,
                  dev.cuda() ? LB_ON_CUDA(activation_cuda(a, t, n, p[0], p[1], p[2], cuda_stream())) : activation_cpu(a, t, n, p[0], p[1], p[2]));
  return env.Undefined();
}

#if defined(LARGEBATCH_WITH_CUDA)
// The CUDA cross-entropy kernels report a label outside [0, classes) through device memory;
// this waits for that report to fail as the CPU kernel does.
template <typename Launch>
Status cross_entropy_on_device(const CrossEntropyShape& s, const int32_t* labels, Launch launch) {
  return checked_indices(launch, labels, [&](int32_t position, int32_t value) {
    return LB_FAIL("cross_entropy: label " + std::to_string(value) + " at position " + std::to_string(position) +
                   " is not a class in [0, " + std::to_string(s.classes) + ")");
  });
}
#endif

Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  const char* k = "crossEntropy";
  Napi::Env env = info.Env();
  const int64_t op = arg_int(info, 0, k);
  const DType t = arg_dtype(info, 1, k);
  const std::vector<int64_t> v = arg_sizes(info, 2, 2, k);
  const CrossEntropyShape s{v[0], v[1], arg_number(info, 3, k)};
  throw_if_failed(env, k, cross_entropy_check(t, s));
  const int64_t all = count_of(env, {s.rows, s.classes}, k);
  CallDevice dev(env, k);
  if (op == 0) {
    auto p = arg_tensors(info, 4, {{"logits", all, t, true}, {"labels", s.rows, DType::I32, true}, {"loss", s.rows, t, true}}, dev, k);
    const int32_t* labels = static_cast<const int32_t*>(p[1]);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(cross_entropy_on_device(s, labels, [&](int32_t* bad) {
                      return cross_entropy_forward_cuda(t, s, p[0], labels, p[2], bad, cuda_stream());
                    }))
                               : cross_entropy_forward_cpu(t, s, p[0], labels, p[2]));
  } else if (op == 1) {
    auto p = arg_tensors(info, 4,
                         {{"logits", all, t, true}, {"labels", s.rows, DType::I32, true}, {"dloss", s.rows, t, true},
                          {"dlogits", all, t, true}},
                         dev, k);
    const int32_t* labels = static_cast<const int32_t*>(p[1]);
    throw_if_failed(env, k,
                    dev.cuda() ? LB_ON_CUDA(cross_entropy_on_device(s, labels, [&](int32_t* bad) {
                      return cross_entropy_backward_cuda(t, s, p[0], labels, p[2], p[3], bad, cuda_stream());
                    }))
                               : cross_entropy_backward_cpu(t, s, p[0], labels, p[2], p[3]));
  } else {
    throw_error(env, k, "unknown op " + std::to_string(op));
  }
  return env.Undefined();
}

Napi::Value Augment(const Napi::CallbackInfo& info) {
  const char* k = "augment";
  Napi::Env env = info.Env();
  const std::vector<int64_t> v = arg_sizes(info, 0, 6, k);
  const AugmentShape s{v[0], v[1], v[2], v[3], v[4], static_cast<ImageLayout>(v[5])};
  if (v[5] > 1) throw_error(env, k, "layout " + std::to_string(v[5]) + " is neither 0 (NCHW) nor 1 (NHWC)");
  const std::vector<double> mean = arg_number_array(info, 1, k), std_dev = arg_number_array(info, 2, k);
  if (mean.size() != static_cast<size_t>(s.c) || std_dev.size() != static_cast<size_t>(s.c))
    throw_error(env, k, "mean and std need " + std::to_string(s.c) + " values each (one per channel), got " +
                            std::to_string(mean.size()) + " and " + std::to_string(std_dev.size()));
  AugmentNorm norm{};
  for (int64_t ch = 0; ch < s.c && ch < kAugmentMaxChannels; ++ch) {
    norm.mean[ch] = static_cast<float>(mean[ch]);
    norm.std[ch] = static_cast<float>(std_dev[ch]);
  }
  throw_if_failed(env, k, augment_check(s, norm));
  const int64_t all = count_of(env, {s.n, s.c, s.h, s.w}, k);
  CallDevice dev(env, k);
  auto p = arg_tensors(info, 3,
                       {{"images", all, DType::U8, true}, {"top", s.n, DType::I32, true}, {"left", s.n, DType::I32, true},
                        {"flip", s.n, DType::I32, true}, {"out", all, DType::F32, true}},
                       dev, k);
  const auto* images = static_cast<const uint8_t*>(p[0]);
  const auto *top = static_cast<const int32_t*>(p[1]), *left = static_cast<const int32_t*>(p[2]),
             *flip = static_cast<const int32_t*>(p[3]);
  auto* out = static_cast<float*>(p[4]);
  throw_if_failed(env, k,
                  dev.cuda() ? LB_ON_CUDA(augment_crop_flip_normalize_cuda(s, norm, images, top, left, flip, out, cuda_stream()))
                             : augment_crop_flip_normalize_cpu(s, norm, images, top, left, flip, out));
  return env.Undefined();
}

}  // namespace

void register_convnet(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2d", Napi::Function::New(env, Conv2d, "conv2d"));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm, "batchNorm"));
  exports.Set("pool2d", Napi::Function::New(env, Pool2d, "pool2d"));
  exports.Set("activation", Napi::Function::New(env, Activation, "activation"));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy, "crossEntropy"));
  exports.Set("augment", Napi::Function::New(env, Augment, "augment"));
}

}  // namespace lb
