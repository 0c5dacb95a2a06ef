// LB_SIMD_CLONES before a function's definition compiles it for AVX-512 (x86-64-v4), AVX2
// (x86-64-v3) and the baseline, the best picked at load time: for loops the compiler
// vectorises, where a wider vector pays and the baseline build cannot use it.
// fold_lanes: sums (or maxima) kept in a fixed number of lanes, combined pairwise, so that a
// result does not depend on the vector width the clone picked.
#pragma once

// Not under ThreadSanitizer: an ifunc resolver runs before TSan's runtime is set up.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define LB_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LB_SIMD_CLONES
#endif

namespace lb {

// Folds acc's lanes pairwise into lane 0 (op(acc[l + width], acc[l]), width halving from
// N / 2) and returns it. N is a power of two.
template <typename T, int N, typename Op>
[[gnu::always_inline]] inline T fold_lanes(T (&acc)[N], Op op) {
  static_assert(N > 0 && (N & (N - 1)) == 0, "a power of two of lanes");
  for (int width = N / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) acc[l] = op(acc[l + width], acc[l]);
  return acc[0];
}

}  // namespace lb
