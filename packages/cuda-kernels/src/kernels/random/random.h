// Random fills. Element i of a draw uses Philox block (counter + i / 4), word i % 4, so a
// draw of n values advances the generator by ceil(n / 4) blocks. Normal values come from
// Box-Muller on the block's words (0,1) and (2,3): cos for the first of a pair, sin for the
// second. CUDA (random_cuda.cu) gives the same numbers: both use random_block() below.
#pragma once
#include <math.h>

#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/host_device.h"
#include "../../core/status.h"
#include "philox.h"

namespace lb {

enum class Distribution : int { Uniform = 0, Normal = 1 };

// The four values of Philox block `blk`: uniform in [0, 1), or standard normal.
LB_HOST_DEVICE inline void random_block(Distribution dist, uint64_t seed, uint64_t blk, float vals[4]) {
  const Philox4 r = philox4x32_10(seed, blk);
  if (dist == Distribution::Uniform) {
    for (int w = 0; w < 4; ++w) vals[w] = uniform01(r.v[w]);
    return;
  }
  for (int pair = 0; pair < 2; ++pair) {
    const float u1 = uniform01_open0(r.v[2 * pair]);
    const float u2 = uniform01(r.v[2 * pair + 1]);
    const float radius = sqrtf(-2.0f * logf(u1));
    const float theta = 6.2831853071795864f * u2;
    vals[2 * pair] = radius * cosf(theta);
    vals[2 * pair + 1] = radius * sinf(theta);
  }
}

// Element value from a block value: low + (high - low)·u, or mean + std·z (a, b).
LB_HOST_DEVICE inline double random_scale(Distribution dist, double a, double b, float v) {
  return dist == Distribution::Uniform ? a + (b - a) * v : a + b * v;
}

// Uniform: low + (high - low) * u; Normal: mean a, std b. type is float32 or float64.
Status random_fill_cpu(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                       double b);

// out is device memory; stream is a cudaStream_t (null: the default stream).
Status random_fill_cuda(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                        double b, void* stream);

}  // namespace lb
