// The machine's measured float32 FMA peak: the ceiling that the GEMM and convolution
// kernels are judged against (bench/ reports their GFLOP/s as a fraction of it).
#pragma once

namespace lb {

// Runs independent chains of fused multiply-adds, in the widest SIMD this CPU has, on
// `threads` threads for about `seconds`, and returns the GFLOP/s reached (one FMA = 2 flops).
double measure_fma_peak(int threads, double seconds);

}  // namespace lb
