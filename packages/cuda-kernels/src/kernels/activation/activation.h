// Fused activations over contiguous arrays of n values, for the ReLUs of a ResNet:
//   relu:          out = max(a, 0)             (NaN stays NaN, as torch.relu)
//   add_relu:      out = max(a + b, 0)         (the residual join of a ResNet block)
//   relu_backward: out = a where b > 0, else 0 (a = dy, b = the ReLU's output y)
// float32 and float64. Bench: `npx tsx bench/conv.ts` from the repo root.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

enum class ActivationOp : int { Relu = 0, AddRelu = 1, ReluBackward = 2 };

// b is read by add_relu and relu_backward only (and may be null for relu).
Status activation_cpu(ActivationOp op, DType type, int64_t n, const void* a, const void* b, void* out);

}  // namespace lb
