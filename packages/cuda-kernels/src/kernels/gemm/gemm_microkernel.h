// SGEMM internals shared by the driver (gemm_cpu.cc), the micro-kernels
// (gemm_{avx512,avx2,portable}_cpu.cc) and the dev tests and benchmarks (dev/gemm/).
//
// A micro-kernel computes one MR x NR tile of C from packed panels:
//   a: MR floats per k step (rows of op(A)), kc steps, zero-padded past the last row;
//   b: NR floats per k step (columns of op(B)), kc steps, zero-padded past the last column;
//   c: row-major with row stride ldc; only the first `rows` x `cols` entries are touched:
//   C = alpha * a·b + beta * C, and with beta == 0 C is written without being read.
#pragma once
#include <cstdint>

namespace lb {

using SgemmTileFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols,
                             float alpha, float beta);
// The same for a full-width tile (NR columns) of op(B) read in place, unpacked: its k step p
// is the NR floats at b + b_off[p]. Packing op(B) costs about as much as the multiply when
// C has few rows (each packed value then serves only m / MR tiles), so the driver skips it.
using SgemmDirectTileFn = void (*)(int64_t kc, const float* a, const float* b, const int64_t* b_off, float* c,
                                   int64_t ldc, int rows, float alpha, float beta);

// An MR x NR tile of the sum over taps t < taps of A_t B_t, each a product over depth
// steps, into tile (MR rows of NR floats, 64-byte aligned, overwritten): row i of A_t is
// the depth floats at rows[i] + a_off[t], read in place (a convolution's input pixels in
// channels-last layout, so no im2col is built or packed), and B_t is packed as op(B) is
// (NR floats a step, 64-byte aligned) at b + b_off[t]. Used by the indirect convolution
// (conv2d_indirect_cpu.cc).
using SgemmIndirectTileFn = void (*)(int64_t taps, int64_t depth, int64_t step, const float* const* rows, const int64_t* a_off,
                                     const float* b, const int64_t* b_off, float* tile);

// An MR x NR tile of the sum over depth steps p < depth of A[:, p] B[p, :] into tile (MR rows
// of NR floats, 64-byte aligned, overwritten), both operands read in place: A[i, p] is
// rows[i][a_off[p]] (a convolution's input at tap i's pixel p), B's step p the NR floats at
// b + b_off[p] (a channels-last dY's row). Used by backward weights over few input channels,
// whose taps are the tile's rows (conv2d_indirect_cpu.cc).
using SgemmGatherTileFn = void (*)(int64_t depth, const float* const* rows, const int64_t* a_off, const float* b,
                                   const int64_t* b_off, float* tile);

// The indirect and gather tiles of a Rows x (Vecs vectors of Vec) micro-kernel, written once
// with GCC's vector extensions: each ISA's file calls them from a function compiled for its
// target, into which they inline, so that Vec's operations become that ISA's broadcasts and
// FMAs (AVX-512: 16 zmm accumulators, as its packed tile).
template <int Rows, int Vecs, typename Vec>
struct IndirectTile {
  static constexpr int kLanes = static_cast<int>(sizeof(Vec) / sizeof(float)), kCols = kLanes * Vecs;
  Vec acc[Rows][Vecs];

  [[gnu::always_inline]] void zero() {
#pragma GCC unroll 16
    for (int i = 0; i < Rows; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < Vecs; ++v) acc[i][v] = Vec{};
  }
  // acc[i] += a[i][off] * b[0 .. kCols) for every row i.
  [[gnu::always_inline]] void step(const float* const* a, int64_t off, const float* b) {
    Vec bv[Vecs];
#pragma GCC unroll 4
    for (int v = 0; v < Vecs; ++v) __builtin_memcpy(&bv[v], b + kLanes * v, sizeof(Vec));
#pragma GCC unroll 16
    for (int i = 0; i < Rows; ++i) {
      const float ai = a[i][off];
#pragma GCC unroll 4
      for (int v = 0; v < Vecs; ++v) acc[i][v] += ai * bv[v];
    }
  }
  [[gnu::always_inline]] void store(float* tile) const {
#pragma GCC unroll 16
    for (int i = 0; i < Rows; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < Vecs; ++v) __builtin_memcpy(tile + i * kCols + kLanes * v, &acc[i][v], sizeof(Vec));
  }

  // SgemmIndirectTileFn.
  [[gnu::always_inline]] static void indirect(int64_t taps, int64_t depth, int64_t step, const float* const* rows,
                                              const int64_t* a_off, const float* b, const int64_t* b_off, float* tile) {
    IndirectTile t;
    t.zero();
    for (int64_t tap = 0; tap < taps; ++tap) {
      const float* a[Rows];
#pragma GCC unroll 16
      for (int i = 0; i < Rows; ++i) a[i] = rows[i] + a_off[tap];
      const float* bt = b + b_off[tap];
      for (int64_t p = 0; p < depth; ++p) t.step(a, p * step, bt + p * kCols);
    }
    t.store(tile);
  }
  // SgemmGatherTileFn.
  [[gnu::always_inline]] static void gather(int64_t depth, const float* const* rows, const int64_t* a_off, const float* b,
                                            const int64_t* b_off, float* tile) {
    IndirectTile t;
    t.zero();
    const float* a[Rows];
#pragma GCC unroll 16
    for (int i = 0; i < Rows; ++i) a[i] = rows[i];
    for (int64_t p = 0; p < depth; ++p) t.step(a, a_off[p], b + b_off[p]);
    t.store(tile);
  }
};

struct SgemmMicroKernel {
  const char* name;  // "avx512", "avx2" or "portable"
  int mr, nr;
  SgemmTileFn tile;
  SgemmDirectTileFn tile_direct;
  SgemmIndirectTileFn tile_indirect;
  SgemmGatherTileFn tile_gather;
};

// Cache blocking of the driver: panels of kc steps, op(B) blocks of nc columns (kept in
// L2 while the micro-kernel streams them), op(A) blocks of mc rows.
struct SgemmBlocking {
  int64_t mc, kc, nc;
};

// Each returns nullptr when this CPU (or this build's architecture) cannot run it.
const SgemmMicroKernel* sgemm_avx512_kernel();
const SgemmMicroKernel* sgemm_avx2_kernel();
const SgemmMicroKernel& sgemm_portable_kernel();

// The micro-kernel sgemm uses: the widest this CPU runs, or the one named by the
// environment variable LARGEBATCH_SGEMM_KERNEL=avx512|avx2|portable (read once; a name
// this CPU cannot run, or an unknown one, falls back to the automatic choice).
const SgemmMicroKernel& sgemm_selected_kernel();

// The micro-kernel whose tiles pad a product least by work(kernel) (the multiplies it
// computes): the selected one, or AVX2's 6 x 16 where that is less. With 16 channels
// AVX-512's 8 x 32 tiles compute twice the useful work, at about the same rate per FMA on
// Zen 4 (a ymm FMA does half a zmm one's work, and two issue per cycle).
template <typename Work>
const SgemmMicroKernel& sgemm_least_padding(const Work& work) {
  const SgemmMicroKernel& selected = sgemm_selected_kernel();
  const SgemmMicroKernel* narrow = sgemm_avx2_kernel();
  return narrow && work(*narrow) < work(selected) ? *narrow : selected;
}

// The blocking sgemm uses, tuned on this project's machines (dev/gemm/README.md).
SgemmBlocking sgemm_default_blocking();

// sgemm with an explicit micro-kernel and blocking, still spread over the thread pool.
void sgemm_with(const SgemmMicroKernel& kernel, const SgemmBlocking& blocking, bool trans_a, bool trans_b, int64_t m,
                int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                float* c, int64_t ldc);

// dst[panel][t][i] = src[(panel * w + i) * ld + t] for t < len, i < w: `count` rows of len
// floats, ld apart, dealt into panels of w rows interleaved step by step (a micro-kernel's
// packed layout of a transposed operand), rows past count reading 0. 8 x 8 blocks are
// transposed in registers (AVX-512/AVX2 clones). Used by the driver's packing and by the
// shifted-window convolution's backward weight.
void sgemm_interleave(const float* src, int64_t ld, int64_t count, int64_t len, int w, float* dst);

// sgemm_batched_columns (gemm.h) with an explicit micro-kernel and blocking.
struct BatchedColumns;
void sgemm_batched_columns(const SgemmMicroKernel& kernel, const SgemmBlocking& blocking, bool trans_a, bool trans_b,
                           int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                           const BatchedColumns* a_cols, const float* b, int64_t ldb, const BatchedColumns* b_cols,
                           float beta, float* c, int64_t ldc, const BatchedColumns* c_cols);

}  // namespace lb
