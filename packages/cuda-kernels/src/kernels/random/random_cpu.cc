// Random fills on the CPU (see random.h), parallel over Philox blocks.
#include <cmath>

#include "../../core/thread_pool.h"
#include "philox.h"
#include "random.h"

namespace lb {

Status random_fill_cpu(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                       double b) {
  if (type != DType::F32 && type != DType::F64) return LB_FAIL("random fills need float32 or float64");
  const int64_t blocks = (n + 3) / 4;
  parallel_for(blocks, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const Philox4 r = philox4x32_10(seed, counter + static_cast<uint64_t>(blk));
      float vals[4];
      if (dist == Distribution::Uniform) {
        for (int w = 0; w < 4; ++w) vals[w] = uniform01(r.v[w]);
      } else {
        for (int pair = 0; pair < 2; ++pair) {
          const float u1 = uniform01_open0(r.v[2 * pair]);
          const float u2 = uniform01(r.v[2 * pair + 1]);
          const float radius = std::sqrt(-2.0f * std::log(u1));
          const float theta = 6.2831853071795864f * u2;
          vals[2 * pair] = radius * std::cos(theta);
          vals[2 * pair + 1] = radius * std::sin(theta);
        }
      }
      for (int w = 0; w < 4; ++w) {
        const int64_t i = blk * 4 + w;
        if (i >= n) break;
        const double v = dist == Distribution::Uniform ? a + (b - a) * vals[w] : a + b * vals[w];
        if (type == DType::F32) static_cast<float*>(out)[i] = static_cast<float>(v);
        else static_cast<double*>(out)[i] = v;
      }
    }
  });
  return Status::Ok();
}

}  // namespace lb
