// Reductions over the middle axis of a contiguous [outer, size, inner] array:
// out[o, i] = reduce_r in[o, r, i]. TypeScript reduces several dimensions one at a time.
// Float sums accumulate in double; max/min propagate NaN as torch.max does; arg ops return
// the first index of the extreme value (or of the first NaN) as int32.
// CUDA (reduce_cuda.cu): the same results on device memory; integer and float64 sums are
// exact to the CPU's, float32 sums accumulate in float64 in another order.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

enum class ReduceOp : int { Sum = 0, Max, Min, ArgMax, ArgMin };

Status reduce_cpu(ReduceOp op, DType type, int64_t outer, int64_t size, int64_t inner, const void* in, void* out);

// in and out are device memory; stream is a cudaStream_t (null: the default stream).
Status reduce_cuda(ReduceOp op, DType type, int64_t outer, int64_t size, int64_t inner, const void* in, void* out,
                   void* stream);

}  // namespace lb
