// Bindings for the elementwise family: unary (incl. copy/cast and fill), binary, where;
// on CPU buffers the *_cpu kernels, on CUDA buffers the *_cuda kernels.
#include <napi.h>

#include "../kernels/elementwise/elementwise.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

// unary(op, inType, outType, shape, out, outOffset, outStrides, in, inOffset, inStrides, p0, p1)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const char* k = "unary";
  const int64_t op = arg_int(info, 0, k);
  if (op < 0 || op > static_cast<int>(UnaryOp::Fill)) throw_error(info.Env(), k, "unknown unary op " + std::to_string(op));
  const DType in_t = arg_dtype(info, 1, k), out_t = arg_dtype(info, 2, k);
  const auto shape = arg_int_array(info, 3, k);
  const Iteration it = to_iteration(info.Env(), shape, k);
  CallDevice dev(info.Env(), k);
  const Operand out = arg_operand(info, 4, shape, out_t, dev, "out", k);
  const Operand in = static_cast<UnaryOp>(op) == UnaryOp::Fill ? out : arg_operand(info, 7, shape, in_t, dev, "input", k);
  const UnaryOp u = static_cast<UnaryOp>(op);
  const double p0 = arg_number(info, 10, k), p1 = arg_number(info, 11, k);
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(unary_cuda(u, in_t, out_t, it, out, in, p0, p1, cuda_stream()))
                             : unary_cpu(u, in_t, out_t, it, out, in, p0, p1));
  return info.Env().Undefined();
}

// binary(op, type, shape, out, outOffset, outStrides, a, aOffset, aStrides, b, bOffset, bStrides)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* k = "binary";
  const int64_t op = arg_int(info, 0, k);
  if (op < 0 || op > static_cast<int>(BinaryOp::Ge)) throw_error(info.Env(), k, "unknown binary op " + std::to_string(op));
  const DType t = arg_dtype(info, 1, k);
  const DType out_t = op >= static_cast<int>(BinaryOp::Eq) ? DType::U8 : t;
  const auto shape = arg_int_array(info, 2, k);
  const Iteration it = to_iteration(info.Env(), shape, k);
  CallDevice dev(info.Env(), k);
  const Operand out = arg_operand(info, 3, shape, out_t, dev, "out", k);
  const Operand a = arg_operand(info, 6, shape, t, dev, "a", k);
  const Operand b = arg_operand(info, 9, shape, t, dev, "b", k);
  const BinaryOp bop = static_cast<BinaryOp>(op);
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(binary_cuda(bop, t, it, out, a, b, cuda_stream())) : binary_cpu(bop, t, it, out, a, b));
  return info.Env().Undefined();
}

// where(type, shape, out, outOffset, outStrides, cond, ..., a, ..., b, ...)
Napi::Value Where(const Napi::CallbackInfo& info) {
  const char* k = "where";
  const DType t = arg_dtype(info, 0, k);
  const auto shape = arg_int_array(info, 1, k);
  const Iteration it = to_iteration(info.Env(), shape, k);
  CallDevice dev(info.Env(), k);
  const Operand out = arg_operand(info, 2, shape, t, dev, "out", k);
  const Operand cond = arg_operand(info, 5, shape, DType::U8, dev, "cond", k);
  const Operand a = arg_operand(info, 8, shape, t, dev, "a", k);
  const Operand b = arg_operand(info, 11, shape, t, dev, "b", k);
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(where_cuda(t, it, out, cond, a, b, cuda_stream())) : where_cpu(t, it, out, cond, a, b));
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
}

}  // namespace lb
