// Index CPU kernels (see index.h). index_add walks the indices in order for each (o, i),
// so repeated indices add up without races.
#include <cstring>
#include <string>

#include "../../core/thread_pool.h"
#include "index.h"

namespace lb {

static Status check_indices(int64_t dim, const int32_t* idx, int64_t n_idx) {
  for (int64_t j = 0; j < n_idx; ++j) {
    if (idx[j] < 0 || idx[j] >= dim)
      return LB_FAIL("index " + std::to_string(idx[j]) + " at position " + std::to_string(j) +
                     " is out of range for a dimension of size " + std::to_string(dim));
  }
  return Status::Ok();
}

Status index_select_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* in, const int32_t* idx,
                        int64_t n_idx, void* out) {
  LB_RETURN_IF_FAILED(check_indices(dim, idx, n_idx));
  const size_t row = static_cast<size_t>(inner) * dtype_size(type);
  const char* src = static_cast<const char*>(in);
  char* dst = static_cast<char*>(out);
  parallel_for(outer * n_idx, 256, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t o = t / n_idx, j = t % n_idx;
      std::memcpy(dst + t * row, src + (o * dim + idx[j]) * row, row);
    }
  });
  return Status::Ok();
}

Status index_add_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* src, const int32_t* idx,
                     int64_t n_idx, void* dst) {
  LB_RETURN_IF_FAILED(check_indices(dim, idx, n_idx));
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    const T* s = static_cast<const T*>(src);
    T* d = static_cast<T*>(dst);
    parallel_for(outer * inner, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const int64_t o = p / inner, i = p % inner;
        for (int64_t j = 0; j < n_idx; ++j) d[(o * dim + idx[j]) * inner + i] += s[(o * n_idx + j) * inner + i];
      }
    });
    return Status::Ok();
  });
}

}  // namespace lb
