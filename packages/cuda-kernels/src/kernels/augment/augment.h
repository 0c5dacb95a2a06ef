// Training-image augmentation, fused: random crop with zero padding, horizontal flip and
// per-channel normalisation of uint8 images into float32 NCHW, as @largebatch/data-cifar's
// writeCropFlip (src/augment/crop-flip.ts) with its pixelTable (normalize.ts), which equal
// torchvision's RandomCrop(size, padding=pad) + RandomHorizontalFlip + ToTensor + Normalize.
// The randomness is the caller's: per-image crop offsets and flip flags come in as int32
// arrays (data-cifar's drawCropFlip), so the CPU and the GPU produce the same batch.
//
// Contract, for image b of n, channel ch, output row y and column x (the output has the
// source's size h x w):
//   sy = y + top[b] - pad,  sx = (flip[b] != 0 ? w - 1 - x : x) + left[b] - pad
//   out[b, ch, y, x] = normalize_byte(src(b, ch, sy, sx), mean[ch], std[ch])
// where src is byte 0 when (sy, sx) lies outside the image (the zero padding) and otherwise
//   layout Nchw: images[((b*c + ch)*h + sy)*w + sx]   (data-cifar stores this: N x 3 x 32 x 32)
//   layout Nhwc: images[((b*h + sy)*w + sx)*c + ch]
// Offsets in [0, 2*pad] keep the crop inside the padded image; any other offset is still
// defined (more padding). out is overwritten; images, top, left, flip and out must not
// overlap. Channels 1 to 4; std must be positive and finite, mean finite.
// augment_cpu.cc runs it on the CPU (parallel over images), augment_cuda.cu on the GPU (one
// thread per output value). Test: test/emu/augment_test.cc (the CPU kernel against a
// transcription of the TypeScript, the emulated CUDA kernel against the CPU one).
#pragma once
#include <cstdint>

#include "../../core/host_device.h"
#include "../../core/status.h"

namespace lb {

enum class ImageLayout : int { Nchw = 0, Nhwc = 1 };

constexpr int kAugmentMaxChannels = 4;

struct AugmentShape {
  int64_t n, c, h, w;  // images, channels, height, width (of the source and of the output)
  int64_t pad;         // zero padding on each side before the crop
  ImageLayout layout;  // of the uint8 source
};

// Per-channel normalisation of bytes scaled to [0, 1]: (v / 255 - mean) / std.
struct AugmentNorm {
  float mean[kAugmentMaxChannels], std[kAugmentMaxChannels];
};

// Ok when n >= 0, 1 <= c <= 4, h, w >= 1, pad >= 0 (all below 2^31) and every std is
// positive and finite and every mean finite.
Status augment_check(const AugmentShape& s, const AugmentNorm& norm);

// images: uint8 in s.layout; top, left, flip: int32 [n]; out: float32 [n, c, h, w].
Status augment_crop_flip_normalize_cpu(const AugmentShape& s, const AugmentNorm& norm, const uint8_t* images,
                                       const int32_t* top, const int32_t* left, const int32_t* flip, float* out);
// The same on the GPU: images, top, left, flip and out are device memory (norm is passed by
// value), stream a cudaStream_t (null: the default stream); queued, nothing waits.
Status augment_crop_flip_normalize_cuda(const AugmentShape& s, const AugmentNorm& norm, const uint8_t* images,
                                        const int32_t* top, const int32_t* left, const int32_t* flip, float* out,
                                        void* stream);

// The value of byte v in float32 steps, as pixelTable: v / 255 rounded to float32, minus
// mean rounded, divided by std rounded (float32 arithmetic rounds each step alike).
LB_HOST_DEVICE inline float normalize_byte(uint8_t v, float mean, float std) {
  return (static_cast<float>(v) / 255.0f - mean) / std;
}

// The source byte of output (b, ch, y, x) given the image's crop and flip: 0 in the padding.
LB_HOST_DEVICE inline uint8_t augment_source(const AugmentShape& s, const uint8_t* images, int64_t b, int64_t ch,
                                             int64_t y, int64_t x, int32_t top, int32_t left, int32_t flip) {
  const int64_t sy = y + top - s.pad, sx = (flip != 0 ? s.w - 1 - x : x) + left - s.pad;
  if (sy < 0 || sy >= s.h || sx < 0 || sx >= s.w) return 0;
  return s.layout == ImageLayout::Nchw ? images[((b * s.c + ch) * s.h + sy) * s.w + sx]
                                       : images[((b * s.h + sy) * s.w + sx) * s.c + ch];
}

}  // namespace lb
