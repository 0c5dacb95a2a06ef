// 2-d pooling on the CPU (pool.h). Layout [planes, H, W] in, [planes, P, Q] out, both
// contiguous. Parallel over planes; every mode walks the same windows (pool_window.h, shared
// with pool_cuda.cu). The averages walk them output by output; max pooling lists their
// positions once per call and then runs vector passes over each plane's outputs. Max
// pooling's backward needs no windows: it scatters dy through the saved indices, plane by
// plane.
// Bench: `npx tsx bench/conv.ts` from the repo root.
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "pool.h"
#include "pool_window.h"

namespace lb {
namespace {

// Calls f(plane, o, window) for every output o = p*Q + q of every plane, planes in parallel.
template <typename F>
void for_each_window(PoolMode mode, const Pool2dShape& s, const F& f) {
  parallel_for(s.planes, std::max<int64_t>(1, 4096 / (s.p * s.q)), [&](int64_t b0, int64_t b1) {
    for (int64_t plane = b0; plane < b1; ++plane)
      for (int64_t p = 0; p < s.p; ++p)
        for (int64_t q = 0; q < s.q; ++q) f(plane, p * s.q + q, pool_window(mode, s, p, q));
  });
}

// Runs body(b0, b1) over blocks of about 16K input values of whole planes, dealt to the
// threads as they come free: on a shared machine a core busy with something else then
// holds up one block, not half the planes.
template <typename F>
void for_plane_blocks(const Pool2dShape& s, const F& body) {
  const int64_t per = std::max<int64_t>(1, 16384 / (s.h * s.w)), blocks = (s.planes + per - 1) / per;
  parallel_tasks(blocks, [&](int64_t b) { body(b * per, std::min(s.planes, (b + 1) * per)); });
}

// Max pooling over planes [b0, b1): window position j of output o is the input index
// at[j * outputs + o] (max_forward builds the table), so every pass over a plane's outputs
// is one vector loop of gathers and selects (no branch on the data, which is unpredictable).
template <typename T>
LB_SIMD_CLONES void max_pool_planes(const int32_t* table, int64_t positions, int64_t in_plane, int64_t outputs, const T* x,
                                    T* y, int32_t* indices, int64_t b0, int64_t b1) {
  for (int64_t plane = b0; plane < b1; ++plane) {
    const T* in = x + plane * in_plane;
    T* best = y + plane * outputs;
    int32_t* at = indices + plane * outputs;
#pragma omp simd
    for (int64_t o = 0; o < outputs; ++o) {
      best[o] = in[table[o]];
      at[o] = table[o];
    }
    for (int64_t j = 1; j < positions; ++j) {
      const int32_t* from = table + j * outputs;
#pragma omp simd
      for (int64_t o = 0; o < outputs; ++o) {
        const T v = in[from[o]];
        const bool takes = max_pool_takes(v, best[o]);
        best[o] = takes ? v : best[o];
        at[o] = takes ? from[o] : at[o];
      }
    }
  }
}

// The first i in [i0, i1) with indices[i] outside [0, limit), or -1. A block is first
// tested whole (a vector OR, with no exit to stop it vectorising), and only a block that
// holds one is searched.
LB_SIMD_CLONES int64_t first_outside(const int32_t* indices, int64_t i0, int64_t i1, uint32_t limit) {
  constexpr int64_t kBlock = 1024;
  for (int64_t b = i0; b < i1; b += kBlock) {
    const int64_t e = std::min(i1, b + kBlock);
    uint32_t outside = 0;
    for (int64_t i = b; i < e; ++i) outside |= static_cast<uint32_t>(indices[i]) >= limit;  // negatives wrap above
    if (outside)
      for (int64_t i = b; i < e; ++i)
        if (static_cast<uint32_t>(indices[i]) >= limit) return i;
  }
  return -1;
}

template <typename T>
struct Pooling {
  PoolMode mode;
  const Pool2dShape& s;
  int64_t in_plane() const { return s.h * s.w; }
  int64_t out_plane() const { return s.p * s.q; }

  void forward(const T* x, T* y, int32_t* indices) const {
    if (mode == PoolMode::Max) return max_forward(x, y, indices);
    for_each_window(mode, s, [&](int64_t plane, int64_t o, const PoolWindow& win) {
      const T* in = x + plane * in_plane();
      double sum = 0;
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += in[ih * s.w + iw];
      y[plane * out_plane() + o] = static_cast<T>(sum / win.divisor);
    });
  }

  // Max pooling, with each window's positions in row-major order in a table shared by all
  // planes. A position outside the input repeats the window's previous one (its first
  // in-input one, before there is a previous), which cannot change the maximum or its
  // index: whatever that value did, doing it again does nothing (a NaN retakes itself).
  // So every window has kernel_h * kernel_w positions. The first, the first one inside the
  // input, starts each output: from -infinity, as pool.h has it, its value would win or tie.
  void max_forward(const T* x, T* y, int32_t* indices) const {
    const int64_t outputs = out_plane(), positions = s.kernel_h * s.kernel_w;
    std::vector<int32_t> table(positions * outputs);
    for (int64_t p = 0; p < s.p; ++p)
      for (int64_t q = 0; q < s.q; ++q) {
        const PoolWindow win = pool_window(mode, s, p, q);
        const int64_t o = p * s.q + q, hs = p * s.stride_h - s.pad_h, ws = q * s.stride_w - s.pad_w;
        int64_t last = win.h0 * s.w + win.w0;
        for (int64_t i = 0; i < s.kernel_h; ++i)
          for (int64_t k = 0; k < s.kernel_w; ++k) {
            const int64_t ih = hs + i, iw = ws + k;
            if (ih >= win.h0 && ih < win.h1 && iw >= win.w0 && iw < win.w1) last = ih * s.w + iw;
            table[(i * s.kernel_w + k) * outputs + o] = static_cast<int32_t>(last);
          }
      }
    for_plane_blocks(s, [&](int64_t b0, int64_t b1) {
      max_pool_planes(table.data(), positions, in_plane(), outputs, x, y, indices, b0, b1);
    });
  }

  // The first position whose index lies outside its plane, or -1; blocks of planes in
  // parallel, each reporting its first, so the answer does not depend on scheduling.
  int64_t first_bad_index(const int32_t* indices) const {
    std::mutex mu;
    int64_t first = -1;
    for_plane_blocks(s, [&](int64_t b0, int64_t b1) {
      const int64_t bad = first_outside(indices, b0 * out_plane(), b1 * out_plane(), static_cast<uint32_t>(in_plane()));
      if (bad < 0) return;
      std::lock_guard<std::mutex> lock(mu);
      if (first < 0 || bad < first) first = bad;
    });
    return first;
  }

  Status backward(const T* dy, const int32_t* indices, T* dx) const {
    if (mode == PoolMode::Max) {
      const int64_t bad = first_bad_index(indices);
      if (bad >= 0)
        return LB_FAIL("pool2d: index " + std::to_string(indices[bad]) + " at position " + std::to_string(bad) +
                       " is outside a plane of " + std::to_string(in_plane()));
      // A plane's outputs scatter only into its own input plane, so planes split over
      // threads without atomics; each plane is zeroed and scattered while it is in cache.
      for_plane_blocks(s, [&](int64_t b0, int64_t b1) {
        for (int64_t plane = b0; plane < b1; ++plane) {
          T* grad = dx + plane * in_plane();
          std::fill(grad, grad + in_plane(), T(0));
          const T* g = dy + plane * out_plane();
          const int32_t* at = indices + plane * out_plane();
          for (int64_t o = 0; o < out_plane(); ++o) grad[at[o]] += g[o];
        }
      });
      return Status::Ok();
    }
    // Windows overlap, so a plane is zeroed and then accumulated by one thread.
    parallel_for(s.planes, 1, [&](int64_t b0, int64_t b1) {
      std::fill(dx + b0 * in_plane(), dx + b1 * in_plane(), T(0));
    });
    for_each_window(mode, s, [&](int64_t plane, int64_t o, const PoolWindow& win) {
      T* grad = dx + plane * in_plane();
      const T share = static_cast<T>(dy[plane * out_plane() + o] / win.divisor);
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) grad[ih * s.w + iw] += share;
    });
    return Status::Ok();
  }
};

int64_t pooled_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad) {
  const int64_t span = in + 2 * pad - kernel;
  return span < 0 ? 0 : span / stride + 1;
}

}  // namespace

Status pool2d_check(PoolMode mode, const Pool2dShape& s) {
  const int64_t limit = int64_t(1) << 31;
  const int64_t positive[] = {s.h, s.w, s.p, s.q};
  for (int64_t v : positive)
    if (v < 1 || v >= limit) return LB_FAIL("pool2d: sizes must be in [1, 2^31), got " + std::to_string(v));
  if (s.planes < 0 || s.planes >= limit) return LB_FAIL("pool2d: planes must be in [0, 2^31)");
  if (mode == PoolMode::AdaptiveAvg) return Status::Ok();
  const int64_t window[] = {s.kernel_h, s.kernel_w, s.stride_h, s.stride_w};
  for (int64_t v : window)
    if (v < 1 || v >= limit) return LB_FAIL("pool2d: kernel and stride must be in [1, 2^31), got " + std::to_string(v));
  if (s.pad_h < 0 || s.pad_w < 0 || 2 * s.pad_h > s.kernel_h || 2 * s.pad_w > s.kernel_w)
    return LB_FAIL("pool2d: padding must be in [0, kernel / 2]");
  const int64_t p = pooled_size(s.h, s.kernel_h, s.stride_h, s.pad_h), q = pooled_size(s.w, s.kernel_w, s.stride_w, s.pad_w);
  if (p != s.p || q != s.q)
    return LB_FAIL("pool2d: output " + std::to_string(s.p) + "x" + std::to_string(s.q) + " does not match the " +
                   std::to_string(p) + "x" + std::to_string(q) + " the input, kernel, stride and padding give");
  return Status::Ok();
}

Status pool2d_forward_cpu(DType type, PoolMode mode, const Pool2dShape& s, const void* x, void* y, int32_t* indices) {
  LB_RETURN_IF_FAILED(pool2d_check(mode, s));
  if (mode == PoolMode::Max && !indices) return LB_FAIL("pool2d: max pooling needs an indices buffer");
  if (type == DType::F32) Pooling<float>{mode, s}.forward(static_cast<const float*>(x), static_cast<float*>(y), indices);
  else if (type == DType::F64) Pooling<double>{mode, s}.forward(static_cast<const double*>(x), static_cast<double*>(y), indices);
  else return LB_FAIL(std::string("pool2d needs float32 or float64, got ") + dtype_name(type));
  return Status::Ok();
}

Status pool2d_backward_cpu(DType type, PoolMode mode, const Pool2dShape& s, const void* dy, const int32_t* indices,
                           void* dx) {
  LB_RETURN_IF_FAILED(pool2d_check(mode, s));
  if (mode == PoolMode::Max && !indices) return LB_FAIL("pool2d: max pooling's backward needs the indices");
  if (type == DType::F32) return Pooling<float>{mode, s}.backward(static_cast<const float*>(dy), indices, static_cast<float*>(dx));
  if (type == DType::F64) return Pooling<double>{mode, s}.backward(static_cast<const double*>(dy), indices, static_cast<double*>(dx));
  return LB_FAIL(std::string("pool2d needs float32 or float64, got ") + dtype_name(type));
}

}  // namespace lb
