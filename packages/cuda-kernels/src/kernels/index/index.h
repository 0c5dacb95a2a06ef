// Index kernels on a contiguous [outer, dim, inner] array with int32 indices:
// index_select: out[o, j, i] = in[o, idx[j], i];
// index_add:    dst[o, idx[j], i] += src[o, j, i] (the gradient of index_select;
//               repeated indices accumulate).
// An index outside [0, dim) fails naming its position and value; nothing is written then.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

Status index_select_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* in, const int32_t* idx,
                        int64_t n_idx, void* out);
Status index_add_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* src, const int32_t* idx,
                     int64_t n_idx, void* dst);

}  // namespace lb
