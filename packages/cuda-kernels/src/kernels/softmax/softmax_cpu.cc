// Fused log-softmax + cross-entropy on the CPU (softmax.h): labels checked first, then
// rows in parallel. A row's loss takes two passes (max, then the double sums), its
// gradient three (max; e^(z - max) and its double sum; the gradient). Float32 rows take e^x
// from exp_float, which vectorises, where a libm call per value made this kernel a third of
// PyTorch's speed on 1000 classes; float64 rows call exp. Each sum runs in kLanes double
// accumulators added pairwise at the end, so that it vectorises and its result does not
// depend on the vector width the CPU picks (LB_SIMD_CLONES). Bench: bench/tensor-ops.ts.
#include <cmath>
#include <functional>
#include <string>

#include "../../core/exp_float.h"
#include "../../core/simd_clones.h"
#include "../../core/thread_pool.h"
#include "softmax.h"

namespace lb {
namespace {

constexpr int kLanes = 32;

struct RowSums {
  double exp, z;  // sum_j e^(z_j - max), sum_j z_j
};

inline float shifted_exp(float z, float m) { return exp_float(z - m); }
inline double shifted_exp(double z, double m) { return std::exp(z - m); }

// The lanes folded pairwise; a row shorter than kLanes used lane 0 alone.
template <typename T, typename Op>
[[gnu::always_inline]] inline T fold(T (&acc)[kLanes], int64_t n, Op op) {
  return n < kLanes ? acc[0] : fold_lanes(acc, op);
}

template <typename T>
[[gnu::always_inline]] inline T row_max(const T* z, int64_t n) {
  T acc[kLanes];
  for (int l = 0; l < (n < kLanes ? 1 : kLanes); ++l) acc[l] = z[0];
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = ce_max(z[j + l], acc[l]);
  for (; j < n; ++j) acc[0] = ce_max(z[j], acc[0]);
  return fold(acc, n, [](T a, T b) { return ce_max(a, b); });
}

// sum_j e^(z_j - m) and, with kSumZ, sum_j z_j, in double; with kStore e^(z_j - m) also
// goes to e.
template <bool kStore, bool kSumZ, typename T>
[[gnu::always_inline]] inline RowSums row_sums(const T* __restrict z, int64_t n, T m, T* __restrict e) {
  double se[kLanes] = {}, sz[kLanes] = {};
  const auto add = [&](int64_t j, int l) {
    const T v = shifted_exp(z[j], m);
    se[l] += v;
    if constexpr (kStore) e[j] = v;
    if constexpr (kSumZ) sz[l] += z[j];
  };
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes)
    for (int l = 0; l < kLanes; ++l) add(j + l, l);
  for (; j < n; ++j) add(j, 0);
  return {fold(se, n, std::plus<double>()), fold(sz, n, std::plus<double>())};
}

template <typename T>
[[gnu::always_inline]] inline void forward_rows(const CrossEntropyShape& s, const T* logits, const int32_t* labels,
                                                T* loss, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* z = logits + i * s.classes;
    const T m = row_max(z, s.classes);
    const RowSums sums = row_sums<false, true>(z, s.classes, m, static_cast<T*>(nullptr));
    loss[i] = static_cast<T>(ce_loss(s, ce_logsumexp(m, sums.exp), z[labels[i]], sums.z));
  }
}

// e^(z_j - m) is kept in dz until the row's sum is known, then scaled by its inverse.
template <typename T>
[[gnu::always_inline]] inline void backward_rows(const CrossEntropyShape& s, const T* logits, const int32_t* labels,
                                                 const T* dloss, T* dlogits, int64_t r0, int64_t r1) {
  for (int64_t i = r0; i < r1; ++i) {
    const T* z = logits + i * s.classes;
    T* dz = dlogits + i * s.classes;
    const T m = row_max(z, s.classes);
    const double inverse = 1 / row_sums<true, false>(z, s.classes, m, dz).exp;
    for (int64_t j = 0; j < s.classes; ++j) dz[j] = static_cast<T>(ce_grad(s, dz[j] * inverse, j == labels[i], dloss[i]));
  }
}

#define LB_CE_ROWS(T)                                                                                               \
  LB_SIMD_CLONES void forward_rows_of(const CrossEntropyShape& s, const T* logits, const int32_t* labels, T* loss, \
                                      int64_t r0, int64_t r1) {                                                   \
    forward_rows(s, logits, labels, loss, r0, r1);                                                                \
  }                                                                                                               \
  LB_SIMD_CLONES void backward_rows_of(const CrossEntropyShape& s, const T* logits, const int32_t* labels,         \
                                       const T* dloss, T* dlogits, int64_t r0, int64_t r1) {                      \
    backward_rows(s, logits, labels, dloss, dlogits, r0, r1);                                                     \
  }
LB_CE_ROWS(float)
LB_CE_ROWS(double)
#undef LB_CE_ROWS

Status check_labels(const CrossEntropyShape& s, const int32_t* labels) {
  for (int64_t i = 0; i < s.rows; ++i)
    if (labels[i] < 0 || labels[i] >= s.classes)
      return LB_FAIL("cross_entropy: label " + std::to_string(labels[i]) + " at position " + std::to_string(i) +
                     " is not a class in [0, " + std::to_string(s.classes) + ")");
  return Status::Ok();
}

template <typename T>
void forward(const CrossEntropyShape& s, const T* logits, const int32_t* labels, T* loss) {
  parallel_for(s.rows, 64, [&](int64_t r0, int64_t r1) { forward_rows_of(s, logits, labels, loss, r0, r1); });
}

template <typename T>
void backward(const CrossEntropyShape& s, const T* logits, const int32_t* labels, const T* dloss, T* dlogits) {
  parallel_for(s.rows, 64, [&](int64_t r0, int64_t r1) { backward_rows_of(s, logits, labels, dloss, dlogits, r0, r1); });
}

}  // namespace

Status cross_entropy_check(DType type, const CrossEntropyShape& s) {
  const int64_t limit = int64_t(1) << 31;
  if (s.rows < 0 || s.rows >= limit || s.classes < 1 || s.classes >= limit)
    return LB_FAIL("cross_entropy: rows must be in [0, 2^31) and classes in [1, 2^31), got " + std::to_string(s.rows) +
                   " x " + std::to_string(s.classes));
  if (!(s.label_smoothing >= 0 && s.label_smoothing <= 1))
    return LB_FAIL("cross_entropy: label smoothing must be in [0, 1], got " + std::to_string(s.label_smoothing));
  if (type != DType::F32 && type != DType::F64)
    return LB_FAIL(std::string("cross_entropy needs float32 or float64, got ") + dtype_name(type));
  return Status::Ok();
}

Status cross_entropy_forward_cpu(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                 void* loss) {
  LB_RETURN_IF_FAILED(cross_entropy_check(type, s));
  LB_RETURN_IF_FAILED(check_labels(s, labels));
  if (type == DType::F32) forward(s, static_cast<const float*>(logits), labels, static_cast<float*>(loss));
  else forward(s, static_cast<const double*>(logits), labels, static_cast<double*>(loss));
  return Status::Ok();
}

Status cross_entropy_backward_cpu(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                  const void* dloss, void* dlogits) {
  LB_RETURN_IF_FAILED(cross_entropy_check(type, s));
  LB_RETURN_IF_FAILED(check_labels(s, labels));
  if (type == DType::F32)
    backward(s, static_cast<const float*>(logits), labels, static_cast<const float*>(dloss), static_cast<float*>(dlogits));
  else
    backward(s, static_cast<const double*>(logits), labels, static_cast<const double*>(dloss), static_cast<double*>(dlogits));
  return Status::Ok();
}

}  // namespace lb
