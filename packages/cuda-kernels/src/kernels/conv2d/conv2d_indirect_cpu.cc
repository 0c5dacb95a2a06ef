// Float32 convolutions as an indirect GEMM (conv2d.h: conv2d_indirect_*), with no im2col
// and no multiply by padding. The pixels of the result are the GEMM's rows and its channels
// the columns:
//   Out^T [pixels, outs] = sum over live taps t of In_t [pixels, depth] W_t [depth, outs]
// where row i of In_t is the input pixel that tap t of result pixel i reads: its depth
// channels, which the micro-kernel reads in place through a pointer per row
// (SgemmMicroKernel::tile_indirect), while W_t is packed once per call like any op(B).
//   forward:       result y, input x, depth C, outs K; tap (r, s) of output (p, q) reads
//                  x at (p*sh - ph + r*dh, q*sw - pw + s*dw) when inside the image
//   backward data: result dx, input dy, depth K, outs C, W_t transposed; tap (r, s) of
//                  input pixel (h, w) reads dy at ((h + ph - r*dh) / sh, ...) when that
//                  divides exactly and lands inside dy: a strided convolution's dx, phase
//                  by phase (h % sh, w % sw), with no col2im
// Result pixels are grouped by their live taps (along each axis the (kernel position,
// input offset) pairs they read: on ResNet's small planes the border rows and columns, and
// for backward data the phases), so a tile of pixels sums exactly its live taps: on 8x8
// planes at stride 2 the im2col GEMM's multiplies were 16 % padding, on 4x4 planes 31 %.
// Images go in chunks: a chunk's tiles of Out^T fill a channels-last copy, turned into the
// NCHW result while it is still in L2.
// Backward weight, over the same groups: dW_t = dY^T X_t with X_t's rows read in place from
// a channels-last copy of x by the direct tile, or (fewer than 16 channels in, the stems)
// dW^T = X dY with the taps as the gather tile's rows, read from x itself.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../core/int_math.h"
#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../gemm/gemm_microkernel.h"
#include "conv2d.h"

namespace lb {
namespace {


// Inputs or results above this many floats (256 MiB) keep conv2d_cpu.cc's other paths:
// backward weight's channels-last copy of x is scratch the size of x.
constexpr int64_t kMaxScratch = int64_t(1) << 26;

// Along one axis: the result positions grouped by the taps they read. taps[c] lists class
// c's (kernel position, input offset from the position's first input) pairs, positions[c]
// its result positions; first[o] is result position o's first input index (the least it
// reads).
struct AxisClasses {
  using Taps = std::vector<std::pair<int64_t, int64_t>>;
  std::vector<Taps> taps;
  std::vector<std::vector<int64_t>> positions;  // per class
  std::vector<int64_t> first;

  // read(o) lists the (kernel position, input index) pairs of result position o.
  template <typename Read>
  AxisClasses(int64_t out, const Read& read) : first(static_cast<size_t>(out), 0) {
    for (int64_t o = 0; o < out; ++o) {
      Taps pairs = read(o);
      int64_t base = 0;
      if (!pairs.empty()) {
        base = pairs.front().second;
        for (const auto& pr : pairs) base = std::min(base, pr.second);
        for (auto& pr : pairs) pr.second -= base;
      }
      first[o] = base;
      size_t c = 0;
      while (c < taps.size() && taps[c] != pairs) ++c;
      if (c == taps.size()) {
        taps.push_back(pairs);
        positions.emplace_back();
      }
      positions[c].push_back(o);
    }
  }
};

// The pairs of forward output position o along an axis: kernel positions whose input
// o*stride - pad + k*dil lies in [0, in).
AxisClasses forward_axis(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
  return AxisClasses(out, [&](int64_t o) {
    AxisClasses::Taps pairs;
    for (int64_t k = 0; k < kernel; ++k)
      if (const int64_t i = o * stride - pad + k * dil; i >= 0 && i < in) pairs.emplace_back(k, i);
    return pairs;
  });
}

// The pairs of input position h along an axis for backward data: kernel positions k that
// output o = (h + pad - k*dil) / stride reaches h from, exactly and inside [0, out).
AxisClasses backward_axis(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
  return AxisClasses(in, [&](int64_t h) {
    AxisClasses::Taps pairs;
    for (int64_t k = 0; k < kernel; ++k) {
      const int64_t d = h + pad - k * dil;
      if (d >= 0 && d % stride == 0 && d / stride < out) pairs.emplace_back(k, d / stride);
    }
    return pairs;
  });
}

// One indirect convolution: the input [N, depth, in_h, in_w], the result [N, outs, out_h,
// out_w], the classes of result rows and columns, and where W_t's (depth d, out j) weight
// lies in w for tap t = r*S + s.
struct Problem {
  int64_t n, depth, in_h, in_w, outs, out_h, out_w, r, s;
  AxisClasses rows, cols;
  int64_t depth_step, out_step;  // w's offsets between consecutive depths and outs (same tap)
};

// The input's layout: NCHW as given (channel steps of H*W), or a channels-last copy (pixel
// steps of the depth, or more with rows padded, channel steps of 1).
struct Layout {
  bool channels_last;
  int64_t pixel_step, channel_step, image_step;
};

// For the forward and backward data: channels-last where planes are so small that a tile's
// pixels span several images, whose channel planes each cost a cache line per step: on
// ResNet-50's 4x4 planes the copy measured 22 % faster, on 8x8 ones 9 % slower (dev/conv, 1 thread).
Layout layout_of(const Problem& pb) {
  const int64_t plane = pb.in_h * pb.in_w;
  const bool last = plane <= 16;
  return {last, last ? pb.depth : 1, last ? 1 : plane, pb.depth * plane};
}

// Result pixels sharing their live taps, image by image (the same pixels in every image):
// image 0's pixels' first live inputs (in the input's layout) and rows of the channels-last
// result, the steps of both between images, and per live tap its input offset from the
// pixel's first and its index r*S + s.
struct Group {
  std::vector<int64_t> in0, out0, tap_in, tap;
  int64_t image_in = 0, image_out = 0;

  int64_t per_image() const { return static_cast<int64_t>(in0.size()); }
  // The offsets of pixels [first, first + count) (counted over all images) into in and out.
  void offsets(int64_t first, int64_t count, int64_t* in, int64_t* out) const {
    const int64_t per = per_image();
    for (int64_t i = 0, n = first / per, j = first % per; i < count; ++i) {
      in[i] = n * image_in + in0[j];
      out[i] = n * image_out + out0[j];
      if (++j == per) j = 0, ++n;
    }
  }
};

std::vector<Group> make_groups(const Problem& pb, const Layout& layout) {
  std::vector<Group> groups;
  for (size_t rc = 0; rc < pb.rows.taps.size(); ++rc)
    for (size_t cc = 0; cc < pb.cols.taps.size(); ++cc) {
      Group g;
      for (const auto& [r, dr] : pb.rows.taps[rc])
        for (const auto& [s, ds] : pb.cols.taps[cc]) {
          g.tap_in.push_back((dr * pb.in_w + ds) * layout.pixel_step);
          g.tap.push_back(r * pb.s + s);
        }
      for (int64_t h : pb.rows.positions[rc])
        for (int64_t w : pb.cols.positions[cc]) {
          g.in0.push_back((pb.rows.first[h] * pb.in_w + pb.cols.first[w]) * layout.pixel_step);
          g.out0.push_back((h * pb.out_w + w) * pb.outs);
        }
      g.image_in = layout.image_step;
      g.image_out = pb.out_h * pb.out_w * pb.outs;
      groups.push_back(std::move(g));
    }
  return groups;
}

// Copies a tile's row of cols values (of nr) to dst: whole rows at the micro-kernels'
// constant widths in inline vector moves (a copy loop of unknown length made ResNet's
// 3x3/2 backward data 2-7 % slower, dev/conv).
void store_row(const float* row, int64_t cols, int64_t nr, float* dst) {
  if (cols == nr) {
    switch (nr) {
      case 32: std::memcpy(dst, row, 32 * sizeof(float)); return;
      case 16: std::memcpy(dst, row, 16 * sizeof(float)); return;
      case 8: std::memcpy(dst, row, 8 * sizeof(float)); return;
      default: break;
    }
  }
  copy_values(row, cols, dst);
}

// Images per chunk: a chunk's channels-last result (and input, where copied) stays in L2
// between its tiles and its transposes (512 KiB each).
int64_t images_per_chunk(const Problem& pb, const Layout& layout) {
  constexpr int64_t kChunkFloats = int64_t(1) << 17;
  int64_t per_image = pb.out_h * pb.out_w * pb.outs;
  if (layout.channels_last) per_image = std::max(per_image, pb.in_h * pb.in_w * pb.depth);
  return std::max<int64_t>(1, kChunkFloats / per_image);
}

Status run(const Problem& pb, const float* in, const float* w, float* out) {
  // The result's channels are the tiles' columns (16 of them: AVX2's tiles).
  const SgemmMicroKernel& kern = sgemm_least_padding([&](const SgemmMicroKernel& k) { return ceil_div(pb.outs, k.nr) * k.nr; });
  const int64_t mr = kern.mr, nr = kern.nr, taps = pb.r * pb.s;
  const int64_t in_image = pb.in_h * pb.in_w * pb.depth, out_plane = pb.out_h * pb.out_w, out_image = out_plane * pb.outs;
  const int64_t panels = ceil_div(pb.outs, nr), panel = taps * pb.depth * nr;  // packed W: [panels][taps][depth][nr]
  const Layout layout = layout_of(pb);
  const int64_t per_chunk = images_per_chunk(pb, layout), chunks = ceil_div(pb.n, per_chunk);
  // Each worker a run of chunks, or with fewer chunks than threads (small batches) chunk by
  // chunk with each stage over the pool: the scratch of one.
  const bool by_workers = chunks >= num_threads();
  const int64_t workers = by_workers ? num_threads() : 1;
  // Per worker: the chunk's channels-last result, and input where the layout copies it.
  const int64_t per_worker = round_up(per_chunk * (out_image + (layout.channels_last ? in_image : 0)), 16);
  std::unique_ptr<float[]> scratch_store, w_store;
  float *scratch = nullptr, *wp = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(workers * per_worker, &scratch_store, &scratch));
  LB_RETURN_IF_FAILED(aligned_scratch(panels * panel, &w_store, &wp));
  for (int64_t pn = 0; pn < panels; ++pn)
    for (int64_t t = 0; t < taps; ++t)
      for (int64_t d = 0; d < pb.depth; ++d) {
        float* dst = wp + pn * panel + (t * pb.depth + d) * nr;
        for (int64_t j = 0; j < nr; ++j) {
          const int64_t o = pn * nr + j;
          dst[j] = o < pb.outs ? w[d * pb.depth_step + o * pb.out_step + t] : 0.0f;
        }
      }
  std::vector<Group> groups = make_groups(pb, layout);
  // With a shallow depth (the stems' 3 channels) the depth steps of all taps run as one loop
  // (the gather tile, both operands at per-step offsets), where the indirect tile's setup
  // per tap cost more than its 3 steps: per group, step (tap j, d)'s offsets in the input
  // and in a panel of wp.
  const bool flat = pb.depth < 16;
  std::vector<std::vector<int64_t>> flat_in(groups.size()), flat_w(groups.size());
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    Group& g = groups[gi];
    for (int64_t& t : g.tap) t *= pb.depth * nr;  // the tap's offset in a panel of wp
    if (flat)
      for (size_t j = 0; j < g.tap.size(); ++j)
        for (int64_t d = 0; d < pb.depth; ++d) {
          flat_in[gi].push_back(g.tap_in[j] + d * layout.channel_step);
          flat_w[gi].push_back(g.tap[j] + d * nr);
        }
  }
  // Per chunk: copy its input channels-last where the layout asks, fill its channels-last
  // result tile by tile, and turn that into NCHW (per image a transpose in 8 x 8 register
  // blocks: sgemm_interleave, one panel as wide as the rows).
  struct Tile {
    size_t group;
    int64_t first;
  };
  auto copy_in = [&](int64_t n0, int64_t i, float* in_t) {
    sgemm_interleave(in + (n0 + i) * in_image, pb.in_h * pb.in_w, pb.depth, pb.in_h * pb.in_w, static_cast<int>(pb.depth),
                     in_t + i * in_image);
  };
  auto run_tile = [&](const Tile& tl, int64_t nb, const float* chunk_in, float* out_t) {
    const Group& g = groups[tl.group];
    const int64_t count = std::min(mr, nb * g.per_image() - tl.first);
    int64_t rows_in[16], rows_out[16];
    g.offsets(tl.first, count, rows_in, rows_out);  // the chunk's first image as image 0
    if (g.tap_in.empty()) {                          // no tap reaches these pixels
      for (int64_t i = 0; i < count; ++i) std::fill(out_t + rows_out[i], out_t + rows_out[i] + pb.outs, 0.0f);
      return;
    }
    const float* rows[16];
    for (int64_t i = 0; i < mr; ++i) rows[i] = chunk_in + rows_in[std::min(i, count - 1)];
    alignas(64) float tile[16 * 32];
    for (int64_t pn = 0; pn < panels; ++pn) {
      if (flat)
        kern.tile_gather(static_cast<int64_t>(flat_in[tl.group].size()), rows, flat_in[tl.group].data(), wp + pn * panel,
                         flat_w[tl.group].data(), tile);
      else
        kern.tile_indirect(static_cast<int64_t>(g.tap_in.size()), pb.depth, layout.channel_step, rows, g.tap_in.data(),
                           wp + pn * panel, g.tap.data(), tile);
      const int64_t o0 = pn * nr, cols = std::min(nr, pb.outs - o0);
      for (int64_t i = 0; i < count; ++i) store_row(tile + i * nr, cols, nr, out_t + rows_out[i] + o0);
    }
  };
  auto copy_out = [&](int64_t n0, int64_t i, const float* out_t) {
    sgemm_interleave(out_t + i * out_image, pb.outs, out_plane, pb.outs, static_cast<int>(out_plane), out + (n0 + i) * out_image);
  };
  if (by_workers) {
    parallel_tasks(workers, [&](int64_t wk) {
      float* out_t = scratch + wk * per_worker;
      float* in_t = out_t + per_chunk * out_image;
      for (int64_t chunk = wk * chunks / workers; chunk < (wk + 1) * chunks / workers; ++chunk) {
        const int64_t n0 = chunk * per_chunk, nb = std::min(per_chunk, pb.n - n0);
        if (layout.channels_last)
          for (int64_t i = 0; i < nb; ++i) copy_in(n0, i, in_t);
        for (size_t gi = 0; gi < groups.size(); ++gi)
          for (int64_t first = 0; first < nb * groups[gi].per_image(); first += mr)
            run_tile({gi, first}, nb, layout.channels_last ? in_t : in + n0 * in_image, out_t);
        for (int64_t i = 0; i < nb; ++i) copy_out(n0, i, out_t);
      }
    });
  } else {
    float* out_t = scratch;
    float* in_t = out_t + per_chunk * out_image;
    for (int64_t n0 = 0; n0 < pb.n; n0 += per_chunk) {
      const int64_t nb = std::min(per_chunk, pb.n - n0);
      if (layout.channels_last)
        parallel_for(nb, 1, [&](int64_t i0, int64_t i1) {
          for (int64_t i = i0; i < i1; ++i) copy_in(n0, i, in_t);
        });
      std::vector<Tile> tiles;  // dealt over the pool
      for (size_t gi = 0; gi < groups.size(); ++gi)
        for (int64_t first = 0; first < nb * groups[gi].per_image(); first += mr) tiles.push_back({gi, first});
      parallel_tasks(static_cast<int64_t>(tiles.size()),
                     [&](int64_t t) { run_tile(tiles[t], nb, layout.channels_last ? in_t : in + n0 * in_image, out_t); });
      parallel_for(nb, 1, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) copy_out(n0, i, out_t);
      });
    }
  }
  return Status::Ok();
}

// Pixels per block of backward weight's depth: a block's channels-last input rows and dY
// panels stay in L2 while every live tap and panel runs over them.
constexpr int64_t kWeightBlock = 256;

bool fits(const Conv2dShape& s) {
  return s.groups == 1 && s.n > 0 && s.n * s.c * s.h * s.w <= kMaxScratch && s.n * s.k * s.p * s.q <= kMaxScratch;
}

bool strided(const Conv2dShape& s) { return s.stride_h > 1 || s.stride_w > 1; }

// dw [K, C, R, S] = the workers' accumulators added in worker order (so the result does not
// depend on scheduling); weight (k, c, tap t) of worker wk at scratch + wk * per_worker + at(k, c, t).
template <typename At>
void add_accumulators(const Conv2dShape& s, const float* scratch, int64_t per_worker, int64_t workers, const At& at,
                      float* dw) {
  const int64_t rs = s.r * s.s;
  parallel_for(s.k, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k)
      for (int64_t c = 0; c < s.c; ++c)
        for (int64_t t = 0; t < rs; ++t) {
          float sum = 0.0f;
          for (int64_t wk = 0; wk < workers; ++wk) sum += scratch[wk * per_worker + at(k, c, t)];
          dw[(k * s.c + c) * rs + t] = sum;
        }
  });
}

}  // namespace

// Strided kernels above 1x1 (dev/conv, 1 thread: ResNet-50's 3x3/2 layers on 8x8 and 4x4
// planes 6.8 -> 5.0-5.5 and 6.8 -> 4.4-4.9 ms, ResNet-20's 32->64 3.7-4.0 -> 2.8-3.3 ms and
// 16->32 4.2-5.2 -> 4.0-4.7 ms, the 7x7/2 stem by the gather tile 6.8-7.2 -> 6.4-6.5 ms), and
// kernels above 1x1 on planes of 16 values or fewer, where Winograd's transforms cost more
// than its saved multiplies (ResNet-50's 128->128 3x3 on 4x4 forward and backward data
// 4.27-4.34 -> 3.88-4.03 ms); on larger stride-1 planes Winograd and shifted windows
// measured faster (20-55 %).
bool conv2d_indirect_forward_applies(const Conv2dShape& s) {
  return fits(s) && s.r * s.s > 1 && (strided(s) || s.h * s.w <= 16);
}

Status conv2d_indirect_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  const Problem pb{s.n, s.c, s.h, s.w, s.k, s.p, s.q, s.r, s.s,
                   forward_axis(s.h, s.p, s.r, s.stride_h, s.pad_h, s.dil_h),
                   forward_axis(s.w, s.q, s.s, s.stride_w, s.pad_w, s.dil_w), s.r * s.s, s.c * s.r * s.s};
  LB_RETURN_IF_FAILED(run(pb, x, w, y));
  if (bias) conv2d_add_bias(bias, s.n, s.k, s.p * s.q, y);
  return Status::Ok();
}

// As the forward, with 16 channels in or more (the result's) and 16 out (the depth; no
// ResNet layer has fewer, so shallower ones keep col2im, unmeasured): ResNet-50's 3x3/2
// layers on 8x8 and 4x4 planes 7.9-8.1 -> 4.9-5.0 and 7.9-8.1 -> 4.3-4.4 ms, ResNet-20's
// 32->64 4.2-4.3 -> 2.9 ms and 16->32 5.3 -> 4.6-4.8 ms (dev/conv, 1 thread; before chunking
// by images, 16->32's channels-last result round trip through memory made it 6.0 ms).
bool conv2d_indirect_backward_data_applies(const Conv2dShape& s) {
  return conv2d_indirect_forward_applies(s) && s.c >= 16 && s.k >= 16;
}

Status conv2d_indirect_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx) {
  const Problem pb{s.n, s.k, s.p, s.q, s.c, s.h, s.w, s.r, s.s,
                   backward_axis(s.h, s.p, s.r, s.stride_h, s.pad_h, s.dil_h),
                   backward_axis(s.w, s.q, s.s, s.stride_w, s.pad_w, s.dil_w), s.c * s.r * s.s, s.r * s.s};
  return run(pb, dy, w, dx);
}

// Over at least 16 channels in (fewer: the stems' below).
// dW_t [K, C] = sum over the pixels where tap t is live of dY [pixel, K]^T X_t [pixel, C]:
// the micro-kernel's direct tile (op(B) read in place) takes X_t's rows from a channels-last
// copy of x, rows padded to the tile's width, and dY's from panels packed once per block of
// pixels for all taps. As the forward, on planes up to 16x16: ResNet-50's 3x3/2 layers on
// 8x8 and 4x4 planes 7.8-8.5 -> 5.8-6.3 and 6.8-6.9 -> 4.9 ms, ResNet-20's 32->64 on 16x16
// 4.5 -> 4.0 ms (dev/conv, 1 thread), but its 16->32 on 32x32 4.8 -> 7.1-7.3 ms, where the
// channels-last copy of a large input costs more than the shifted windows' waste.
bool conv2d_indirect_backward_weight_applies(const Conv2dShape& s) {
  return fits(s) && strided(s) && s.r * s.s > 1 && s.c >= 16 && s.h * s.w <= 256;
}

Status conv2d_indirect_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  // X_t's rows (channels) are the tiles' columns: AVX2's 16 wide where that pads less.
  const SgemmMicroKernel& kern = sgemm_least_padding([&](const SgemmMicroKernel& k) { return round_up(s.c, k.nr); });
  const int64_t mr = kern.mr, nr = kern.nr, rs = s.r * s.s, hw = s.h * s.w, pq = s.p * s.q;
  const int64_t cp = round_up(s.c, nr), kp = round_up(s.k, mr), acc_size = rs * kp * cp;
  const Problem pb{s.n, s.c, s.h, s.w, s.k, s.p, s.q, s.r, s.s,
                   forward_axis(s.h, s.p, s.r, s.stride_h, s.pad_h, s.dil_h),
                   forward_axis(s.w, s.q, s.s, s.stride_w, s.pad_w, s.dil_w), 0, 0};
  const std::vector<Group> groups = make_groups(pb, Layout{true, cp, 1, hw * cp});
  // Blocks of up to kWeightBlock pixels of one group, dealt to the workers in runs of about
  // equal work (pixels times live taps), each worker summing into its own accumulator
  // [taps][Kp][Cp]; the accumulators are added in worker order, so the result does not
  // depend on scheduling.
  struct Block {
    const Group* group;
    int64_t first, count;
  };
  std::vector<Block> blocks;
  std::vector<int64_t> work_before{0};
  for (const Group& g : groups)
    for (int64_t i = 0; i < s.n * g.per_image(); i += kWeightBlock) {
      blocks.push_back({&g, i, std::min<int64_t>(kWeightBlock, s.n * g.per_image() - i)});
      work_before.push_back(work_before.back() + blocks.back().count * static_cast<int64_t>(g.tap.size()));
    }
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), static_cast<int64_t>(blocks.size())));
  const int64_t per_worker = round_up(acc_size + kp * kWeightBlock, 16);
  std::unique_ptr<float[]> xt_store, scratch_store;
  float *xt = nullptr, *scratch = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(s.n * hw * cp, &xt_store, &xt));
  LB_RETURN_IF_FAILED(aligned_scratch(workers * per_worker, &scratch_store, &scratch));
  parallel_for(s.n, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t i = n0; i < n1; ++i) {
      sgemm_interleave(x + i * s.c * hw, hw, s.c, hw, static_cast<int>(cp), xt + i * hw * cp);
    }
  });
  parallel_tasks(workers, [&](int64_t wk) {
    float* acc = scratch + wk * per_worker;
    float* packed = acc + acc_size;  // [Kp / mr][block pixels][mr]
    std::fill(acc, acc + acc_size, 0.0f);
    const int64_t total = work_before.back();
    const auto b0 = std::lower_bound(work_before.begin(), work_before.end(), wk * total / workers) - work_before.begin();
    const auto b1 = std::lower_bound(work_before.begin(), work_before.end(), (wk + 1) * total / workers) - work_before.begin();
    int64_t x_rows[kWeightBlock], dy_rows[kWeightBlock];
    for (auto bi = b0; bi < b1; ++bi) {
      const Block& blk = blocks[bi];
      const Group& g = *blk.group;
      g.offsets(blk.first, blk.count, x_rows, dy_rows);
      // dY's panels straight from NCHW: a pixel's channels are P*Q apart, and the block's
      // consecutive pixels read the same lines.
      for (int64_t px = 0; px < blk.count; ++px) {
        const int64_t pixel = dy_rows[px] / s.k;  // n*P*Q + p*Q + q
        const float* src = dy + pixel / pq * s.k * pq + pixel % pq;
        for (int64_t k0 = 0; k0 < kp; k0 += mr) {
          float* d = packed + k0 * blk.count + px * mr;
          for (int64_t i = 0; i < mr; ++i) d[i] = k0 + i < s.k ? src[(k0 + i) * pq] : 0.0f;
        }
      }
      for (size_t j = 0; j < g.tap.size(); ++j) {
        const float* b = xt + g.tap_in[j];
        float* acc_t = acc + g.tap[j] * kp * cp;
        for (int64_t c0 = 0; c0 < cp; c0 += nr)
          for (int64_t k0 = 0; k0 < kp; k0 += mr)
            kern.tile_direct(blk.count, packed + k0 * blk.count, b + c0, x_rows, acc_t + k0 * cp + c0, cp,
                             static_cast<int>(std::min(mr, s.k - k0)), 1.0f, 1.0f);
      }
    }
  });
  add_accumulators(s, scratch, per_worker, workers, [&](int64_t k, int64_t c, int64_t t) { return (t * kp + k) * cp + c; }, dw);
  return Status::Ok();
}

// Few input channels (the stems): dW^T [C*taps, K] = sum over pixels of X [(c, tap), pixel]
// dY [pixel, K], the taps as the tiles' rows. The gather tile reads X in place in NCHW
// (row (c, tap) of a group at x + c*H*W + the tap's offset, pixel p at its first input)
// and dY's rows from a channels-last copy of a chunk of images (kept in L2: transposing all
// of dY first was a sixth of the stem's time, bound by memory), rows padded to the tile's
// width. Pixels go in groups by their live taps, so no padding is multiplied; each worker
// takes a run of chunks into its own accumulator, added in worker order at the end.
// Kernels above 1x1 over fewer than 16 channels in (dev/conv, 1 thread): ResNet-50's 7x7/2
// stem 9.9-10.1 -> 7.0 ms (shifted windows before), ResNet-20's 3->16 3x3 2.2-2.4 -> 1.6-1.8
// ms (dot products before).
bool conv2d_indirect_stem_backward_weight_applies(const Conv2dShape& s) {
  return fits(s) && s.c < 16 && s.r * s.s > 1;
}

Status conv2d_indirect_stem_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw) {
  // dY's channels are the tiles' columns: AVX2's 16 wide where that pads less.
  const SgemmMicroKernel& kern = sgemm_least_padding([&](const SgemmMicroKernel& k) { return round_up(s.k, k.nr); });
  const int64_t mr = kern.mr, nr = kern.nr, rs = s.r * s.s, hw = s.h * s.w, pq = s.p * s.q;
  const int64_t kp = round_up(s.k, nr), acc_size = rs * s.c * kp;
  const Problem pb{s.n, s.c, s.h, s.w, kp, s.p, s.q, s.r, s.s,
                   forward_axis(s.h, s.p, s.r, s.stride_h, s.pad_h, s.dil_h),
                   forward_axis(s.w, s.q, s.s, s.stride_w, s.pad_w, s.dil_w), 0, 0};
  const std::vector<Group> groups = make_groups(pb, Layout{false, 1, hw, s.c * hw});
  // Chunks of images whose channels-last dY fits kChunkFloats (512 KiB).
  constexpr int64_t kChunkFloats = int64_t(1) << 17;
  const int64_t per_chunk = std::max<int64_t>(1, kChunkFloats / (pq * kp)), chunks = ceil_div(s.n, per_chunk);
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), chunks));
  const int64_t per_worker = round_up(acc_size + per_chunk * pq * kp, 16);
  std::unique_ptr<float[]> scratch_store;
  float* scratch = nullptr;
  LB_RETURN_IF_FAILED(aligned_scratch(workers * per_worker, &scratch_store, &scratch));
  parallel_tasks(workers, [&](int64_t wk) {
    float* acc = scratch + wk * per_worker;  // [taps][C][Kp]
    float* dyt = acc + acc_size;             // the chunk's dY [images][P*Q][Kp]
    std::fill(acc, acc + acc_size, 0.0f);
    alignas(64) float tile[16 * 32];
    std::vector<int64_t> x_cols(static_cast<size_t>(per_chunk * pq)), dy_rows(x_cols.size());
    for (int64_t chunk = wk * chunks / workers; chunk < (wk + 1) * chunks / workers; ++chunk) {
      const int64_t n0 = chunk * per_chunk, n1 = std::min(s.n, n0 + per_chunk);
      for (int64_t i = n0; i < n1; ++i)
        sgemm_interleave(dy + i * s.k * pq, pq, s.k, pq, static_cast<int>(kp), dyt + (i - n0) * pq * kp);
      for (const Group& g : groups) {
        const int64_t depth = (n1 - n0) * g.per_image();
        const int64_t live = static_cast<int64_t>(g.tap.size()), rows_total = s.c * live;  // rows (c, j): j a live tap
        if (depth == 0 || live == 0) continue;
        g.offsets(n0 * g.per_image(), depth, x_cols.data(), dy_rows.data());
        for (int64_t i = 0; i < depth; ++i) dy_rows[i] -= n0 * pq * kp;  // rows of the chunk's dyt
        for (int64_t r0 = 0; r0 < rows_total; r0 += mr) {
          const int64_t count = std::min(mr, rows_total - r0);
          const float* rows[16];
          for (int64_t i = 0; i < mr; ++i) {
            const int64_t row = r0 + std::min(i, count - 1);
            rows[i] = x + row / live * hw + g.tap_in[row % live];
          }
          for (int64_t k0 = 0; k0 < kp; k0 += nr) {
            kern.tile_gather(depth, rows, x_cols.data(), dyt + k0, dy_rows.data(), tile);
            for (int64_t i = 0; i < count; ++i) {
              const int64_t row = r0 + i;
              float* a = acc + (g.tap[row % live] * s.c + row / live) * kp + k0;
              for (int64_t j = 0; j < nr; ++j) a[j] += tile[i * nr + j];
            }
          }
        }
      }
    }
  });
  add_accumulators(s, scratch, per_worker, workers, [&](int64_t k, int64_t c, int64_t t) { return (t * s.c + c) * kp + k; }, dw);
  return Status::Ok();
}

}  // namespace lb
