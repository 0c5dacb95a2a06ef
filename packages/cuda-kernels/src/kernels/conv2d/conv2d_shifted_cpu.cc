// Float32 convolutions (conv2d.h) as an implicit GEMM over shifted windows, with no im2col.
// The input of a chunk of nb images is copied once into zero-bordered phase planes:
// padded pixel (h', w') (h' = h + pad_h) of channel c goes to phase (h' % sh, w' % sw) at
// (h' / sh, w' / sw), layout xp [Cg][phases][nb][Hs][Ws] with Hs = ceil(Hp / sh),
// Ws = ceil(Wp / sw) (stride 1: one phase, the padded image). Output (i, p, q) becomes the
// "wide" column j = i*Hs*Ws + p*Ws + q, and im2col's row (c, r, s) is then a contiguous run
// of xp at j plus an offset (its phase's plane, shifted by (r*dil_h / sh, s*dil_w / sw)): a
// GEMM row that sgemm_rows reads in place. Columns with q >= Q (and rows p >= P between
// images) are computed and dropped, Hs*Ws / (P*Q) of the work (1.13x for 32x32 planes,
// stride 1 or 2, pad 1), so conv2d_cpu.cc takes this path only where that beats unfolding
// (conv2d_shifted_fits). Only the phases some tap reads are copied.
//   forward:         Y_wide [Kg, cols] = W_g [Kg, Cg*R*S] * rows(xp)
//   backward data:   (stride 1) conv2d_cpu.cc runs the adjoint convolution's forward
//   backward weight: per tap, dW_tap [Kg, Cg] += dY_wide [Kg, cols] * X_tap^T (dY_wide zero at
//                    the dropped columns), or its transpose where that pads less to the
//                    micro-kernel's tiles, on xp packed once for all taps; each thread into
//                    its own accumulator, summed at the end
// Bench: `make -C dev/conv bench` (per shape), `pnpm --filter @largebatch/bench conv`.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "../../core/int_math.h"
#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../gemm/gemm_microkernel.h"
#include "conv2d.h"

namespace lb {
namespace {


// Wide columns a chunk aims for (as conv2d_cpu.cc's kTargetColumns): enough to amortise
// packing W_g.
constexpr int64_t kTargetColumns = 512;
// The most wide work over useful work this path accepts. Unfolding copies the input into
// col and the GEMM packs col again; here the GEMM packs rows(xp) once (or, with at most 32
// output channels, reads them in place) but multiplies the dropped columns too. Measured on
// ResNet shapes (bench/conv.ts, dev/conv): 1.06x (32x32, shared borders) and 1.13x (16x16,
// and 32x32 at stride 2) win, 1.27x (8x8, and 16x16 at stride 2) loses with 64 output
// channels. The backward weight, which packs the input once for all taps instead of once
// per tap, also wins at 1.41x (the 7x7/2 stem).
constexpr double kMaxWaste = 1.2, kMaxWasteBackwardWeight = 1.45;

// Stride 1 with padding at most the kernel's reach (same-padded kernels): consecutive rows
// and images share their zero borders (the right padding of a row is the left padding of
// the next, the bottom rows of an image the top rows of the next), which cuts the dropped
// columns from (H + 2 pad)(W + 2 pad) to (H + pad)(W + pad) per image: 1.27x to 1.13x of the
// work on 16x16 planes, 1.56x to 1.27x on 8x8.
bool shares_borders(const Conv2dShape& s) {
  return s.stride_h == 1 && s.stride_w == 1 && s.pad_h <= s.dil_h * (s.r - 1) && s.pad_w <= s.dil_w * (s.s - 1);
}

// The rows and columns of one image's (phase) plane in xp.
int64_t plane_rows(const Conv2dShape& s) {
  return shares_borders(s) ? s.h + s.pad_h : ceil_div(s.h + 2 * s.pad_h, s.stride_h);
}
int64_t plane_cols(const Conv2dShape& s) {
  return shares_borders(s) ? s.w + s.pad_w : ceil_div(s.w + 2 * s.pad_w, s.stride_w);
}

struct Plan {
  const Conv2dShape& s;
  int64_t cg, kg, crs;
  int64_t hs, ws, plane;  // a phase plane: ceil(Hp / stride_h) x ceil(Wp / stride_w), or shared borders
  int64_t span;           // floats per (channel, phase) block of xp
  int64_t phases;         // the phases the kernel reads
  std::vector<int64_t> phase_of;  // the index of phase (a, b) at a*stride_w + b, or -1
  int64_t per_chunk, chunks, workers;
  std::vector<int64_t> rows;  // offset of row (c, r, s) in xp

  explicit Plan(const Conv2dShape& shape) : s(shape) {
    cg = s.c / s.groups;
    kg = s.k / s.groups;
    crs = cg * s.r * s.s;
    hs = plane_rows(s);
    ws = plane_cols(s);
    plane = hs * ws;
    phase_of.assign(s.stride_h * s.stride_w, -1);
    phases = 0;
    for (int64_t r = 0; r < s.r; ++r)
      for (int64_t kx = 0; kx < s.s; ++kx) {
        int64_t& ph = phase_of[(r * s.dil_h % s.stride_h) * s.stride_w + kx * s.dil_w % s.stride_w];
        if (ph < 0) ph = phases++;
      }
    const int64_t threads = num_threads();
    per_chunk = std::max<int64_t>(1, std::min(ceil_div(kTargetColumns, plane), ceil_div(s.n, threads)));
    chunks = ceil_div(s.n, per_chunk);
    // Shared borders: pixel (h, w) of image i sits at i*plane + (h + pad_h)*ws + pad_w as
    // without sharing, and reads reach up to pad_h*ws + pad_w past the last plane.
    span = per_chunk * plane + (shares_borders(s) ? s.pad_h * ws + s.pad_w : 0);
    workers = std::min(threads, chunks);
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t r = 0; r < s.r; ++r)
        for (int64_t kx = 0; kx < s.s; ++kx) {
          const int64_t pr = r * s.dil_h, ps = kx * s.dil_w;
          const int64_t ph = phase_of[(pr % s.stride_h) * s.stride_w + ps % s.stride_w];
          rows.push_back((c * phases + ph) * span + pr / s.stride_h * ws + ps / s.stride_w);
        }
  }

  int64_t xp_size() const { return cg * phases * span; }
  // The wide columns of nb images: up to the last one's last output.
  int64_t cols(int64_t nb) const { return (nb - 1) * plane + (s.p - 1) * ws + s.q; }
  // The wide layout [Kg][ld] keeps the row stride of a full chunk for every chunk, so that
  // the dropped columns of backward weight's dY_wide stay zero in a shorter last chunk.
  int64_t ld() const { return cols(per_chunk); }
  int64_t wide_size() const { return kg * ld(); }

  // Calls f(wide_offset, tensor_offset) for each output row (k, i, p) of Q values between the
  // wide layout [Kg][cols] and the tensor [N][K][P][Q] (channels of group grp).
  template <typename F>
  void for_each_row(int64_t n0, int64_t nb, int64_t grp, const F& f) const {
    for (int64_t kk = 0; kk < kg; ++kk)
      for (int64_t i = 0; i < nb; ++i)
        for (int64_t p = 0; p < s.p; ++p) f(kk * ld() + i * plane + p * ws, (((n0 + i) * s.k + grp * kg + kk) * s.p + p) * s.q);
  }

  // Runs body(worker, first, n0, nb) for every chunk of images [n0, n0 + nb), each worker
  // a run of chunks on the pool (first: the run's first chunk).
  template <typename Body>
  void run(const Body& body) const {
    parallel_tasks(workers, [&](int64_t wk) {
      const int64_t c0 = wk * chunks / workers, c1 = (wk + 1) * chunks / workers;
      for (int64_t chunk = c0; chunk < c1; ++chunk) body(wk, chunk == c0, chunk * per_chunk, std::min(per_chunk, s.n - chunk * per_chunk));
    });
  }
};

// Copies channels [grp*Cg, +Cg) of images [n0, n0 + nb) of x into the interiors of xp's
// phase planes (the borders stay the zeros written before the first chunk): padded pixel
// (h', w') goes to phase (h' % stride_h, w' % stride_w) at (h' / stride_h, w' / stride_w).
// Compiled for AVX-512 and AVX2 too (LB_SIMD_CLONES): with that and no divisions per row,
// ResNet-20's 16->32 3x3/2 forward (dev/conv, 1 thread) went from 5.4 to 4.9-5.1 ms.
LB_SIMD_CLONES void pad_chunk(const Plan& plan, const float* x, int64_t n0, int64_t nb, int64_t grp, float* xp) {
  const Conv2dShape& s = plan.s;
  for (int64_t c = 0; c < plan.cg; ++c)
    for (int64_t i = 0; i < nb; ++i) {
      const float* src = x + ((n0 + i) * s.c + grp * plan.cg + c) * s.h * s.w;
      for (int64_t b = 0; b < s.stride_w; ++b) {
        const int64_t w0 = ((b - s.pad_w) % s.stride_w + s.stride_w) % s.stride_w;  // first w with (w + pad_w) % stride_w == b
        const int64_t count = ceil_div(s.w - w0, s.stride_w);
        float* dst = xp + i * plan.plane + (w0 + s.pad_w) / s.stride_w;
        // Padded row hp = h + pad_h is row hq = hp / stride_h of phase row a = hp % stride_h,
        // both stepped along (divisions per row of 8 values cost more than its copy).
        for (int64_t h = 0, a = s.pad_h % s.stride_h, hq = s.pad_h / s.stride_h; h < s.h; ++h) {
          const int64_t ph = plan.phase_of[a * s.stride_w + b];
          if (ph >= 0) gather_values(src + h * s.w + w0, s.stride_w, count, dst + (c * plan.phases + ph) * plan.span + hq * plan.ws);
          if (++a == s.stride_h) a = 0, ++hq;
        }
      }
    }
}

}  // namespace

Status aligned_scratch(int64_t count, std::unique_ptr<float[]>* out, float** at) {
  out->reset(new (std::nothrow) float[static_cast<size_t>(count + 16)]);
  if (!*out) return LB_FAIL("conv2d: out of memory for " + std::to_string(count * 4) + " bytes of scratch");
  *at = out->get() + (16 - reinterpret_cast<uintptr_t>(out->get()) / 4 % 16) % 16;
  return Status::Ok();
}

bool conv2d_shifted_fits(const Conv2dShape& s, bool backward_weight) {
  const double wide = static_cast<double>(plane_rows(s)) * static_cast<double>(plane_cols(s));
  return wide <= (backward_weight ? kMaxWasteBackwardWeight : kMaxWaste) * static_cast<double>(s.p * s.q);
}

Status conv2d_shifted_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (s.n == 0) return Status::Ok();
  const Plan plan(s);
  const int64_t per_worker = plan.xp_size() + plan.wide_size();
  std::unique_ptr<float[]> scratch;
  float* base = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(per_worker * plan.workers, &scratch, &base));
  plan.run([&](int64_t wk, bool first, int64_t n0, int64_t nb) {
    float* xp = base + wk * per_worker;
    float* wide = xp + plan.xp_size();
    if (first) std::fill(xp, xp + plan.xp_size(), 0.0f);  // the borders stay zero from here on
    for (int64_t grp = 0; grp < s.groups; ++grp) {
      pad_chunk(plan, x, n0, nb, grp, xp);
      sgemm_rows(false, false, plan.kg, plan.cols(nb), plan.crs, 1.0f, w + grp * plan.kg * plan.crs, nullptr, plan.crs, xp,
                 plan.rows.data(), 0, 0.0f, wide, plan.ld());
      plan.for_each_row(n0, nb, grp, [&](int64_t wi, int64_t ti) {
        const float b = bias ? bias[(ti / (s.p * s.q)) % s.k] : 0.0f;
        for (int64_t q = 0; q < s.q; ++q) y[ti + q] = wide[wi + q] + b;
      });
    }
  });
  return Status::Ok();
}

namespace {

typedef float Lanes __attribute__((vector_size(64)));

}  // namespace

// The products stay lane by lane in Lanes accumulators (a 4 x 4 block of outputs), so that
// no sum is reassociated; one horizontal sum per output at the end.
LB_SIMD_CLONES void conv2d_dot_rows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                                    const int64_t* b_rows, bool add, float* c) {
  constexpr int64_t kI = 4, kJ = 4, kL = 16;
  const int64_t kv = k / kL * kL;
  for (int64_t i0 = 0; i0 < m; i0 += kI)
    for (int64_t j0 = 0; j0 < n; j0 += kJ) {
      const int64_t ni = std::min(kI, m - i0), nj = std::min(kJ, n - j0);
      const float* ar[kI];
      const float* br[kJ];
      for (int64_t i = 0; i < kI; ++i) ar[i] = a + (i0 + std::min(i, ni - 1)) * lda;
      for (int64_t j = 0; j < kJ; ++j) br[j] = b + b_rows[j0 + std::min(j, nj - 1)];
      Lanes sum[kI][kJ] = {};
      for (int64_t t = 0; t < kv; t += kL) {
        Lanes av[kI], bv[kJ];
        for (int64_t i = 0; i < kI; ++i) __builtin_memcpy(&av[i], ar[i] + t, sizeof(Lanes));
        for (int64_t j = 0; j < kJ; ++j) __builtin_memcpy(&bv[j], br[j] + t, sizeof(Lanes));
        for (int64_t i = 0; i < kI; ++i)
          for (int64_t j = 0; j < kJ; ++j) sum[i][j] += av[i] * bv[j];
      }
      for (int64_t i = 0; i < ni; ++i)
        for (int64_t j = 0; j < nj; ++j) {
          float total = 0.0f;
          for (int64_t l = 0; l < kL; ++l) total += sum[i][j][l];
          for (int64_t t = kv; t < k; ++t) total += ar[i][t] * br[j][t];
          float& out = c[(i0 + i) * n + j0 + j];
          out = add ? out + total : total;
        }
    }
}

namespace {

// The work of an m x n product in kern's MR x NR tiles.
int64_t padded_work(const SgemmMicroKernel& kern, int64_t m, int64_t n) { return round_up(m, kern.mr) * round_up(n, kern.nr); }

// The micro-kernel for the per-tap products dW_tap [Kg, Cg] (either way round): with 16
// channels in and out AVX-512's 8 x 32 tiles compute twice the useful work and AVX2's 1.125x
// (ResNet-20's 16->16 3x3 backward weight, dev/conv, 1 thread: see the bench README).
const SgemmMicroKernel& per_tap_kernel(int64_t kg, int64_t cg) {
  return sgemm_least_padding([&](const SgemmMicroKernel& k) { return std::min(padded_work(k, kg, cg), padded_work(k, cg, kg)); });
}

}  // namespace

// Backward weight without unfolding: every tap's GEMM dW_tap [Kg, Cg] = dY_wide [Kg, cols] *
// X_tap^T reads the same transposed input, shifted by the tap's offset, so the input is
// packed into the micro-kernel's layout once per chunk (not once per tap, as unfolding or
// packing rows(xp) would: 9 copies for 3x3) and each tap's tiles start at offset * NR.
Status conv2d_shifted_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  const Plan plan(s);
  const int64_t weights = s.k * plan.crs, rs = s.r * s.s;
  if (s.n == 0) {
    std::fill(dw, dw + weights, 0.0f);
    return Status::Ok();
  }
  const SgemmMicroKernel& kern = per_tap_kernel(plan.kg, plan.cg);
  const int64_t mr = kern.mr, nr = kern.nr;
  const bool per_tap = rs > 1 && 2 * plan.cg >= nr;
  const int64_t span = plan.phases * plan.span;  // one channel of xp
  // Each tap's GEMM as dW_tap [Kg, Cg] = dY_wide X_tap^T, or transposed, dW_tap^T [Cg, Kg] =
  // X_tap dY_wide^T (x_rows), whichever pads less to the micro-kernel's MR x NR tiles: with
  // 16 channels in and 32 out (MR 8, NR 32) the first way computes twice the useful work.
  const bool x_rows = padded_work(kern, plan.cg, plan.kg) < padded_work(kern, plan.kg, plan.cg);
  const int64_t m = x_rows ? plan.cg : plan.kg, n = x_rows ? plan.kg : plan.cg;
  const int64_t a_size = round_up(m, mr) * (x_rows ? span : plan.ld()), b_size = round_up(n, nr) * (x_rows ? plan.ld() : span);
  const int64_t tap_size = per_tap ? round_up(m, mr) * round_up(n, nr) : 0;
  // Worker 0 accumulates into dw, the others into their own accumulators, added at the end
  // (so results do not depend on scheduling); each run's first chunk writes rather than
  // adds, so only xp and dY_wide need zeroing (zeroing megabytes of accumulators per call
  // made 1x1 convolutions of 2x2 planes 3x slower on 2 threads). Sections start at
  // multiples of 16 floats, so that the packed operands keep the scratch's 64-byte alignment.
  const int64_t zeroed_part = plan.xp_size() + plan.wide_size();
  const int64_t xp_at = round_up(zeroed_part, 16), pb_at = xp_at + round_up(per_tap ? a_size : 0, 16);
  const int64_t per_worker = round_up(pb_at + (per_tap ? b_size : 0) + tap_size + weights, 16);
  std::unique_ptr<float[]> scratch;
  float* base = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(per_worker * plan.workers, &scratch, &base));
  auto accumulator = [&](int64_t wk) { return wk == 0 ? dw : base + (wk + 1) * per_worker - weights; };
  plan.run([&](int64_t wk, bool first, int64_t n0, int64_t nb) {
    float* xp = base + wk * per_worker;
    float* wide = xp + plan.xp_size();
    if (first) std::fill(xp, xp + zeroed_part, 0.0f);
    float* pa = xp + xp_at;
    float* pb = xp + pb_at;
    float* tap = pb + b_size;  // one tap's dW [m, n], row stride round_up(n, NR)
    float* acc = accumulator(wk);
    const int64_t cols = plan.cols(nb), ldt = round_up(n, nr);
    for (int64_t grp = 0; grp < s.groups; ++grp) {
      pad_chunk(plan, x, n0, nb, grp, xp);
      plan.for_each_row(n0, nb, grp, [&](int64_t wi, int64_t ti) { copy_values(dy + ti, s.q, wide + wi); });
      if (!per_tap) {
        // Fewer channels than half a tile: the taps' tiles would be mostly padding, so one
        // GEMM over rows(xp) computes them all together instead.
        if (plan.kg * plan.crs <= kConv2dMaxDotOutputs)
          conv2d_dot_rows(plan.kg, plan.crs, cols, wide, plan.ld(), xp, plan.rows.data(), !first, acc + grp * plan.kg * plan.crs);
        else
          sgemm_rows(false, true, plan.kg, plan.crs, cols, 1.0f, wide, nullptr, plan.ld(), xp, plan.rows.data(), 0,
                     first ? 0.0f : 1.0f, acc + grp * plan.kg * plan.crs, plan.crs);
        continue;
      }
      // dY_wide packed with its cols steps, X with span steps (a tap reads it from its shift).
      sgemm_interleave(wide, plan.ld(), plan.kg, cols, static_cast<int>(x_rows ? nr : mr), x_rows ? pb : pa);
      sgemm_interleave(xp, span, plan.cg, span, static_cast<int>(x_rows ? mr : nr), x_rows ? pa : pb);
      const int64_t a_len = x_rows ? span : cols, b_len = x_rows ? cols : span;
      for (int64_t t = 0; t < rs; ++t) {
        const int64_t shift = plan.rows[t];  // channel 0's row of tap t: its offset in a channel
        const float* a = pa + (x_rows ? shift * mr : 0);
        const float* b = pb + (x_rows ? 0 : shift * nr);
        for (int64_t ir = 0; ir < m; ir += mr)
          for (int64_t jr = 0; jr < n; jr += nr)
            kern.tile(cols, a + ir * a_len, b + jr * b_len, tap + ir * ldt + jr, ldt, static_cast<int>(std::min(mr, m - ir)),
                      static_cast<int>(std::min(nr, n - jr)), 1.0f, 0.0f);
        float* out = acc + grp * plan.kg * plan.crs + t;
        for (int64_t kk = 0; kk < plan.kg; ++kk)
          for (int64_t c = 0; c < plan.cg; ++c)
            out[(kk * plan.cg + c) * rs] = (first ? 0.0f : out[(kk * plan.cg + c) * rs]) + tap[x_rows ? c * ldt + kk : kk * ldt + c];
      }
    }
  });
  parallel_for(weights, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t wk = 1; wk < plan.workers; ++wk) {
      const float* part = accumulator(wk);
      for (int64_t i = i0; i < i1; ++i) dw[i] += part[i];
    }
  });
  return Status::Ok();
}

}  // namespace lb
