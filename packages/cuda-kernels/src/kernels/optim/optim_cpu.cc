// Fused optimizer step on the CPU (see optim.h for what it computes and the layout; the
// scalar rules are in optim_coeffs.h, shared with the CUDA kernel).
// Bench: bench/optim (to come with the SGD/LARS classes).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../../core/thread_pool.h"
#include "optim.h"
#include "optim_coeffs.h"

namespace lb {
namespace {

// Tensors are split only when one would hold more than a quarter of a thread's share of
// the group (so dynamic dealing still balances the threads), and never below 2^17
// elements. An unsplit tensor is read twice within one task (norms, then update), the
// second time from cache (L2, or L3 for big ones); a split one is read twice from memory,
// since its norms and its update run in separate rounds. With 2 threads no ResNet-50
// tensor is split (measured: LARS/SGD 1.10 unsplit, 1.13 with every tensor above 2^17 split).
constexpr int64_t kOptimMinSplit = int64_t{1} << 17;

struct SumSquares {
  double w = 0, g = 0;
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LB_OPTIM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LB_OPTIM_CLONES
#endif

// Sum of squares in float64, eight independent accumulators so the compiler vectorises.
LB_OPTIM_CLONES double sum_squares(const float* x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) {
      const double v = x[i + j];
      acc[j] += v * v;
    }
  }
  for (; i < n; ++i) {
    const double v = x[i];
    acc[0] += v * v;
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Inlined into update(), so each of its clones compiles the loop for its instruction set.
template <bool kMomentum, bool kFirst, bool kNesterov>
[[gnu::always_inline]] inline void update_range(const OptimCoeffs& c, float* w, const float* g, float* buf, int64_t n) {
  for (int64_t i = 0; i < n; ++i) optim_update_element<kMomentum, kFirst, kNesterov>(c, w, g, buf, i);
}

LB_OPTIM_CLONES void update(const OptimCoeffs& c, bool first, float* w, const float* g, float* buf, int64_t n) {
  if (c.m == 0) return update_range<false, false, false>(c, w, g, buf, n);
  if (first) return c.nesterov ? update_range<true, true, true>(c, w, g, buf, n) : update_range<true, true, false>(c, w, g, buf, n);
  return c.nesterov ? update_range<true, false, true>(c, w, g, buf, n) : update_range<true, false, false>(c, w, g, buf, n);
}

// A unit of work: a whole tensor (norms + update) or one chunk of a split tensor.
struct Task {
  int64_t tensor;
  int64_t begin, end;
  int64_t chunk;  // index into the partial sums; -1 for a whole tensor
};

class GroupStep {
 public:
  GroupStep(OptimVariant v, const OptimHyper& h, const OptimTensor* t, uint8_t* flags, int64_t n, float* ratios)
      : v_(v), h_(h), t_(t), flags_(flags), n_(n), ratios_(ratios), coeffs_(static_cast<size_t>(n)) {}

  int64_t run() {
    int64_t total = 0;
    for (int64_t i = 0; i < n_; ++i) total += t_[i].grad == nullptr ? 0 : t_[i].size;
    const int64_t split = std::max(kOptimMinSplit, total / (4 * static_cast<int64_t>(num_threads())));
    std::vector<Task> norm_tasks, update_tasks, whole;
    for (int64_t i = 0; i < n_; ++i) {
      flags_[i] &= static_cast<uint8_t>(~kOptimNonFinite);
      if (t_[i].grad == nullptr || t_[i].size == 0) continue;
      if (t_[i].size <= split) {
        whole.push_back({i, 0, t_[i].size, -1});
        continue;
      }
      for (int64_t b = 0; b < t_[i].size; b += split) {
        const Task task{i, b, std::min(t_[i].size, b + split), static_cast<int64_t>(partials_.size())};
        norm_tasks.push_back(task);
        update_tasks.push_back(task);
        partials_.emplace_back();
      }
    }
    // Largest first, so dynamic dealing ends with small tasks and threads finish together.
    std::stable_sort(whole.begin(), whole.end(), [&](const Task& a, const Task& b) { return a.end > b.end; });
    norm_tasks.insert(norm_tasks.end(), whole.begin(), whole.end());

    // Round 1: whole tensors end to end, and the partial norms of split ones.
    parallel_tasks(static_cast<int64_t>(norm_tasks.size()), [&](int64_t k) {
      const Task& task = norm_tasks[static_cast<size_t>(k)];
      if (task.chunk >= 0) {
        partials_[static_cast<size_t>(task.chunk)] = sums(t_[task.tensor], task.begin, task.end);
      } else {
        const SumSquares s = sums(t_[task.tensor], 0, t_[task.tensor].size);
        if (prepare(task.tensor, s)) apply(task.tensor, 0, t_[task.tensor].size);
      }
    });

    // Split tensors: add the partial norms in chunk order (deterministic), then round 2.
    std::vector<Task> ready;
    for (size_t k = 0; k < update_tasks.size();) {
      const int64_t i = update_tasks[k].tensor;
      SumSquares total;
      size_t end = k;
      for (; end < update_tasks.size() && update_tasks[end].tensor == i; ++end) {
        total.w += partials_[static_cast<size_t>(update_tasks[end].chunk)].w;
        total.g += partials_[static_cast<size_t>(update_tasks[end].chunk)].g;
      }
      if (prepare(i, total)) ready.insert(ready.end(), update_tasks.begin() + static_cast<int64_t>(k), update_tasks.begin() + static_cast<int64_t>(end));
      k = end;
    }
    parallel_tasks(static_cast<int64_t>(ready.size()), [&](int64_t k) {
      const Task& task = ready[static_cast<size_t>(k)];
      apply(task.tensor, task.begin, task.end);
    });
    for (const Task& task : ready) finish(task.tensor);
    for (const Task& task : whole) {
      if ((flags_[task.tensor] & kOptimNonFinite) == 0) finish(task.tensor);
    }

    for (int64_t i = 0; i < n_; ++i) {
      if (flags_[i] & kOptimNonFinite) return i;
    }
    return -1;
  }

 private:
  SumSquares sums(const OptimTensor& t, int64_t begin, int64_t end) const {
    SumSquares s;
    s.g = sum_squares(t.grad + begin, end - begin);
    // SGD needs no ‖w‖; ‖g‖² is still taken, as the NaN/Inf check.
    if (v_ != OptimVariant::Sgd) s.w = sum_squares(t.param + begin, end - begin);
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

  void apply(int64_t i, int64_t begin, int64_t end) {
    const OptimTensor& t = t_[i];
    const bool first = (flags_[i] & kOptimMomentumReady) == 0;
    float* buf = t.momentum == nullptr ? nullptr : t.momentum + begin;
    update(coeffs_[static_cast<size_t>(i)], first, t.param + begin, t.grad + begin, buf, end - begin);
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
  std::vector<SumSquares> partials_;
  std::vector<OptimCoeffs> coeffs_;
};

}  // namespace

Status optim_step_cpu(OptimVariant variant, const OptimHyper& hyper, const OptimTensor* tensors, uint8_t* flags,
                      int64_t count, float* trust_ratios, int64_t* first_non_finite) {
  if (variant != OptimVariant::Sgd && variant != OptimVariant::LarsPaper && variant != OptimVariant::LarsStudy) {
    return LB_FAIL("unknown optimizer variant " + std::to_string(static_cast<int>(variant)));
  }
  for (int64_t i = 0; i < count; ++i) {
    const OptimTensor& t = tensors[i];
    if (t.grad != nullptr && t.size > 0 && hyper.momentum != 0 && t.momentum == nullptr) {
      return LB_FAIL("tensor " + std::to_string(i) + " has no momentum buffer but momentum is " + std::to_string(hyper.momentum));
    }
  }
  *first_non_finite = GroupStep(variant, hyper, tensors, flags, count, trust_ratios).run();
  return Status::Ok();
}

}  // namespace lb
