// A fixed pool of worker threads for the CPU kernels. The calling thread takes part in
// every parallel_for, so a pool of n threads runs n-1 workers. Size from
// LARGEBATCH_NUM_THREADS, else the core count; setNumThreads(n) resizes it.
#pragma once
#include <cstdint>
#include <functional>

namespace lb {

int num_threads();
void set_num_threads(int n);

// Runs body(begin, end) over [0, n) in contiguous chunks, one per thread, and returns
// when all are done. Runs inline when n < 2*grain, when one thread is set, or when
// called from inside another parallel_for (no nested parallelism).
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

// Runs body(task) for task in [0, tasks), dealing tasks out dynamically (for uneven work).
void parallel_tasks(int64_t tasks, const std::function<void(int64_t)>& body);

}  // namespace lb
