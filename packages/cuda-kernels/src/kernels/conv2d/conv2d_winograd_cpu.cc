// Float32 3x3 stride-1 convolutions (conv2d.h) by Winograd's minimal filtering F(2x2, 3x3)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 tile
// of output comes from the 4x4 tile of padded input under it as
//   Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A,
// 16 multiplies per (input, output) channel pair where the direct convolution does 36.
// Summed over input channels, each of the 16 elements e of a tile is a GEMM:
//   U[e] [K, C] = (G g Gᵀ)[e]   every kernel, once per call
//   V[e] [C, T] = (Bᵀ d B)[e]   every input tile of a block of T tiles
//   M[e] [K, T] = U[e] V[e]     16 GEMMs per block
//   y           = Aᵀ M A + bias per tile, cut at the edge of odd planes
// The transforms write U and V straight in the SGEMM micro-kernel's packed layouts
// (gemm_microkernel.h: U as op(A), MR rows per k step; V as op(B), NR tiles per k step),
// and the micro-kernel runs on them directly: the driver would pack both again. A block is
// whole images (their tiles in order: image, tile row, tile column), sized so that V and M
// stay in L2; each thread takes a run of blocks with its own V and M.
// Rounding: the transforms add and halve values before and after the multiply, so errors
// run above the direct convolution's (max |error| / max |y| below 3e-7 against float64 on
// random data: test/emu/conv2d_winograd_test.cc).
// Bench: `make -C dev/conv bench` (per shape), `pnpm --filter @largebatch/bench conv`.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "../../core/thread_pool.h"
#include "../gemm/gemm_microkernel.h"
#include "conv2d.h"

namespace lb {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

constexpr int kTile = 4;                    // input tile side (output tile 2 + kernel 3 - 1)
constexpr int kElems = kTile * kTile;       // elements e of a transformed tile
// A block's V and M together in at most this many floats: half of this machine's 1 MiB L2.
constexpr int64_t kBlockFloats = int64_t(1) << 17;

// The transforms run on T = float (one tile) or Vec4 (four neighbouring tiles of a row, in
// SSE lanes: x86-64's baseline, which the CPU kernels are compiled for), by one template.
typedef float Vec4 __attribute__((vector_size(16)));
typedef int Int4 __attribute__((vector_size(16)));

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

// row[2j] = a[j], row[2j + 1] = b[j] over T's lanes.
inline void store_pairs(float* row, float a, float b) {
  row[0] = a;
  row[1] = b;
}
inline void store_pairs(float* row, Vec4 a, Vec4 b) {
  store(row, __builtin_shuffle(a, b, Int4{0, 4, 1, 5}));
  store(row + 4, __builtin_shuffle(a, b, Int4{2, 6, 3, 7}));
}

// The 1-d transforms, applied along the rows of a tile and then along its columns.
// Bᵀ d: the input tile's 4 values into 4.
template <typename T>
inline void input_1d(T d0, T d1, T d2, T d3, T* o) {
  o[0] = d0 - d2;
  o[1] = d1 + d2;
  o[2] = d2 - d1;
  o[3] = d1 - d3;
}

// G g: a kernel row's 3 values into 4.
inline void kernel_1d(float g0, float g1, float g2, float* o) {
  o[0] = g0;
  o[1] = 0.5f * (g0 + g1 + g2);
  o[2] = 0.5f * (g0 - g1 + g2);
  o[3] = g2;
}

// Aᵀ m: 4 products into the 2 outputs.
template <typename T>
inline void output_1d(T m0, T m1, T m2, T m3, T* o) {
  o[0] = m0 + m1 + m2;
  o[1] = m1 - m2 - m3;
}

// Bᵀ d B of the tiles at tx (T's lanes: tx, tx + 1, ...) of a row of tiles, from the rows
// of its split copy (split_plane: even columns ev, odd od, rows hw apart), into
// dst[tx + e*estride] for the 16 elements e.
template <typename T>
__attribute__((always_inline)) inline void input_tiles(const float* ev, const float* od, int64_t hw, int64_t tx, float* dst, int64_t estride) {
  T d[kTile][kTile], bd[kTile][kTile];  // d, then Bᵀ d (columns 2tx .. 2tx + 3: ev[tx], od[tx], ev[tx + 1], od[tx + 1])
  for (int r = 0; r < kTile; ++r) {
    d[r][0] = load<T>(ev + r * hw + tx);
    d[r][1] = load<T>(od + r * hw + tx);
    d[r][2] = load<T>(ev + r * hw + tx + 1);
    d[r][3] = load<T>(od + r * hw + tx + 1);
  }
  for (int j = 0; j < kTile; ++j) {
    T col[kTile];
    input_1d(d[0][j], d[1][j], d[2][j], d[3][j], col);
    for (int r = 0; r < kTile; ++r) bd[r][j] = col[r];
  }
  for (int r = 0; r < kTile; ++r) {
    T out[kTile];
    input_1d(bd[r][0], bd[r][1], bd[r][2], bd[r][3], out);
    for (int j = 0; j < kTile; ++j) store(dst + tx + (kTile * r + j) * estride, out[j]);
  }
}

// out = Aᵀ m A of the tiles at tx of a row of tiles in M (element e at m[tx + e*estride]).
template <typename T>
__attribute__((always_inline)) inline void output_tiles(const float* m, int64_t estride, int64_t tx, T out[2][2]) {
  T am[2][kTile];  // Aᵀ m
  for (int j = 0; j < kTile; ++j) {
    T col[2];
    output_1d(load<T>(m + tx + j * estride), load<T>(m + tx + (kTile + j) * estride),
              load<T>(m + tx + (2 * kTile + j) * estride), load<T>(m + tx + (3 * kTile + j) * estride), col);
    am[0][j] = col[0];
    am[1][j] = col[1];
  }
  for (int r = 0; r < 2; ++r) output_1d(am[r][0], am[r][1], am[r][2], am[r][3], out[r]);
}

// Output rows row0 and (when two_rows) row1, columns 2tx and 2tx + 1, from the tiles at tx
// plus bias.
template <typename T>
__attribute__((always_inline)) inline void store_tiles(const float* m, int64_t estride, int64_t tx, float bias, float* row0, float* row1, bool two_rows) {
  T out[2][2];
  output_tiles(m, estride, tx, out);
  store_pairs(row0 + 2 * tx, out[0][0] + bias, out[0][1] + bias);
  if (two_rows) store_pairs(row1 + 2 * tx, out[1][0] + bias, out[1][1] + bias);
}

// The stride between the 16 elements' matrices of V and of M: each transformed tile is
// written (V) or read (M) as 16 values one stride apart, and with a stride of a multiple of
// 4 KiB (a power-of-two block of tiles and channels) all 16 fall into one set of L1 and
// evict one another (16->16 on 32x32 planes ran 3x slower). An odd number of cache lines
// puts them in 16 different sets.
int64_t skewed(int64_t floats) {
  const int64_t lines = ceil_div(floats, 16);
  return (lines | 1) * 16;
}

struct Plan {
  const Conv2dShape& s;
  int64_t mr, nr;
  int64_t th, tw, tiles;  // tile rows and columns of an image, and their product
  int64_t bh;             // rows of the zero-bordered copy of a plane: pixel (h, w) at (h + pad_h, w + pad_w)
  int64_t per_block, blocks, workers;
  int64_t ld;      // columns of M[e]: a full block's tiles, rounded up to NR
  int64_t panel;   // floats of one NR-tile panel of V[e] (C k steps), rounded up to keep 64-byte alignment
  int64_t ku;      // rows of packed U[e]: K rounded up to MR

  Plan(const Conv2dShape& shape, const SgemmMicroKernel& kern) : s(shape), mr(kern.mr), nr(kern.nr) {
    th = ceil_div(s.p, 2);
    tw = ceil_div(s.q, 2);
    tiles = th * tw;
    // Tile (ty, tx) reads rows 2ty .. 2ty + 3 and columns 2tx .. 2tx + 3 of the copy, so it
    // holds 2 th + 2 rows and 2 tw + 2 columns; every input row fits, since
    // 2 th + 2 >= P + 2 = H + 2 pad_h, and likewise every column.
    bh = 2 * th + 2;
    const int64_t threads = num_threads();
    const int64_t fit = kBlockFloats / (kElems * (s.c + s.k) * tiles);
    per_block = std::max<int64_t>(1, std::min(fit, ceil_div(s.n, threads)));
    blocks = ceil_div(s.n, per_block);
    workers = std::min(threads, blocks);
    ld = round_up(per_block * tiles, nr);
    panel = round_up(s.c * nr, 16);
    ku = round_up(s.k, mr);
  }

  int64_t u_size() const { return kElems * ku * s.c; }
  int64_t v_element() const { return skewed(ld / nr * panel); }
  int64_t v_size() const { return kElems * v_element(); }
  int64_t m_element() const { return skewed(s.k * ld); }
  int64_t m_size() const { return kElems * m_element(); }
  int64_t buf_size() const { return round_up(2 * bh * (tw + 1), 16); }
  int64_t per_worker() const { return v_size() + m_size() + buf_size(); }  // each a multiple of 16 floats

  // U[e] packed as op(A): element e, row k, channel c at e*ku*C + (k / MR)*C*MR + c*MR + k % MR;
  // rows K .. ku zero.
  void transform_kernels(const float* w, float* u) const {
    std::fill(u, u + u_size(), 0.0f);
    parallel_for(s.k, 8, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k)
        for (int64_t c = 0; c < s.c; ++c) {
          const float* g = w + (k * s.c + c) * 9;
          float gg[3][kTile];  // (G g)ᵀ: column j of g transformed
          for (int j = 0; j < 3; ++j) kernel_1d(g[j], g[3 + j], g[6 + j], gg[j]);
          float* dst = u + (k / mr) * s.c * mr + c * mr + k % mr;
          for (int r = 0; r < kTile; ++r) {
            float out[kTile];
            kernel_1d(gg[0][r], gg[1][r], gg[2][r], out);
            for (int j = 0; j < kTile; ++j) dst[(kTile * r + j) * ku * s.c] = out[j];
          }
        }
    });
  }

  // Copies plane [H, W] into the interior of buf, split by the parity of the padded column
  // X = w + pad_w: E [bh, tw + 1] holds the even X at X / 2, O (after it) the odd. Tile tx
  // then reads columns 2tx .. 2tx + 3 as E[tx], O[tx], E[tx + 1], O[tx + 1]: unit steps
  // over tx, so a row of tiles transforms as vectors. The border stays zero.
  void split_plane(const float* plane, float* buf) const {
    const int64_t hw = tw + 1;
    float* odd = buf + bh * hw;
    // Per parity, the first w and how many: plain counted loops, which the compiler
    // vectorises (an index (w + pad_w) / 2 per value made this copy half the transform).
    const int64_t w_even = s.pad_w % 2, w_odd = 1 - w_even;
    const int64_t n_even = (s.w - w_even + 1) / 2, n_odd = (s.w - w_odd + 1) / 2;
    const int64_t at_even = (w_even + s.pad_w) / 2, at_odd = (w_odd + s.pad_w) / 2;
    for (int64_t h = 0; h < s.h; ++h) {
      const float* src = plane + h * s.w;
      float* ev = buf + (h + s.pad_h) * hw + at_even;
      float* od = odd + (h + s.pad_h) * hw + at_odd;
      for (int64_t j = 0; j < n_even; ++j) ev[j] = src[w_even + 2 * j];
      for (int64_t j = 0; j < n_odd; ++j) od[j] = src[w_odd + 2 * j];
    }
  }

  // V of images [n0, n0 + nb) packed as op(B): element e, channel c, tile t at
  // e*v_element + (t / NR)*panel + c*NR + t % NR; tiles past the block's last, up to the
  // next multiple of NR, zero. buf: split_plane's copy, its border zero on entry.
  void transform_input(const float* x, int64_t n0, int64_t nb, float* buf, float* v) const {
    const int64_t count = nb * tiles, estride = v_element(), hw = tw + 1;
    const float* odd = buf + bh * hw;
    for (int64_t c = 0; c < s.c; ++c) {
      for (int64_t i = 0; i < nb; ++i) {
        split_plane(x + ((n0 + i) * s.c + c) * s.h * s.w, buf);
        for (int64_t ty = 0; ty < th; ++ty) {
          const float* ev = buf + 2 * ty * hw;
          const float* od = odd + 2 * ty * hw;
          // The row's tiles are consecutive columns of V, in runs that end at a panel's edge.
          for (int64_t a = 0; a < tw;) {
            const int64_t t = i * tiles + ty * tw + a, len = std::min(tw - a, nr - t % nr);
            float* dst = v + t / nr * panel + c * nr + t % nr - a;
            int64_t tx = a;
            for (; tx + 4 <= a + len; tx += 4) input_tiles<Vec4>(ev, od, hw, tx, dst, estride);
            for (; tx < a + len; ++tx) input_tiles<float>(ev, od, hw, tx, dst, estride);
            a += len;
          }
        }
      }
      for (int64_t t = count; t < round_up(count, nr); ++t)
        for (int e = 0; e < kElems; ++e) v[e * estride + t / nr * panel + c * nr + t % nr] = 0.0f;
    }
  }

  // M[e] [K, ld] = U[e] V[e] over the block's count tiles.
  void multiply(const SgemmMicroKernel& kern, const float* u, const float* v, int64_t count, float* m) const {
    for (int e = 0; e < kElems; ++e) {
      const float* ue = u + e * ku * s.c;
      const float* ve = v + e * v_element();
      float* me = m + e * m_element();
      // A panel of V stays in L1 while U[e]'s panels stream past it from L2.
      for (int64_t jr = 0; jr < count; jr += nr)
        for (int64_t ir = 0; ir < s.k; ir += mr)
          kern.tile(s.c, ue + ir * s.c, ve + jr / nr * panel, me + ir * ld + jr, ld,
                    static_cast<int>(std::min(mr, s.k - ir)), static_cast<int>(std::min(nr, count - jr)), 1.0f, 0.0f);
    }
  }

  // y of images [n0, n0 + nb) = Aᵀ M A + bias, a row of tiles at a time (unit steps over
  // the tiles in M, so it transforms as vectors); past the edge of an odd plane the tiles'
  // second row or column is dropped.
  void transform_output(const float* m, const float* bias, int64_t n0, int64_t nb, float* y) const {
    const int64_t estride = m_element();
    for (int64_t k = 0; k < s.k; ++k) {
      const float b = bias ? bias[k] : 0.0f;
      for (int64_t i = 0; i < nb; ++i) {
        float* plane = y + ((n0 + i) * s.k + k) * s.p * s.q;
        for (int64_t ty = 0; ty < th; ++ty) {
          const float* mt = m + k * ld + i * tiles + ty * tw;
          float* row0 = plane + 2 * ty * s.q;
          float* row1 = row0 + s.q;
          const bool two_rows = 2 * ty + 1 < s.p;
          const int64_t full = s.q / 2;  // tiles whose two columns are inside
          int64_t tx = 0;
          for (; tx + 4 <= full; tx += 4) store_tiles<Vec4>(mt, estride, tx, b, row0, row1, two_rows);
          for (; tx < full; ++tx) store_tiles<float>(mt, estride, tx, b, row0, row1, two_rows);
          if (full < tw) {  // an odd Q: the last tile's first column only
            float out[2][2];
            output_tiles(mt, estride, full, out);
            row0[2 * full] = out[0][0] + b;
            if (two_rows) row1[2 * full] = out[1][0] + b;
          }
        }
      }
    }
  }
};

}  // namespace

bool conv2d_winograd_applies(const Conv2dShape& s) {
  return s.r == 3 && s.s == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dil_h == 1 && s.dil_w == 1 && s.groups == 1;
}

// Measured (dev/conv, CPU time, batch 128, 1 and 2 threads; against shifted windows or
// im2col + SGEMM): Winograd took 0.48-0.86x the time forward and backward data on the 3x3
// stride-1 layers of ResNet-50 and ResNet-20 with 32 to 256 channels on 16x16 to 2x2
// planes, and with 32 and 64 channels on 32x32 planes. It took longer with 16 channels on
// 16x16 and 32x32 planes (1.1x: the GEMMs' depth C is too short to pay for the
// transforms, and the direct path there is the efficient shifted one), with 3 input
// channels (1.7x), with 512 channels on 2x2 planes (1.35x: U[e] outgrows L2 and a block
// holds half a panel of tiles), on 7x7 planes (1.1x: partial edge tiles compute 1.3x the
// outputs; 3x3 planes 1.8x) and on 1x1 planes (20x: 8 of 9 taps read padding, which the
// direct path skips). Larger planes are unmeasured, and a block holds whole images.
bool conv2d_winograd_pays(const Conv2dShape& s) {
  return conv2d_winograd_applies(s) && std::min(s.c, s.k) >= 32 && std::max(s.c, s.k) <= 256 && s.p % 2 == 0 &&
         s.q % 2 == 0 && s.p * s.q <= 32 * 32;
}

Status conv2d_winograd_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (!conv2d_winograd_applies(s))
    return LB_FAIL("conv2d: Winograd F(2x2, 3x3) needs a 3x3 kernel, stride 1, dilation 1 and one group");
  if (s.n == 0) return Status::Ok();
  const SgemmMicroKernel& kern = sgemm_selected_kernel();
  const Plan plan(s, kern);
  std::unique_ptr<float[]> scratch;
  float* base = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(plan.u_size() + plan.per_worker() * plan.workers, &scratch, &base));
  float* u = base + plan.per_worker() * plan.workers;
  plan.transform_kernels(w, u);
  parallel_tasks(plan.workers, [&](int64_t wk) {
    float* v = base + wk * plan.per_worker();
    float* m = v + plan.v_size();
    float* buf = m + plan.m_size();
    std::fill(buf, buf + plan.buf_size(), 0.0f);
    for (int64_t blk = wk * plan.blocks / plan.workers; blk < (wk + 1) * plan.blocks / plan.workers; ++blk) {
      const int64_t n0 = blk * plan.per_block, nb = std::min(plan.per_block, s.n - n0);
      plan.transform_input(x, n0, nb, buf, v);
      plan.multiply(kern, u, v, nb * plan.tiles, m);
      plan.transform_output(m, bias, n0, nb, y);
    }
  });
  return Status::Ok();
}

}  // namespace lb
