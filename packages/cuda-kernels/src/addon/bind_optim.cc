// Binding of the fused optimizer step (kernels/optim): one call updates a whole param group.
// optimState(n) makes a group's step state (OptimStateHandle), optimStateFree(state) frees it.
// optimStep(variant, hyper, params, grads, momenta, layout, flags, ratios, ratiosOffset,
//           weightSq, state)
//   variant  0 SGD, 1 LARS paper, 2 LARS study
//   hyper    Float64Array [lr, momentum, dampening, weightDecay, trustCoefficient, eps, clip, nesterov]
//   params   array of n buffer handles; grads: n handles or null/undefined (no gradient: skipped);
//            momenta: n handles or null/undefined (needed where momentum != 0)
//   layout   Float64Array of 4n: per tensor paramOffset, gradOffset, momentumOffset, size (elements)
//   flags    Uint8Array of n, read and written (kernels/optim/optim.h OptimFlag)
//   ratios   a float32 buffer handle receiving each updated tensor's trust ratio, or null
//   weightSq Float64Array of n or null/undefined: ‖w‖² per tensor, read and written as
//            optim_step_cpu's weight_sq (NaN: unknown); on CUDA all are set to NaN
//   state    the group's OptimStateHandle
// Returns the index of the first tensor whose gradient holds NaN/Inf, or -1.
// On CUDA buffers (all of them, ratios included) the step is queued on the device's stream
// and nothing waits for it: it returns -1, and the step's flags and NaN/Inf report come
// back through optimCollect(state, flags), which waits for that step alone, writes flags
// and returns the report. It must be called before the group's next step.
#include <napi.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../kernels/optim/optim.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

template <typename Array>
Array arg_typed(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type, const char* what, const char* k) {
  if (i >= info.Length() || !info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != type)
    throw_error(info.Env(), k, "argument " + std::to_string(i) + " must be a " + what);
  return info[i].As<Array>();
}

// A float32 span of `size` elements at `offset` in the handle at array[t]; null when the
// entry is null or undefined and `optional`. Its buffer joins `dev`.
float* span_at(const Napi::CallbackInfo& info, Napi::Array array, uint32_t t, double offset, int64_t size,
               bool optional, const char* what, CallDevice& dev, const char* k) {
  Napi::Value v = array.Get(t);
  if (optional && (v.IsNull() || v.IsUndefined())) return nullptr;
  const std::string where = std::string(what) + "[" + std::to_string(t) + "]";
  if (!v.IsExternal()) throw_error(info.Env(), k, where + " must be a buffer handle");
  BufferHandle* h = v.As<Napi::External<BufferHandle>>().Data();
  if (h->freed) throw_error(info.Env(), k, where + " is a freed buffer (used after dispose)");
  dev.add(h->buffer, where);
  const int64_t off = static_cast<int64_t>(offset);
  if (static_cast<double>(off) != offset) throw_error(info.Env(), k, where + " offset must be an integer");
  check_span(info.Env(), h->buffer, off, size, DType::F32, k);
  return typed<float>(h->buffer, off);
}

Napi::Array arg_array(const Napi::CallbackInfo& info, size_t i, uint32_t length, bool optional, const char* what, const char* k) {
  if (optional && (info[i].IsNull() || info[i].IsUndefined())) return Napi::Array::New(info.Env(), length);
  if (!info[i].IsArray() || info[i].As<Napi::Array>().Length() != length)
    throw_error(info.Env(), k, std::string(what) + " must be an array of " + std::to_string(length) + " buffer handles");
  return info[i].As<Napi::Array>();
}

// The object behind an OptimStateHandle: on CUDA, the read-back of the group's last step
// (its NaN/Inf report, then its flags), made at the group's first step there. Unused on the
// CPU. `freed` guards use after optimStateFree().
struct OptimState {
  explicit OptimState(uint32_t n) : count(n) {}
  uint32_t count;
  std::unique_ptr<CudaReadBack> readback;
  bool freed = false;
};

// The report (an int32, padded) leads the flags in device memory and in the read-back.
constexpr size_t kReportBytes = 16;

OptimState& arg_state(const Napi::CallbackInfo& info, size_t i, const char* k) {
  if (i >= info.Length() || !info[i].IsExternal())
    throw_error(info.Env(), k, "argument " + std::to_string(i) + " must be an optimizer state handle (optimState)");
  OptimState* state = info[i].As<Napi::External<OptimState>>().Data();
  if (state->freed) throw_error(info.Env(), k, "the optimizer state was freed (used after dispose)");
  return *state;
}

#if defined(LARGEBATCH_WITH_CUDA)
size_t align16(size_t n) { return (n + 15) / 16 * 16; }

// One step of a group on the device, queued without waiting. Device scratch: the table of
// the group's tensors, the report and the flags, then the kernel's workspace; the table and
// the flags go up in one copy, and the read-back of the report and the flags is queued
// behind the kernels (the scratch is freed after it, in stream order).
Status optim_step_on_device(OptimVariant variant, const OptimHyper& h, const std::vector<OptimTensor>& tensors,
                            const uint8_t* flags, float* ratios, OptimState& state) {
  const int64_t n = static_cast<int64_t>(tensors.size());
  if (!state.readback) state.readback = std::make_unique<CudaReadBack>(kReportBytes + tensors.size());
  if (state.readback->pending()) return LB_FAIL("the previous step's report was not collected (optimCollect)");
  std::vector<OptimCudaEntry> table(tensors.size());
  int64_t chunks = 0;
  LB_RETURN_IF_FAILED(optim_cuda_table(tensors.data(), n, h.momentum, table.data(), &chunks));
  const size_t report_at = align16(sizeof(OptimCudaEntry) * tensors.size());
  const size_t flags_at = report_at + kReportBytes;
  const size_t workspace_at = align16(flags_at + tensors.size());
  std::vector<char> host(flags_at + tensors.size());
  std::memcpy(host.data(), table.data(), sizeof(OptimCudaEntry) * tensors.size());
  std::memcpy(host.data() + flags_at, flags, tensors.size());
  CudaScratch scratch;
  LB_RETURN_IF_FAILED(scratch.alloc(workspace_at + optim_cuda_workspace_bytes(n, chunks)));
  char* d = scratch.data<char>();
  LB_RETURN_IF_FAILED(cuda_write(d, host.data(), host.size()));
  LB_RETURN_IF_FAILED(optim_step_cuda(variant, h, reinterpret_cast<OptimCudaEntry*>(d), n, chunks,
                                      reinterpret_cast<uint8_t*>(d + flags_at), ratios,
                                      reinterpret_cast<int32_t*>(d + report_at), d + workspace_at, cuda_stream()));
  return state.readback->start(d + report_at);
}
#endif

Napi::Value OptimStateNew(const Napi::CallbackInfo& info) {
  const int64_t n = arg_int(info, 0, "optimState");
  if (n < 0 || n > std::numeric_limits<uint32_t>::max()) throw_error(info.Env(), "optimState", "bad tensor count " + std::to_string(n));
  return Napi::External<OptimState>::New(info.Env(), new OptimState(static_cast<uint32_t>(n)),
                                         [](Napi::Env, OptimState* state) { delete state; });
}

// Frees the read-back's pinned memory and event (waiting for a copy in flight). Idempotent.
Napi::Value OptimStateFree(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) throw_error(info.Env(), "optimStateFree", "argument 0 must be an optimizer state handle");
  OptimState* state = info[0].As<Napi::External<OptimState>>().Data();
  state->readback.reset();
  state->freed = true;
  return info.Env().Undefined();
}

// optimCollect(state, flags): -1 when no step is pending; otherwise waits for the last
// step, writes its flags and returns its report (the first NaN/Inf tensor, or -1).
Napi::Value OptimCollect(const Napi::CallbackInfo& info) {
  const char* k = "optimCollect";
  OptimState& state = arg_state(info, 0, k);
  auto flags = arg_typed<Napi::Uint8Array>(info, 1, napi_uint8_array, "Uint8Array of flags", k);
  if (flags.ElementLength() != state.count) throw_error(info.Env(), k, "flags must hold 1 per tensor (" + std::to_string(state.count) + " tensors)");
  if (!state.readback || !state.readback->pending()) return Napi::Number::New(info.Env(), -1);
  std::vector<char> host(kReportBytes + state.count);
  throw_if_failed(info.Env(), k, state.readback->wait(host.data()));
  int32_t report;
  std::memcpy(&report, host.data(), sizeof report);
  std::memcpy(flags.Data(), host.data() + kReportBytes, state.count);
  return Napi::Number::New(info.Env(), report);
}

Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  const char* k = "optimStep";
  const int64_t variant = arg_int(info, 0, k);
  if (variant < 0 || variant > 2) throw_error(info.Env(), k, "unknown variant " + std::to_string(variant));
  auto hv = arg_typed<Napi::Float64Array>(info, 1, napi_float64_array, "Float64Array of 8 options", k);
  if (hv.ElementLength() != 8) throw_error(info.Env(), k, "hyper must hold 8 options");
  OptimHyper h;
  h.lr = hv[0];
  h.momentum = hv[1];
  h.dampening = hv[2];
  h.weight_decay = hv[3];
  h.trust_coefficient = hv[4];
  h.eps = hv[5];
  h.clip = hv[6] != 0;
  h.nesterov = hv[7] != 0;

  if (info.Length() < 11 || !info[2].IsArray()) throw_error(info.Env(), k, "params must be an array of buffer handles");
  const uint32_t n = info[2].As<Napi::Array>().Length();
  CallDevice dev(info.Env(), k);
  Napi::Array params = info[2].As<Napi::Array>();
  Napi::Array grads = arg_array(info, 3, n, false, "grads", k);
  Napi::Array momenta = arg_array(info, 4, n, true, "momenta", k);
  auto layout = arg_typed<Napi::Float64Array>(info, 5, napi_float64_array, "Float64Array layout", k);
  auto flags = arg_typed<Napi::Uint8Array>(info, 6, napi_uint8_array, "Uint8Array of flags", k);
  if (layout.ElementLength() != 4 * static_cast<size_t>(n) || flags.ElementLength() != n)
    throw_error(info.Env(), k, "layout must hold 4 numbers and flags 1 per tensor (" + std::to_string(n) + " tensors)");

  std::vector<OptimTensor> tensors(n);
  for (uint32_t t = 0; t < n; ++t) {
    const int64_t size = static_cast<int64_t>(layout[4 * t + 3]);
    if (size < 0 || static_cast<double>(size) != layout[4 * t + 3]) throw_error(info.Env(), k, "tensor " + std::to_string(t) + ": bad size");
    OptimTensor& ot = tensors[t];
    ot.size = size;
    ot.param = span_at(info, params, t, layout[4 * t], size, false, "params", dev, k);
    ot.grad = span_at(info, grads, t, layout[4 * t + 1], size, true, "grads", dev, k);
    ot.momentum = span_at(info, momenta, t, layout[4 * t + 2], size, true, "momenta", dev, k);
  }

  float* ratios = nullptr;
  if (!info[7].IsNull() && !info[7].IsUndefined()) {
    Buffer& rb = dev.arg(info, 7, "ratios");
    const int64_t off = arg_int(info, 8, k);
    check_span(info.Env(), rb, off, n, DType::F32, k);
    ratios = typed<float>(rb, off);
  }

  double* weight_sq = nullptr;
  if (info.Length() > 9 && !info[9].IsNull() && !info[9].IsUndefined()) {
    auto ws = arg_typed<Napi::Float64Array>(info, 9, napi_float64_array, "Float64Array of weight norms", k);
    if (ws.ElementLength() != n) throw_error(info.Env(), k, "weightSq must hold 1 number per tensor (" + std::to_string(n) + " tensors)");
    weight_sq = ws.Data();
  }

  OptimState& state = arg_state(info, 10, k);
  if (state.count != n) throw_error(info.Env(), k, "state was made for " + std::to_string(state.count) + " tensors, not " + std::to_string(n));

  int64_t first_bad = -1;
  const OptimVariant v = static_cast<OptimVariant>(variant);
  if (dev.cuda() && weight_sq != nullptr) std::fill(weight_sq, weight_sq + n, std::numeric_limits<double>::quiet_NaN());
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(optim_step_on_device(v, h, tensors, flags.Data(), ratios, state))
                             : optim_step_cpu(v, h, tensors.data(), flags.Data(), n, ratios, &first_bad, weight_sq));
  return Napi::Number::New(info.Env(), static_cast<double>(first_bad));
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("optimState", Napi::Function::New(env, OptimStateNew, "optimState"));
  exports.Set("optimStateFree", Napi::Function::New(env, OptimStateFree, "optimStateFree"));
  exports.Set("optimStep", Napi::Function::New(env, OptimStep, "optimStep"));
  exports.Set("optimCollect", Napi::Function::New(env, OptimCollect, "optimCollect"));
}

}  // namespace lb
