// Bindings for the runtime: thread pool size, CPU features, CUDA status and memory.
#include <napi.h>

#include "../core/thread_pool.h"
#include "../device/cuda_device.h"
#include "../kernels/gemm/gemm.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int64_t n = arg_int(info, 0, "setNumThreads");
  if (n < 1 || n > 1024) throw_error(info.Env(), "setNumThreads", "thread count must be in [1, 1024], got " + std::to_string(n));
  set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
#if defined(__x86_64__)
  const char* simd = __builtin_cpu_supports("avx512f") ? "avx512" : (__builtin_cpu_supports("avx2") ? "avx2" : "portable");
#else
  const char* simd = "portable";
#endif
  o.Set("simd", simd);
  o.Set("sgemmKernel", sgemm_kernel_name());
  return o;
}

Napi::Value CudaInfoExport(const Napi::CallbackInfo& info) {
  const CudaInfo& c = cuda_info();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("built", c.built);
  o.Set("available", c.available);
  o.Set("emulated", c.emulated);
  o.Set("deviceCount", c.device_count);
  o.Set("reason", c.reason);
  return o;
}

Napi::Value CudaSync(const Napi::CallbackInfo& info) {
  throw_if_failed(info.Env(), "cudaSync", cuda_synchronize());
  return info.Env().Undefined();
}

Napi::Value CudaMemoryStatsExport(const Napi::CallbackInfo& info) {
  const CudaMemoryStats stats = cuda_memory_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  // Doubles hold byte counts exactly up to 2^53.
  o.Set("inUseBytes", static_cast<double>(stats.in_use_bytes));
  o.Set("peakBytes", static_cast<double>(stats.peak_bytes));
  return o;
}

Napi::Value CudaResetPeakMemory(const Napi::CallbackInfo& info) {
  cuda_reset_peak_memory();
  return info.Env().Undefined();
}

Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
  throw_if_failed(info.Env(), "cudaEmptyCache", cuda_empty_cache());
  return info.Env().Undefined();
}

}  // namespace

void register_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, GetNumThreads, "getNumThreads"));
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo, "cpuInfo"));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfoExport, "cudaInfo"));
  exports.Set("cudaSync", Napi::Function::New(env, CudaSync, "cudaSync"));
  exports.Set("cudaMemoryStats", Napi::Function::New(env, CudaMemoryStatsExport, "cudaMemoryStats"));
  exports.Set("cudaResetPeakMemory", Napi::Function::New(env, CudaResetPeakMemory, "cudaResetPeakMemory"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, CudaEmptyCache, "cudaEmptyCache"));
}

}  // namespace lb
