// The addon's entry point: a thin layer of exports (memory, runtime, one launch per kernel
// family). Shapes, broadcasting and dtype rules live in TypeScript; see src/binding.ts for
// the typed interface that mirrors these exports.
#include <napi.h>

#include "bindings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  lb::register_memory(env, exports);
  lb::register_runtime(env, exports);
  lb::register_elementwise(env, exports);
  lb::register_reduce(env, exports);
  lb::register_matmul(env, exports);
  lb::register_random(env, exports);
  lb::register_index(env, exports);
  lb::register_bench(env, exports);
  lb::register_convnet(env, exports);
  lb::register_optim(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(largebatch_kernels, Init)
