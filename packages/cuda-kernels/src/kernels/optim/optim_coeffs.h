// The scalar rules of the fused optimizer step, shared by optim_cpu.cc and optim_cuda.cu
// so both compute the same thing: a tensor's trust ratio from its norms, the coefficients
// of its update, and the update of one element. With d = ((g + β·w)·λ)·α,
//   b = first ? d : m·buf + keep·d;  step = nesterov ? d + m·b : b;
//   buf = σ·b;  w = w − γ·step
// SGD: λ = α = 1, γ = lr, σ = 1. Paper: λ the trust ratio, α = lr, γ = 1, σ = 1 (λ and lr
// applied one after the other, as the reference's rules do). Study: λ = α = 1, keep = 1,
// γ = lr·η·λ and σ = −γ (its buffer was scaled in place into the update).
#pragma once
#include <cstdint>

#include "../../core/host_device.h"
#include "optim.h"

namespace lb {

struct OptimCoeffs {
  float ratio = 1, alpha = 1, wd = 0, keep = 1, m = 0, gamma = 1, sigma = 1;
  bool nesterov = false;
};

// The factor on lr: LARS's trust ratio, 1 for SGD (mirrors packages/optim rules/trust-ratio.ts).
LB_HOST_DEVICE inline double optim_trust_ratio(OptimVariant v, const OptimHyper& h, bool excluded, double wn,
                                               double gn) {
  switch (v) {
    case OptimVariant::Sgd: return 1;
    case OptimVariant::LarsStudy: return h.trust_coefficient * (wn / (gn + h.weight_decay * wn));
    case OptimVariant::LarsPaper: {
      if (excluded || wn == 0 || gn == 0) return 1;
      const double ratio = h.trust_coefficient * wn / (gn + h.weight_decay * wn + h.eps);
      if (!h.clip) return ratio;
      return ratio / h.lr < 1.0 ? ratio / h.lr : 1.0;
    }
  }
  return 1;
}

LB_HOST_DEVICE inline OptimCoeffs optim_coeffs(OptimVariant v, const OptimHyper& h, bool excluded, double ratio) {
  OptimCoeffs c;
  c.m = static_cast<float>(h.momentum);
  switch (v) {
    case OptimVariant::Sgd:
      c.wd = static_cast<float>(h.weight_decay);
      c.keep = static_cast<float>(1 - h.dampening);
      c.gamma = static_cast<float>(h.lr);
      c.nesterov = h.nesterov;
      break;
    case OptimVariant::LarsPaper:
      c.wd = excluded ? 0.0f : static_cast<float>(h.weight_decay);
      c.ratio = static_cast<float>(ratio);
      c.alpha = static_cast<float>(h.lr);
      c.keep = static_cast<float>(1 - h.dampening);
      c.nesterov = h.nesterov;
      break;
    case OptimVariant::LarsStudy:
      c.wd = static_cast<float>(h.weight_decay);
      c.gamma = static_cast<float>(h.lr * ratio);
      c.sigma = -c.gamma;
      break;
  }
  return c;
}

// Element i of a tensor's update.
template <bool kMomentum, bool kFirst, bool kNesterov>
LB_HOST_DEVICE LB_FORCE_INLINE void optim_update_element(const OptimCoeffs& c, float* w, const float* g, float* buf,
                                                         int64_t i) {
  const float d = ((g[i] + c.wd * w[i]) * c.ratio) * c.alpha;
  float step = d;
  if constexpr (kMomentum) {
    const float b = kFirst ? d : c.m * buf[i] + c.keep * d;
    step = kNesterov ? d + c.m * b : b;
    buf[i] = c.sigma * b;
  }
  w[i] = w[i] - c.gamma * step;
}

}  // namespace lb
