// Index kernels on a contiguous [outer, dim, inner] array with int32 indices:
// index_select: out[o, j, i] = in[o, idx[j], i];
// index_add:    dst[o, idx[j], i] += src[o, j, i] (the gradient of index_select;
//               repeated indices accumulate).
// An index outside [0, dim) fails naming its position and value; nothing is written then.
// CUDA (index_cuda.cu): the same results; since the indices are device memory and the
// host is not made to wait, a bad index is reported through a device int32 instead (the
// lowest position holding one, or -1), and nothing is written then either.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

Status index_select_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* in, const int32_t* idx,
                        int64_t n_idx, void* out);
Status index_add_cpu(DType type, int64_t outer, int64_t dim, int64_t inner, const void* src, const int32_t* idx,
                     int64_t n_idx, void* dst);

// in/src, idx, out/dst and bad_position (one int32) are device memory; stream is a
// cudaStream_t (null: the default stream).
Status index_select_cuda(DType type, int64_t outer, int64_t dim, int64_t inner, const void* in, const int32_t* idx,
                         int64_t n_idx, void* out, int32_t* bad_position, void* stream);
Status index_add_cuda(DType type, int64_t outer, int64_t dim, int64_t inner, const void* src, const int32_t* idx,
                      int64_t n_idx, void* dst, int32_t* bad_position, void* stream);

}  // namespace lb
