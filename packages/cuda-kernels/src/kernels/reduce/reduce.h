// Reductions over the middle axis of a contiguous [outer, size, inner] array:
// out[o, i] = reduce_r in[o, r, i]. TypeScript reduces several dimensions one at a time.
// Float sums accumulate in double; max/min propagate NaN as torch.max does; arg ops return
// the first index of the extreme value (or of the first NaN) as int32.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

enum class ReduceOp : int { Sum = 0, Max, Min, ArgMax, ArgMin };

Status reduce_cpu(ReduceOp op, DType type, int64_t outer, int64_t size, int64_t inner, const void* in, void* out);

}  // namespace lb
