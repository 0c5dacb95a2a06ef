// Bindings for machine measurements that bench/ reports beside kernel timings.
#include <napi.h>

#include <string>

#include "../kernels/fma_peak/fma_peak.h"
#include "bindings.h"
#include "napi_util.h"

namespace lb {
namespace {

// measureFmaPeak(threads, seconds) -> GFLOP/s; blocks the JS thread for about `seconds`.
Napi::Value MeasureFmaPeak(const Napi::CallbackInfo& info) {
  const char* k = "measureFmaPeak";
  const int64_t threads = arg_int(info, 0, k);
  const double seconds = arg_number(info, 1, k);
  if (threads < 1 || threads > 1024) throw_error(info.Env(), k, "threads must be in [1, 1024], got " + std::to_string(threads));
  if (!(seconds > 0 && seconds <= 60)) throw_error(info.Env(), k, "seconds must be in (0, 60], got " + std::to_string(seconds));
  return Napi::Number::New(info.Env(), measure_fma_peak(static_cast<int>(threads), seconds));
}

}  // namespace

void register_bench(Napi::Env env, Napi::Object exports) {
  exports.Set("measureFmaPeak", Napi::Function::New(env, MeasureFmaPeak, "measureFmaPeak"));
}

}  // namespace lb
