// LB_SIMD_CLONES before a function's definition compiles it for AVX-512 (x86-64-v4), AVX2
// (x86-64-v3) and the baseline, the best picked at load time: for loops the compiler
// vectorises, where a wider vector pays and the baseline build cannot use it.
#pragma once

// Not under ThreadSanitizer: an ifunc resolver runs before TSan's runtime is set up.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define LB_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LB_SIMD_CLONES
#endif
