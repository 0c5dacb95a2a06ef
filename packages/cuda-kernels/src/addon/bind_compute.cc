// Bindings for the contiguous-array kernel families: reduce, matmul, random, index; on CPU
// buffers the *_cpu kernels, on CUDA buffers the *_cuda kernels.
#include <napi.h>

#include "../kernels/index/index.h"
#include "../kernels/matmul/matmul.h"
#include "../kernels/random/random.h"
#include "../kernels/reduce/reduce.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

// reduce(op, type, outer, size, inner, in, inOffset, out)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const char* k = "reduce";
  const int64_t op = arg_int(info, 0, k);
  const DType t = arg_dtype(info, 1, k);
  const int64_t outer = arg_int(info, 2, k), size = arg_int(info, 3, k), inner = arg_int(info, 4, k);
  CallDevice dev(info.Env(), k);
  Buffer& in = dev.arg(info, 5, "input");
  const int64_t in_off = arg_int(info, 6, k);
  Buffer& out = dev.arg(info, 7, "out");
  const bool arg_op = op == static_cast<int>(ReduceOp::ArgMax) || op == static_cast<int>(ReduceOp::ArgMin);
  const bool int_sum = op == static_cast<int>(ReduceOp::Sum) && (t == DType::I32 || t == DType::U8);
  check_span(info.Env(), in, in_off, outer * size * inner, t, k);
  check_span(info.Env(), out, 0, outer * inner, arg_op || int_sum ? DType::I32 : t, k);
  const char* base = static_cast<const char*>(in.data) + in_off * static_cast<int64_t>(dtype_size(t));
  const ReduceOp r = static_cast<ReduceOp>(op);
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(reduce_cuda(r, t, outer, size, inner, base, out.data, cuda_stream()))
                             : reduce_cpu(r, t, outer, size, inner, base, out.data));
  return info.Env().Undefined();
}

// matmul(type, [batch, m, n, k, transA, transB, lda, ldb, ldc, aBatchStride, bBatchStride,
//        cBatchStride, aOffset, bOffset, cOffset], a, b, c)
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  const char* k = "matmul";
  const DType t = arg_dtype(info, 0, k);
  const auto p = arg_int_array(info, 1, k);
  if (p.size() != 15) throw_error(info.Env(), k, "expected 15 integer parameters");
  MatmulArgs g{p[0], p[1], p[2], p[3], p[4] != 0, p[5] != 0, p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  CallDevice dev(info.Env(), k);
  Buffer& a = dev.arg(info, 2, "a");
  Buffer& b = dev.arg(info, 3, "b");
  Buffer& c = dev.arg(info, 4, "c");
  // Bounds: the last element each operand addresses must lie inside its buffer.
  auto last = [](int64_t off, int64_t bs, int64_t batch, int64_t rows, int64_t cols, int64_t ld) {
    return off + (batch - 1) * bs + (rows - 1) * ld + cols;
  };
  if (g.batch > 0 && g.m > 0 && g.n > 0 && g.k > 0) {
    check_span(info.Env(), a, 0, last(g.a_offset, g.a_batch_stride, g.batch, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda), t, k);
    check_span(info.Env(), b, 0, last(g.b_offset, g.b_batch_stride, g.batch, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb), t, k);
  }
  if (g.batch > 0 && g.m > 0 && g.n > 0) {
    check_span(info.Env(), c, 0, last(g.c_offset, g.c_batch_stride, g.batch, g.m, g.n, g.ldc), t, k);
  }
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(matmul_cuda(t, g, a.data, b.data, c.data, cuda_stream())) : matmul_cpu(t, g, a.data, b.data, c.data));
  return info.Env().Undefined();
}

// randomFill(dist, type, out, offset, n, seed, counter, a, b); seed and counter < 2^53.
Napi::Value RandomFill(const Napi::CallbackInfo& info) {
  const char* k = "randomFill";
  const int64_t dist = arg_int(info, 0, k);
  if (dist != 0 && dist != 1) throw_error(info.Env(), k, "unknown distribution " + std::to_string(dist));
  const DType t = arg_dtype(info, 1, k);
  CallDevice dev(info.Env(), k);
  Buffer& out = dev.arg(info, 2, "out");
  const int64_t off = arg_int(info, 3, k), n = arg_int(info, 4, k);
  check_span(info.Env(), out, off, n, t, k);
  void* base = static_cast<char*>(out.data) + off * static_cast<int64_t>(dtype_size(t));
  const Distribution d = static_cast<Distribution>(dist);
  const uint64_t seed = static_cast<uint64_t>(arg_number(info, 5, k)), counter = static_cast<uint64_t>(arg_number(info, 6, k));
  const double a = arg_number(info, 7, k), b = arg_number(info, 8, k);
  throw_if_failed(info.Env(), k,
                  dev.cuda() ? LB_ON_CUDA(random_fill_cuda(d, t, base, n, seed, counter, a, b, cuda_stream()))
                             : random_fill_cpu(d, t, base, n, seed, counter, a, b));
  return info.Env().Undefined();
}

#if defined(LARGEBATCH_WITH_CUDA)
template <bool Add>
Status index_cuda(DType t, int64_t outer, int64_t dim, int64_t inner, const char* src, const int32_t* idx, int64_t n_idx,
                  char* dst) {
  return checked_indices(
      [&](int32_t* bad) {
        return Add ? index_add_cuda(t, outer, dim, inner, src, idx, n_idx, dst, bad, cuda_stream())
                   : index_select_cuda(t, outer, dim, inner, src, idx, n_idx, dst, bad, cuda_stream());
      },
      idx,
      [&](int32_t position, int32_t value) {
        return LB_FAIL("index " + std::to_string(value) + " at position " + std::to_string(position) +
                       " is out of range for a dimension of size " + std::to_string(dim));
      });
}
#endif

// indexSelect / indexAdd(type, outer, dim, inner, src, srcOffset, idx, idxOffset, nIdx, dst, dstOffset)
template <bool Add>
Napi::Value IndexOp(const Napi::CallbackInfo& info) {
  const char* k = Add ? "indexAdd" : "indexSelect";
  const DType t = arg_dtype(info, 0, k);
  const int64_t outer = arg_int(info, 1, k), dim = arg_int(info, 2, k), inner = arg_int(info, 3, k);
  CallDevice dev(info.Env(), k);
  Buffer& src = dev.arg(info, 4, "src");
  const int64_t src_off = arg_int(info, 5, k);
  Buffer& idx = dev.arg(info, 6, "index");
  const int64_t idx_off = arg_int(info, 7, k), n_idx = arg_int(info, 8, k);
  Buffer& dst = dev.arg(info, 9, "dst");
  const int64_t dst_off = arg_int(info, 10, k);
  check_span(info.Env(), idx, idx_off, n_idx, DType::I32, k);
  check_span(info.Env(), src, src_off, outer * (Add ? n_idx : dim) * inner, t, k);
  check_span(info.Env(), dst, dst_off, outer * (Add ? dim : n_idx) * inner, t, k);
  const int64_t es = static_cast<int64_t>(dtype_size(t));
  const char* s = static_cast<const char*>(src.data) + src_off * es;
  char* d = static_cast<char*>(dst.data) + dst_off * es;
  const int32_t* ix = typed<int32_t>(idx, idx_off);
  if (dev.cuda()) {
    throw_if_failed(info.Env(), k, LB_ON_CUDA(index_cuda<Add>(t, outer, dim, inner, s, ix, n_idx, d)));
  } else {
    throw_if_failed(info.Env(), k,
                    Add ? index_add_cpu(t, outer, dim, inner, s, ix, n_idx, d) : index_select_cpu(t, outer, dim, inner, s, ix, n_idx, d));
  }
  return info.Env().Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
}
void register_matmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
}
void register_random(Napi::Env env, Napi::Object exports) {
  exports.Set("randomFill", Napi::Function::New(env, RandomFill, "randomFill"));
}
void register_index(Napi::Env env, Napi::Object exports) {
  exports.Set("indexSelect", Napi::Function::New(env, IndexOp<false>, "indexSelect"));
  exports.Set("indexAdd", Napi::Function::New(env, IndexOp<true>, "indexAdd"));
}

}  // namespace lb
