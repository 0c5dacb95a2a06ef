// Batch normalisation on the CPU (batch_norm.h). Layout [N, C, HW], contiguous: channel
// c's values are N runs of HW, one per image. Parallel over channels; a channel takes one
// pass for its statistics and one to normalise (forward), one for its two sums and one
// for dx (backward), each sum in double.
// The per-channel arithmetic is batch_norm_rules.h, shared with the CUDA kernels.
// Bench: `npx tsx bench/conv.ts` from the repo root.
#include <cmath>
#include <string>

#include "../../core/thread_pool.h"
#include "batch_norm.h"
#include "batch_norm_rules.h"

namespace lb {
namespace {

template <typename T>
T relu(T v) {
  return v < T(0) ? T(0) : v;  // NaN passes through, as torch.relu
}

// Two sums over the values of channel c of [n, c, hw], term(k, a, b) adding the k-th
// value's part to each, in float64 with kLanes accumulators per sum: lanes over positions
// when an image's run of the channel is long, over images when it is short. One
// accumulator made each addition wait on the last (the backward ran at half PyTorch's
// speed); with lanes they vectorise or at least overlap.
constexpr int64_t kLanes = 16;

template <typename Term>
[[gnu::always_inline]] inline void channel_sums(const BatchNormShape& s, int64_t c, double* sum_a, double* sum_b,
                                                const Term& term) {
  double a[kLanes] = {}, b[kLanes] = {};
  if (s.hw >= kLanes) {
    for (int64_t i = 0; i < s.n; ++i) {
      const int64_t base = (i * s.c + c) * s.hw;
      int64_t j = 0;
      for (; j + kLanes <= s.hw; j += kLanes) {
        for (int64_t l = 0; l < kLanes; ++l) term(base + j + l, a[l], b[l]);
      }
      for (; j < s.hw; ++j) term(base + j, a[0], b[0]);
    }
  } else {
    int64_t i = 0;
    for (; i + kLanes <= s.n; i += kLanes) {
      for (int64_t j = 0; j < s.hw; ++j) {
        for (int64_t l = 0; l < kLanes; ++l) term(((i + l) * s.c + c) * s.hw + j, a[l], b[l]);
      }
    }
    for (; i < s.n; ++i) {
      for (int64_t j = 0; j < s.hw; ++j) term((i * s.c + c) * s.hw + j, a[0], b[0]);
    }
  }
  for (int64_t width = kLanes / 2; width > 0; width /= 2) {
    for (int64_t l = 0; l < width; ++l) {
      a[l] += a[l + width];
      b[l] += b[l + width];
    }
  }
  *sum_a = a[0];
  *sum_b = b[0];
}

template <typename T>
struct Channels {
  const BatchNormShape& s;
  const BatchNormOptions& o;
  int64_t m() const { return s.n * s.hw; }

  static double at(const void* p, int64_t c, double fallback) {
    return p ? static_cast<double>(static_cast<const T*>(p)[c]) : fallback;
  }

  // Mean and biased variance of channel c, one pass shifted by its first value.
  void statistics(const T* x, int64_t c, double* mean, double* var) const {
    const double shift = x[c * s.hw];
    double sum, sum_sq;
    channel_sums(s, c, &sum, &sum_sq, [&](int64_t k, double& a, double& b) {
      const double d = static_cast<double>(x[k]) - shift;
      a += d;
      b += d * d;
    });
    const BnMoments mv = bn_moments(shift, sum, sum_sq, static_cast<double>(m()));
    *mean = mv.mean;
    *var = mv.var;
  }

  Status forward(const BatchNormForward& t) const {
    const T* x = static_cast<const T*>(t.x);
    T* y = static_cast<T*>(t.y);
    T* save_mean = static_cast<T*>(t.save_mean);
    T* save_invstd = static_cast<T*>(t.save_invstd);
    T* running_mean = static_cast<T*>(t.running_mean);
    T* running_var = static_cast<T*>(t.running_var);
    if (!o.training && (!running_mean || !running_var)) return LB_FAIL("batch_norm: eval mode needs the running statistics");
    if (o.training && m() == 0) return LB_FAIL("batch_norm: training needs at least one value per channel");
    parallel_for(s.c, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        double mean, var;
        if (o.training) {
          statistics(x, c, &mean, &var);
          if (running_mean) running_mean[c] = static_cast<T>(bn_running(running_mean[c], mean, o.momentum));
          if (running_var) running_var[c] = static_cast<T>(bn_running(running_var[c], bn_unbiased(var, m()), o.momentum));
        } else {
          mean = running_mean[c];
          var = running_var[c];
        }
        const double invstd = 1.0 / std::sqrt(var + o.eps);
        save_mean[c] = static_cast<T>(mean);
        save_invstd[c] = static_cast<T>(invstd);
        // y = (x - mean) scale + bias: x - mean first, so that float32 keeps the spread
        // when |mean| >> std (x scale + (bias - mean scale) would cancel).
        const T m = static_cast<T>(mean), a = static_cast<T>(invstd * at(t.weight, c, 1.0));
        const T b = static_cast<T>(at(t.bias, c, 0.0));
        for (int64_t i = 0; i < s.n; ++i) {
          const T* in = x + (i * s.c + c) * s.hw;
          T* out = y + (i * s.c + c) * s.hw;
          if (o.relu) {
            for (int64_t j = 0; j < s.hw; ++j) out[j] = relu((in[j] - m) * a + b);
          } else {
            for (int64_t j = 0; j < s.hw; ++j) out[j] = (in[j] - m) * a + b;
          }
        }
      }
    });
    return Status::Ok();
  }

  // dy of channel c's run, masked by the fused ReLU.
  T grad_at(const T* dy, const T* y, int64_t k) const { return !o.relu || y[k] > T(0) ? dy[k] : T(0); }

  Status backward(const BatchNormBackward& t) const {
    const T* dy = static_cast<const T*>(t.dy);
    const T* x = static_cast<const T*>(t.x);
    const T* y = static_cast<const T*>(t.y);
    const T* save_mean = static_cast<const T*>(t.save_mean);
    const T* save_invstd = static_cast<const T*>(t.save_invstd);
    T* dx = static_cast<T*>(t.dx);
    T* dweight = static_cast<T*>(t.dweight);
    T* dbias = static_cast<T*>(t.dbias);
    if (o.relu && !y) return LB_FAIL("batch_norm: the backward of a fused ReLU needs y");
    parallel_for(s.c, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const double mean = save_mean[c], invstd = save_invstd[c];
        double sum_dy, sum_dy_xhat;
        channel_sums(s, c, &sum_dy, &sum_dy_xhat, [&](int64_t k, double& a, double& b) {
          const double g = grad_at(dy, y, k);
          a += g;
          b += g * (static_cast<double>(x[k]) - mean);
        });
        sum_dy_xhat *= invstd;
        if (dbias) dbias[c] = static_cast<T>(sum_dy);
        if (dweight) dweight[c] = static_cast<T>(sum_dy_xhat);
        if (!dx) continue;
        // dx = k (g - mean_dy - xhat mean_dy_xhat) = g k + (x - mean) u + v, folded per channel
        // (x - mean first, as in the forward pass).
        const BnDx f = bn_dx(invstd, at(t.weight, c, 1.0), sum_dy, sum_dy_xhat, static_cast<double>(m()), o.training);
        const T kt = static_cast<T>(f.k), ut = static_cast<T>(f.u), vt = static_cast<T>(f.v), mt = static_cast<T>(mean);
        for (int64_t i = 0; i < s.n; ++i) {
          const int64_t base = (i * s.c + c) * s.hw;
          for (int64_t j = 0; j < s.hw; ++j) dx[base + j] = grad_at(dy, y, base + j) * kt + (x[base + j] - mt) * ut + vt;
        }
      }
    });
    return Status::Ok();
  }
};

template <typename F>
Status dispatch_float(DType type, const BatchNormShape& s, const BatchNormOptions& o, const F& f) {
  if (s.n < 0 || s.c < 0 || s.hw < 0) return LB_FAIL("batch_norm: negative size");
  if (type == DType::F32) return f(Channels<float>{s, o});
  if (type == DType::F64) return f(Channels<double>{s, o});
  return LB_FAIL(std::string("batch_norm needs float32 or float64, got ") + dtype_name(type));
}

}  // namespace

Status batch_norm_forward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormForward& t) {
  return dispatch_float(type, s, o, [&](const auto& ch) { return ch.forward(t); });
}

Status batch_norm_backward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormBackward& t) {
  return dispatch_float(type, s, o, [&](const auto& ch) { return ch.backward(t); });
}

}  // namespace lb
