// The fused crop + flip + normalise kernels (src/kernels/augment): the CPU kernel against a
// line-by-line transcription of data-cifar's TypeScript (writeCropFlip over pixelTable,
// whose Math.fround steps are kept), and the emulated CUDA kernel against the CPU kernel;
// both must agree exactly. CIFAR's own case (3 x 32 x 32, pad 4, its mean and std), NCHW
// and NHWC sources, 1 to 4 channels, odd sizes, pad 0 to 3, offsets beyond [0, 2*pad],
// 0, 1, 2 and 3 images; out starts as random values. Under every schedule.
// Run: lb_emu_tests augment.
#include <algorithm>
#include <cmath>
#include <random>

#include "../../src/kernels/augment/augment.h"
#include "harness.h"

namespace {

using lb::AugmentNorm;
using lb::AugmentShape;
using lb::ImageLayout;

// pixelTable (normalize.ts): Math.fround(Math.fround(v / 255) - mean) / std, in doubles,
// stored into a Float32Array.
std::vector<float> pixel_table(const AugmentShape& s, const AugmentNorm& norm) {
  std::vector<float> table(static_cast<size_t>(s.c * 256));
  for (int64_t c = 0; c < s.c; ++c)
    for (int v = 0; v < 256; ++v) {
      const double scaled = static_cast<float>(v / 255.0);
      table[c * 256 + v] = static_cast<float>(static_cast<float>(scaled - norm.mean[c]) / static_cast<double>(norm.std[c]));
    }
  return table;
}

// writeCropFlip (crop-flip.ts) for one channel-major image, generalised from 3 x 32 x 32 to
// c x h x w with padding pad, and x_from clipped to the row (the TypeScript's offsets stay in
// [0, 2*pad], where it is).
void write_crop_flip(const AugmentShape& s, float* out, const uint8_t* image, int top, int left, bool flip,
                     const std::vector<float>& table) {
  const int64_t dy = top - s.pad, dx = left - s.pad;
  const int64_t x_from = std::min(s.w, std::max<int64_t>(0, flip ? dx : -dx));
  const int64_t x_to = std::max(x_from, std::min(s.w, flip ? s.w + dx : s.w - dx));
  for (int64_t c = 0; c < s.c; ++c) {
    const float pad = table[c * 256];
    const uint8_t* plane = image + c * s.h * s.w;
    for (int64_t y = 0; y < s.h; ++y) {
      float* o = out + (c * s.h + y) * s.w;
      const int64_t sy = y + dy;
      if (sy < 0 || sy >= s.h) {
        std::fill(o, o + s.w, pad);
        continue;
      }
      const uint8_t* row = plane + sy * s.w;
      std::fill(o, o + x_from, pad);
      for (int64_t x = x_from; x < x_to; ++x) o[x] = table[c * 256 + (flip ? row[s.w - 1 + dx - x] : row[dx + x])];
      std::fill(o + x_to, o + s.w, pad);
    }
  }
}

struct Case {
  int64_t n, c, h, w, pad;
  ImageLayout layout;
  bool far_offsets;  // offsets up to pad + 3 beyond [0, 2*pad]
};

const Case kCases[] = {{3, 3, 32, 32, 4, ImageLayout::Nchw, false}, {1, 1, 5, 7, 2, ImageLayout::Nhwc, false},
                       {3, 4, 9, 6, 0, ImageLayout::Nhwc, false},   {2, 3, 4, 5, 3, ImageLayout::Nchw, true},
                       {2, 2, 1, 1, 1, ImageLayout::Nchw, true},    {0, 3, 32, 32, 4, ImageLayout::Nchw, false}};

void check(const Case& c, const std::string& schedule) {
  const AugmentShape s{c.n, c.c, c.h, c.w, c.pad, c.layout};
  const AugmentNorm norm{{0.4914f, 0.4822f, 0.4465f, -0.25f}, {0.2023f, 0.1994f, 0.201f, 1.5f}};
  const int64_t image = s.c * s.h * s.w, count = s.n * image;
  std::mt19937 rng(static_cast<uint32_t>(count + s.pad));
  std::vector<uint8_t> images(static_cast<size_t>(std::max<int64_t>(count, 1)));
  for (uint8_t& v : images) v = static_cast<uint8_t>(rng() % 256);
  images[0] = 255;
  std::vector<int32_t> top(static_cast<size_t>(std::max<int64_t>(s.n, 1))), left(top.size()), flip(top.size());
  const int64_t spread = 2 * s.pad + 1 + (c.far_offsets ? 2 * (s.pad + 3) : 0);
  const int64_t shift = c.far_offsets ? s.pad + 3 : 0;
  for (size_t b = 0; b < top.size(); ++b) {
    top[b] = static_cast<int32_t>(static_cast<int64_t>(rng() % spread) - shift);
    left[b] = static_cast<int32_t>(static_cast<int64_t>(rng() % spread) - shift);
    flip[b] = b % 2 == 0 ? 0 : static_cast<int32_t>(rng() % 5 + 1);  // any nonzero flips
  }

  // The TypeScript, on a channel-major copy of the images.
  const std::vector<float> table = pixel_table(s, norm);
  std::vector<float> ts(static_cast<size_t>(count));
  for (int64_t b = 0; b < s.n; ++b) {
    std::vector<uint8_t> chw(static_cast<size_t>(image));
    for (int64_t ch = 0; ch < s.c; ++ch)
      for (int64_t p = 0; p < s.h * s.w; ++p)
        chw[ch * s.h * s.w + p] = s.layout == ImageLayout::Nchw ? images[b * image + ch * s.h * s.w + p]
                                                                : images[(b * s.h * s.w + p) * s.c + ch];
    write_crop_flip(s, ts.data() + b * image, chw.data(), top[b], left[b], flip[b] != 0, table);
  }

  const std::vector<float> start = lbt::random_floats(static_cast<size_t>(std::max<int64_t>(count, 1)), 9);
  std::vector<float> cpu = start;
  const lb::Status sc = lb::augment_crop_flip_normalize_cpu(s, norm, images.data(), top.data(), left.data(), flip.data(), cpu.data());
  LBT_CHECK(sc.ok, "augment_crop_flip_normalize_cpu: " + sc.message);

  uint8_t* d_images = lbt::to_device(images);
  int32_t *d_top = lbt::to_device(top), *d_left = lbt::to_device(left), *d_flip = lbt::to_device(flip);
  float* d_out = lbt::to_device(start);
  const lb::Status sg = lb::augment_crop_flip_normalize_cuda(s, norm, d_images, d_top, d_left, d_flip, d_out, nullptr);
  LBT_CHECK(sg.ok, "augment_crop_flip_normalize_cuda: " + sg.message);
  const std::vector<float> gpu = lbt::to_host(d_out, start.size());
  for (void* p : {static_cast<void*>(d_images), static_cast<void*>(d_top), static_cast<void*>(d_left),
                  static_cast<void*>(d_flip), static_cast<void*>(d_out)})
    cudaFree(p);

  const std::string what = "n" + std::to_string(s.n) + " c" + std::to_string(s.c) + " " + std::to_string(s.h) + "x" +
                           std::to_string(s.w) + " pad " + std::to_string(s.pad) +
                           (s.layout == ImageLayout::Nchw ? " NCHW" : " NHWC") + (c.far_offsets ? " far offsets" : "") + " " +
                           schedule;
  int64_t cpu_vs_ts = 0, gpu_vs_cpu = 0;
  for (int64_t i = 0; i < count; ++i) {
    cpu_vs_ts += cpu[i] != ts[i];
    gpu_vs_cpu += gpu[i] != cpu[i];
  }
  LBT_CHECK(cpu_vs_ts == 0, what + ": the CPU kernel differs from the TypeScript at " + std::to_string(cpu_vs_ts) + " values");
  LBT_CHECK(gpu_vs_cpu == 0, what + ": the CUDA kernel differs from the CPU at " + std::to_string(gpu_vs_cpu) + " values");
  if (count == 0) LBT_CHECK(cpu == start && gpu == start, what + ": wrote with no images");
}

LBT_TEST(augment, matches_typescript_and_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& schedule) {
    for (const Case& c : kCases) check(c, schedule);
  });
}

LBT_TEST(augment, bad_arguments) {
  const AugmentNorm norm{{0.5f, 0.5f, 0.5f, 0.5f}, {0.2f, 0.2f, 0.2f, 0.2f}};
  const lb::Status c = lb::augment_crop_flip_normalize_cuda({1, 5, 4, 4, 1, ImageLayout::Nchw}, norm, nullptr, nullptr,
                                                            nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!c.ok && c.message.find("channels must be in [1, 4]") != std::string::npos, "5 channels");
  AugmentNorm zero_std = norm;
  zero_std.std[1] = 0;
  const lb::Status z = lb::augment_crop_flip_normalize_cpu({1, 3, 4, 4, 1, ImageLayout::Nhwc}, zero_std, nullptr, nullptr,
                                                           nullptr, nullptr, nullptr);
  LBT_CHECK(!z.ok && z.message.find("channel 1") != std::string::npos, "a zero std");
  const lb::Status l = lb::augment_crop_flip_normalize_cuda({1, 3, 4, 4, 1, static_cast<ImageLayout>(2)}, norm, nullptr,
                                                            nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!l.ok && l.message.find("layout") != std::string::npos, "an unknown layout");
}

}  // namespace
