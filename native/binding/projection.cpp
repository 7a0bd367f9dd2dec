// projectCappedSimplex(y, groupSizes, budgets, x, thresholds | null, exec?) and its Async form.
#include <memory>
#include <numeric>
#include <vector>

#include "args.hpp"
#include "ops.hpp"

namespace kdlts_node {

namespace {

struct ProjectionState {
  std::vector<int64_t> sizes;
  std::vector<double> budgets;
  kdlts_projection_params params{};
  kdlts_exec exec{};
};

Napi::Value project_capped_simplex(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "projectCappedSimplexAsync" : "projectCappedSimplex"};
  auto env = info.Env();
  const auto y = float32_array(where, info[0], "y");
  auto state = std::make_shared<ProjectionState>();
  state->sizes = size_list(where, info[1], "groupSizes");
  state->budgets = number_list(where, info[2], "budgets");
  auto x = float32_array(where, info[3], "x");
  const bool has_thresholds = !(info[4].IsNull() || info[4].IsUndefined());
  state->exec = exec_arg(where, info[5]);
  const int64_t total = std::accumulate(state->sizes.begin(), state->sizes.end(), int64_t{0});
  require_length(env, where, "y", y.ElementLength(), static_cast<size_t>(total), "the sum of groupSizes");
  require_length(env, where, "x", x.ElementLength(), y.ElementLength(), "same length as y");
  require_length(env, where, "budgets", state->budgets.size(), state->sizes.size(), "one budget per group");
  double* thresholds = nullptr;
  std::vector<Napi::Value> keep{y, x};
  if (has_thresholds) {
    auto t = float64_array(where, info[4], "thresholds");
    require_length(env, where, "thresholds", t.ElementLength(), state->sizes.size(), "one per group");
    thresholds = t.Data();
    keep.push_back(t);
  }
  state->params.num_groups = static_cast<int64_t>(state->sizes.size());
  state->params.group_sizes = state->sizes.data();
  state->params.budgets = state->budgets.data();
  const float* in = y.Data();
  float* out = x.Data();
  return run_op(env, where.fn, async,
                [state, in, out, thresholds] {
                  return kdlts_project_capped_simplex(&state->exec, &state->params, in, out, thresholds);
                },
                keep, x);
}

}  // namespace

void register_projection(Napi::Env env, Napi::Object exports) {
  register_op<project_capped_simplex>(env, exports, "projectCappedSimplex");
}

}  // namespace kdlts_node
