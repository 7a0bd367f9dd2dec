// topkMask(scores, groupSizes, k, mask: Uint8Array | Float32Array, exec?) and its Async form.
#include <memory>
#include <numeric>
#include <vector>

#include "args.hpp"
#include "ops.hpp"

namespace kdlts_node {

namespace {

struct TopkState {
  std::vector<int64_t> sizes;
  std::vector<int64_t> k;
  kdlts_topk_params params{};
  kdlts_exec exec{};
};

Napi::Value topk_mask(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "topkMaskAsync" : "topkMask"};
  auto env = info.Env();
  const auto scores = float32_array(where, info[0], "scores");
  auto state = std::make_shared<TopkState>();
  state->sizes = size_list(where, info[1], "groupSizes");
  state->k = size_list(where, info[2], "k");
  kdlts_mask_type type = KDLTS_MASK_U8;
  const auto mask = mask_array(where, info[3], &type);
  state->exec = exec_arg(where, info[4]);
  const int64_t total = std::accumulate(state->sizes.begin(), state->sizes.end(), int64_t{0});
  require_length(env, where, "scores", scores.ElementLength(), static_cast<size_t>(total), "the sum of groupSizes");
  require_length(env, where, "mask", mask.ElementLength(), scores.ElementLength(), "same length as scores");
  require_length(env, where, "k", state->k.size(), state->sizes.size(), "one k per group");
  state->params.num_groups = static_cast<int64_t>(state->sizes.size());
  state->params.group_sizes = state->sizes.data();
  state->params.k = state->k.data();
  state->params.mask_type = type;
  const float* in = scores.Data();
  void* out = static_cast<uint8_t*>(mask.ArrayBuffer().Data()) + mask.ByteOffset();
  return run_op(env, where.fn, async,
                [state, in, out] { return kdlts_topk_mask(&state->exec, &state->params, in, out); },
                {scores, mask}, mask);
}

}  // namespace

void register_topk(Napi::Env env, Napi::Object exports) {
  register_op<topk_mask>(env, exports, "topkMask");
}

}  // namespace kdlts_node
