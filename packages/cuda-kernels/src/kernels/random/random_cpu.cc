// Random fills on the CPU (see random.h), parallel over Philox blocks.
#include "../../core/thread_pool.h"
#include "random.h"

namespace lb {

Status random_fill_cpu(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                       double b) {
  if (type != DType::F32 && type != DType::F64) return LB_FAIL("random fills need float32 or float64");
  const int64_t blocks = (n + 3) / 4;
  parallel_for(blocks, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      float vals[4];
      random_block(dist, seed, counter + static_cast<uint64_t>(blk), vals);
      for (int w = 0; w < 4; ++w) {
        const int64_t i = blk * 4 + w;
        if (i >= n) break;
        const double v = random_scale(dist, a, b, vals[w]);
        if (type == DType::F32) static_cast<float*>(out)[i] = static_cast<float>(v);
        else static_cast<double*>(out)[i] = v;
      }
    }
  });
  return Status::Ok();
}

}  // namespace lb
