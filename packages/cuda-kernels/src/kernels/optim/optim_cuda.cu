// Fused optimizer step on the GPU (see optim.h for the group table and the three launches;
// the scalar rules are optim_coeffs.h, shared with optim_cpu.cc). Layout: each tensor is
// a contiguous run of `size` floats (param, grad, momentum buffer); chunk c of the group
// is elements [(c - chunk_begin) * kOptimCudaChunk, ...) of the entry that holds it, found
// by binary search over chunk_begin. Sums are float64, reduced by warp shuffles; a
// tensor's chunk sums are added in chunk order, so a step is deterministic.
// Test: test/emu/optim_test.cc compares it, emulated, with optim_step_cpu under every
// schedule. Bench: bench/gpu (when a GPU is lent).
#include <string>

#include "../../cuda_emu/cuda.h"
#include "../reduce/block_reduce.cuh"
#include "optim.h"
#include "optim_coeffs.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

struct ChunkSums {
  double w2, g2;
};

// The per-tensor result of the second launch, read by the update.
struct TensorStep {
  OptimCoeffs c;
  bool skip, first;
};

__device__ int64_t tensor_chunks(const OptimCudaEntry& e) {
  return e.grad == nullptr || e.size == 0 ? 0 : (e.size + kOptimCudaChunk - 1) / kOptimCudaChunk;
}

// The entry holding chunk c: the last one whose chunk_begin is <= c (entries without
// chunks share their successor's chunk_begin and are passed over).
__device__ int64_t entry_of_chunk(const OptimCudaEntry* table, int64_t count, int64_t c) {
  int64_t lo = 0, hi = count - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (table[mid].chunk_begin <= c) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

__global__ void __launch_bounds__(kThreads) optim_sums(const OptimCudaEntry* table, int64_t count, bool need_w,
                                                     ChunkSums* sums) {
  const int64_t c = blockIdx.x;
  const OptimCudaEntry& e = table[entry_of_chunk(table, count, c)];
  const int64_t begin = (c - e.chunk_begin) * kOptimCudaChunk;
  const int64_t end = begin + kOptimCudaChunk < e.size ? begin + kOptimCudaChunk : e.size;
  double w2 = 0, g2 = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads) {
    const double g = e.grad[i];
    g2 += g * g;
    if (need_w) {
      const double w = e.param[i];
      w2 += w * w;
    }
  }
  g2 = block_sum(g2);
  if (need_w) w2 = block_sum(w2);
  if (threadIdx.x == 0) sums[c] = ChunkSums{w2, g2};
}

// One warp per tensor: its norms, the NaN/Inf check, the trust ratio, the flags.
__global__ void __launch_bounds__(kThreads) optim_prepare(OptimVariant variant, OptimHyper hyper,
                                                        const OptimCudaEntry* table, int64_t count,
                                                        const ChunkSums* sums, uint8_t* flags, float* trust_ratios,
                                                        unsigned* first_non_finite, TensorStep* steps) {
  const int64_t t = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) / 32;
  const unsigned lane = threadIdx.x % 32;
  if (t >= count) return;  // t is one per warp, so whole warps leave (warp_sum needs all 32 lanes)
  const OptimCudaEntry& e = table[t];
  const int64_t chunks = tensor_chunks(e);
  double w2 = 0, g2 = 0;
  for (int64_t k = lane; k < chunks; k += 32) {
    w2 += sums[e.chunk_begin + k].w2;
    g2 += sums[e.chunk_begin + k].g2;
  }
  w2 = warp_sum(w2);
  g2 = warp_sum(g2);
  if (lane != 0) return;
  uint8_t f = static_cast<uint8_t>(flags[t] & ~kOptimNonFinite);
  TensorStep s{};
  s.skip = chunks == 0;
  if (!s.skip && !isfinite(g2)) {
    f |= kOptimNonFinite;
    atomicMin(first_non_finite, static_cast<unsigned>(t));
    s.skip = true;
  }
  if (!s.skip) {
    const bool excluded = (f & kOptimExcluded) != 0;
    const double ratio = optim_trust_ratio(variant, hyper, excluded, sqrt(w2), sqrt(g2));
    s.c = optim_coeffs(variant, hyper, excluded, ratio);
    s.first = (f & kOptimMomentumReady) == 0;
    if (hyper.momentum != 0) f |= kOptimMomentumReady;
    if (trust_ratios != nullptr) trust_ratios[t] = static_cast<float>(ratio);
  }
  flags[t] = f;
  steps[t] = s;
}

template <bool kMomentum, bool kFirst, bool kNesterov>
__device__ void update_chunk(const TensorStep& s, const OptimCudaEntry& e, int64_t begin, int64_t end) {
  for (int64_t i = begin + threadIdx.x; i < end; i += kThreads)
    optim_update_element<kMomentum, kFirst, kNesterov>(s.c, e.param, e.grad, e.momentum, i);
}

__global__ void __launch_bounds__(kThreads) optim_update(const OptimCudaEntry* table, int64_t count,
                                                       const TensorStep* steps) {
  const int64_t c = blockIdx.x;
  const int64_t t = entry_of_chunk(table, count, c);
  const TensorStep& s = steps[t];
  if (s.skip) return;
  const OptimCudaEntry& e = table[t];
  const int64_t begin = (c - e.chunk_begin) * kOptimCudaChunk;
  const int64_t end = begin + kOptimCudaChunk < e.size ? begin + kOptimCudaChunk : e.size;
  // The branches are uniform across the block: one tensor's settings.
  if (s.c.m == 0) update_chunk<false, false, false>(s, e, begin, end);
  else if (s.first) s.c.nesterov ? update_chunk<true, true, true>(s, e, begin, end) : update_chunk<true, true, false>(s, e, begin, end);
  else s.c.nesterov ? update_chunk<true, false, true>(s, e, begin, end) : update_chunk<true, false, false>(s, e, begin, end);
}

size_t align16(size_t n) { return (n + 15) / 16 * 16; }

}  // namespace

Status optim_cuda_table(const OptimTensor* tensors, int64_t count, double momentum, OptimCudaEntry* entries,
                        int64_t* chunks) {
  int64_t next = 0;
  for (int64_t i = 0; i < count; ++i) {
    const OptimTensor& t = tensors[i];
    const bool active = t.grad != nullptr && t.size > 0;
    if (active && momentum != 0 && t.momentum == nullptr)
      return LB_FAIL("tensor " + std::to_string(i) + " has no momentum buffer but momentum is " + std::to_string(momentum));
    entries[i] = OptimCudaEntry{t.param, t.grad, t.momentum, t.size, next};
    if (active) next += (t.size + kOptimCudaChunk - 1) / kOptimCudaChunk;
  }
  if (next > 0x7fffffff) return LB_FAIL("a group of " + std::to_string(next) + " chunks needs more than 2^31 - 1 blocks");
  *chunks = next;
  return Status::Ok();
}

size_t optim_cuda_workspace_bytes(int64_t count, int64_t chunks) {
  return align16(sizeof(ChunkSums) * static_cast<size_t>(chunks)) + sizeof(TensorStep) * static_cast<size_t>(count);
}

Status optim_step_cuda(OptimVariant variant, const OptimHyper& hyper, const OptimCudaEntry* table, int64_t count,
                       int64_t chunks, uint8_t* flags, float* trust_ratios, int32_t* first_non_finite, void* workspace,
                       void* stream) {
  if (variant != OptimVariant::Sgd && variant != OptimVariant::LarsPaper && variant != OptimVariant::LarsStudy)
    return LB_FAIL("unknown optimizer variant " + std::to_string(static_cast<int>(variant)));
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  // -1 as unsigned is the largest index, so atomicMin leaves it when every gradient is finite.
  LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaMemsetAsync(first_non_finite, 0xFF, sizeof(int32_t), s), "optim_step: cudaMemsetAsync"));
  if (count == 0) return Status::Ok();
  ChunkSums* sums = static_cast<ChunkSums*>(workspace);
  TensorStep* steps = reinterpret_cast<TensorStep*>(static_cast<char*>(workspace) + align16(sizeof(ChunkSums) * static_cast<size_t>(chunks)));
  if (chunks > 0) {
    LB_LAUNCH(static_cast<unsigned>(chunks), kThreads, 0, s, optim_sums)(table, count, variant != OptimVariant::Sgd, sums);
    LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaGetLastError(), "optim_sums"));
  }
  const unsigned warps_per_block = kThreads / 32;
  const unsigned prepare_blocks = static_cast<unsigned>((count + warps_per_block - 1) / warps_per_block);
  LB_LAUNCH(prepare_blocks, kThreads, 0, s, optim_prepare)(variant, hyper, table, count, sums, flags, trust_ratios,
                                                          reinterpret_cast<unsigned*>(first_non_finite), steps);
  LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaGetLastError(), "optim_prepare"));
  if (chunks > 0) {
    LB_LAUNCH(static_cast<unsigned>(chunks), kThreads, 0, s, optim_update)(table, count, steps);
    LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaGetLastError(), "optim_update"));
  }
  return Status::Ok();
}

}  // namespace lb
