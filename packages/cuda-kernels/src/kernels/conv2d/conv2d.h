// 2-d convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW, contiguous:
//   y[n, k, p, q] = bias[k] + sum_{c, r, s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw]
//                                          * w[k, c, r, s]
// with g = k / Kg the group of output channel k, Cg = C / groups, Kg = K / groups, and
// out-of-range input positions reading 0. Layouts: x [N, C, H, W], w [K, Cg, R, S],
// y [N, K, P, Q], bias [K]. The two gradients are
//   backward data:   dx = sum over (k, r, s) of dy scattered back through the same index map
//   backward weight: dw[k, c, r, s] = sum_{n, p, q} dy[n, k, p, q] * x[n, ...], dbias[k] = sum dy[n, k, :, :]
// float32 and float64. conv2d_cpu.cc implements them on the CPU, conv2d_cuda.cu on the GPU
// (an implicit GEMM; same results to rounding, deterministic). Bench: bench/conv.ts.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "../../core/dtype.h"
#include "../../core/status.h"
#include "../../core/thread_pool.h"

namespace lb {

struct Conv2dShape {
  int64_t n, c, h, w;  // input
  int64_t k, r, s;     // output channels, kernel height and width
  int64_t p, q;        // output height and width
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
};

// Ok when every size is positive (n may be 0), groups divides c and k, and p and q are
// the output sizes the other fields imply (so no kernel position can read out of range).
Status conv2d_check(const Conv2dShape& s);

// y = conv(x, w) (+ bias when bias is not null).
Status conv2d_forward_cpu(DType type, const Conv2dShape& s, const void* x, const void* w, const void* bias, void* y);
// dx = the gradient of sum(y * dy) with respect to x (dx is overwritten).
Status conv2d_backward_data_cpu(DType type, const Conv2dShape& s, const void* dy, const void* w, void* dx);
// dw and dbias (each may be null) = the gradients with respect to w and bias (overwritten).
Status conv2d_backward_weight_cpu(DType type, const Conv2dShape& s, const void* x, const void* dy, void* dw,
                                  void* dbias);

// The same on the GPU: every pointer is device memory, stream a cudaStream_t (null: the
// default stream); the kernels are queued, nothing waits for them. Backward weight splits
// the depth of some shapes' GEMMs and sums the splits' partial results in a workspace of
// conv2d_backward_weight_cuda_workspace bytes (0: none needed; the caller allocates it, in
// stream order, so that the device's memory counter sees it).
Status conv2d_forward_cuda(DType type, const Conv2dShape& s, const void* x, const void* w, const void* bias, void* y,
                           void* stream);
Status conv2d_backward_data_cuda(DType type, const Conv2dShape& s, const void* dy, const void* w, void* dx,
                                 void* stream);
size_t conv2d_backward_weight_cuda_workspace(DType type, const Conv2dShape& s);
Status conv2d_backward_weight_cuda(DType type, const Conv2dShape& s, const void* x, const void* dy, void* dw,
                                   void* dbias, void* workspace, void* stream);

// Copies n values from src to dst (not overlapping) in an inline, vectorised loop: the rows
// and planes of small convolution planes are runs of 1 to 16 values, and as std::copy each
// was a library call (memmove) that cost more than the copy (GCC 12 keeps this loop inline).
template <typename T>
inline void copy_values(const T* src, int64_t n, T* dst) {
  for (int64_t j = 0; j < n; ++j) dst[j] = src[j];
}
// dst[j] = src[j * stride] for n values: the row gathers of strided convolutions. Stride 2
// has its own loop, whose constant stride GCC vectorises (loads and shuffles), SSE2 included.
template <typename T>
[[gnu::always_inline]] inline void gather_values(const T* __restrict src, int64_t stride, int64_t n, T* __restrict dst) {
  if (stride == 1) {
    copy_values(src, n, dst);
  } else if (stride == 2) {
    for (int64_t j = 0; j < n; ++j) dst[j] = src[2 * j];
  } else {
    for (int64_t j = 0; j < n; ++j) dst[j] = src[j * stride];
  }
}

// Float32 convolutions as an implicit GEMM over shifted windows of a padded copy of the
// input (conv2d_shifted_cpu.cc), which the *_cpu functions above call where
// conv2d_shifted_fits (forward, or backward weight) holds.
bool conv2d_shifted_fits(const Conv2dShape& s, bool backward_weight);
Status conv2d_shifted_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
Status conv2d_shifted_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw);

// c [m, n] (+= when add) = a [m, k] (rows lda apart) times the rows b + b_rows[j] (k floats
// each) transposed, as m*n dot products vectorised along k (conv2d_shifted_cpu.cc): for
// backward weights with few outputs over a long depth (a 3-channel stem's: 16 x 27 over
// 10^5 steps), where sgemm packs every row transposed into its tiles for few products per
// packed value. Up to kConv2dMaxDotOutputs outputs it measured faster than sgemm.
constexpr int64_t kConv2dMaxDotOutputs = 1024;
void conv2d_dot_rows(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, const int64_t* b_rows,
                     bool add, float* c);

// Float32 3x3 stride-1 convolutions by Winograd's F(m x m, 3x3), m = tile = 2 or 4
// (conv2d_winograd_cpu.cc). conv2d_winograd_applies: the shapes it computes (3x3, stride 1,
// dilation 1, one group, any padding); conv2d_winograd_tile: the m that measured fastest
// for a shape, or 0 where the other paths did, which conv2d_forward_cpu (and so the
// adjoint backward data) follows.
// w is s's kernel [K, C, 3, 3], or with adjoint the kernel [C, K, 3, 3] of the
// convolution whose adjoint s is, read flipped and transposed (backward data with no
// flipped copy).
bool conv2d_winograd_applies(const Conv2dShape& s);
int conv2d_winograd_tile(const Conv2dShape& s);
Status conv2d_winograd_forward(const Conv2dShape& s, int tile, const float* x, const float* w, bool adjoint,
                               const float* bias, float* y);
// dw by F(2x2, 3x3) (the forward's transforms' adjoints, 16 GEMMs over the tiles), where
// conv2d_winograd_backward_weight_applies: 32 to 256 channels on planes up to 8x8.
bool conv2d_winograd_backward_weight_applies(const Conv2dShape& s);
Status conv2d_winograd_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw);

// Float32 convolutions whose window, at every output position, covers the whole input plane
// (dilation 1, a kernel larger than 1x1; ResNet-50's 3x3 padding-1 layers on 2x2 planes):
// per image a dense matrix over the flattened planes, so each pass is one GEMM over the batch
// (conv2d_dense_cpu.cc). Backward weight stages that matrix's gradient, so it applies up to
// a size (conv2d_dense_backward_weight_applies); dbias is left to the caller.
bool conv2d_dense_applies(const Conv2dShape& s);
bool conv2d_dense_backward_weight_applies(const Conv2dShape& s);
Status conv2d_dense_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
Status conv2d_dense_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx);
Status conv2d_dense_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw);

// Float32 convolutions as an indirect GEMM (conv2d_indirect_cpu.cc): the micro-kernel reads
// each result pixel's input channels in place through a pointer per tap, result pixels
// grouped by their live taps so that no padding is multiplied (and backward data of strided
// convolutions sums each phase of dx from its own taps, with no col2im); backward weight
// reads a channels-last copy of x in place, or over fewer than 16 channels in (the stems) x
// itself with the taps as the tiles' rows. *_applies: the shapes where it measured faster
// than the other paths (strided kernels above 1x1 and those on planes of 16 values or
// fewer, one group; backward data from 16 channels in and out; backward weight of strided
// ones from 16 channels in on planes up to 16x16, and of kernels above 1x1 over fewer
// channels in), up to a scratch bound.
bool conv2d_indirect_forward_applies(const Conv2dShape& s);
Status conv2d_indirect_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);
bool conv2d_indirect_backward_data_applies(const Conv2dShape& s);
Status conv2d_indirect_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx);
bool conv2d_indirect_backward_weight_applies(const Conv2dShape& s);
Status conv2d_indirect_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw);
bool conv2d_indirect_stem_backward_weight_applies(const Conv2dShape& s);
Status conv2d_indirect_stem_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw);

// y [n, k, pq] += bias per channel, over the pool (inline inside a pool task).
template <typename T>
inline void conv2d_add_bias(const T* bias, int64_t n, int64_t k, int64_t pq, T* y) {
  parallel_for(n * k, std::max<int64_t>(1, 8192 / pq), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      T* plane = y + i * pq;
      const T v = bias[i % k];
      for (int64_t j = 0; j < pq; ++j) plane[j] += v;
    }
  });
}

// Float32 scratch of count values, allocated up front so that a failure is a Status, not an
// exception; *at is its start rounded up to 64 bytes (packed micro-kernel operands need
// aligned loads).
Status aligned_scratch(int64_t count, std::unique_ptr<float[]>* out, float** at);

}  // namespace lb
