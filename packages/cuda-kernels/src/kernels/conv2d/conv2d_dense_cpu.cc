// Float32 convolutions whose window, at every output position, covers the whole input
// plane (conv2d.h: conv2d_dense_applies), such as ResNet-50's 3x3 padding-1 layers on 2x2
// planes. Every output pixel o then reads every input pixel i, through the kernel position
//   tap(o, i) = (ih + ph - oh*sh) * S + (iw + pw - ow*sw),
// so per image the convolution is the dense matrix M [K*PQ, C*HW] over the flattened planes,
// M[(k, o), (c, i)] = w[k, c, tap(o, i)], and the batch is one GEMM over the tensors as they
// lie: Y [N, K*PQ] = X [N, C*HW] M^T. Its flops are exactly the useful ones (no padding, no
// unfolding), where im2col multiplied mostly padding on these planes and Winograd's
// transforms cost more than its saved multiplies (dev/conv).
// M is never built: tap(o, i) = in_off(i) + out_off(o) with
//   in_off(i)  = (ih + ph - (P-1)*sh) * S + (iw + pw - (Q-1)*sw)
//   out_off(o) = (P-1-oh)*sh * S + (Q-1-ow)*sw,
// both at least 0 where the window covers the plane, so the GEMM reads M's entries from w
// through separable offsets (sgemm_indexed). Backward data is X's gradient
// dX [N, C*HW] = dY M, the same offsets with rows and columns swapped; backward weight
// computes dM = dY^T X and sums its entries into the taps they came from.
#include <algorithm>
#include <memory>
#include <vector>

#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "conv2d.h"

namespace lb {
namespace {

// dM above this many floats (64 MiB) is not worth staging: backward weight keeps the other paths.
constexpr int64_t kMaxDenseGradient = int64_t(1) << 24;

// The offsets of M's entries in w (of group 0): in_offsets over (c, i) for the Cg channels
// of a group, out_offsets over (k, o) for its Kg.
struct DenseOffsets {
  std::vector<int64_t> in_offsets, out_offsets;

  explicit DenseOffsets(const Conv2dShape& s) {
    const int64_t cg = s.c / s.groups, kg = s.k / s.groups, rs = s.r * s.s;
    in_offsets.reserve(static_cast<size_t>(cg * s.h * s.w));
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t ih = 0; ih < s.h; ++ih)
        for (int64_t iw = 0; iw < s.w; ++iw)
          in_offsets.push_back(c * rs + (ih + s.pad_h - (s.p - 1) * s.stride_h) * s.s + iw + s.pad_w - (s.q - 1) * s.stride_w);
    out_offsets.reserve(static_cast<size_t>(kg * s.p * s.q));
    for (int64_t k = 0; k < kg; ++k)
      for (int64_t oh = 0; oh < s.p; ++oh)
        for (int64_t ow = 0; ow < s.q; ++ow)
          out_offsets.push_back(k * cg * rs + (s.p - 1 - oh) * s.stride_h * s.s + (s.q - 1 - ow) * s.stride_w);
  }
};

// Along one axis, whether the window at every output position covers the whole input:
// out_off and in_off above are then never negative and every tap lands inside the kernel.
bool covers(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
  return dil == 1 && (out - 1) * stride <= pad && in - 1 + pad <= kernel - 1;
}

// Per group g, out_g [N, n] = in_g [N, depth] times the block of M read from w at
// rows[p] + cols[j]: the forward (in = x, out = y) and, with rows and columns swapped, the
// backward data (in = dy, out = dx). A group's columns of in and out start depth and n
// values apart; rows (images) lie in_ld and out_ld apart.
void dense_product(const Conv2dShape& s, const float* in, int64_t depth, int64_t in_ld, const float* w,
                   const std::vector<int64_t>& rows, const std::vector<int64_t>& cols, float* out, int64_t n,
                   int64_t out_ld) {
  const int64_t group_weights = (s.k / s.groups) * (s.c / s.groups) * s.r * s.s;
  for (int64_t grp = 0; grp < s.groups; ++grp)
    sgemm_indexed(s.n, n, depth, 1.0f, {in + grp * depth, in_ld}, {w + grp * group_weights, 0, rows.data(), cols.data()},
                  0.0f, {out + grp * n, out_ld});
}

}  // namespace

bool conv2d_dense_applies(const Conv2dShape& s) {
  return s.r * s.s > 1 && covers(s.h, s.p, s.r, s.stride_h, s.pad_h, s.dil_h) &&
         covers(s.w, s.q, s.s, s.stride_w, s.pad_w, s.dil_w);
}

bool conv2d_dense_backward_weight_applies(const Conv2dShape& s) {
  return conv2d_dense_applies(s) && (s.k / s.groups) * s.p * s.q * (s.c / s.groups) * s.h * s.w <= kMaxDenseGradient;
}

Status conv2d_dense_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  const DenseOffsets d(s);
  const int64_t cg = s.c / s.groups, kg = s.k / s.groups, hw = s.h * s.w, pq = s.p * s.q;
  dense_product(s, x, cg * hw, s.c * hw, w, d.in_offsets, d.out_offsets, y, kg * pq, s.k * pq);
  if (bias) conv2d_add_bias(bias, s.n, s.k, pq, y);
  return Status::Ok();
}

Status conv2d_dense_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const DenseOffsets d(s);
  const int64_t cg = s.c / s.groups, kg = s.k / s.groups, hw = s.h * s.w, pq = s.p * s.q;
  dense_product(s, dy, kg * pq, s.k * pq, w, d.out_offsets, d.in_offsets, dx, cg * hw, s.c * hw);
  return Status::Ok();
}

Status conv2d_dense_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  const DenseOffsets d(s);
  const int64_t cg = s.c / s.groups, kg = s.k / s.groups, hw = s.h * s.w, pq = s.p * s.q, rs = s.r * s.s;
  std::unique_ptr<float[]> buffer;
  float* dm = nullptr;  // dM of one group, [Kg*PQ, Cg*HW]
  LB_RETURN_IF_FAILED(aligned_scratch(kg * pq * cg * hw, &buffer, &dm));
  for (int64_t grp = 0; grp < s.groups; ++grp) {
    sgemm(true, false, kg * pq, cg * hw, s.n, 1.0f, dy + grp * kg * pq, s.k * pq, x + grp * cg * hw, s.c * hw, 0.0f, dm,
          cg * hw);
    // dw[k, c, tap] = the sum of dM's entries with that tap, row by row of dM (in order, so
    // the sums do not depend on the threads); each k's weights stay in L1.
    float* dwg = dw + grp * kg * cg * rs;
    parallel_for(kg, 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        float* dwk = dwg + k * cg * rs;
        std::fill(dwk, dwk + cg * rs, 0.0f);
        for (int64_t o = 0; o < pq; ++o) {
          const float* row = dm + (k * pq + o) * cg * hw;
          float* base = dwg + d.out_offsets[k * pq + o];  // the tap offsets of row o, for channel 0
          for (int64_t ci = 0; ci < cg * hw; ++ci) base[d.in_offsets[ci]] += row[ci];
        }
      }
    });
  }
  return Status::Ok();
}

}  // namespace lb
