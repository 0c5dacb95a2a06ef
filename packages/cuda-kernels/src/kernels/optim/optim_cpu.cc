// Fused optimizer step on the CPU (see optim.h for what it computes and the layout; the
// scalar rules are in optim_coeffs.h, shared with the CUDA kernel).
// Bench: `pnpm --filter @largebatch/bench optim`.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "optim.h"
#include "optim_coeffs.h"

namespace lb {
namespace {

// A tensor above kOptimShared elements is stepped by all threads together, one such
// tensor at a time: its norms over chunks in parallel, then its update over the same
// chunks, so the update reads w and g back from the shared L3 cache rather than memory
// (two threads each stepping a 2.4 M-element tensor of their own need 38 MB of w and g,
// more than the L3 holds). Smaller tensors are whole tasks, dealt largest first, norms and
// update in one task while the tensor is in cache. Measured on ResNet-50's tensors, 2
// threads (bench/optim): see bench/README.md.
constexpr int64_t kOptimShared = int64_t{1} << 20;

const double kUnknown = std::numeric_limits<double>::quiet_NaN();

struct SumSquares {
  double w = 0, g = 0;
};

// Sums of squares in float64 with kSumLanes independent accumulators per array, so the
// compiler vectorises and the additions do not wait on each other, and with ‖w‖ and ‖g‖
// read in one loop, two streams at once: this pass is bound by memory, and measured
// 13.5 GB/s on one core with 8 accumulators and one array at a time, 16.4 with this.
constexpr int kSumLanes = 32;

template <bool kWithW>
[[gnu::always_inline]] inline SumSquares sum_squares_range(const float* w, const float* g, int64_t n) {
  double aw[kSumLanes] = {}, ag[kSumLanes] = {};
  int64_t i = 0;
  for (; i + kSumLanes <= n; i += kSumLanes) {
    for (int j = 0; j < kSumLanes; ++j) {
      const double v = g[i + j];
      ag[j] += v * v;
    }
    if constexpr (kWithW) {
      for (int j = 0; j < kSumLanes; ++j) {
        const double v = w[i + j];
        aw[j] += v * v;
      }
    }
  }
  for (; i < n; ++i) {
    const double v = g[i];
    ag[0] += v * v;
    if constexpr (kWithW) aw[0] += static_cast<double>(w[i]) * w[i];
  }
  return {fold_lanes(aw, std::plus<double>()), fold_lanes(ag, std::plus<double>())};
}

// ‖g‖² and, if with_w, ‖w‖².
LB_SIMD_CLONES SumSquares sum_squares(const float* w, const float* g, int64_t n, bool with_w) {
  return with_w ? sum_squares_range<true>(w, g, n) : sum_squares_range<false>(w, g, n);
}

// Inlined into update(), so each of its clones compiles the loop for its instruction set.
// The coefficients are a local copy and the arrays restrict: otherwise the stores to w and
// buf might alias them, and GCC ran the scalar loop reloading every coefficient (measured:
// the SGD step 1.26x torch's before, on ResNet-50's tensors). With kWeightSq it also
// returns ‖w‖² of the updated w, summed exactly as sum_squares_range sums it (same lanes,
// tail and reduction), so that a next step may take it instead of reading w again.
template <bool kMomentum, bool kFirst, bool kNesterov, bool kWeightSq>
[[gnu::always_inline]] inline double update_range(const OptimCoeffs c, float* __restrict w, const float* __restrict g,
                                                  float* __restrict buf, int64_t n) {
  if constexpr (!kWeightSq) {
    for (int64_t i = 0; i < n; ++i) optim_update_element<kMomentum, kFirst, kNesterov>(c, w, g, buf, i);
    return 0;
  } else {
    double acc[kSumLanes] = {};
    int64_t i = 0;
    for (; i + kSumLanes <= n; i += kSumLanes) {
      for (int j = 0; j < kSumLanes; ++j) {
        optim_update_element<kMomentum, kFirst, kNesterov>(c, w, g, buf, i + j);
        const double v = w[i + j];
        acc[j] += v * v;
      }
    }
    for (; i < n; ++i) {
      optim_update_element<kMomentum, kFirst, kNesterov>(c, w, g, buf, i);
      acc[0] += static_cast<double>(w[i]) * w[i];
    }
    return fold_lanes(acc, std::plus<double>());
  }
}

template <bool kWeightSq>
[[gnu::always_inline]] inline double update_with(const OptimCoeffs& c, bool first, float* w, const float* g,
                                                 float* buf, int64_t n) {
  if (c.m == 0) return update_range<false, false, false, kWeightSq>(c, w, g, buf, n);
  if (first) {
    return c.nesterov ? update_range<true, true, true, kWeightSq>(c, w, g, buf, n)
                      : update_range<true, true, false, kWeightSq>(c, w, g, buf, n);
  }
  return c.nesterov ? update_range<true, false, true, kWeightSq>(c, w, g, buf, n)
                    : update_range<true, false, false, kWeightSq>(c, w, g, buf, n);
}

// Updates w[0, n) (and buf); returns ‖w‖² after it if weight_sq, else 0.
LB_SIMD_CLONES double update(const OptimCoeffs c, bool first, bool weight_sq, float* w, const float* g, float* buf,
                              int64_t n) {
  return weight_sq ? update_with<true>(c, first, w, g, buf, n) : update_with<false>(c, first, w, g, buf, n);
}

class GroupStep {
 public:
  GroupStep(OptimVariant v, const OptimHyper& h, const OptimTensor* t, uint8_t* flags, int64_t n, float* ratios,
            double* weight_sq)
      : v_(v), h_(h), t_(t), flags_(flags), n_(n), ratios_(ratios), weight_sq_(weight_sq),
        track_(weight_sq != nullptr && v != OptimVariant::Sgd), coeffs_(static_cast<size_t>(n)) {}

  int64_t run() {
    std::vector<int64_t> whole, shared;
    for (int64_t i = 0; i < n_; ++i) {
      flags_[i] &= static_cast<uint8_t>(~kOptimNonFinite);
      if (t_[i].grad == nullptr || t_[i].size == 0) continue;
      (t_[i].size > kOptimShared ? shared : whole).push_back(i);
    }
    // Largest first, so dynamic dealing ends with small tasks and threads finish together.
    std::stable_sort(whole.begin(), whole.end(), [&](int64_t a, int64_t b) { return t_[a].size > t_[b].size; });
    parallel_tasks(static_cast<int64_t>(whole.size()), [&](int64_t k) {
      const int64_t i = whole[static_cast<size_t>(k)];
      const SumSquares s = with_known(i, sums(i, 0, t_[i].size));
      const double after = prepare(i, s) ? apply(i, 0, t_[i].size) : s.w;
      if (weight_sq_ != nullptr) weight_sq_[i] = track_ ? after : kUnknown;
    });
    for (const int64_t i : whole) {
      if ((flags_[i] & kOptimNonFinite) == 0) finish(i);
    }
    for (const int64_t i : shared) step_shared(i);

    for (int64_t i = 0; i < n_; ++i) {
      if (flags_[i] & kOptimNonFinite) return i;
    }
    return -1;
  }

 private:
  // Whether ‖w‖² of tensor i is known from the caller (a previous step's update).
  bool known(int64_t i) const { return track_ && !std::isnan(weight_sq_[i]); }

  // SGD needs no ‖w‖; ‖g‖² is still taken, as the NaN/Inf check. A known ‖w‖² is not read
  // again (s.w is then 0; with_known() puts it in).
  SumSquares sums(int64_t i, int64_t begin, int64_t end) const {
    const OptimTensor& t = t_[i];
    return sum_squares(t.param + begin, t.grad + begin, end - begin, v_ != OptimVariant::Sgd && !known(i));
  }

  SumSquares with_known(int64_t i, SumSquares s) const {
    if (known(i)) s.w = weight_sq_[i];
    return s;
  }

  // Checks the gradient and sets the tensor's coefficients; false if it is to be skipped.
  bool prepare(int64_t i, const SumSquares& s) {
    if (!std::isfinite(s.g)) {
      flags_[i] |= kOptimNonFinite;
      return false;
    }
    const bool excluded = (flags_[i] & kOptimExcluded) != 0;
    const double ratio = optim_trust_ratio(v_, h_, excluded, std::sqrt(s.w), std::sqrt(s.g));
    coeffs_[static_cast<size_t>(i)] = optim_coeffs(v_, h_, excluded, ratio);
    if (ratios_ != nullptr) ratios_[i] = static_cast<float>(ratio);
    return true;
  }

  // Updates [begin, end) of tensor i; returns that range's ‖w‖² after it when tracked.
  double apply(int64_t i, int64_t begin, int64_t end) {
    const OptimTensor& t = t_[i];
    const bool first = (flags_[i] & kOptimMomentumReady) == 0;
    float* buf = t.momentum == nullptr ? nullptr : t.momentum + begin;
    return update(coeffs_[static_cast<size_t>(i)], first, track_, t.param + begin, t.grad + begin, buf, end - begin);
  }

  // One big tensor, all threads: partial norms per chunk, added in chunk order (so the
  // result does not depend on which thread ran which chunk), then the update.
  void step_shared(int64_t i) {
    const int64_t size = t_[i].size;
    const int64_t chunks = 4 * static_cast<int64_t>(num_threads());
    const int64_t chunk = (size + chunks - 1) / chunks;
    std::vector<SumSquares> partials(static_cast<size_t>(chunks));
    parallel_tasks(chunks, [&](int64_t c) {
      partials[static_cast<size_t>(c)] = sums(i, std::min(size, c * chunk), std::min(size, (c + 1) * chunk));
    });
    SumSquares total;
    for (const SumSquares& p : partials) {
      total.w += p.w;
      total.g += p.g;
    }
    total = with_known(i, total);
    if (!prepare(i, total)) {
      if (weight_sq_ != nullptr) weight_sq_[i] = track_ ? total.w : kUnknown;
      return;
    }
    std::vector<double> after(static_cast<size_t>(chunks));
    parallel_tasks(chunks, [&](int64_t c) {
      after[static_cast<size_t>(c)] = apply(i, std::min(size, c * chunk), std::min(size, (c + 1) * chunk));
    });
    if (weight_sq_ != nullptr) {
      double sum = 0;
      for (const double a : after) sum += a;
      weight_sq_[i] = track_ ? sum : kUnknown;
    }
    finish(i);
  }

  // Marks the buffer as holding a step; after every chunk of the tensor is done.
  void finish(int64_t i) {
    if (h_.momentum != 0) flags_[i] |= kOptimMomentumReady;
  }

  OptimVariant v_;
  const OptimHyper& h_;
  const OptimTensor* t_;
  uint8_t* flags_;
  int64_t n_;
  float* ratios_;
  double* weight_sq_;
  bool track_;  // LARS with weight_sq: ‖w‖² known on entry is used, and returned after the update
  std::vector<OptimCoeffs> coeffs_;
};

}  // namespace

Status optim_step_cpu(OptimVariant variant, const OptimHyper& hyper, const OptimTensor* tensors, uint8_t* flags,
                      int64_t count, float* trust_ratios, int64_t* first_non_finite, double* weight_sq) {
  if (variant != OptimVariant::Sgd && variant != OptimVariant::LarsPaper && variant != OptimVariant::LarsStudy) {
    return LB_FAIL("unknown optimizer variant " + std::to_string(static_cast<int>(variant)));
  }
  for (int64_t i = 0; i < count; ++i) {
    const OptimTensor& t = tensors[i];
    if (t.grad != nullptr && t.size > 0 && hyper.momentum != 0 && t.momentum == nullptr) {
      return LB_FAIL("tensor " + std::to_string(i) + " has no momentum buffer but momentum is " + std::to_string(hyper.momentum));
    }
  }
  *first_non_finite = GroupStep(variant, hyper, tensors, flags, count, trust_ratios, weight_sq).run();
  return Status::Ok();
}

}  // namespace lb
