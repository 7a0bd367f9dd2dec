// gramForward(features, batch, grams, {normalize, eps}, exec?) and
// gramBackward(features, dgrams, batch, dfeatures, {normalize, eps}, exec?), each also *Async.
#include <memory>
#include <vector>

#include "args.hpp"
#include "ops.hpp"

namespace kdlts_node {

namespace {

struct GramState {
  std::vector<int64_t> dims;
  std::vector<const float*> features;
  std::vector<float*> dfeatures;
  kdlts_gram_params params{};
  kdlts_exec exec{};
};

// Checks features (B x D_l blocks) and the options; fills state->dims and the params.
void read_gram_inputs(const Napi::CallbackInfo& info, const Where& where,
                      const std::vector<Napi::Float32Array>& features, int64_t batch,
                      const Napi::Value& options, GramState* state) {
  auto env = info.Env();
  for (size_t l = 0; l < features.size(); ++l) {
    const int64_t length = static_cast<int64_t>(features[l].ElementLength());
    if (batch == 0 ? length != 0 : length % batch != 0) {
      throw Napi::RangeError::New(env, where.arg("features[" + std::to_string(l) + "]") + " has length " +
                                           std::to_string(length) + ", not a multiple of batch = " +
                                           std::to_string(batch));
    }
    state->dims.push_back(batch == 0 ? 0 : length / batch);
    state->features.push_back(features[l].Data());
  }
  if (!options.IsObject()) throw Napi::TypeError::New(env, where.arg("options") + " must be an object");
  const auto object = options.As<Napi::Object>();
  const auto normalize = object.Get("normalize");
  if (!normalize.IsBoolean()) throw Napi::TypeError::New(env, where.arg("options.normalize") + " must be a boolean");
  const double eps = number_arg(where, object.Get("eps"), "options.eps");
  if (eps < 0.0) throw Napi::RangeError::New(env, where.arg("options.eps") + " must be >= 0");
  state->params.num_blocks = static_cast<int64_t>(features.size());
  state->params.batch = batch;
  state->params.dims = state->dims.data();
  state->params.normalize = normalize.As<Napi::Boolean>().Value() ? 1 : 0;
  state->params.eps = static_cast<float>(eps);
}

Napi::Value gram_forward(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "gramForwardAsync" : "gramForward"};
  auto env = info.Env();
  const auto features = float32_arrays(where, info[0], "features");
  const int64_t batch = size_arg(where, info[1], "batch");
  auto grams = float32_array(where, info[2], "grams");
  auto state = std::make_shared<GramState>();
  read_gram_inputs(info, where, features, batch, info[3], state.get());
  state->exec = exec_arg(where, info[4]);
  const size_t block = static_cast<size_t>(batch * batch);
  require_length(env, where, "grams", grams.ElementLength(), features.size() * block,
                 "features.length * batch * batch");
  float* out = grams.Data();
  std::vector<Napi::Value> keep(features.begin(), features.end());
  keep.push_back(grams);
  return run_op(env, where.fn, async,
                [state, out] { return kdlts_gram_forward(&state->exec, &state->params, state->features.data(), out); },
                keep, grams);
}

Napi::Value gram_backward(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "gramBackwardAsync" : "gramBackward"};
  auto env = info.Env();
  const auto features = float32_arrays(where, info[0], "features");
  const auto dgrams = float32_array(where, info[1], "dgrams");
  const int64_t batch = size_arg(where, info[2], "batch");
  auto dfeatures = float32_arrays(where, info[3], "dfeatures");
  auto state = std::make_shared<GramState>();
  read_gram_inputs(info, where, features, batch, info[4], state.get());
  state->exec = exec_arg(where, info[5]);
  require_length(env, where, "dgrams", dgrams.ElementLength(), features.size() * static_cast<size_t>(batch * batch),
                 "features.length * batch * batch");
  require_length(env, where, "dfeatures", dfeatures.size(), features.size(), "one block per feature block");
  for (size_t l = 0; l < dfeatures.size(); ++l) {
    require_length(env, where, "dfeatures[" + std::to_string(l) + "]", dfeatures[l].ElementLength(),
                   features[l].ElementLength(), "same shape as features[" + std::to_string(l) + "]");
    if (dfeatures[l].ElementLength() > 0 && dfeatures[l].ArrayBuffer() == features[l].ArrayBuffer()) {
      throw Napi::RangeError::New(env, where.arg("dfeatures[" + std::to_string(l) + "]") +
                                           " must not share memory with features[" + std::to_string(l) + "]");
    }
    state->dfeatures.push_back(dfeatures[l].Data());
  }
  const float* dg = dgrams.Data();
  std::vector<Napi::Value> keep(features.begin(), features.end());
  keep.insert(keep.end(), dfeatures.begin(), dfeatures.end());
  keep.push_back(dgrams);
  return run_op(env, where.fn, async,
                [state, dg] {
                  return kdlts_gram_backward(&state->exec, &state->params, state->features.data(), dg,
                                             state->dfeatures.data());
                },
                keep, info[3]);
}

}  // namespace

void register_gram(Napi::Env env, Napi::Object exports) {
  register_op<gram_forward>(env, exports, "gramForward");
  register_op<gram_backward>(env, exports, "gramBackward");
}

}  // namespace kdlts_node
