// GEMM on the CPU, row-major (gemm.h). sgemm is GotoBLAS/BLIS-style: each block of mc rows
// and kc steps of op(A) is packed once into MR-high panels (mc is large; the block sits in
// L3); each block of kc x nc of op(B) is then packed into NR-wide panels (L2-resident), and
// a register-tiled micro-kernel (AVX-512, AVX2 or portable, chosen at run time:
// gemm_microkernel.h) sweeps MR x NR tiles of C, each op(A) panel staying in L1 while the
// op(B) panels stream past it. Threads each take a rectangle of C and pack their own
// operands, so they never wait on one another. With fewer than 4 rows, C is computed
// straight from op(B) instead (few_rows). dgemm is the plain float64 reference.
// Bench: `make -C dev/gemm bench`; test: `make -C dev/gemm test`.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "../../core/int_math.h"
#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "gemm_microkernel.h"

namespace lb {
namespace {


// Splits [0, n) into about-equal blocks of at most `most` (a multiple of `unit`), each a
// multiple of `unit` except the last: equal blocks avoid a thin last block.
int64_t even_block(int64_t n, int64_t most, int64_t unit) {
  return round_up(ceil_div(n, ceil_div(n, most)), unit);
}

// One axis of a matrix: index i lies at offset i * stride, or at table[i] when there is a
// table (the rows of a convolution's implicit im2col: shifted windows of an image; both
// axes of a convolution's dense matrix, conv2d_dense_cpu.cc), or,
// with runs, in contiguous runs of `run` indices, run r at r * stride, counting from index
// `first` (the columns of a batch of NCHW images as one matrix: a run is an image's plane).
struct Axis {
  int64_t stride;
  const int64_t* table = nullptr;
  int64_t run = 0, first = 0;
  int64_t offset(int64_t i) const {
    if (table) return table[i];
    if (run) return (first + i) / run * stride + (first + i) % run;
    return i * stride;
  }
  bool unit() const { return !table && !run && stride == 1; }
  // How many indices from i on, up to `most` (which must stay inside the axis), lie at unit
  // steps: a table's runs are found by looking (a convolution's output columns come in rows).
  int64_t contiguous(int64_t i, int64_t most) const {
    if (run) return std::min(most, run - (first + i) % run);
    if (table) {
      int64_t n = 1;
      while (n < most && table[i + n] == table[i] + n) ++n;
      return n;
    }
    return stride == 1 ? most : 1;
  }
  // Moves the origin to index i0; returns how far the data pointer moves.
  int64_t shift(int64_t i0) {
    if (table) table += i0;
    else if (run) first += i0;
    else return i0 * stride;
    return 0;
  }
};

// A matrix: element (r, c) at data[row.offset(r) + col.offset(c)]. P is const float* for
// the operands, float* for C.
template <typename P>
struct Matrix {
  P data;
  Axis row, col;
  P at(int64_t r, int64_t c) const { return data + row.offset(r) + col.offset(c); }
  Matrix from(int64_t r0, int64_t c0) const {
    Matrix v = *this;
    v.data += v.row.shift(r0);
    v.data += v.col.shift(c0);
    return v;
  }
};
using View = Matrix<const float*>;

struct Problem {
  int64_t m, n, k;
  float alpha;
  View a, b;  // op(A) is m x k, op(B) is k x n
  float beta;
  Matrix<float*> c;  // rows strided (the micro-kernels' ldc), columns any axis
};

#if defined(__x86_64__)
// dst[p * w + x] = src[x][off + p] for x < 4, p < 4, in one SSE 4 x 4 transpose (SSE is
// part of x86-64): 4x faster than element by element, which made packing op(A) cost as
// much as the multiply when op(B) is narrow.
void transpose_4x4(const float* const src[4], int64_t off, float* dst, int w) {
  __m128 r0 = _mm_loadu_ps(src[0] + off), r1 = _mm_loadu_ps(src[1] + off);
  __m128 r2 = _mm_loadu_ps(src[2] + off), r3 = _mm_loadu_ps(src[3] + off);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst, r0);
  _mm_storeu_ps(dst + w, r1);
  _mm_storeu_ps(dst + 2 * w, r2);
  _mm_storeu_ps(dst + 3 * w, r3);
}
#endif

// Copies `panels` runs of W floats from s (contiguous) to d, d + stride, d + 2 stride, ...
template <int W>
void deal_row(const float* s, int64_t panels, int64_t stride, float* d) {
  for (int64_t q = 0; q < panels; ++q, s += W, d += stride) std::memcpy(d, s, W * sizeof(float));
}

// Copies n floats, at constant size for the lengths packing meets most (a micro-kernel's
// width, an image plane of 2x2 or 4x4 values).
void copy_short(const float* s, int64_t n, float* d) {
  switch (n) {
    case 4: std::memcpy(d, s, 4 * sizeof(float)); break;
    case 8: std::memcpy(d, s, 8 * sizeof(float)); break;
    case 16: std::memcpy(d, s, 16 * sizeof(float)); break;
    default: std::copy(s, s + n, d);
  }
}

typedef float Vec8 __attribute__((vector_size(32)));
typedef int Index8 __attribute__((vector_size(32)));

// v[j][i] = v[i][j]: three rounds of shuffles of register pairs.
[[gnu::always_inline]] inline void transpose8(Vec8 (&v)[8]) {
  Vec8 t[8], u[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = __builtin_shuffle(v[k], v[k + 1], Index8{0, 8, 1, 9, 4, 12, 5, 13});
    t[k + 1] = __builtin_shuffle(v[k], v[k + 1], Index8{2, 10, 3, 11, 6, 14, 7, 15});
  }
  for (int k = 0; k < 8; k += 4)
    for (int h = 0; h < 2; ++h) {
      u[k + 2 * h] = __builtin_shuffle(t[k + h], t[k + h + 2], Index8{0, 1, 8, 9, 4, 5, 12, 13});
      u[k + 2 * h + 1] = __builtin_shuffle(t[k + h], t[k + h + 2], Index8{2, 3, 10, 11, 6, 7, 14, 15});
    }
  for (int k = 0; k < 4; ++k) {
    v[k] = __builtin_shuffle(u[k], u[k + 4], Index8{0, 1, 2, 3, 8, 9, 10, 11});
    v[k + 4] = __builtin_shuffle(u[k], u[k + 4], Index8{4, 5, 6, 7, 12, 13, 14, 15});
  }
}

typedef float Vec4 __attribute__((vector_size(16)));
typedef int Index4 __attribute__((vector_size(16)));

// d[j] = s[2 j] for n values, 4 at a time from two overlapping loads (s[2j .. 2j+3] and
// s[2j+3 .. 2j+6], so nothing past the last value is read) and one shuffle.
void copy_every_other(const float* s, int64_t n, float* d) {
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    Vec4 lo, hi;
    std::memcpy(&lo, s + 2 * j, sizeof lo);
    std::memcpy(&hi, s + 2 * j + 3, sizeof hi);
    const Vec4 v = __builtin_shuffle(lo, hi, Index4{0, 2, 5, 7});
    std::memcpy(d + j, &v, sizeof v);
  }
  for (; j < n; ++j) d[j] = s[2 * j];
}

// pack_panels for separable offsets (sgemm_indexed): element (p, x) at
// src[rows[p] + cols[x]]. Each k step's w values of a panel come from one base. Where the
// panel's columns lie in runs of 4 or more values 1 or 2 apart (a convolution's rows of
// outputs, at stride 1 or 2), the runs are found once per panel and copied whole at every
// k step; otherwise the values are gathered one by one (GCC does not vectorise these
// gathers for this CPU's tuning, and 32-bit indices, which halve a vector gather's index
// width, measured no faster).
void gather_panels(const float* src, const int64_t* rows, const int64_t* cols, int64_t k, int64_t width, int w,
                   float* dst) {
  struct Run {
    int64_t src, dst, len, step;
  };
  std::vector<Run> runs;
  runs.reserve(static_cast<size_t>(w));
  for (int64_t x0 = 0; x0 < width; x0 += w, dst += k * w) {
    const int64_t n = std::min<int64_t>(w, width - x0);
    const int64_t* cx = cols + x0;
    runs.clear();
    for (int64_t x = 0; x < n;) {
      const int64_t step = x + 1 < n && (cx[x + 1] - cx[x] == 1 || cx[x + 1] - cx[x] == 2) ? cx[x + 1] - cx[x] : 1;
      int64_t len = 1;
      while (x + len < n && cx[x + len] == cx[x] + len * step) ++len;
      runs.push_back({cx[x], x, len, step});
      x += len;
    }
    const bool by_runs = static_cast<int64_t>(runs.size()) * 4 <= n;
    for (int64_t p = 0; p < k; ++p) {
      const float* base = src + rows[p];
      float* d = dst + p * w;
      if (by_runs) {
        for (const Run& run : runs) {
          if (run.step == 1) copy_short(base + run.src, run.len, d + run.dst);
          else copy_every_other(base + run.src, run.len, d + run.dst);
        }
      } else {
        for (int64_t x = 0; x < n; ++x) d[x] = base[cx[x]];
      }
      for (int64_t x = n; x < w; ++x) d[x] = 0.0f;
    }
  }
}

// Packs the k x width matrix X (element (p, x) at src[ap.offset(p) + ax.offset(x)]) into
// panels of w columns: panel q holds, for each p, the w values x = q*w .. q*w + w - 1, zero
// past width.
void pack_panels(const float* src, Axis ap, Axis ax, int64_t k, int64_t width, int w, float* dst) {
  const int64_t panel = k * w;  // floats per panel
  if (ax.unit()) {
    // Each k step's values are contiguous: read each source row once, front to back,
    // dealing it out over the panels (rows can be far apart, e.g. ldb = N = 32768, and
    // short reads from many of them stall on the TLB and the prefetcher).
    const int64_t full = width / w, tail = width - full * w;
    for (int64_t p = 0; p < k; ++p) {
      const float* s = src + ap.offset(p);
      float* d = dst + p * w;
      // Constant-size copies for the micro-kernels' widths: a copy loop of unknown length
      // cost about as much as the multiply on convolution GEMMs of 16 rows (dev/conv).
      switch (w) {
        case 6: deal_row<6>(s, full, panel, d); break;
        case 8: deal_row<8>(s, full, panel, d); break;
        case 16: deal_row<16>(s, full, panel, d); break;
        case 32: deal_row<32>(s, full, panel, d); break;
        default: for (int64_t q = 0; q < full; ++q) std::copy(s + q * w, s + q * w + w, d + q * panel);
      }
      if (tail > 0) {
        float* dt = d + full * panel;
        std::copy(s + full * w, s + width, dt);
        std::fill(dt + tail, dt + w, 0.0f);
      }
    }
    return;
  }
  if (ap.table && ax.table) {
    gather_panels(src, ap.table, ax.table, k, width, w, dst);
    return;
  }
  if (ax.run) {
    // Runs (image planes): each k step's values come in pieces, contiguous in the source
    // and inside one panel, at the same offsets for every k step: found once. A piece at a
    // time over all k steps: an image's channels lie one after another, so this reads
    // whole blocks of memory in order, where k step by k step jumped between images.
    struct Piece {
      int64_t src, dst, len;
    };
    std::vector<Piece> pieces;
    for (int64_t x = 0; x < width;) {
      const int64_t len = ax.contiguous(x, std::min(width - x, w - x % w));
      pieces.push_back({ax.offset(x), x / w * panel + x % w, len});
      x += len;
    }
    for (const Piece& pc : pieces)
      for (int64_t p = 0; p < k; ++p) copy_short(src + ap.offset(p) + pc.src, pc.len, dst + p * w + pc.dst);
    if (const int64_t tail = width % w)
      for (int64_t p = 0; p < k; ++p) {
        float* d = dst + width / w * panel + p * w;
        std::fill(d + tail, d + w, 0.0f);
      }
    return;
  }
  if (ap.unit() && !ax.table && !ax.run) {
    // Plain rows, contiguous along k: 8 x 8 register transposes, where the SSE 4 x 4 ones
    // below packed trans_b GEMMs 8-13 % slower overall (dev/gemm NT, 2 threads) and 1x1 and
    // 3x3 convolutions' backward weights up to 18 % (dev/conv, 1 thread).
    sgemm_interleave(src, ax.stride, width, k, w, dst);
    return;
  }
  // Transpose (runs of image planes, tables): read each x along k and write strided, 16 k steps
  // at a time so that the destination lines being written stay in L1. The k steps' source
  // offsets are found once (with runs each is a division), and whether each group of 4
  // is contiguous (always for a unit axis, inside an image's plane for runs), for SSE
  // transposes.
  std::vector<int64_t> off(static_cast<size_t>(k));
  std::vector<bool> fours(static_cast<size_t>(ceil_div(k, 4)));
  for (int64_t p = 0; p < k; ++p) off[p] = ap.offset(p);
  for (int64_t p = 0; p + 4 <= k; p += 4) fours[p / 4] = ap.contiguous(p, 4) == 4;
  for (int64_t x0 = 0; x0 < width; x0 += w, dst += panel) {
    const int cols = static_cast<int>(std::min<int64_t>(w, width - x0));
    for (int64_t p0 = 0; p0 < k; p0 += 16) {
      const int64_t p1 = std::min<int64_t>(k, p0 + 16);
      for (int64_t pg = p0; pg < p1; pg += 4) {
        const int len = static_cast<int>(std::min<int64_t>(4, p1 - pg));
        const int64_t* o = off.data() + pg;
        float* d = dst + pg * w;
        int x = 0;
#if defined(__x86_64__)
        if (len == 4 && fours[pg / 4])
          for (; x + 4 <= cols; x += 4) {
            const float* rows[4];
            for (int i = 0; i < 4; ++i) rows[i] = src + ax.offset(x0 + x + i);
            transpose_4x4(rows, o[0], d + x, w);
          }
#endif
        for (; x < cols; ++x) {
          const float* s_x = src + ax.offset(x0 + x);
          for (int i = 0; i < len; ++i) d[i * w + x] = s_x[o[i]];
        }
      }
    }
    for (int64_t p = 0; p < k && cols < w; ++p) std::fill(dst + p * w + cols, dst + p * w + w, 0.0f);
  }
}

// Per-thread packing buffers, 64-byte aligned, grown on demand and kept between calls.
class Scratch {
 public:
  float* get(int64_t floats) {
    if (floats > size_) {
      void* p = std::aligned_alloc(64, static_cast<size_t>(round_up(floats * 4, 64)));
      if (!p) throw std::bad_alloc();
      mem_.reset(static_cast<float*>(p));
      size_ = floats;
    }
    return mem_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> mem_;
  int64_t size_ = 0;
};

thread_local Scratch tl_pack_a, tl_pack_b;

thread_local std::vector<int64_t> tl_b_offsets;

// C with at most this many rows reads op(B) in place, when its rows are contiguous, instead
// of packing it (SgemmDirectTileFn): measured on convolutions with 16 to 64 output
// channels (dev/conv).
constexpr int64_t kDirectRows = 32;

// C[i, j0 .. j0 + w) = alpha * acc + beta * C[i, ...], C not read when beta == 0.
void store_row(float* c, const float* acc, int64_t w, float alpha, float beta) {
  for (int64_t j = 0; j < w; ++j) c[j] = beta == 0.0f ? alpha * acc[j] : alpha * acc[j] + beta * c[j];
}

// The largest micro-kernel tile, MR x NR floats (AVX-512: 8 x 32).
constexpr int kMaxTile = 16 * 32;

// Computes the tile of C at rows [i, i + rows), columns [j, j + cols) through
// tile(c, ldc, alpha, beta): in place where those columns are contiguous in C, else into a
// local tile that is then scattered piece by piece (columns in runs of image planes
// narrower than the tile: 2x2 planes give pieces of 4).
template <typename TileFn>
void write_tile(const Matrix<float*>& c, int64_t i, int64_t j, int rows, int cols, int nr, float alpha, float beta,
                const TileFn& tile) {
  float* c_row = c.data + c.row.offset(i);
  if (c.col.contiguous(j, cols) == cols) {
    tile(c_row + c.col.offset(j), c.row.stride, alpha, beta);
    return;
  }
  alignas(64) float t[kMaxTile];
  tile(t, nr, 1.0f, 0.0f);
  for (int x = 0; x < cols;) {
    const int len = static_cast<int>(c.col.contiguous(j + x, cols - x));
    float* dst = c_row + c.col.offset(j + x);
    for (int r = 0; r < rows; ++r) store_row(dst + r * c.row.stride, t + r * nr + x, len, alpha, beta);
    x += len;
  }
}

// One thread's share: the whole blocked loop nest over a rectangle of C. op(A) blocks are
// packed once each (mc is large: they sit in L3) and op(B) blocks once per op(A) block,
// except for few rows of C: op(B)'s full-width panels are then read in place and only a
// ragged last panel is packed.
void sgemm_blocked(const SgemmMicroKernel& kern, const SgemmBlocking& blk, const Problem& g) {
  const int mr = kern.mr, nr = kern.nr;
  const int64_t nc = even_block(g.n, blk.nc, nr), kc = even_block(g.k, blk.kc, 1), mc = even_block(g.m, blk.mc, mr);
  const bool direct = g.m <= kDirectRows && g.b.col.unit();
  if (mr * nr > kMaxTile) throw std::logic_error("sgemm: micro-kernel tile larger than kMaxTile");
  float* pa = tl_pack_a.get(mc * kc);
  float* pb = tl_pack_b.get(nc * kc);
  std::vector<int64_t>& b_off = tl_b_offsets;
  for (int64_t ic = 0; ic < g.m; ic += mc) {
    const int64_t mb = std::min(mc, g.m - ic);
    for (int64_t pc = 0; pc < g.k; pc += kc) {
      const int64_t kb = std::min(kc, g.k - pc);
      const float beta = pc == 0 ? g.beta : 1.0f;  // later k blocks accumulate
      const View a = g.a.from(ic, pc);
      pack_panels(a.data, a.col, a.row, kb, mb, mr, pa);
      if (direct) {
        const View b = g.b.from(pc, 0);
        b_off.resize(static_cast<size_t>(kb));
        for (int64_t p = 0; p < kb; ++p) b_off[p] = b.row.offset(p);
      }
      for (int64_t jc = 0; jc < g.n; jc += nc) {
        const int64_t nb = std::min(nc, g.n - jc);
        const View b = g.b.from(pc, jc);
        const int64_t in_place = direct ? nb / nr * nr : 0;  // columns read unpacked
        const View rest = b.from(0, in_place);
        pack_panels(rest.data, rest.row, rest.col, kb, nb - in_place, nr, pb);
        auto packed_tile = [&](int64_t ir, int64_t jr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, mb - ir)), cols = static_cast<int>(std::min<int64_t>(nr, nb - jr));
          const float* a_panel = pa + ir * kb;
          const float* b_panel = pb + (jr - in_place) * kb;
          write_tile(g.c, ic + ir, jc + jr, rows, cols, nr, g.alpha, beta, [&](float* c, int64_t ldc, float al, float be) {
            kern.tile(kb, a_panel, b_panel, c, ldc, rows, cols, al, be);
          });
        };
        // With batched columns of planes no wider than a tile, C's rows are a plane apart
        // and its column tiles images apart (multiples of 4 KiB: the same cache sets);
        // sweeping rows within a column panel (the op(B) panel staying in L1, op(A)'s
        // streaming from L2) writes C in order, where sweeping columns revisited those
        // sets (dev/conv: 1x1 backward data on 4x4 and 2x2 planes 9-14 % quicker, forward
        // 2-5 %; on 8x8 planes, where column tiles are adjacent, it measured slower).
        const bool rows_inner = g.c.col.run != 0 && g.c.col.run <= nr;
        for (int64_t ir = 0; ir < mb; ir += mr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, mb - ir));
          const float* a_panel = pa + ir * kb;
          for (int64_t jr = 0; jr < in_place; jr += nr)
            write_tile(g.c, ic + ir, jc + jr, rows, nr, nr, g.alpha, beta, [&](float* c, int64_t ldc, float al, float be) {
              kern.tile_direct(kb, a_panel, b.data + jr, b_off.data(), c, ldc, rows, al, be);
            });
          for (int64_t jr = in_place; jr < nb && !rows_inner; jr += nr) packed_tile(ir, jr);
        }
        for (int64_t jr = in_place; jr < nb && rows_inner; jr += nr)
          for (int64_t ir = 0; ir < mb; ir += mr) packed_tile(ir, jr);
      }
    }
  }
}

// C = beta * C, for k == 0 or alpha == 0 (beta == 0 writes zeros without reading C).
void scale_c(const Problem& g) {
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      float* cij = g.c.at(i, j);
      *cij = g.beta == 0.0f ? 0.0f : g.beta * *cij;
    }
}

// Few rows of C (m < kFewRows): each op(B) element serves at most m rows, so packing op(B)
// would cost more than it saves, and most rows of a micro-kernel tile would idle. Columns
// [j0, j1) of C are computed straight from op(B) instead: axpys when op(B)'s rows are
// contiguous, dot products when its columns are.
constexpr int64_t kFewRows = 4;
// Columns of C accumulated at a time: long runs of each op(B) row stream best from memory.
constexpr int64_t kFewRowsCols = 8192;

// few_rows reads op(B) along contiguous rows or columns and writes contiguous rows of C;
// other layouts (batched columns) take the blocked path, which handles any axes.
bool few_rows_apply(const Problem& g) { return g.c.col.unit() && (g.b.col.unit() || g.b.row.unit()); }

// y += a * x over n floats. Out of line on purpose: inlined into few_rows, GCC 12 spills
// the loop bound and the loop ran at 60 % of this speed (dev/gemm/README.md).
__attribute__((noinline)) void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] += a * x[j];
}

float dot(const float* x, const float* y, int64_t k) {
  float part[8] = {};  // independent partial sums, which the compiler vectorises
  int64_t p = 0;
  for (; p + 8 <= k; p += 8)
    for (int q = 0; q < 8; ++q) part[q] += x[p + q] * y[p + q];
  float s = 0.0f;
  for (float v : part) s += v;
  for (; p < k; ++p) s += x[p] * y[p];
  return s;
}

void few_rows(const Problem& g, int64_t j0, int64_t j1) {
  if (g.b.col.unit()) {
    float* acc = tl_pack_b.get(g.m * kFewRowsCols);  // row i at acc + i * kFewRowsCols
    for (int64_t jb = j0; jb < j1; jb += kFewRowsCols) {
      const int64_t w = std::min(kFewRowsCols, j1 - jb);
      for (int64_t i = 0; i < g.m; ++i) std::fill(acc + i * kFewRowsCols, acc + i * kFewRowsCols + w, 0.0f);
      for (int64_t p = 0; p < g.k; ++p) {
        const float* bp = g.b.at(p, jb);
        for (int64_t i = 0; i < g.m; ++i) axpy(*g.a.at(i, p), bp, acc + i * kFewRowsCols, w);
      }
      for (int64_t i = 0; i < g.m; ++i) store_row(g.c.at(i, jb), acc + i * kFewRowsCols, w, g.alpha, g.beta);
    }
  } else {
    float* a_rows = tl_pack_a.get(g.m * g.k);  // op(A)'s rows made contiguous
    pack_panels(g.a.data, g.a.row, g.a.col, g.m, g.k, static_cast<int>(g.k), a_rows);
    for (int64_t j = j0; j < j1; ++j) {
      const float* bj = g.b.at(0, j);
      for (int64_t i = 0; i < g.m; ++i) {
        const float acc = dot(a_rows + i * g.k, bj, g.k);
        store_row(g.c.at(i, j), &acc, 1, g.alpha, g.beta);
      }
    }
  }
}

// Below this many multiply-adds per thread, waking another thread costs more than it saves.
constexpr int64_t kMinMacsPerThread = int64_t(1) << 17;

// Splits C into a grid of tm x tn rectangles, one per thread. Each thread packs the op(A)
// rows and op(B) columns of its rectangle, so the grid that packs least wins.
void split_grid(const SgemmMicroKernel& kern, const Problem& g, int threads, int64_t& tm, int64_t& tn) {
  tm = tn = 1;
  double best = -1;
  for (int64_t rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int64_t cols = threads / rows;
    if (rows > ceil_div(g.m, kern.mr) || cols > ceil_div(g.n, kern.nr)) continue;
    const double packed = static_cast<double>(cols) * g.m * g.k + static_cast<double>(rows) * g.k * g.n;
    if (best < 0 || packed < best) best = packed, tm = rows, tn = cols;
  }
}

void sgemm_parallel(const SgemmMicroKernel& kern, const SgemmBlocking& blk, const Problem& g) {
  const int64_t macs = g.m * g.n * g.k;
  if (g.m < kFewRows && few_rows_apply(g)) {
    const int64_t grain = std::max<int64_t>(16, kMinMacsPerThread / (g.m * g.k));
    parallel_for(g.n, grain, [&](int64_t j0, int64_t j1) { few_rows(g, j0, j1); });
    return;
  }
  const int threads = static_cast<int>(std::min<int64_t>(num_threads(), std::max<int64_t>(1, macs / kMinMacsPerThread)));
  int64_t tm = 1, tn = 1;
  if (threads > 1) split_grid(kern, g, threads, tm, tn);
  if (tm * tn == 1) {
    sgemm_blocked(kern, blk, g);
    return;
  }
  const int64_t rows_each = round_up(ceil_div(g.m, tm), kern.mr), cols_each = round_up(ceil_div(g.n, tn), kern.nr);
  parallel_tasks(tm * tn, [&](int64_t t) {
    const int64_t i0 = (t / tn) * rows_each, j0 = (t % tn) * cols_each;
    if (i0 >= g.m || j0 >= g.n) return;
    Problem part = g;
    part.m = std::min(rows_each, g.m - i0);
    part.n = std::min(cols_each, g.n - j0);
    part.a = g.a.from(i0, 0);
    part.b = g.b.from(0, j0);
    part.c = g.c.from(i0, j0);
    sgemm_blocked(kern, blk, part);
  });
}

const SgemmMicroKernel& best_kernel() {
  if (const SgemmMicroKernel* k = sgemm_avx512_kernel()) return *k;
  if (const SgemmMicroKernel* k = sgemm_avx2_kernel()) return *k;
  return sgemm_portable_kernel();
}

const SgemmMicroKernel& choose_kernel() {
  const char* want = std::getenv("LARGEBATCH_SGEMM_KERNEL");
  if (want == nullptr) return best_kernel();
  const std::string name(want);
  if (name == "avx512" && sgemm_avx512_kernel()) return *sgemm_avx512_kernel();
  if (name == "avx2" && sgemm_avx2_kernel()) return *sgemm_avx2_kernel();
  if (name == "portable") return sgemm_portable_kernel();
  return best_kernel();
}

// dgemm's rows [row_begin, row_end): an i-k-j loop with a row of double accumulators.
void dgemm_rows(bool trans_a, bool trans_b, int64_t row_begin, int64_t row_end, int64_t n, int64_t k, double alpha,
                const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  std::vector<double> acc(static_cast<size_t>(n));
  for (int64_t i = row_begin; i < row_end; ++i) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t p = 0; p < k; ++p) {
      const double aip = trans_a ? a[p * lda + i] : a[i * lda + p];
      if (!trans_b) {
        const double* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) acc[j] += aip * bp[j];
      } else {
        for (int64_t j = 0; j < n; ++j) acc[j] += aip * b[j * ldb + p];
      }
    }
    double* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0.0 ? alpha * acc[j] : alpha * acc[j] + beta * ci[j];
  }
}

}  // namespace

// Layout and use: gemm_microkernel.h. In blocks of kBlock steps, so that a panel's strided
// stores stay within a few KiB of L1 (over whole rows each store touched a new line:
// ResNet-20's 3x3 backward weights took 5-12 % longer); 8 x 8 blocks transposed in
// registers (value by value, this was half of the 3x3/2 backward weights' own work).
LB_SIMD_CLONES void sgemm_interleave(const float* src, int64_t ld, int64_t count, int64_t len, int w, float* dst) {
  constexpr int64_t kBlock = 32;
  for (int64_t r0 = 0; r0 < count; r0 += w, dst += len * w)
    for (int64_t t0 = 0; t0 < len; t0 += kBlock) {
      const int64_t t1 = std::min(len, t0 + kBlock);
      int i = 0;
      for (; i + 8 <= w && r0 + i + 8 <= count; i += 8) {
        const float* rows = src + (r0 + i) * ld;
        int64_t t = t0;
        for (; t + 8 <= t1; t += 8) {
          Vec8 v[8];
          for (int k = 0; k < 8; ++k) __builtin_memcpy(&v[k], rows + k * ld + t, sizeof(Vec8));
          transpose8(v);
          for (int k = 0; k < 8; ++k) __builtin_memcpy(dst + (t + k) * w + i, &v[k], sizeof(Vec8));
        }
        for (; t < t1; ++t)
          for (int k = 0; k < 8; ++k) dst[t * w + i + k] = rows[k * ld + t];
      }
      for (; i < w; ++i) {
        if (r0 + i >= count) {
          for (int64_t t = t0; t < t1; ++t) dst[t * w + i] = 0.0f;
          continue;
        }
        const float* row = src + (r0 + i) * ld;
        for (int64_t t = t0; t < t1; ++t) dst[t * w + i] = row[t];
      }
    }
}


const SgemmMicroKernel& sgemm_selected_kernel() {
  static const SgemmMicroKernel& kernel = choose_kernel();
  return kernel;
}

// Measured on Zen 4 (dev/gemm/README.md): an op(A) micro-panel of kc = 384 steps fits L1
// (8 x 384 floats = 12 KiB), a 384 x 384 op(B) block about half of L2; mc only bounds how
// often op(B) is repacked. Blocks round to the kernel's tile, so these serve every kernel.
SgemmBlocking sgemm_default_blocking() { return {1024, 384, 384}; }

namespace {

// The axis of a stored matrix's columns: unit steps, or batched columns.
Axis columns_of(const BatchedColumns* bc) {
  if (!bc) return Axis{1};
  if (bc->plane == 1) return Axis{bc->image};  // a column per image: plain strides
  return Axis{bc->image, nullptr, bc->plane};
}

template <typename T>
Axis axis_rows(const IndexedMatrix<T>& x) { return Axis{x.ld, x.rows}; }
template <typename T>
Axis axis_cols(const IndexedMatrix<T>& x) { return x.cols ? Axis{0, x.cols} : columns_of(x.batched); }

// The view of op(X) for X with leading dimension ld, or with its rows at rows[r] when given.
View view_of(bool trans, const float* x, const int64_t* rows, int64_t ld, Axis cols = Axis{1}) {
  if (trans) return View{x, cols, Axis{ld, rows}};
  return View{x, Axis{ld, rows}, cols};
}

void sgemm_views(const SgemmMicroKernel& kernel, const SgemmBlocking& blocking, int64_t m, int64_t n, int64_t k,
                 float alpha, const View& va, const View& vb, float beta, const Matrix<float*>& c) {
  if (m <= 0 || n <= 0) return;
  const Problem g{m, n, k, alpha, va, vb, beta, c};
  if (k <= 0 || alpha == 0.0f) {
    scale_c(g);
    return;
  }
  sgemm_parallel(kernel, blocking, g);
}

Matrix<float*> plain_c(float* c, int64_t ldc) { return {c, Axis{ldc}, Axis{1}}; }

}  // namespace

void sgemm_with(const SgemmMicroKernel& kernel, const SgemmBlocking& blocking, bool trans_a, bool trans_b, int64_t m,
                int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                float* c, int64_t ldc) {
  sgemm_views(kernel, blocking, m, n, k, alpha, view_of(trans_a, a, nullptr, lda), view_of(trans_b, b, nullptr, ldb),
              beta, plain_c(c, ldc));
}

void sgemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                const int64_t* a_rows, int64_t lda, const float* b, const int64_t* b_rows, int64_t ldb, float beta,
                float* c, int64_t ldc) {
  sgemm_views(sgemm_selected_kernel(), sgemm_default_blocking(), m, n, k, alpha,
              view_of(trans_a, a, a_rows, lda), view_of(trans_b, b, b_rows, ldb),
              beta, plain_c(c, ldc));
}

void sgemm_indexed(int64_t m, int64_t n, int64_t k, float alpha, const IndexedMatrix<const float>& a,
                   const IndexedMatrix<const float>& b, float beta, const IndexedMatrix<float>& c) {
  if (c.rows) throw std::invalid_argument("sgemm_indexed: C's rows must be ld apart (the micro-kernels' row stride)");
  sgemm_views(sgemm_selected_kernel(), sgemm_default_blocking(), m, n, k, alpha, View{a.data, axis_rows(a), axis_cols(a)},
              View{b.data, axis_rows(b), axis_cols(b)}, beta, Matrix<float*>{c.data, axis_rows(c), axis_cols(c)});
}

void sgemm_batched_columns(const SgemmMicroKernel& kernel, const SgemmBlocking& blocking, bool trans_a, bool trans_b,
                           int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                           const BatchedColumns* a_cols, const float* b, int64_t ldb, const BatchedColumns* b_cols,
                           float beta, float* c, int64_t ldc, const BatchedColumns* c_cols) {
  sgemm_views(kernel, blocking, m, n, k, alpha, view_of(trans_a, a, nullptr, lda, columns_of(a_cols)),
              view_of(trans_b, b, nullptr, ldb, columns_of(b_cols)), beta, Matrix<float*>{c, Axis{ldc}, columns_of(c_cols)});
}

void sgemm_batched_columns(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                           int64_t lda, const BatchedColumns* a_cols, const float* b, int64_t ldb,
                           const BatchedColumns* b_cols, float beta, float* c, int64_t ldc,
                           const BatchedColumns* c_cols) {
  sgemm_batched_columns(sgemm_selected_kernel(), sgemm_default_blocking(), trans_a, trans_b, m, n, k, alpha, a, lda,
                        a_cols, b, ldb, b_cols, beta, c, ldc, c_cols);
}

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const SgemmMicroKernel& kernel = sgemm_selected_kernel();
  sgemm_with(kernel, sgemm_default_blocking(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k));
  parallel_for(m, grain, [&](int64_t r0, int64_t r1) {
    dgemm_rows(trans_a, trans_b, r0, r1, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  });
}

const char* sgemm_kernel_name() { return sgemm_selected_kernel().name; }

}  // namespace lb
