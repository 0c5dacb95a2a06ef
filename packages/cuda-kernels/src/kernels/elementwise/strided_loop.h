// The strided iteration shared by the elementwise CPU kernels: splits the flat index space
// over the thread pool and hands each chunk to `run(ptr offsets, length, inner strides)`
// one innermost run at a time.
#pragma once
#include <array>
#include <cstdint>

#include "../../core/thread_pool.h"
#include "elementwise.h"

namespace lb {

template <int N, typename Run>
void strided_for_each(const Iteration& it, const std::array<const Operand*, N>& ops, Run run) {
  int64_t total = 1;
  for (int d = 0; d < it.ndim; ++d) total *= it.shape[d];
  if (total == 0) return;
  if (it.ndim == 0) {
    std::array<int64_t, N> base{}, inner{};
    for (int o = 0; o < N; ++o) base[o] = ops[o]->offset;
    run(base, int64_t(1), inner);
    return;
  }
  const int last = it.ndim - 1;
  const int64_t inner_len = it.shape[last];
  std::array<int64_t, N> inner{};
  for (int o = 0; o < N; ++o) inner[o] = ops[o]->strides[last];

  parallel_for(total, 32768, [&](int64_t begin, int64_t end) {
    int64_t idx[kMaxDims];
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      idx[d] = rem % it.shape[d];
      rem /= it.shape[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      std::array<int64_t, N> base;
      for (int o = 0; o < N; ++o) {
        int64_t off = ops[o]->offset;
        for (int d = 0; d < it.ndim; ++d) off += idx[d] * ops[o]->strides[d];
        base[o] = off;
      }
      int64_t len = inner_len - idx[last];
      if (len > end - pos) len = end - pos;
      run(base, len, inner);
      pos += len;
      idx[last] += len;
      for (int d = last; d > 0 && idx[d] >= it.shape[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  });
}

}  // namespace lb
