// Each bind_*.cc registers one family of exports; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace lb {

void register_memory(Napi::Env env, Napi::Object exports);
void register_runtime(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_reduce(Napi::Env env, Napi::Object exports);
void register_matmul(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_index(Napi::Env env, Napi::Object exports);
void register_bench(Napi::Env env, Napi::Object exports);
void register_convnet(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);

}  // namespace lb
