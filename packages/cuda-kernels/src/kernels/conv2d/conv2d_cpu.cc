// 2-d convolution on the CPU (conv2d.h) as im2col + GEMM over lb::sgemm (lb::dgemm for
// float64, through the same code). Layout: NCHW in, NCHW out, weights [K, Cg, R, S].
// Images go in chunks of nb: a chunk's input patches are unfolded into
// col [Cg*R*S, nb*P*Q] (row (c, r, s), column (image, p, q)), so that one GEMM per group
// computes the whole chunk: Y_g [Kg, nb*PQ] = W_g [Kg, Cg*R*S] col. nb makes the GEMM wide
// enough where P*Q is small (ResNet-50 on 32x32 images ends at 1x1) while col stays
// bounded; with nb = 1 the GEMM reads and writes the tensors in place (a 1x1, stride-1,
// unpadded convolution skips the unfolding), with nb > 1 its result is scattered into y.
// With at least as many chunks as threads, each thread takes a run of chunks with its own
// scratch (its GEMMs then run on that thread alone); otherwise the chunks run one after
// another with each GEMM spread over the pool.
// Backward data: dcol = W_g^T dY_g, folded back into dx (col2im). Backward weight:
// dW_g += dY_g col^T over a thread's chunks, each thread into its own accumulator, summed
// at the end (so results do not depend on scheduling). dbias sums dy per channel in double.
// Float32 1x1 stride-1 unpadded convolutions skip all this: one GEMM per group over the
// whole batch reads and writes the tensors in place as batched columns (gemm.h); with
// stride, on the pixels they read, gathered first (strided_pointwise). Float32
// 3x3 stride-1 convolutions where conv2d_winograd_tile says so go to Winograd
// (conv2d_winograd_cpu.cc), forward and so backward data (the adjoint's forward); windows
// that cover the whole plane to conv2d_dense_cpu.cc; strided kernels above 1x1, and those
// on planes of 16 values or fewer, to the indirect GEMM (conv2d_indirect_cpu.cc: forward,
// backward data from 16 channels in and out, backward weight of strided ones from 16
// channels in on planes up to 16x16), as is the backward weight of kernels above 1x1 over
// fewer than 16 channels (the stems); and the float32 forwards left over (stride 1 where
// Winograd and shifted windows do not apply, several groups), and backward weights of
// kernels above 1x1, skip unfolding too: one GEMM over the batch gathers col's panels from
// a zero-bordered copy of x (ImplicitCol). Float64 keeps im2col throughout, the reference
// the float32 paths are tested against.
// Bench: `pnpm --filter @largebatch/bench conv` (ResNet shapes against PyTorch), per shape
// `make -C dev/conv bench`.
#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "../../core/int_math.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "conv2d.h"

namespace lb {
namespace {

// Bounds the unfolded chunk (16 MiB of float32), so scratch stays modest for any batch.
constexpr int64_t kMaxColElements = int64_t(1) << 22;
// The GEMM width a chunk aims for: enough columns to amortise packing W_g.
constexpr int64_t kTargetColumns = 512;


void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
          float beta, float* c, int64_t ldc) {
  sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
          int64_t ldb, double beta, double* c, int64_t ldc) {
  dgemm(ta, tb, m, n, k, 1.0, a, lda, b, ldb, beta, c, ldc);
}

// Output positions o in [0, count) whose input index o*stride + offset lies in [0, size).
struct Run {
  int64_t lo, hi;
};

int64_t first_reaching(int64_t bound, int64_t offset, int64_t stride, int64_t count) {
  const int64_t need = bound - offset;
  return std::min(need <= 0 ? 0 : ceil_div(need, stride), count);
}

Run valid_run(int64_t offset, int64_t stride, int64_t size, int64_t count) {
  const int64_t lo = first_reaching(0, offset, stride, count);
  return {lo, std::max(lo, first_reaching(size, offset, stride, count))};
}

// The input row and column offsets of kernel position (r, s), and where they stay inside.
struct Tap {
  int64_t h_off, w_off;
  Run ps, qs;
  bool live() const { return ps.lo < ps.hi && qs.lo < qs.hi; }
};

Tap tap_of(const Conv2dShape& s, int64_t r, int64_t kx) {
  Tap t{};
  t.h_off = r * s.dil_h - s.pad_h;
  t.w_off = kx * s.dil_w - s.pad_w;
  t.ps = valid_run(t.h_off, s.stride_h, s.h, s.p);
  t.qs = valid_run(t.w_off, s.stride_w, s.w, s.q);
  return t;
}

// 1x1, stride 1, no padding: the input's planes are the GEMM's columns as they are.
bool pointwise(const Conv2dShape& s) {
  return s.r == 1 && s.s == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0;
}

// Sizes derived from the shape. Only live taps (kernel positions that read at least one
// input pixel for some output) enter the GEMMs: on small planes most taps read padding
// only (a 3x3 convolution of 1x1 planes has one live tap of 9), and their weights neither
// contribute to y nor get a gradient.
struct Geometry {
  int64_t cg, kg;   // channels per group, in and out
  int64_t rs, crs;  // live kernel positions, and rows of col (Cg * live positions)
  int64_t hw, pq;   // input and output plane sizes
  bool pointwise;   // 1x1, stride 1, no padding: col of one image is x itself
  bool all_live;    // every kernel position is live: the weights serve the GEMMs as they are
  std::vector<Tap> taps;     // the live taps, in (r, s) order
  std::vector<int64_t> pos;  // their kernel positions r*S + s
};

Geometry geometry_of(const Conv2dShape& s) {
  Geometry g{};
  g.cg = s.c / s.groups;
  g.kg = s.k / s.groups;
  for (int64_t r = 0; r < s.r; ++r)
    for (int64_t kx = 0; kx < s.s; ++kx) {
      const Tap t = tap_of(s, r, kx);
      if (!t.live()) continue;
      g.taps.push_back(t);
      g.pos.push_back(r * s.s + kx);
    }
  g.rs = static_cast<int64_t>(g.taps.size());
  g.all_live = g.rs == s.r * s.s;
  g.crs = g.cg * g.rs;
  g.hw = s.h * s.w;
  g.pq = s.p * s.q;
  g.pointwise = pointwise(s);
  return g;
}

// How the batch is cut: per_chunk images per chunk; each worker takes a run of chunks.
struct Split {
  int64_t per_chunk, chunks, workers;
  int64_t first_chunk(int64_t worker) const { return worker * chunks / workers; }
};

Split split_batch(const Conv2dShape& s, const Geometry& g) {
  const int64_t threads = num_threads();
  int64_t per = ceil_div(kTargetColumns, g.pq);
  per = std::min(per, ceil_div(s.n, threads));  // a chunk for every thread where the batch allows
  per = std::min(per, kMaxColElements / std::max<int64_t>(1, g.crs * g.pq));  // crs is 0 without live taps
  per = std::max<int64_t>(per, 1);
  const int64_t chunks = ceil_div(s.n, per);
  return {per, chunks, std::min(threads, chunks)};
}

// Runs body(worker, first_chunk, end_chunk) for every worker: on the pool when there are
// several (nested GEMMs then stay on their thread), inline for one (GEMMs use the pool).
template <typename Body>
void for_each_worker(const Split& sp, const Body& body) {
  parallel_tasks(sp.workers, [&](int64_t wk) { body(wk, sp.first_chunk(wk), sp.first_chunk(wk + 1)); });
}

// Scratch memory, allocated up front so that a failure is a Status, not an exception.
template <typename T>
Status allocate(int64_t count, std::unique_ptr<T[]>* out) {
  if (count <= 0) return Status::Ok();
  out->reset(new (std::nothrow) T[static_cast<size_t>(count)]);
  if (!*out) return LB_FAIL("conv2d: out of memory for " + std::to_string(count * int64_t(sizeof(T))) + " bytes of scratch");
  return Status::Ok();
}

// Row c*L + t of col for nb images: col_row[i*PQ + p*Q + q] = x_i[c, p*sh + h_off,
// q*sw + w_off] (0 outside) for live tap t, from x = channel c of the chunk's first image.
// Baseline build only: this and fold_channel compiled for AVX-512/AVX2 as well
// (LB_SIMD_CLONES) ran 5-10 % slower on ResNet-50's 3x3/2 layers of 4x4 and 2x2 planes and
// no faster on the others (dev/conv, 1 thread); their stride-2 loops vectorise with SSE2.
template <typename T>
void unfold_row(const Conv2dShape& s, const Geometry& g, const Tap& t, const T* x, int64_t nb, T* col_row) {
  // Stride 1 and W == Q: input and output rows have the same stride, so the tap's rows
  // are one contiguous run, copied at once, after which the few values that wrapped
  // around a row's edge are zeroed (per-row copies of 2 to 8 values cost about as much
  // as the GEMM on the small planes of ResNet-20 and ResNet-50).
  const bool block = s.stride_h == 1 && s.stride_w == 1 && s.w == s.q && t.ps.lo < t.ps.hi && t.qs.lo < t.qs.hi;
  for (int64_t i = 0; i < nb; ++i) {
    const T* plane = x + i * s.c * g.hw;
    T* dst = col_row + i * g.pq;
    std::fill(dst, dst + t.ps.lo * s.q, T(0));
    if (block) {
      const int64_t first = t.ps.lo * s.q + t.qs.lo, end = (t.ps.hi - 1) * s.q + t.qs.hi;
      copy_values(plane + first + t.h_off * s.w + t.w_off, end - first, dst + first);
      // Column by column: strided stores, where a fill per row of one value was a memset call.
      auto zero_column = [&](int64_t q) {
        for (int64_t p = t.ps.lo; p < t.ps.hi; ++p) dst[p * s.q + q] = T(0);
      };
      for (int64_t q = 0; q < t.qs.lo; ++q) zero_column(q);
      for (int64_t q = t.qs.hi; q < s.q; ++q) zero_column(q);
      std::fill(dst + t.ps.hi * s.q, dst + g.pq, T(0));
      continue;
    }
    for (int64_t p = t.ps.lo; p < t.ps.hi; ++p) {
      const T* in = plane + (p * s.stride_h + t.h_off) * s.w;
      T* d = dst + p * s.q;
      std::fill(d, d + t.qs.lo, T(0));
      gather_values(in + t.qs.lo * s.stride_w + t.w_off, s.stride_w, t.qs.hi - t.qs.lo, d + t.qs.lo);
      std::fill(d + t.qs.hi, d + s.q, T(0));
    }
    std::fill(dst + t.ps.hi * s.q, dst + g.pq, T(0));
  }
}

// out[j * stride] += v[j] for n values; stride 2 spelled out, as in gather_values.
template <typename T>
[[gnu::always_inline]] inline void add_values(const T* __restrict v, int64_t stride, int64_t n, T* __restrict out) {
  if (stride == 1) {
    for (int64_t j = 0; j < n; ++j) out[j] += v[j];
  } else if (stride == 2) {
    for (int64_t j = 0; j < n; ++j) out[2 * j] += v[j];
  } else {
    for (int64_t j = 0; j < n; ++j) out[j * stride] += v[j];
  }
}

// col2im for channel c of nb images: dx = channel c of the chunk's first image (overwritten
// with the sum of the col entries that read it), col_c = col's rows of channel c.
template <typename T>
void fold_channel(const Conv2dShape& s, const Geometry& g, const T* col_c, int64_t nb, T* dx) {
  const int64_t ld = nb * g.pq;
  for (int64_t i = 0; i < nb; ++i) std::fill(dx + i * s.c * g.hw, dx + i * s.c * g.hw + g.hw, T(0));
  for (int64_t rs = 0; rs < g.rs; ++rs) {
    const Tap& t = g.taps[rs];
    for (int64_t i = 0; i < nb; ++i) {
      T* plane = dx + i * s.c * g.hw;
      const T* src = col_c + rs * ld + i * g.pq;
      for (int64_t p = t.ps.lo; p < t.ps.hi; ++p)
        add_values(src + p * s.q + t.qs.lo, s.stride_w, t.qs.hi - t.qs.lo,
                   plane + (p * s.stride_h + t.h_off) * s.w + t.qs.lo * s.stride_w + t.w_off);
    }
  }
}

// col[c*L + t][i*PQ + p*Q + q] = x_i[c, p*sh + h_off, q*sw + w_off] (0 outside), for the
// L live taps t, for nb images from x (channel 0 of the group in the chunk's first image).
template <typename T>
void im2col(const Conv2dShape& s, const Geometry& g, const T* x, int64_t nb, T* col) {
  const int64_t ld = nb * g.pq;
  parallel_for(g.crs, std::max<int64_t>(1, 8192 / ld), [&](int64_t row0, int64_t row1) {
    for (int64_t row = row0; row < row1; ++row)
      unfold_row(s, g, g.taps[row % g.rs], x + row / g.rs * g.hw, nb, col + row * ld);
  });
}

// The adjoint of im2col: dx_i[c, ...] = the sum of the col entries that read it (dx is
// overwritten). Parallel over channels: a channel's rows touch only its own planes.
template <typename T>
void col2im(const Conv2dShape& s, const Geometry& g, const T* col, int64_t nb, T* dx) {
  const int64_t ld = nb * g.pq;
  parallel_for(g.cg, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, g.rs * ld)), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) fold_channel(s, g, col + c * g.rs * ld, nb, dx + c * g.hw);
  });
}

// Calls move(tensor_offset, chunk_offset) for each plane of PQ values of channels
// [0, kg) of nb images, between the tensor layout [n][channels][PQ] (channels per image)
// and the GEMM layout [kg][nb * PQ].
template <typename Move>
void for_each_plane(int64_t channels, int64_t kg, int64_t nb, int64_t pq, const Move& move) {
  for (int64_t kk = 0; kk < kg; ++kk)
    for (int64_t i = 0; i < nb; ++i) move((i * channels + kk) * pq, (kk * nb + i) * pq);
}

// dw += the accumulators of workers 1 to workers - 1 (worker 0's is dw), added in worker
// order, so results do not depend on scheduling.
template <typename T, typename Accumulator>
void add_partials(T* dw, int64_t weights, int64_t workers, const Accumulator& accumulator) {
  parallel_for(weights, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t wk = 1; wk < workers; ++wk) {
      const T* part = accumulator(wk);
      for (int64_t i = i0; i < i1; ++i) dw[i] += part[i];
    }
  });
}

template <typename T>
struct Kernels {
  using Scalar = T;
  const Conv2dShape& s;
  Geometry g;
  Split sp;

  explicit Kernels(const Conv2dShape& shape) : s(shape), g(geometry_of(shape)), sp(split_batch(shape, g)) {}

  // Whether one image's col is the input itself (no unfolding, no col buffer).
  bool in_place() const { return g.pointwise && sp.per_chunk == 1; }
  int64_t col_size() const { return in_place() ? 0 : g.crs * sp.per_chunk * g.pq; }
  int64_t staging_size() const { return sp.per_chunk > 1 ? g.kg * sp.per_chunk * g.pq : 0; }

  // The chunk of images [n0, n0 + nb) of a [N, channels, PQ] tensor, group grp, as a
  // [kg, nb*PQ] matrix: the tensor itself for one image, else gathered into staging.
  const T* gather(const T* t, int64_t channels, int64_t n0, int64_t nb, int64_t grp, T* staging) const {
    const T* src = t + (n0 * channels + grp * g.kg) * g.pq;
    if (nb == 1) return src;
    for_each_plane(channels, g.kg, nb, g.pq, [&](int64_t ti, int64_t ci) { copy_values(src + ti, g.pq, staging + ci); });
    return staging;
  }

  // The chunk's unfolded input for group grp: x itself when in place, else col.
  const T* unfold(const T* x, int64_t n0, int64_t nb, int64_t grp, T* col) const {
    const T* xg = x + (n0 * s.c + grp * g.cg) * g.hw;
    if (in_place()) return xg;
    im2col(s, g, xg, nb, col);
    return col;
  }

  // The weights of the live taps as [K, Cg*L]: w itself when every tap is live, else
  // gathered into *buf.
  Status live_weights(const T* w, std::unique_ptr<T[]>* buf, const T** out) const {
    *out = w;
    if (g.all_live) return Status::Ok();
    LB_RETURN_IF_FAILED(allocate(s.k * g.crs, buf));
    const int64_t full = s.r * s.s;
    for (int64_t kc = 0; kc < s.k * g.cg; ++kc)
      for (int64_t t = 0; t < g.rs; ++t) (*buf)[kc * g.rs + t] = w[kc * full + g.pos[t]];
    *out = buf->get();
    return Status::Ok();
  }

  // The adjoint: dw = the live taps' gradient dl [K, Cg*L] spread out, 0 at dead taps.
  void spread_live(const T* dl, T* dw) const {
    const int64_t full = s.r * s.s;
    std::fill(dw, dw + s.k * g.cg * full, T(0));
    for (int64_t kc = 0; kc < s.k * g.cg; ++kc)
      for (int64_t t = 0; t < g.rs; ++t) dw[kc * full + g.pos[t]] = dl[kc * g.rs + t];
  }

  Status forward(const T* x, const T* w_all, const T* bias, T* y) const {
    std::unique_ptr<T[]> w_buf;
    const T* w = nullptr;
    LB_RETURN_IF_FAILED(live_weights(w_all, &w_buf, &w));
    const int64_t per_worker = col_size() + staging_size();
    std::unique_ptr<T[]> scratch;
    LB_RETURN_IF_FAILED(allocate(per_worker * sp.workers, &scratch));
    for_each_worker(sp, [&](int64_t wk, int64_t c0, int64_t c1) {
      T* col = scratch.get() + wk * per_worker;
      T* staging = col + col_size();
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        const int64_t n0 = chunk * sp.per_chunk, nb = std::min(sp.per_chunk, s.n - n0);
        const int64_t cols = nb * g.pq;
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          const T* b = unfold(x, n0, nb, grp, col);
          const T* wg = w + grp * g.kg * g.crs;
          T* yg = y + (n0 * s.k + grp * g.kg) * g.pq;
          gemm(false, false, g.kg, cols, g.crs, wg, g.crs, b, cols, T(0), nb == 1 ? yg : staging, cols);
          if (nb > 1) for_each_plane(s.k, g.kg, nb, g.pq, [&](int64_t ti, int64_t ci) { copy_values(staging + ci, g.pq, yg + ti); });
        }
        if (bias) conv2d_add_bias(bias, nb, s.k, g.pq, y + n0 * s.k * g.pq);
      }
    });
    return Status::Ok();
  }

  Status backward_data(const T* dy, const T* w_all, T* dx) const {
    std::unique_ptr<T[]> w_buf;
    const T* w = nullptr;
    LB_RETURN_IF_FAILED(live_weights(w_all, &w_buf, &w));
    const int64_t per_worker = col_size() + staging_size();
    std::unique_ptr<T[]> scratch;
    LB_RETURN_IF_FAILED(allocate(per_worker * sp.workers, &scratch));
    for_each_worker(sp, [&](int64_t wk, int64_t c0, int64_t c1) {
      T* col = scratch.get() + wk * per_worker;
      T* staging = col + col_size();
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        const int64_t n0 = chunk * sp.per_chunk, nb = std::min(sp.per_chunk, s.n - n0);
        const int64_t cols = nb * g.pq;
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          const T* dyg = gather(dy, s.k, n0, nb, grp, staging);
          const T* wg = w + grp * g.kg * g.crs;
          T* dxg = dx + (n0 * s.c + grp * g.cg) * g.hw;
          if (in_place()) {
            gemm(true, false, g.cg, g.pq, g.kg, wg, g.crs, dyg, g.pq, T(0), dxg, g.hw);
          } else {
            gemm(true, false, g.crs, cols, g.kg, wg, g.crs, dyg, cols, T(0), col, cols);
            col2im(s, g, col, nb, dxg);
          }
        }
      }
    });
    return Status::Ok();
  }

  Status backward_weight(const T* x, const T* dy, T* dw_all) const {
    const int64_t weights = s.k * g.crs;
    if (s.n == 0 || weights == 0) {
      std::fill(dw_all, dw_all + s.k * g.cg * s.r * s.s, T(0));
      return Status::Ok();
    }
    std::unique_ptr<T[]> dw_buf;
    if (!g.all_live) LB_RETURN_IF_FAILED(allocate(weights, &dw_buf));
    T* dw = g.all_live ? dw_all : dw_buf.get();
    // Worker 0 accumulates into dw; the others into their own accumulators, added at the end.
    const int64_t per_worker = col_size() + staging_size() + weights;
    std::unique_ptr<T[]> scratch;
    LB_RETURN_IF_FAILED(allocate(per_worker * sp.workers, &scratch));
    auto accumulator = [&](int64_t wk) { return wk == 0 ? dw : scratch.get() + wk * per_worker + col_size() + staging_size(); };
    for_each_worker(sp, [&](int64_t wk, int64_t c0, int64_t c1) {
      T* col = scratch.get() + wk * per_worker;
      T* staging = col + col_size();
      T* acc = accumulator(wk);
      for (int64_t chunk = c0; chunk < c1; ++chunk) {
        const int64_t n0 = chunk * sp.per_chunk, nb = std::min(sp.per_chunk, s.n - n0);
        const int64_t cols = nb * g.pq;
        for (int64_t grp = 0; grp < s.groups; ++grp) {
          const T* b = unfold(x, n0, nb, grp, col);
          const T* dyg = gather(dy, s.k, n0, nb, grp, staging);
          gemm(false, true, g.kg, g.crs, cols, dyg, cols, b, cols, chunk == c0 ? T(0) : T(1), acc + grp * g.kg * g.crs, g.crs);
        }
      }
    });
    add_partials(dw, weights, sp.workers, accumulator);
    if (!g.all_live) spread_live(dw, dw_all);
    return Status::Ok();
  }

  void backward_bias(const T* dy, T* dbias) const {
    parallel_for(s.k, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        double sum = 0;
        for (int64_t i = 0; i < s.n; ++i) {
          const T* plane = dy + (i * s.k + k) * g.pq;
          for (int64_t j = 0; j < g.pq; ++j) sum += plane[j];
        }
        dbias[k] = static_cast<T>(sum);
      }
    });
  }
};

template <typename F>
Status dispatch_float(DType type, const Conv2dShape& s, F&& f) {
  LB_RETURN_IF_FAILED(conv2d_check(s));
  if (type == DType::F32) return f(Kernels<float>(s));
  if (type == DType::F64) return f(Kernels<double>(s));
  return LB_FAIL(std::string("conv2d needs float32 or float64, got ") + dtype_name(type));
}

// Float32 1x1 stride-1 unpadded convolutions (pointwise): per group, one GEMM over the
// whole batch, the tensors read and written in place as batched columns. Where chunks of
// images were unfolded into col, the GEMM's result staged and scattered back, that
// copied every value of x and y twice more than the GEMM's own packing (dev/conv, perf:
// 25-30 % of the time on ResNet-50's 4x4 and 2x2 planes). Measured (dev/conv), one GEMM
// split by the pool ran faster than the same GEMMs over each thread's chunks of images.
struct PointwiseGemm {
  int64_t cg, kg, pq;
  BatchedColumns x_cols, y_cols;
  explicit PointwiseGemm(const Conv2dShape& s)
      : cg(s.c / s.groups), kg(s.k / s.groups), pq(s.p * s.q), x_cols{pq, s.c * pq}, y_cols{pq, s.k * pq} {}
};

Status pointwise_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  const PointwiseGemm pg(s);
  for (int64_t grp = 0; grp < s.groups; ++grp)
    sgemm_batched_columns(false, false, pg.kg, s.n * pg.pq, pg.cg, 1.0f, w + grp * pg.kg * pg.cg, pg.cg, nullptr,
                          x + grp * pg.cg * pg.pq, pg.pq, &pg.x_cols, 0.0f, y + grp * pg.kg * pg.pq, pg.pq, &pg.y_cols);
  if (bias) conv2d_add_bias(bias, s.n, s.k, pg.pq, y);
  return Status::Ok();
}

// dX_g [Cg, N*PQ] = W_g^T dY_g.
Status pointwise_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const PointwiseGemm pg(s);
  for (int64_t grp = 0; grp < s.groups; ++grp)
    sgemm_batched_columns(true, false, pg.cg, s.n * pg.pq, pg.kg, 1.0f, w + grp * pg.kg * pg.cg, pg.cg, nullptr,
                          dy + grp * pg.kg * pg.pq, pg.pq, &pg.y_cols, 0.0f, dx + grp * pg.cg * pg.pq, pg.pq,
                          &pg.x_cols);
  return Status::Ok();
}

// dW_g [Kg, Cg] = dY_g X_g^T, the batch split between threads, each GEMM on its thread
// into its own accumulator (thread 0 into dw), summed at the end (deterministic), rather
// than one GEMM split by columns of dW, where each thread packs all of dY. Both operands
// are packed in 4 x 4 transposes, which read the tensors' planes in short pieces: on 8x8
// planes (2 threads, dev/conv) that cost more than im2col's copies into a chunk that then
// transposes from L2, so planes above kMaxBatchedPlane keep the chunked path.
constexpr int64_t kMaxBatchedPlane = 16;

// Few weights (Kg*Cg) over planes of at least kMinDotPlane values: per image, dot products
// of dY's planes with X's (conv2d_dot_rows), with no packing; ResNet-20's 16->32 1x1/2
// (on the subsampled 16x16 planes): dev/conv, 1 thread, 1.7-2.1 -> 1.0-1.7 ms. With 2048
// or 4096 weights on 8x8 planes (32->64 1x1/2, 64->64 1x1) it ran 2-3x slower than sgemm.
constexpr int64_t kMinDotPlane = 64;

bool by_dots(const Conv2dShape& s) {
  return (s.k / s.groups) * (s.c / s.groups) <= kConv2dMaxDotOutputs && s.p * s.q >= kMinDotPlane;
}

Status pointwise_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  const PointwiseGemm pg(s);
  const int64_t weights = s.k * pg.cg, workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), s.n));
  std::unique_ptr<float[]> partial;
  LB_RETURN_IF_FAILED(allocate((workers - 1) * weights, &partial));
  auto accumulator = [&](int64_t wk) { return wk == 0 ? dw : partial.get() + (wk - 1) * weights; };
  std::vector<int64_t> x_rows(static_cast<size_t>(pg.cg));
  for (int64_t c = 0; c < pg.cg; ++c) x_rows[c] = c * pg.pq;
  parallel_tasks(workers, [&](int64_t wk) {
    const int64_t n0 = wk * s.n / workers, n1 = (wk + 1) * s.n / workers;
    if (by_dots(s)) {
      for (int64_t i = n0; i < n1; ++i)
        for (int64_t grp = 0; grp < s.groups; ++grp)
          conv2d_dot_rows(pg.kg, pg.cg, pg.pq, dy + (i * s.k + grp * pg.kg) * pg.pq, pg.pq, x + (i * s.c + grp * pg.cg) * pg.pq,
                          x_rows.data(), i > n0, accumulator(wk) + grp * pg.kg * pg.cg);
      return;
    }
    for (int64_t grp = 0; grp < s.groups; ++grp)
      sgemm_batched_columns(false, true, pg.kg, pg.cg, (n1 - n0) * pg.pq, 1.0f, dy + (n0 * s.k + grp * pg.kg) * pg.pq,
                            pg.pq, &pg.y_cols, x + (n0 * s.c + grp * pg.cg) * pg.pq, pg.pq, &pg.x_cols, 0.0f,
                            accumulator(wk) + grp * pg.kg * pg.cg, pg.cg, nullptr);
  });
  add_partials(dw, weights, workers, accumulator);
  return Status::Ok();
}

bool pointwise_f32(DType type, const Conv2dShape& s) { return type == DType::F32 && pointwise(s); }

// Float32 forward and backward weight without unfolding: im2col's matrix, row (c, r, s)
// and column (i, p, q), is the zero-bordered input xp [N, C, Hp, Wp] at the separable offset
//   rows[(c, r, s)] + cols[(i, p, q)] = (c*Hp + r*dil_h)*Wp + s*dil_w + (i*C*Hp + p*sh)*Wp + q*sw,
// so one GEMM over the batch reads it in place, its packing gathering the panels from xp
// (sgemm_indexed), where unfolding wrote col (R*S/(sh*sw) times the input) and packing
// then copied it again:
//   forward:         Y_g [Kg, N*PQ] (batched columns) = W_g [Kg, Cg*R*S] col
//   backward weight: dW_g [Kg, Cg*R*S] = dY_g [Kg, N*PQ] (batched columns) col^T
struct ImplicitCol {
  int64_t plane, cg, kg, rs, pq;
  std::unique_ptr<float[]> xp;
  std::vector<int64_t> rows, cols;

  Status build(const Conv2dShape& s, const float* x) {
    const int64_t hp = s.h + 2 * s.pad_h, wp = s.w + 2 * s.pad_w;
    plane = hp * wp;
    cg = s.c / s.groups;
    kg = s.k / s.groups;
    rs = s.r * s.s;
    pq = s.p * s.q;
    LB_RETURN_IF_FAILED(allocate(s.n * s.c * plane, &xp));
    parallel_for(s.n * s.c, std::max<int64_t>(1, 4096 / plane), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        float* d = xp.get() + i * plane;
        std::fill(d, d + plane, 0.0f);  // one fill per plane: per-row border fills were memset calls
        for (int64_t h = 0; h < s.h; ++h) copy_values(x + (i * s.h + h) * s.w, s.w, d + (h + s.pad_h) * wp + s.pad_w);
      }
    });
    rows.reserve(static_cast<size_t>(cg * rs));
    cols.reserve(static_cast<size_t>(s.n * pq));
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t r = 0; r < s.r; ++r)
        for (int64_t kx = 0; kx < s.s; ++kx) rows.push_back(c * plane + r * s.dil_h * wp + kx * s.dil_w);
    for (int64_t i = 0; i < s.n; ++i)
      for (int64_t p = 0; p < s.p; ++p)
        for (int64_t q = 0; q < s.q; ++q) cols.push_back(i * s.c * plane + p * s.stride_h * wp + q * s.stride_w);
    return Status::Ok();
  }
};

Status implicit_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  ImplicitCol col;
  LB_RETURN_IF_FAILED(col.build(s, x));
  const BatchedColumns y_cols{col.pq, s.k * col.pq};
  for (int64_t grp = 0; grp < s.groups; ++grp)
    sgemm_indexed(col.kg, s.n * col.pq, col.cg * col.rs, 1.0f, {w + grp * col.kg * col.cg * col.rs, col.cg * col.rs},
                  {col.xp.get() + grp * col.cg * col.plane, 0, col.rows.data(), col.cols.data()}, 0.0f,
                  {y + grp * col.kg * col.pq, col.pq, nullptr, nullptr, &y_cols});
  if (bias) conv2d_add_bias(bias, s.n, s.k, col.pq, y);
  return Status::Ok();
}

// The zero-bordered copy of the whole batch is scratch about the size of x; above this many
// floats (256 MiB) the chunked im2col, whose scratch is bounded, runs instead.
constexpr int64_t kMaxImplicitInput = int64_t(1) << 26;

bool implicit_applies(DType type, const Conv2dShape& s) {
  return type == DType::F32 && s.n > 0 && s.n * s.c * (s.h + 2 * s.pad_h) * (s.w + 2 * s.pad_w) <= kMaxImplicitInput;
}

// Kernels above 1x1: on 1x1 kernels (the chunked path's, at 8x8 to 2x2 planes) gathering
// dY's and x's panels for each thread's share of a long product measured 10-40 % slower
// than im2col's chunks (dev/conv, 1 thread), where on ResNet-50's 3x3 layers of 8x8 and
// 4x4 planes it was 11-30 % faster.
bool implicit_backward_weight_applies(DType type, const Conv2dShape& s) { return implicit_applies(type, s) && s.r * s.s > 1; }

Status implicit_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  ImplicitCol col;
  LB_RETURN_IF_FAILED(col.build(s, x));
  const BatchedColumns dy_cols{col.pq, s.k * col.pq};
  for (int64_t grp = 0; grp < s.groups; ++grp)
    sgemm_indexed(col.kg, col.cg * col.rs, s.n * col.pq, 1.0f, {dy + grp * col.kg * col.pq, col.pq, nullptr, nullptr, &dy_cols},
                  {col.xp.get() + grp * col.cg * col.plane, 0, col.cols.data(), col.rows.data()}, 0.0f,
                  {dw + grp * col.kg * col.cg * col.rs, col.cg * col.rs});
  return Status::Ok();
}

// A 1x1 unpadded convolution with stride reads only the pixels (p*sh, q*sw): it is the
// pointwise convolution of those pixels, gathered once into a tensor [N, C, P, Q] (and its
// backward data that convolution's, scattered back into a zeroed dx). Measured (dev/conv,
// 1 thread) against unfolding: ResNet-20's 16->32 on 32x32 planes forward 2.1 -> 0.8-1.0 ms,
// ResNet-50's on 8x8 and 4x4 planes 5-20 % faster; on 1x1 outputs the pointwise GEMM's
// batched columns (one value per image) ran 15 % slower, so those keep unfolding.
bool strided_pointwise(DType type, const Conv2dShape& s) {
  return type == DType::F32 && s.r == 1 && s.s == 1 && s.pad_h == 0 && s.pad_w == 0 &&
         (s.stride_h > 1 || s.stride_w > 1) && s.p * s.q > 1;
}

Conv2dShape subsampled(const Conv2dShape& s) {
  Conv2dShape t = s;
  t.h = s.p;
  t.w = s.q;
  t.stride_h = t.stride_w = 1;
  return t;
}

// Calls f(x_plane, sub_plane) for each plane (image, channel), over the pool: the offsets of
// that plane in x [N, C, H, W] and in the subsampled [N, C, P, Q].
template <typename F>
void for_each_strided_plane(const Conv2dShape& s, const F& f) {
  parallel_for(s.n * s.c, std::max<int64_t>(1, 4096 / (s.h * s.w)), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) f(i * s.h * s.w, i * s.p * s.q);
  });
}

void gather_strided(const Conv2dShape& s, const float* x, float* sub) {
  for_each_strided_plane(s, [&](int64_t xi, int64_t si) {
    for (int64_t p = 0; p < s.p; ++p) {
      gather_values(x + xi + p * s.stride_h * s.w, s.stride_w, s.q, sub + si + p * s.q);
    }
  });
}

// The adjoint of gather_strided: dx = sub's values at the pixels read, 0 elsewhere.
void scatter_strided(const Conv2dShape& s, const float* sub, float* dx) {
  for_each_strided_plane(s, [&](int64_t xi, int64_t si) {
    std::fill(dx + xi, dx + xi + s.h * s.w, 0.0f);
    for (int64_t p = 0; p < s.p; ++p) {
      float* row = dx + xi + p * s.stride_h * s.w;
      const float* v = sub + si + p * s.q;
      for (int64_t q = 0; q < s.q; ++q) row[q * s.stride_w] = v[q];
    }
  });
}

// Whether the float32 kernels take the shifted-window path of conv2d_shifted_cpu.cc
// (planes large enough that its dropped columns cost less than unfolding). 1x1 kernels stay
// off it: unfolding one reads each input value once anyway, and measured (dev/conv) the
// 1x1 stride-2 convolutions ran as fast or faster unfolded (now strided_pointwise).
bool shifted(DType type, const Conv2dShape& s, bool backward_weight) {
  return type == DType::F32 && s.r * s.s > 1 && conv2d_shifted_fits(s, backward_weight);
}

// A stride-1 convolution's backward data is the forward of its adjoint: input dy, output dx,
// the kernel flipped and transposed to [C, K/groups, R, S], padding dil*(kernel - 1) - pad.
// Float32 takes it (a GEMM and an unfolding, shifted windows or Winograd, in place of a
// GEMM and a scatter-add); float64 keeps col2im as the reference. Measured (dev/conv), it wins for
// kernels larger than 1x1 whose taps are all live: a 1x1 kernel's col2im is a GEMM in
// place, and where taps read only padding (planes of 1x1) the flipped copy of the whole
// kernel costs more than the GEMM over the live taps. The adjoint's GEMMs have C/groups
// rows: with fewer than kMinAdjointRows the micro-kernel's tiles run mostly empty.
constexpr int64_t kMinAdjointRows = 8;

bool adjoint_applies(DType type, const Conv2dShape& s) {
  return type == DType::F32 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h <= s.dil_h * (s.r - 1) &&
         s.pad_w <= s.dil_w * (s.s - 1) && s.c / s.groups >= kMinAdjointRows && s.r * s.s > 1 &&
         geometry_of(s).all_live;
}

Status backward_data_by_adjoint(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const Conv2dShape adjoint{s.n, s.k, s.p, s.q, s.c, s.r, s.s, s.h, s.w, 1, 1, s.dil_h * (s.r - 1) - s.pad_h,
                            s.dil_w * (s.s - 1) - s.pad_w, s.dil_h, s.dil_w, s.groups};
  // Winograd's kernel transform reads w flipped and transposed itself (the copy below
  // took 7 % of ResNet-50's 256-channel 3x3 backward data on 2x2 planes, on one thread).
  if (const int tile = conv2d_winograd_tile(adjoint)) return conv2d_winograd_forward(adjoint, tile, dy, w, true, nullptr, dx);
  // w'[g*Cg + c, kk, r, s] = w[g*Kg + kk, c, R-1-r, S-1-s].
  const int64_t cg = s.c / s.groups, kg = s.k / s.groups, rs = s.r * s.s;
  std::unique_ptr<float[]> flipped;
  LB_RETURN_IF_FAILED(allocate(s.k * cg * rs, &flipped));
  for (int64_t k = 0; k < s.k; ++k)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t t = 0; t < rs; ++t)
        flipped[(((k / kg) * cg + c) * kg + k % kg) * rs + (rs - 1 - t)] = w[(k * cg + c) * rs + t];
  return conv2d_forward_cpu(DType::F32, adjoint, dy, flipped.get(), nullptr, dx);
}

using Float32WeightPath = Status (*)(const Conv2dShape&, const float*, const float*, float*);

// Float32 dw's own path for s, or null for unfolding (float64's): windows covering the
// plane, Winograd, the indirect GEMM, shifted windows, the pointwise GEMM over the batch,
// the implicit GEMM.
Float32WeightPath float32_weight_path(DType type, const Conv2dShape& s) {
  if (type != DType::F32) return nullptr;
  if (conv2d_dense_backward_weight_applies(s)) return conv2d_dense_backward_weight;
  if (conv2d_winograd_backward_weight_applies(s)) return conv2d_winograd_backward_weight;
  if (conv2d_indirect_backward_weight_applies(s)) return conv2d_indirect_backward_weight;
  if (conv2d_indirect_stem_backward_weight_applies(s)) return conv2d_indirect_stem_backward_weight;
  if (shifted(type, s, true)) return conv2d_shifted_backward_weight;
  if (pointwise(s)) return s.p * s.q <= kMaxBatchedPlane || by_dots(s) ? pointwise_backward_weight : nullptr;
  return implicit_backward_weight_applies(type, s) ? implicit_backward_weight : nullptr;
}

// The output size along one axis, or 0 when the dilated kernel overhangs the padded input.
int64_t output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t span = in + 2 * pad - dil * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

}  // namespace

Status conv2d_check(const Conv2dShape& s) {
  // Each size below 2^31 keeps every product of four of them inside int64.
  const int64_t limit = int64_t(1) << 31;
  const int64_t positive[] = {s.c, s.h, s.w, s.k, s.r, s.s, s.p, s.q, s.stride_h, s.stride_w, s.dil_h, s.dil_w, s.groups};
  for (int64_t v : positive)
    if (v < 1 || v >= limit) return LB_FAIL("conv2d: sizes, strides, dilations and groups must be in [1, 2^31), got " + std::to_string(v));
  if (s.n < 0 || s.n >= limit || s.pad_h < 0 || s.pad_h >= limit || s.pad_w < 0 || s.pad_w >= limit)
    return LB_FAIL("conv2d: the batch and the padding must be in [0, 2^31)");
  if (s.c % s.groups != 0 || s.k % s.groups != 0)
    return LB_FAIL("conv2d: groups " + std::to_string(s.groups) + " must divide the channels in (" + std::to_string(s.c) +
                   ") and out (" + std::to_string(s.k) + ")");
  const int64_t p = output_size(s.h, s.r, s.stride_h, s.pad_h, s.dil_h);
  const int64_t q = output_size(s.w, s.s, s.stride_w, s.pad_w, s.dil_w);
  if (p != s.p || q != s.q)
    return LB_FAIL("conv2d: output " + std::to_string(s.p) + "x" + std::to_string(s.q) + " does not match the " +
                   std::to_string(p) + "x" + std::to_string(q) + " the input, kernel, stride, padding and dilation give");
  return Status::Ok();
}

Status conv2d_forward_cpu(DType type, const Conv2dShape& s, const void* x, const void* w, const void* bias, void* y) {
  LB_RETURN_IF_FAILED(conv2d_check(s));
  if (type == DType::F32 && conv2d_dense_applies(s))
    return conv2d_dense_forward(s, static_cast<const float*>(x), static_cast<const float*>(w), static_cast<const float*>(bias),
                                static_cast<float*>(y));
  if (type == DType::F32 && conv2d_indirect_forward_applies(s))
    return conv2d_indirect_forward(s, static_cast<const float*>(x), static_cast<const float*>(w), static_cast<const float*>(bias),
                                   static_cast<float*>(y));
  if (const int tile = type == DType::F32 ? conv2d_winograd_tile(s) : 0)
    return conv2d_winograd_forward(s, tile, static_cast<const float*>(x), static_cast<const float*>(w), false,
                                   static_cast<const float*>(bias), static_cast<float*>(y));
  if (shifted(type, s, false))
    return conv2d_shifted_forward(s, static_cast<const float*>(x), static_cast<const float*>(w), static_cast<const float*>(bias),
                                  static_cast<float*>(y));
  if (strided_pointwise(type, s)) {
    std::unique_ptr<float[]> sub;
    LB_RETURN_IF_FAILED(allocate(s.n * s.c * s.p * s.q, &sub));
    gather_strided(s, static_cast<const float*>(x), sub.get());
    return conv2d_forward_cpu(type, subsampled(s), sub.get(), w, bias, y);
  }
  if (pointwise_f32(type, s))
    return pointwise_forward(s, static_cast<const float*>(x), static_cast<const float*>(w), static_cast<const float*>(bias),
                             static_cast<float*>(y));
  if (implicit_applies(type, s))
    return implicit_forward(s, static_cast<const float*>(x), static_cast<const float*>(w), static_cast<const float*>(bias),
                            static_cast<float*>(y));
  return dispatch_float(type, s, [&](const auto& kern) {
    using T = typename std::decay_t<decltype(kern)>::Scalar;
    return kern.forward(static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(y));
  });
}

Status conv2d_backward_data_cpu(DType type, const Conv2dShape& s, const void* dy, const void* w, void* dx) {
  LB_RETURN_IF_FAILED(conv2d_check(s));
  if (type == DType::F32 && conv2d_dense_applies(s))
    return conv2d_dense_backward_data(s, static_cast<const float*>(dy), static_cast<const float*>(w), static_cast<float*>(dx));
  if (type == DType::F32 && conv2d_indirect_backward_data_applies(s))
    return conv2d_indirect_backward_data(s, static_cast<const float*>(dy), static_cast<const float*>(w), static_cast<float*>(dx));
  if (adjoint_applies(type, s))
    return backward_data_by_adjoint(s, static_cast<const float*>(dy), static_cast<const float*>(w), static_cast<float*>(dx));
  if (strided_pointwise(type, s)) {
    std::unique_ptr<float[]> sub;
    LB_RETURN_IF_FAILED(allocate(s.n * s.c * s.p * s.q, &sub));
    LB_RETURN_IF_FAILED(conv2d_backward_data_cpu(type, subsampled(s), dy, w, sub.get()));
    scatter_strided(s, sub.get(), static_cast<float*>(dx));
    return Status::Ok();
  }
  if (pointwise_f32(type, s))
    return pointwise_backward_data(s, static_cast<const float*>(dy), static_cast<const float*>(w), static_cast<float*>(dx));
  return dispatch_float(type, s, [&](const auto& kern) {
    using T = typename std::decay_t<decltype(kern)>::Scalar;
    return kern.backward_data(static_cast<const T*>(dy), static_cast<const T*>(w), static_cast<T*>(dx));
  });
}

Status conv2d_backward_weight_cpu(DType type, const Conv2dShape& s, const void* x, const void* dy, void* dw,
                                  void* dbias) {
  LB_RETURN_IF_FAILED(conv2d_check(s));
  if (strided_pointwise(type, s)) {
    std::unique_ptr<float[]> sub;
    if (dw) {
      LB_RETURN_IF_FAILED(allocate(s.n * s.c * s.p * s.q, &sub));
      gather_strided(s, static_cast<const float*>(x), sub.get());
    }
    return conv2d_backward_weight_cpu(type, subsampled(s), sub.get(), dy, dw, dbias);
  }
  const Float32WeightPath path = float32_weight_path(type, s);
  if (dw && path)
    LB_RETURN_IF_FAILED(path(s, static_cast<const float*>(x), static_cast<const float*>(dy), static_cast<float*>(dw)));
  return dispatch_float(type, s, [&](const auto& kern) {
    using T = typename std::decay_t<decltype(kern)>::Scalar;
    if (dw && !path)
      LB_RETURN_IF_FAILED(kern.backward_weight(static_cast<const T*>(x), static_cast<const T*>(dy), static_cast<T*>(dw)));
    if (dbias) kern.backward_bias(static_cast<const T*>(dy), static_cast<T*>(dbias));
    return Status::Ok();
  });
}

}  // namespace lb
