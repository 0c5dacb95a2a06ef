// Fused log-softmax + cross-entropy on the CPU (softmax.h): labels checked first, then
// rows in parallel, each in two passes (max, then the double sums) for the loss and a third
// for the gradient. Bench: none yet.
#include <string>

#include "../../core/thread_pool.h"
#include "softmax.h"

namespace lb {
namespace {

struct RowStats {
  double lse, sum_z;
};

template <typename T>
RowStats row_stats(const T* z, int64_t classes) {
  T m = z[0];
  for (int64_t j = 1; j < classes; ++j) m = ce_max(z[j], m);
  double sum_exp = 0, sum_z = 0;
  for (int64_t j = 0; j < classes; ++j) {
    sum_exp += exp(static_cast<double>(z[j]) - m);
    sum_z += z[j];
  }
  return {ce_logsumexp(m, sum_exp), sum_z};
}

Status check_labels(const CrossEntropyShape& s, const int32_t* labels) {
  for (int64_t i = 0; i < s.rows; ++i)
    if (labels[i] < 0 || labels[i] >= s.classes)
      return LB_FAIL("cross_entropy: label " + std::to_string(labels[i]) + " at position " + std::to_string(i) +
                     " is not a class in [0, " + std::to_string(s.classes) + ")");
  return Status::Ok();
}

template <typename T>
void forward(const CrossEntropyShape& s, const T* logits, const int32_t* labels, T* loss) {
  parallel_for(s.rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const T* z = logits + i * s.classes;
      const RowStats st = row_stats(z, s.classes);
      loss[i] = static_cast<T>(ce_loss(s, st.lse, z[labels[i]], st.sum_z));
    }
  });
}

template <typename T>
void backward(const CrossEntropyShape& s, const T* logits, const int32_t* labels, const T* dloss, T* dlogits) {
  parallel_for(s.rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const T* z = logits + i * s.classes;
      const double lse = row_stats(z, s.classes).lse;
      for (int64_t j = 0; j < s.classes; ++j)
        dlogits[i * s.classes + j] = static_cast<T>(ce_grad(s, z[j], lse, j == labels[i], dloss[i]));
    }
  });
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
