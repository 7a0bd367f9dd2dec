// The Node addon's entry point: registers every op file's functions plus info().
// Thin by design: argument checks and conversions only; all math lives in the C library.
#include <napi.h>

#include "kdlts.h"
#include "ops.hpp"

namespace kdlts_node {

namespace {

Napi::Value info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto out = Napi::Object::New(env);
  out.Set("version", kdlts_version());
  out.Set("gemmEngine", kdlts_gemm_engine());
  out.Set("cudaCompiled", Napi::Boolean::New(env, kdlts_cuda_compiled() != 0));
  out.Set("cudaDevices", Napi::Number::New(env, kdlts_cuda_device_count()));
  out.Set("hardwareThreads", Napi::Number::New(env, kdlts_hardware_threads()));
  return out;
}

}  // namespace

}  // namespace kdlts_node

// NODE_API_MODULE pastes the function's name into an identifier: it must be unqualified.
static Napi::Object kdlts_init(Napi::Env env, Napi::Object exports) {
  using namespace kdlts_node;
  exports.Set("info", Napi::Function::New(env, kdlts_node::info, "info"));
  register_gram(env, exports);
  register_projection(env, exports);
  register_topk(env, exports);
  register_building_blocks(env, exports);
  register_nn_conv(env, exports);
  register_nn_ops(env, exports);
  return exports;
}

NODE_API_MODULE(kdlts, kdlts_init)
