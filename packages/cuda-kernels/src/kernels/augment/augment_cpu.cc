// Fused crop + flip + normalise on the CPU (augment.h): parallel over images, each output
// value from augment_source and normalize_byte, the rules augment_cuda.cu shares.
// Bench: none yet (data-cifar's loader does this in TypeScript today).
#include <cmath>
#include <string>

#include "../../core/thread_pool.h"
#include "augment.h"

namespace lb {

Status augment_check(const AugmentShape& s, const AugmentNorm& norm) {
  const int64_t limit = int64_t(1) << 31;
  if (s.n < 0 || s.n >= limit || s.h < 1 || s.h >= limit || s.w < 1 || s.w >= limit || s.pad < 0 || s.pad >= limit)
    return LB_FAIL("augment: n and pad must be in [0, 2^31), height and width in [1, 2^31)");
  if (s.c < 1 || s.c > kAugmentMaxChannels)
    return LB_FAIL("augment: channels must be in [1, " + std::to_string(kAugmentMaxChannels) + "], got " + std::to_string(s.c));
  if (s.layout != ImageLayout::Nchw && s.layout != ImageLayout::Nhwc)
    return LB_FAIL("augment: unknown layout code " + std::to_string(static_cast<int>(s.layout)));
  for (int64_t ch = 0; ch < s.c; ++ch) {
    if (!(std::isfinite(norm.std[ch]) && norm.std[ch] > 0) || !std::isfinite(norm.mean[ch]))
      return LB_FAIL("augment: channel " + std::to_string(ch) + " needs a finite mean and a positive finite std, got mean " +
                     std::to_string(norm.mean[ch]) + ", std " + std::to_string(norm.std[ch]));
  }
  return Status::Ok();
}

Status augment_crop_flip_normalize_cpu(const AugmentShape& s, const AugmentNorm& norm, const uint8_t* images,
                                       const int32_t* top, const int32_t* left, const int32_t* flip, float* out) {
  LB_RETURN_IF_FAILED(augment_check(s, norm));
  const int64_t image = s.c * s.h * s.w;
  parallel_for(s.n, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* o = out + b * image;
      for (int64_t ch = 0; ch < s.c; ++ch)
        for (int64_t y = 0; y < s.h; ++y)
          for (int64_t x = 0; x < s.w; ++x)
            *o++ = normalize_byte(augment_source(s, images, b, ch, y, x, top[b], left[b], flip[b]), norm.mean[ch], norm.std[ch]);
    }
  });
  return Status::Ok();
}

}  // namespace lb
