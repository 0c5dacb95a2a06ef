// Random fills. Element i of a draw uses Philox block (counter + i / 4), word i % 4, so a
// draw of n values advances the generator by ceil(n / 4) blocks. Normal values come from
// Box-Muller on the block's words (0,1) and (2,3): cos for the first of a pair, sin for the
// second.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

enum class Distribution : int { Uniform = 0, Normal = 1 };

// Uniform: low + (high - low) * u; Normal: mean a, std b. type is float32 or float64.
Status random_fill_cpu(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                       double b);

}  // namespace lb
