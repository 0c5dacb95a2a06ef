// The window of one pooled output and max pooling's comparison (pool.h), shared by
// pool_cpu.cc and pool_cuda.cu so both walk the same input positions, divide by the same
// count and pick the same maximum.
#pragma once
#include <cstdint>

#include "../../core/host_device.h"
#include "pool.h"

namespace lb {

// A window clipped to the input: rows [h0, h1), columns [w0, w1), and the divisor of an average.
struct PoolWindow {
  int64_t h0, h1, w0, w1;
  double divisor;
};

LB_HOST_DEVICE inline int64_t pool_min(int64_t a, int64_t b) { return a < b ? a : b; }
LB_HOST_DEVICE inline int64_t pool_max(int64_t a, int64_t b) { return a > b ? a : b; }

LB_HOST_DEVICE inline PoolWindow pool_window(PoolMode mode, const Pool2dShape& s, int64_t p, int64_t q) {
  PoolWindow win{};
  if (mode == PoolMode::AdaptiveAvg) {
    win.h0 = p * s.h / s.p;
    win.h1 = ((p + 1) * s.h + s.p - 1) / s.p;
    win.w0 = q * s.w / s.q;
    win.w1 = ((q + 1) * s.w + s.q - 1) / s.q;
    win.divisor = static_cast<double>((win.h1 - win.h0) * (win.w1 - win.w0));
    return win;
  }
  // As PyTorch: the padded extent (the count_include_pad divisor) is clipped to the padded
  // input before the window is clipped to the input itself.
  const int64_t hs = p * s.stride_h - s.pad_h, ws = q * s.stride_w - s.pad_w;
  const int64_t he = pool_min(hs + s.kernel_h, s.h + s.pad_h), we = pool_min(ws + s.kernel_w, s.w + s.pad_w);
  win.h0 = pool_max(hs, 0);
  win.h1 = pool_min(he, s.h);
  win.w0 = pool_max(ws, 0);
  win.w1 = pool_min(we, s.w);
  const int64_t counted = mode == PoolMode::AvgExcludePad ? (win.h1 - win.h0) * (win.w1 - win.w0) : (he - hs) * (we - ws);
  win.divisor = static_cast<double>(counted);
  return win;
}

// Whether v takes the window's maximum from best: larger, or NaN (as PyTorch: the last NaN
// wins; of equal maxima the first stays).
template <typename T>
LB_HOST_DEVICE inline bool max_pool_takes(T v, T best) {
  return v > best || v != v;
}

}  // namespace lb
