// Each op file registers its functions (sync and *Async) on the addon's exports.
#pragma once

#include <napi.h>

namespace kdlts_node {

void register_gram(Napi::Env env, Napi::Object exports);
void register_projection(Napi::Env env, Napi::Object exports);
void register_topk(Napi::Env env, Napi::Object exports);
void register_building_blocks(Napi::Env env, Napi::Object exports);
void register_nn_conv(Napi::Env env, Napi::Object exports);  // nn_conv.cpp: matmul, conv2d*
void register_nn_ops(Napi::Env env, Napi::Object exports);   // nn_ops.cpp: the other training kernels

// Registers `name` (sync) and `nameAsync` (Promise) for an op implemented as fn(info, async).
template <Napi::Value (*Fn)(const Napi::CallbackInfo&, bool)>
void register_op(Napi::Env env, Napi::Object exports, const std::string& name) {
  exports.Set(name, Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Fn(info, false); }, name));
  exports.Set(name + "Async",
              Napi::Function::New(env, [](const Napi::CallbackInfo& info) { return Fn(info, true); }, name + "Async"));
}

}  // namespace kdlts_node
