// Fused optimizer step over a whole param group of float32 tensors, one call for all of
// them: SGD as torch.optim.SGD, LARS Algorithm 1 with guards ("paper"), and the LARS
// study's "ver2" as its code ran ("study"). Formulas: packages/optim/README.md; the
// for-loop reference is packages/optim/src/rules/tensor-steps.ts, and
// packages/optim/test/fused.test.ts checks this kernel against it.
// Layout: each tensor is a contiguous run of `size` floats (param, grad, momentum buffer).
// Per tensor: first the norms of w and g (float64 sums; for SGD only g's, which detects
// NaN/Inf), then the update, both in one task while the tensor is cache-resident; a
// tensor above 2^20 elements is stepped by all threads together, its norms over chunks,
// then its update over the same chunks (from the shared cache). Whole tensors are dealt
// to the pool largest first.
// CUDA (optim_cuda.cu): the same step for float32 tensors on the device, with no host
// synchronisation: three launches, each over all tensors of the group (see below).
// Bench: `pnpm --filter @largebatch/bench optim`.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../../core/status.h"

namespace lb {

enum class OptimVariant : int { Sgd = 0, LarsPaper = 1, LarsStudy = 2 };

// All options of the three variants; each reads the ones it has.
struct OptimHyper {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0, trust_coefficient = 0, eps = 0;
  bool clip = false, nesterov = false;
};

// Per-tensor flags, read and written by the kernel.
enum OptimFlag : uint8_t {
  kOptimExcluded = 1,       // in: no trust-ratio adaptation and no weight decay (paper)
  kOptimMomentumReady = 2,  // in/out: the buffer holds a previous step (set after the first)
  kOptimNonFinite = 4,      // out: the gradient holds NaN/Inf; the tensor was left unchanged
};

struct OptimTensor {
  float* param = nullptr;
  const float* grad = nullptr;  // null: no gradient, the tensor is skipped
  float* momentum = nullptr;    // needed when momentum != 0
  int64_t size = 0;
};

// Updates every tensor with a finite gradient. trust_ratios (nullable) receives each
// updated tensor's factor on lr (1 for SGD). *first_non_finite is the lowest index whose
// gradient holds NaN/Inf, or -1.
// weight_sq (nullable, one per tensor) spares LARS a read of w: an entry that is not NaN
// is taken as ‖w‖² of that tensor instead of summing w; after the step, every tensor with
// a gradient gets its ‖w‖² (LARS: summed in the update pass, bit for bit what a fresh
// sum would give with the same thread count) or NaN (SGD). The caller must reset an entry
// to NaN whenever anything else writes that tensor.
Status optim_step_cpu(OptimVariant variant, const OptimHyper& hyper, const OptimTensor* tensors, uint8_t* flags,
                      int64_t count, float* trust_ratios, int64_t* first_non_finite, double* weight_sq = nullptr);

// ---- CUDA ----------------------------------------------------------------------------
// A group on the device is a table of entries that the caller builds once with
// optim_cuda_table() and keeps on the device (pointers and sizes do not change between
// steps). A step is three launches on `stream`: sums of squares per chunk of
// kOptimCudaChunk elements (one block per chunk, warp-shuffle reductions, float64); then
// one warp per tensor adds its chunks' sums in order (deterministic), checks the gradient,
// sets the trust ratio, the coefficients and the flags; then the update, one block per
// chunk. flags, trust_ratios and first_non_finite are device memory, read back by the
// host only when it wants them.
constexpr int64_t kOptimCudaChunk = 4096;

struct OptimCudaEntry {
  float* param = nullptr;
  const float* grad = nullptr;  // null: skipped
  float* momentum = nullptr;
  int64_t size = 0;
  int64_t chunk_begin = 0;  // the tensor's first chunk; it has ceil(size / kOptimCudaChunk), 0 if skipped
};

// Fills entries[0, count) (host memory, to be copied to the device) from tensors whose
// pointers are device pointers; *chunks receives the group's chunk count. Fails as
// optim_step_cpu does when momentum is on and a tensor with a gradient has no buffer.
Status optim_cuda_table(const OptimTensor* tensors, int64_t count, double momentum, OptimCudaEntry* entries,
                        int64_t* chunks);

// Device workspace bytes that a step of a group of `count` tensors and `chunks` chunks needs.
size_t optim_cuda_workspace_bytes(int64_t count, int64_t chunks);

// One step. table, flags, trust_ratios (nullable), first_non_finite (one int32: the
// lowest index whose gradient holds NaN/Inf, or -1) and workspace are device memory;
// stream is a cudaStream_t (null: the default stream).
Status optim_step_cuda(OptimVariant variant, const OptimHyper& hyper, const OptimCudaEntry* table, int64_t count,
                       int64_t chunks, uint8_t* flags, float* trust_ratios, int32_t* first_non_finite, void* workspace,
                       void* stream);

}  // namespace lb
