// Fused crop + flip + normalise on the GPU (augment.h): one thread per output value,
// grid-stride over [n, c, h, w], so writes are coalesced; each reads its source byte
// through augment_source and normalises it with normalize_byte, the rules the CPU kernel
// uses, so both give the same floats bit for bit (IEEE division: nvcc's default
// -prec-div=true; do not build this with --use_fast_math). Never run on a GPU yet:
// compiled by nvcc, tested under the emulation.
// Test: test/emu/augment_test.cc (emulated, against augment_cpu.cc). Bench: none yet.
#include "../../core/host_device.h"
#include "../../cuda_emu/cuda.h"
#include "augment.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

// norm.mean[ch] and norm.std[ch] by selects: indexing the parameter array at a run-time
// channel made ptxas copy it to a local-memory stack frame.
__device__ __forceinline__ void channel_norm(const AugmentNorm& norm, int64_t ch, float* mean, float* std) {
  *mean = norm.mean[0];
  *std = norm.std[0];
  LB_UNROLL
  for (int k = 1; k < kAugmentMaxChannels; ++k) {
    if (ch == k) {
      *mean = norm.mean[k];
      *std = norm.std[k];
    }
  }
}

__global__ void __launch_bounds__(kThreads) augment_kernel(AugmentShape s, AugmentNorm norm, const uint8_t* images,
                                                           const int32_t* top, const int32_t* left, const int32_t* flip,
                                                           float* out) {
  const int64_t plane = s.h * s.w, image = s.c * plane, count = s.n * image;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t b = e / image, ch = e % image / plane, y = e % plane / s.w, x = e % s.w;
    float mean, std;
    channel_norm(norm, ch, &mean, &std);
    out[e] = normalize_byte(augment_source(s, images, b, ch, y, x, top[b], left[b], flip[b]), mean, std);
  }
}

}  // namespace

Status augment_crop_flip_normalize_cuda(const AugmentShape& s, const AugmentNorm& norm, const uint8_t* images,
                                        const int32_t* top, const int32_t* left, const int32_t* flip, float* out,
                                        void* stream) {
  LB_RETURN_IF_FAILED(augment_check(s, norm));
  const int64_t count = s.n * s.c * s.h * s.w;
  if (count == 0) return Status::Ok();
  LB_LAUNCH(strided_grid(count, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream), augment_kernel)(
      s, norm, images, top, left, flip, out);
  return LB_CUDA_CHECK(cudaGetLastError(), "augment_kernel");
}

}  // namespace lb
