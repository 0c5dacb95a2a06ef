// Float32 3x3 stride-1 convolutions (conv2d.h) by Winograd's minimal filtering F(m x m, 3x3),
// m = 2 or 4 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016):
// each m x m tile of output comes from the a x a tile of padded input under it (a = m + 2) as
//   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
// a² multiplies per (input, output) channel pair where the direct convolution does 9 m²
// (F(2x2): 16 for 36, F(4x4): 36 for 144). Summed over input channels, each of the a²
// elements e of a tile is a GEMM:
//   U[e] [K, C] = (G g Gᵀ)[e]   every kernel, once per call
//   V[e] [C, T] = (Bᵀ d B)[e]   every input tile of a block of T tiles
//   M[e] [K, T] = U[e] V[e]     a² GEMMs per block
//   y           = Aᵀ M A + bias per tile, cut at the edge of the plane
// The transforms write U and V straight in the SGEMM micro-kernel's packed layouts
// (gemm_microkernel.h: U as op(A), MR rows per k step; V as op(B), NR tiles per k step),
// and the micro-kernel runs on them directly: the driver would pack both again. A block is
// whole images (their tiles in order: image, tile row, tile column), sized so that V and M
// stay in L2; each thread takes a run of blocks with its own V and M.
// Rounding: the transforms add and scale values before and after the multiply, so errors
// run above the direct convolution's: max |error| / max |y| against float64 on random data
// up to 3e-7 for F(2x2) and 4e-6 for F(4x4), whose transforms scale by up to 8
// (test/emu/conv2d_winograd_test.cc).
// Bench: `make -C dev/conv bench` (per shape), `pnpm --filter @largebatch/bench conv`.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "../../core/int_math.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../gemm/gemm_microkernel.h"
#include "conv2d.h"

namespace lb {
namespace {


// A block's V and M together in at most this many floats: half of this machine's 1 MiB L2.
constexpr int64_t kBlockFloats = int64_t(1) << 17;

// The 1-d transforms of F(m, 3), applied along the rows of a tile and then along its
// columns: input_1d is Bᵀ d (a values into a), kernel_1d G g (3 into a), output_1d Aᵀ m
// (a into m). They run on T = float (one tile) or Vec4 (four neighbouring tiles of a row).
// F(2, 3): points 0, 1, -1, ∞.
struct F2 {
  static constexpr int kOut = 2, kTile = 4;
  template <typename T>
  static void input_1d(const T* d, T* o) {
    o[0] = d[0] - d[2];
    o[1] = d[1] + d[2];
    o[2] = d[2] - d[1];
    o[3] = d[1] - d[3];
  }
  static void kernel_1d(const float* g, float* o) {
    o[0] = g[0];
    o[1] = 0.5f * (g[0] + g[1] + g[2]);
    o[2] = 0.5f * (g[0] - g[1] + g[2]);
    o[3] = g[2];
  }
  template <typename T>
  static void output_1d(const T* m, T* o) {
    o[0] = m[0] + m[1] + m[2];
    o[1] = m[1] - m[2] - m[3];
  }
  // The adjoints, for the backward weight: A y (2 values into 4) and Gᵀ u (4 into 3).
  static void output_adjoint_1d(const float* y, float* o) {
    o[0] = y[0];
    o[1] = y[0] + y[1];
    o[2] = y[0] - y[1];
    o[3] = -y[1];
  }
  static void kernel_adjoint_1d(const float* u, float* o) {
    o[0] = u[0] + 0.5f * (u[1] + u[2]);
    o[1] = 0.5f * (u[1] - u[2]);
    o[2] = 0.5f * (u[1] + u[2]) + u[3];
  }
};

// F(4, 3): points 0, 1, -1, 2, -2, ∞ (Lavin & Gray's matrices, checked against the direct
// sums in numpy).
struct F4 {
  static constexpr int kOut = 4, kTile = 6;
  template <typename T>
  static void input_1d(const T* d, T* o) {
    const T s12 = d[1] + d[2], d12 = d[1] - d[2], s34 = d[3] + d[4], d43 = d[4] - d[3];
    const T d42 = d[4] - d[2], d31 = d[3] - d[1];
    o[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    o[1] = s34 - 4.0f * s12;
    o[2] = d43 + 4.0f * d12;
    o[3] = d42 + 2.0f * d31;
    o[4] = d42 - 2.0f * d31;
    o[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
  }
  static void kernel_1d(const float* g, float* o) {
    const float s = g[0] + g[2];
    o[0] = 0.25f * g[0];
    o[1] = -(s + g[1]) / 6.0f;
    o[2] = -(s - g[1]) / 6.0f;
    o[3] = g[0] / 24.0f + g[1] / 12.0f + g[2] / 6.0f;
    o[4] = g[0] / 24.0f - g[1] / 12.0f + g[2] / 6.0f;
    o[5] = g[2];
  }
  template <typename T>
  static void output_1d(const T* m, T* o) {
    const T s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
    o[0] = m[0] + s12 + s34;
    o[1] = d12 + 2.0f * d34;
    o[2] = s12 + 4.0f * s34;
    o[3] = d12 + 8.0f * d34 + m[5];
  }
};

// Four tiles in SSE lanes: x86-64's baseline, which the CPU kernels are compiled for
// (GCC/Clang vector extensions; NEON on arm64).
typedef float Vec4 __attribute__((vector_size(16)));

template <typename T>
inline T load(const float* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
inline void store(float* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// row[m*i + j] = v[j] lane i: the m columns of one output row of T's tiles, side by side.
template <int m>
inline void store_row(float* row, const float* v) {
  for (int j = 0; j < m; ++j) row[j] = v[j];
}
template <int m>
inline void store_row(float* row, const Vec4* v) {
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < m; ++j) row[m * i + j] = v[j][i];
}

// The plane copy: the padded image's column X lies in phase plane X % m at X / m, each
// plane [rows][tw + 1]; tile tx then reads its columns m tx .. m tx + a - 1 at phase j % m,
// index tx + j / m: unit steps over tx, so a row of tiles transforms as vectors.
//
// Bᵀ d B of the tiles at tx (T's lanes: tx, tx + 1, ...) of a row of tiles, from the rows
// of its phase planes (rows hw apart, planes plane apart), into dst[tx + e*estride] for
// the a² elements e.
template <typename F, typename T>
__attribute__((always_inline)) inline void input_tiles(const float* rows, int64_t hw, int64_t plane, int64_t tx,
                                                      float* dst, int64_t estride) {
  constexpr int a = F::kTile, m = F::kOut;
  T bd[a][a];  // Bᵀ d
  for (int j = 0; j < a; ++j) {
    T col[a], out[a];
    for (int r = 0; r < a; ++r) col[r] = load<T>(rows + (j % m) * plane + r * hw + tx + j / m);
    F::input_1d(col, out);
    for (int r = 0; r < a; ++r) bd[r][j] = out[r];
  }
  for (int r = 0; r < a; ++r) {
    T out[a];
    F::input_1d(bd[r], out);
    for (int j = 0; j < a; ++j) store(dst + tx + (a * r + j) * estride, out[j]);
  }
}

// out = Aᵀ m A of the tiles at tx of a row of tiles in M (element e at m[tx + e*estride]).
template <typename F, typename T>
__attribute__((always_inline)) inline void output_tiles(const float* mt, int64_t estride, int64_t tx,
                                                       T out[F::kOut][F::kOut]) {
  constexpr int a = F::kTile, m = F::kOut;
  T am[m][a];  // Aᵀ m
  for (int j = 0; j < a; ++j) {
    T col[a], res[m];
    for (int r = 0; r < a; ++r) col[r] = load<T>(mt + tx + (a * r + j) * estride);
    F::output_1d(col, res);
    for (int r = 0; r < m; ++r) am[r][j] = res[r];
  }
  for (int r = 0; r < m; ++r) F::output_1d(am[r], out[r]);
}

// The stride between the a² elements' matrices of V and of M: each transformed tile is
// written (V) or read (M) as a² values one stride apart, and with a stride of a multiple of
// 4 KiB (a power-of-two block of tiles and channels) they all fall into one set of L1 and
// evict one another (16->16 on 32x32 planes ran 3x slower). An odd number of cache lines
// puts them in different sets.
int64_t skewed(int64_t floats) {
  const int64_t lines = ceil_div(floats, 16);
  return (lines | 1) * 16;
}

template <typename F>
struct Plan {
  static constexpr int kOut = F::kOut, kTile = F::kTile, kElems = kTile * kTile;
  const Conv2dShape& s;
  const SgemmMicroKernel& kern;
  int64_t mr, nr;
  int64_t th, tw, tiles;  // tile rows and columns of an image, and their product
  int64_t bh, hw;         // rows and columns of each phase plane of the zero-bordered copy
  int64_t per_block, blocks, workers;
  int64_t ld;      // columns of M[e]: a full block's tiles, rounded up to NR
  int64_t panel;   // floats of one NR-tile panel of V[e] (C k steps), rounded up to keep 64-byte alignment
  int64_t ku;      // rows of packed U[e]: K rounded up to MR

  Plan(const Conv2dShape& shape, const SgemmMicroKernel& kernel) : s(shape), kern(kernel), mr(kern.mr), nr(kern.nr) {
    th = ceil_div(s.p, kOut);
    tw = ceil_div(s.q, kOut);
    tiles = th * tw;
    // Tile (ty, tx) reads rows m ty .. m ty + a - 1 of the copy, so it holds m th + 2 rows,
    // and likewise m (tw + 1) >= m tw + 2 columns; every input row fits, since
    // m th + 2 >= P + 2 = H + 2 pad_h, and likewise every column.
    bh = kOut * th + kTile - kOut;
    hw = tw + 1;
    const int64_t threads = num_threads();
    const int64_t fit = kBlockFloats / (kElems * (s.c + s.k) * tiles);
    per_block = std::max<int64_t>(1, std::min(fit, ceil_div(s.n, threads)));
    blocks = ceil_div(s.n, per_block);
    workers = std::min(threads, blocks);
    ld = round_up(per_block * tiles, nr);
    panel = round_up(s.c * nr, 16);
    ku = round_up(s.k, mr);
  }

  int64_t u_element() const { return skewed(ku * s.c); }
  int64_t u_size() const { return kElems * u_element(); }
  int64_t v_element() const { return skewed(ld / nr * panel); }
  int64_t v_size() const { return kElems * v_element(); }
  int64_t m_element() const { return skewed(s.k * ld); }
  int64_t m_size() const { return kElems * m_element(); }
  int64_t buf_size() const { return round_up(kOut * bh * hw, 16); }
  int64_t per_worker() const { return v_size() + m_size() + buf_size(); }  // each a multiple of 16 floats

  // U[e] packed as op(A): element e, row k, channel c at e*u_element + (k / MR)*C*MR + c*MR + k % MR;
  // rows K .. ku zero. A panel of MR rows at a time, channel by channel, so that each
  // element's writes are contiguous. adjoint: w is the kernel [C, K, 3, 3] of the
  // convolution whose adjoint s is, and kernel (k, c) is its (c, k) flipped.
  void transform_kernels(const float* w, bool adjoint, float* u) const {
    std::fill(u, u + u_size(), 0.0f);
    parallel_for(ceil_div(s.k, mr), 1, [&](int64_t p0, int64_t p1) {
      for (int64_t k0 = p0 * mr; k0 < std::min(p1 * mr, s.k); k0 += mr)
        for (int64_t c = 0; c < s.c; ++c)
          for (int64_t k = k0; k < std::min(k0 + mr, s.k); ++k) {
            const float* src = w + (adjoint ? c * s.k + k : k * s.c + c) * 9;
            float g[9];
            for (int t = 0; t < 9; ++t) g[t] = src[adjoint ? 8 - t : t];
            float gg[3][kTile];  // (G g)ᵀ: column j of g transformed
            for (int j = 0; j < 3; ++j) {
              const float col[3] = {g[j], g[3 + j], g[6 + j]};
              F::kernel_1d(col, gg[j]);
            }
            float* dst = u + k0 * s.c + c * mr + (k - k0);
            for (int r = 0; r < kTile; ++r) {
              const float row[3] = {gg[0][r], gg[1][r], gg[2][r]};
              float out[kTile];
              F::kernel_1d(row, out);
              for (int j = 0; j < kTile; ++j) dst[(kTile * r + j) * u_element()] = out[j];
            }
          }
    });
  }

  // Copies plane [H, W] into the interiors of buf's phase planes (input_tiles); the
  // borders stay zero. Per phase, the first w and how many: plain counted loops, which the
  // compiler vectorises (an index (w + pad_w) / m per value made this copy half the
  // input transform).
  void split_plane(const float* plane, float* buf) const {
    for (int ph = 0; ph < kOut; ++ph) {
      const int64_t w0 = ((ph - s.pad_w) % kOut + kOut) % kOut;  // the first w with (w + pad_w) % m == ph
      const int64_t count = w0 < s.w ? ceil_div(s.w - w0, kOut) : 0;
      float* dst = buf + ph * bh * hw + s.pad_h * hw + (w0 + s.pad_w) / kOut;
      for (int64_t h = 0; h < s.h; ++h) {
        const float* src = plane + h * s.w + w0;
        for (int64_t j = 0; j < count; ++j) dst[h * hw + j] = src[kOut * j];
      }
    }
  }

  // V of images [n0, n0 + nb) packed as op(B): element e, channel c, tile t at
  // e*v_element + (t / NR)*panel + c*NR + t % NR; tiles past the block's last, up to the
  // next multiple of NR, zero. buf: split_plane's copy, its borders zero on entry.
  void transform_input(const float* x, int64_t n0, int64_t nb, float* buf, float* v) const {
    const int64_t count = nb * tiles, estride = v_element();
    for (int64_t c = 0; c < s.c; ++c) {
      for (int64_t i = 0; i < nb; ++i) {
        split_plane(x + ((n0 + i) * s.c + c) * s.h * s.w, buf);
        for (int64_t ty = 0; ty < th; ++ty) {
          const float* rows = buf + kOut * ty * hw;
          // The row's tiles are consecutive columns of V, in runs that end at a panel's edge.
          for (int64_t a = 0; a < tw;) {
            const int64_t t = i * tiles + ty * tw + a, len = std::min(tw - a, nr - t % nr);
            float* dst = v + t / nr * panel + c * nr + t % nr - a;
            int64_t tx = a;
            for (; tx + 4 <= a + len; tx += 4) input_tiles<F, Vec4>(rows, hw, bh * hw, tx, dst, estride);
            for (; tx < a + len; ++tx) input_tiles<F, float>(rows, hw, bh * hw, tx, dst, estride);
            a += len;
          }
        }
      }
      for (int64_t t = count; t < round_up(count, nr); ++t)
        for (int e = 0; e < kElems; ++e) v[e * estride + t / nr * panel + c * nr + t % nr] = 0.0f;
    }
  }

  // M[e] [K, ld] = U[e] V[e] over the block's count tiles.
  void multiply(const float* u, const float* v, int64_t count, float* m) const {
    for (int e = 0; e < kElems; ++e) {
      const float* ue = u + e * u_element();
      const float* ve = v + e * v_element();
      float* me = m + e * m_element();
      // A panel of V stays in L1 while U[e]'s panels stream past it from L2.
      for (int64_t jr = 0; jr < count; jr += nr)
        for (int64_t ir = 0; ir < s.k; ir += mr)
          kern.tile(s.c, ue + ir * s.c, ve + jr / nr * panel, me + ir * ld + jr, ld,
                    static_cast<int>(std::min(mr, s.k - ir)), static_cast<int>(std::min(nr, count - jr)), 1.0f, 0.0f);
    }
  }

  // Output rows [0, rows) from out_row on, columns m tx .. m tx + m - 1 for each of T's
  // tiles: Aᵀ M A + bias.
  template <typename T>
  void store_tiles(const float* mt, int64_t tx, float bias, float* out_row, int64_t rows) const {
    T out[kOut][kOut];
    output_tiles<F, T>(mt, m_element(), tx, out);
    for (int64_t r = 0; r < rows; ++r) {
      T biased[kOut];
      for (int j = 0; j < kOut; ++j) biased[j] = out[r][j] + bias;
      store_row<kOut>(out_row + r * s.q + kOut * tx, biased);
    }
  }

  // y of images [n0, n0 + nb) = Aᵀ M A + bias, a row of tiles at a time (unit steps over
  // the tiles in M, so it transforms as vectors); past the edge of the plane the tiles'
  // last rows or columns are dropped.
  void transform_output(const float* m, const float* bias, int64_t n0, int64_t nb, float* y) const {
    for (int64_t k = 0; k < s.k; ++k) {
      const float b = bias ? bias[k] : 0.0f;
      for (int64_t i = 0; i < nb; ++i) {
        float* plane = y + ((n0 + i) * s.k + k) * s.p * s.q;
        for (int64_t ty = 0; ty < th; ++ty) {
          const float* mt = m + k * ld + i * tiles + ty * tw;
          float* out_row = plane + kOut * ty * s.q;
          const int64_t rows = std::min<int64_t>(kOut, s.p - kOut * ty);
          const int64_t full = s.q / kOut;  // tiles whose columns are all inside
          int64_t tx = 0;
          for (; tx + 4 <= full; tx += 4) store_tiles<Vec4>(mt, tx, b, out_row, rows);
          for (; tx < full; ++tx) store_tiles<float>(mt, tx, b, out_row, rows);
          if (full < tw) {  // the last tile's first Q % m columns
            float out[kOut][kOut];
            output_tiles<F, float>(mt, m_element(), full, out);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t j = 0; j < s.q % kOut; ++j) out_row[r * s.q + kOut * full + j] = out[r][j] + b;
          }
        }
      }
    }
  }

  Status run(const float* x, const float* w, bool adjoint, const float* bias, float* y) const {
    std::unique_ptr<float[]> scratch;
    float* base = nullptr;
    LB_RETURN_IF_FAILED(aligned_scratch(u_size() + per_worker() * workers, &scratch, &base));
    float* u = base + per_worker() * workers;
    transform_kernels(w, adjoint, u);
    parallel_tasks(workers, [&](int64_t wk) {
      float* v = base + wk * per_worker();
      float* m = v + v_size();
      float* buf = m + m_size();
      std::fill(buf, buf + buf_size(), 0.0f);
      for (int64_t blk = wk * blocks / workers; blk < (wk + 1) * blocks / workers; ++blk) {
        const int64_t n0 = blk * per_block, nb = std::min(per_block, s.n - n0);
        transform_input(x, n0, nb, buf, v);
        multiply(u, v, nb * tiles, m);
        transform_output(m, bias, n0, nb, y);
      }
    });
    return Status::Ok();
  }
};

// Backward weight by F(2x2, 3x3): the adjoint of the forward's steps, per element e of the
// 4x4 transformed tiles,
//   dM[e] [K, T] = (A dY Aᵀ)[e]      each 2x2 tile of dy (zero past the plane's edge)
//   V[e]  [C, T] = (Bᵀ d B)[e]       the 4x4 tile of padded input under it, as forward
//   dU[e] [K, C] = Σ dM[e] V[e]ᵀ     16 GEMMs per block of T tiles, depth T
//   dw[k, c]     = Gᵀ dU[k, c] G      (3x3 from 4x4)
// 16 multiplies per (k, c, tile) where the direct gradient does 36. Blocks of whole images;
// each thread takes a fixed run of blocks into its own dU, summed in thread order at the end
// (results do not depend on scheduling). The GEMMs are lb::sgemm's (packing its operands):
// a block's V and dM are written by plain loops, with no micro-kernel layouts.
// f (n values into 4) applied to an n x n tile along its columns, then its rows: the 4x4
// result's element (r, j) stored at dst[(4 r + j) * estride], as the forward's layout.
template <int n, typename Map>
void transform_tile(const float (&tile)[n][n], Map f, float* dst, int64_t estride) {
  float cols[4][n];
  for (int j = 0; j < n; ++j) {
    float col[n], out[4];
    for (int r = 0; r < n; ++r) col[r] = tile[r][j];
    f(col, out);
    for (int r = 0; r < 4; ++r) cols[r][j] = out[r];
  }
  for (int r = 0; r < 4; ++r) {
    float out[4];
    f(cols[r], out);
    for (int j = 0; j < 4; ++j) dst[(4 * r + j) * estride] = out[j];
  }
}

struct WeightPlan {
  static constexpr int kE = 16;
  const Conv2dShape& s;
  int64_t th, tw, tiles, per_block, blocks, workers;
  int64_t bh, bw;  // a zero-bordered plane holding every 4x4 input tile

  explicit WeightPlan(const Conv2dShape& shape) : s(shape) {
    th = ceil_div(s.p, 2);
    tw = ceil_div(s.q, 2);
    tiles = th * tw;
    bh = 2 * th + 2;
    bw = 2 * tw + 2;
    const int64_t threads = num_threads();
    const int64_t fit = (int64_t(1) << 18) / (kE * (s.c + s.k) * tiles);  // V and dM of a block in 1 MiB
    per_block = std::max<int64_t>(1, std::min(fit, ceil_div(s.n, threads)));
    blocks = ceil_div(s.n, per_block);
    workers = std::min(threads, blocks);
  }

  int64_t ld() const { return per_block * tiles; }  // columns (tiles) of V[e] and dM[e]
  int64_t v_element() const { return skewed(s.c * ld()); }
  int64_t d_element() const { return skewed(s.k * ld()); }
  int64_t acc_size() const { return int64_t(kE) * s.k * s.c; }
  int64_t per_worker() const { return kE * (v_element() + d_element()) + acc_size() + bh * bw; }

  // V[e][c][t] for the images [n0, n0 + nb), t = (image - n0) * tiles + ty * tw + tx.
  void transform_input(const float* x, int64_t n0, int64_t nb, float* buf, float* v) const {
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t i = 0; i < nb; ++i) {
        const float* plane = x + ((n0 + i) * s.c + c) * s.h * s.w;
        for (int64_t h = 0; h < s.h; ++h) copy_values(plane + h * s.w, s.w, buf + (h + s.pad_h) * bw + s.pad_w);
        for (int64_t ty = 0; ty < th; ++ty)
          for (int64_t tx = 0; tx < tw; ++tx) {
            const float* d = buf + 2 * ty * bw + 2 * tx;
            float tile[4][4];
            for (int r = 0; r < 4; ++r)
              for (int j = 0; j < 4; ++j) tile[r][j] = d[r * bw + j];
            transform_tile(tile, [](const float* in, float* out) { F2::input_1d(in, out); },
                           v + c * ld() + i * tiles + ty * tw + tx, v_element());
          }
      }
  }

  // dM[e][k][t] = (A dy Aᵀ)[e] for the images [n0, n0 + nb).
  void transform_gradient(const float* dy, int64_t n0, int64_t nb, float* dm) const {
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t i = 0; i < nb; ++i) {
        const float* plane = dy + ((n0 + i) * s.k + k) * s.p * s.q;
        for (int64_t ty = 0; ty < th; ++ty)
          for (int64_t tx = 0; tx < tw; ++tx) {
            float y[2][2];
            for (int r = 0; r < 2; ++r)
              for (int j = 0; j < 2; ++j) {
                const int64_t p = 2 * ty + r, q = 2 * tx + j;
                y[r][j] = p < s.p && q < s.q ? plane[p * s.q + q] : 0.0f;
              }
            transform_tile(y, F2::output_adjoint_1d, dm + k * ld() + i * tiles + ty * tw + tx, d_element());
          }
      }
  }

  Status run(const float* x, const float* dy, float* dw) const {
    std::unique_ptr<float[]> scratch;
    float* base = nullptr;
    LB_RETURN_IF_FAILED(aligned_scratch(per_worker() * workers, &scratch, &base));
    auto acc = [&](int64_t wk) { return base + wk * per_worker() + kE * (v_element() + d_element()); };
    parallel_tasks(workers, [&](int64_t wk) {
      float* v = base + wk * per_worker();
      float* dm = v + kE * v_element();
      float* buf = acc(wk) + acc_size();
      std::fill(buf, buf + bh * bw, 0.0f);  // the border stays zero; planes overwrite the interior
      const int64_t b0 = wk * blocks / workers, b1 = (wk + 1) * blocks / workers;
      for (int64_t blk = b0; blk < b1; ++blk) {
        const int64_t n0 = blk * per_block, nb = std::min(per_block, s.n - n0);
        transform_input(x, n0, nb, buf, v);
        transform_gradient(dy, n0, nb, dm);
        for (int e = 0; e < kE; ++e)
          sgemm(false, true, s.k, s.c, nb * tiles, 1.0f, dm + e * d_element(), ld(), v + e * v_element(), ld(),
                blk == b0 ? 0.0f : 1.0f, acc(wk) + e * s.k * s.c, s.c);
      }
    });
    float* total = acc(0);
    parallel_for(acc_size(), 4096, [&](int64_t i0, int64_t i1) {
      for (int64_t wk = 1; wk < workers; ++wk)
        for (int64_t i = i0; i < i1; ++i) total[i] += acc(wk)[i];
    });
    // dw[k, c] = Gᵀ dU[k, c] G: along the transformed columns j, then the rows r.
    parallel_for(s.k * s.c, 256, [&](int64_t i0, int64_t i1) {
      for (int64_t kc = i0; kc < i1; ++kc) {
        float gu[4][3];
        for (int r = 0; r < 4; ++r) {
          const float row[4] = {total[(4 * r) * s.k * s.c + kc], total[(4 * r + 1) * s.k * s.c + kc],
                                total[(4 * r + 2) * s.k * s.c + kc], total[(4 * r + 3) * s.k * s.c + kc]};
          F2::kernel_adjoint_1d(row, gu[r]);
        }
        for (int b = 0; b < 3; ++b) {
          const float col[4] = {gu[0][b], gu[1][b], gu[2][b], gu[3][b]};
          float out[3];
          F2::kernel_adjoint_1d(col, out);
          for (int a = 0; a < 3; ++a) dw[kc * 9 + 3 * a + b] = out[a];
        }
      }
    });
    return Status::Ok();
  }
};

}  // namespace

bool conv2d_winograd_applies(const Conv2dShape& s) {
  return s.r == 3 && s.s == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dil_h == 1 && s.dil_w == 1 && s.groups == 1;
}

// Measured (dev/conv, CPU time, batch 128, 1 and 2 threads; against shifted windows or
// im2col + SGEMM), on 3x3 stride-1 convolutions with 32 to 256 channels: F(4x4) took
// 0.3-0.75x the time on 16x16 and 32x32 planes, where F(2x2) took 0.45-0.9x; F(2x2) took
// 0.5-0.8x on 8x8, 4x4 and 2x2 planes, where F(4x4) took as long or longer (its rows of
// tiles are too short for the 4-tile vectors; a 4x4 tile on a 2x2 plane wastes 3/4 of
// it). Both took longer with 16 channels on 16x16 planes (1.1-1.25x: the GEMMs' depth C is
// too short to pay for the transforms; F(4x4) gained 10 % with 16 channels on 32x32 planes,
// left out as within the noise), with 3 input channels (1.5-1.7x), with 512 channels on
// 2x2 planes (1.35x: U[e] outgrows L2 and a block holds half a panel of tiles), on planes
// their tiles do not divide (7x7 with F(2x2): 1.1x, the edge tiles compute 1.3x the
// outputs; 3x3: 1.8x) and on 1x1 planes (20x: 8 of 9 taps read padding, which the direct
// path skips). Larger planes are unmeasured, and a block holds whole images.
int conv2d_winograd_tile(const Conv2dShape& s) {
  if (!conv2d_winograd_applies(s) || std::min(s.c, s.k) < 32 || std::max(s.c, s.k) > 256 || s.p * s.q > 32 * 32)
    return 0;
  if (s.p % 4 == 0 && s.q % 4 == 0 && s.p >= 16 && s.q >= 16) return 4;
  return s.p % 2 == 0 && s.q % 2 == 0 ? 2 : 0;
}

// Measured (dev/conv, CPU time, batch 128, 1 thread) against the shifted windows it replaces:
// 64->64 on 8x8 planes 7.4 -> 5.4-5.9 ms, 128->128 on 4x4 6.7-7.9 -> 4.5-4.9 ms; on 16x16
// planes (ResNet-20's 32->32) 7.0 -> 8.5 ms, slower (many tiles, 32 x 32 GEMMs), so planes
// up to 8x8. (2x2 and 1x1 planes go to conv2d_dense_cpu.cc first.)
bool conv2d_winograd_backward_weight_applies(const Conv2dShape& s) {
  return conv2d_winograd_applies(s) && std::min(s.c, s.k) >= 32 && std::max(s.c, s.k) <= 256 && s.p * s.q <= 8 * 8;
}

Status conv2d_winograd_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  if (!conv2d_winograd_applies(s))
    return LB_FAIL("conv2d: Winograd backward weight needs a 3x3 kernel, stride 1, dilation 1 and one group");
  if (s.n == 0) {
    std::fill(dw, dw + s.k * s.c * 9, 0.0f);
    return Status::Ok();
  }
  return WeightPlan(s).run(x, dy, dw);
}

Status conv2d_winograd_forward(const Conv2dShape& s, int tile, const float* x, const float* w, bool adjoint,
                               const float* bias, float* y) {
  if (!conv2d_winograd_applies(s) || (tile != 2 && tile != 4))
    return LB_FAIL("conv2d: Winograd F(2x2 or 4x4, 3x3) needs a 3x3 kernel, stride 1, dilation 1 and one group, got tile " +
                   std::to_string(tile));
  if (s.n == 0) return Status::Ok();
  const SgemmMicroKernel& kern = sgemm_selected_kernel();
  return tile == 2 ? Plan<F2>(s, kern).run(x, w, adjoint, bias, y) : Plan<F4>(s, kern).run(x, w, adjoint, bias, y);
}

}  // namespace lb
