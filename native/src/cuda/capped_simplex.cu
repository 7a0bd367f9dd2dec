// Batched capped-simplex projection on CUDA (see kdlts.h and ref::project_capped_simplex).
//
// Per group: x_i = clip(y_i - lambda, 0, 1) with phi(lambda) = sum_i clip(y_i - lambda, 0, 1) = k.
// phi is continuous, piecewise linear and non-increasing, with breakpoints y_i - 1 and y_i.
//   1. scan      min / max of y per group, and the lowest non-finite index.
//   2. bisection on [min y - 1, max y] (phi(lo) > k >= phi(hi)) in double until the bracket is
//                2^-50 of its magnitude wide; every step is one pass over the data.
//   3. walk      exact finish: at a point lambda0, one pass gives the linear pieces of phi on
//                either side of lambda0 (counts of saturated and linear elements, sum of
//                y - lambda0 over the linear ones) and the nearest breakpoints below and above.
//                If k is reached inside one of the two pieces, lambda solves that piece's
//                linear equation exactly; else lambda0 moves to the breakpoint in the direction
//                of the solution. Starting from the bisection's hi this takes one or two passes.
//                On a flat stretch phi = k the leftmost point is taken, as the reference does.
// k = 0 gives lambda = max y, k = n gives lambda = min y - 1 (the reference's choices).
// Groups are split into warp-sized work items; each pass writes one partial per item and a
// warp per group sums its items in a fixed order, so the result is deterministic.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/cuda_util.cuh"
#include "cuda/ops.hpp"
#include "error.hpp"

namespace kdlts::cuda {

namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kThreads = kWarpsPerBlock * kWarpSize;
constexpr int kMaxBisectionSteps = 320;  // the relative stop below is reached within ~250
constexpr int kStepsPerCheck = 8;        // bisection steps between host checks for convergence
constexpr int kMaxWalkSteps = 64;
constexpr unsigned long long kNone = ~0ull;

enum Phase : int32_t { kDone = 0, kBisect = 1, kWalk = 2 };

struct GroupState {
  int64_t size;
  double budget;  // k
  double lo, hi;  // bisection bracket
  double lambda;  // the point being evaluated; the answer once phase == kDone
  int32_t phase;
  int32_t unused;
};

struct ScanPartial {
  float min, max;
};

// One side of lambda0: phi(l) = ones + sum_lin - lin (l - lambda0) on the piece that side.
struct WalkPartial {
  unsigned long long ones_left, lin_left, ones_right, lin_right;
  double sum_left, sum_right;  // sums of y - lambda0 over the linear elements
  double below, above;         // nearest breakpoints strictly below / above lambda0 (+-inf: none)
};

// Loop helpers: each warp takes work items (or groups) in a grid-stride loop.
__device__ __forceinline__ int64_t first_warp() {
  return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarpSize;
}
__device__ __forceinline__ int64_t warp_stride() {
  return static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
}

__global__ void __launch_bounds__(kThreads)
    projection_scan_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                           const float* __restrict__ y, ScanPartial* __restrict__ partials,
                           unsigned long long* bad_index) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      const float v = y[i];
      if (!isfinite(v)) atomicMin(bad_index, static_cast<unsigned long long>(i));
      lo = fminf(lo, v);
      hi = fmaxf(hi, v);
    }
    const double item_min = warp_min(static_cast<double>(lo));
    const double item_max = warp_max(static_cast<double>(hi));
    if (lane == 0) partials[it] = {static_cast<float>(item_min), static_cast<float>(item_max)};
  }
}

// Sets each group's phase, bracket and first lambda from its min / max.
__global__ void __launch_bounds__(kThreads)
    projection_init_kernel(GroupState* __restrict__ groups, int64_t num_groups,
                           const int64_t* __restrict__ first_item,
                           const ScanPartial* __restrict__ partials) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t g = first_warp(); g < num_groups; g += warp_stride()) {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t it = first_item[g] + lane; it < first_item[g + 1]; it += kWarpSize) {
      lo = fmin(lo, static_cast<double>(partials[it].min));
      hi = fmax(hi, static_cast<double>(partials[it].max));
    }
    const double y_min = warp_min(lo);
    const double y_max = warp_max(hi);
    if (lane != 0) continue;
    GroupState s = groups[g];
    s.phase = kDone;
    if (s.size == 0) {
      s.lambda = 0.0;
    } else if (s.budget <= 0.0) {
      s.lambda = y_max;
    } else if (s.budget >= static_cast<double>(s.size)) {
      s.lambda = y_min - 1.0;
    } else {
      s.phase = kBisect;
      s.lo = y_min - 1.0;  // phi = n > k
      s.hi = y_max;        // phi = 0 <= k
      s.lambda = s.lo + 0.5 * (s.hi - s.lo);
    }
    groups[g] = s;
  }
}

// phi(lambda) of each item of a bisecting group.
__global__ void __launch_bounds__(kThreads)
    projection_phi_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                          const float* __restrict__ y, const GroupState* __restrict__ groups,
                          double* __restrict__ partials) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    const GroupState& s = groups[item.group];
    if (s.phase != kBisect) continue;  // uniform per warp
    const double lambda = s.lambda;
    double phi = 0.0;
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      phi += fmin(1.0, fmax(0.0, static_cast<double>(y[i]) - lambda));
    }
    phi = warp_sum(phi);
    if (lane == 0) partials[it] = phi;
  }
}

// One bisection step per bisecting group; counts the groups still bisecting in *active.
// force_walk ends the bisection of every group (the step cap).
__global__ void __launch_bounds__(kThreads)
    projection_bisect_update_kernel(GroupState* __restrict__ groups, int64_t num_groups,
                                    const int64_t* __restrict__ first_item,
                                    const double* __restrict__ partials,
                                    unsigned long long* active, bool force_walk) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t g = first_warp(); g < num_groups; g += warp_stride()) {
    if (groups[g].phase != kBisect) continue;  // uniform per warp
    double phi = 0.0;
    for (int64_t it = first_item[g] + lane; it < first_item[g + 1]; it += kWarpSize) phi += partials[it];
    phi = warp_sum(phi);
    if (lane != 0) continue;
    GroupState s = groups[g];
    if (phi > s.budget) {
      s.lo = s.lambda;
    } else {
      s.hi = s.lambda;
    }
    const double width = s.hi - s.lo;
    const double scale = fmax(fmax(fabs(s.lo), fabs(s.hi)), 0x1p-70);
    const double mid = s.lo + 0.5 * width;
    if (force_walk || width <= 0x1p-50 * scale || !(mid > s.lo && mid < s.hi)) {
      s.phase = kWalk;
      s.lambda = s.hi;  // phi(hi) <= k: the solution is at or just left of hi
    } else {
      s.lambda = mid;
      atomicAdd(active, 1ull);
    }
    groups[g] = s;
  }
}

// The pieces of phi on either side of lambda0 for each item of a walking group.
__global__ void __launch_bounds__(kThreads)
    projection_walk_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                           const float* __restrict__ y, const GroupState* __restrict__ groups,
                           WalkPartial* __restrict__ partials) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    const GroupState& s = groups[item.group];
    if (s.phase != kWalk) continue;  // uniform per warp
    const double lambda0 = s.lambda;
    WalkPartial p{0, 0, 0, 0, 0.0, 0.0, -INFINITY, INFINITY};
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      const double v = static_cast<double>(y[i]);  // breakpoints v - 1 and v, as the reference
      const double v1 = v - 1.0;
      // Left piece (below, lambda0]: saturated iff v - 1 >= lambda0, linear iff v - 1 < lambda0 <= v.
      if (v1 >= lambda0) {
        ++p.ones_left;
      } else if (v >= lambda0) {
        ++p.lin_left;
        p.sum_left += v - lambda0;
      }
      // Right piece [lambda0, above): saturated iff v - 1 > lambda0, linear iff v - 1 <= lambda0 < v.
      if (v1 > lambda0) {
        ++p.ones_right;
      } else if (v > lambda0) {
        ++p.lin_right;
        p.sum_right += v - lambda0;
      }
      if (v < lambda0) {
        p.below = fmax(p.below, v);
      } else if (v1 < lambda0) {
        p.below = fmax(p.below, v1);
      }
      if (v1 > lambda0) {
        p.above = fmin(p.above, v1);
      } else if (v > lambda0) {
        p.above = fmin(p.above, v);
      }
    }
    p.ones_left = warp_sum(p.ones_left);
    p.lin_left = warp_sum(p.lin_left);
    p.ones_right = warp_sum(p.ones_right);
    p.lin_right = warp_sum(p.lin_right);
    p.sum_left = warp_sum(p.sum_left);
    p.sum_right = warp_sum(p.sum_right);
    p.below = warp_max(p.below);
    p.above = warp_min(p.above);
    if (lane == 0) partials[it] = p;
  }
}

struct WalkDecision {
  bool done;
  double lambda;  // the answer when done, else the next lambda0
};

// From the pieces of phi either side of lambda0: the exact lambda when k is reached in one of
// them (the leftmost one on a flat stretch at k), else the next breakpoint towards it.
__device__ WalkDecision walk_decision(const WalkPartial& p, double lambda0, double k) {
  const double lin_left = static_cast<double>(p.lin_left);
  const double lin_right = static_cast<double>(p.lin_right);
  const double ones_left = static_cast<double>(p.ones_left);
  const double ones_right = static_cast<double>(p.ones_right);
  double lambda_left = lambda0, lambda_right = lambda0;
  if (p.lin_left > 0) {
    lambda_left = lambda0 + (ones_left + p.sum_left - k) / lin_left;
    if (lambda_left >= p.below && lambda_left <= lambda0) return {true, lambda_left};
  } else if (ones_left == k && p.below > -INFINITY) {
    return {false, p.below};  // phi = k all over the left piece: the leftmost point is further left
  }
  if (p.lin_right > 0) {
    lambda_right = lambda0 + (ones_right + p.sum_right - k) / lin_right;
    if (lambda_right >= lambda0 && lambda_right <= p.above) return {true, lambda_right};
  } else if (ones_right == k) {
    return {true, lambda0};  // phi = k from lambda0 on, and not left of it
  }
  const bool go_left = p.lin_left > 0 ? lambda_left < p.below : ones_left < k;
  const bool go_right = p.lin_right > 0 ? lambda_right > p.above : ones_right > k;
  if (go_left && p.below > -INFINITY) return {false, p.below};
  if (go_right && p.above < INFINITY) return {false, p.above};
  return {true, lambda0};  // k is met at lambda0 up to rounding
}

__global__ void __launch_bounds__(kThreads)
    projection_walk_update_kernel(GroupState* __restrict__ groups, int64_t num_groups,
                                  const int64_t* __restrict__ first_item,
                                  const WalkPartial* __restrict__ partials,
                                  unsigned long long* active, bool last_step) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t g = first_warp(); g < num_groups; g += warp_stride()) {
    if (groups[g].phase != kWalk) continue;  // uniform per warp
    WalkPartial p{0, 0, 0, 0, 0.0, 0.0, -INFINITY, INFINITY};
    for (int64_t it = first_item[g] + lane; it < first_item[g + 1]; it += kWarpSize) {
      const WalkPartial& q = partials[it];
      p.ones_left += q.ones_left;
      p.lin_left += q.lin_left;
      p.ones_right += q.ones_right;
      p.lin_right += q.lin_right;
      p.sum_left += q.sum_left;
      p.sum_right += q.sum_right;
      p.below = fmax(p.below, q.below);
      p.above = fmin(p.above, q.above);
    }
    p.ones_left = warp_sum(p.ones_left);
    p.lin_left = warp_sum(p.lin_left);
    p.ones_right = warp_sum(p.ones_right);
    p.lin_right = warp_sum(p.lin_right);
    p.sum_left = warp_sum(p.sum_left);
    p.sum_right = warp_sum(p.sum_right);
    p.below = warp_max(p.below);
    p.above = warp_min(p.above);
    if (lane != 0) continue;
    GroupState s = groups[g];
    const WalkDecision d = walk_decision(p, s.lambda, s.budget);
    if (d.done || last_step) {
      if (d.done) s.lambda = d.lambda;  // at the cap, keep the last evaluated point
      s.phase = kDone;
    } else {
      s.lambda = d.lambda;
      atomicAdd(active, 1ull);
    }
    groups[g] = s;
  }
}

__global__ void __launch_bounds__(kThreads)
    projection_write_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                            const float* __restrict__ y, const GroupState* __restrict__ groups,
                            float* __restrict__ x) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    const double lambda = groups[item.group].lambda;
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      x[i] = static_cast<float>(fmin(1.0, fmax(0.0, static_cast<double>(y[i]) - lambda)));
    }
  }
}

}  // namespace

void project_capped_simplex(const kdlts_projection_params& params, const float* y, float* x,
                            double* thresholds) {
  const int64_t num_groups = params.num_groups;
  const GroupItems parts = split_groups(num_groups, params.group_sizes);
  const int64_t n = parts.group_begin[num_groups];
  const int64_t num_items = static_cast<int64_t>(parts.items.size());

  std::vector<GroupState> host_groups(static_cast<size_t>(num_groups));
  for (int64_t g = 0; g < num_groups; ++g) {
    host_groups[g] = GroupState{params.group_sizes[g], params.budgets[g], 0.0, 0.0, 0.0, kDone, 0};
  }

  DeviceBuffer<float> d_y(static_cast<size_t>(n), "cudaMalloc(y)");
  DeviceBuffer<float> d_x(static_cast<size_t>(n), "cudaMalloc(x)");
  DeviceBuffer<WorkItem> d_items(parts.items.size(), "cudaMalloc(work items)");
  DeviceBuffer<int64_t> d_first_item(parts.first_item.size(), "cudaMalloc(group items)");
  DeviceBuffer<GroupState> d_groups(host_groups.size(), "cudaMalloc(group states)");
  DeviceBuffer<unsigned long long> d_counter(1, "cudaMalloc(counter)");
  d_y.upload(y, static_cast<size_t>(n), "copy y to the device");
  d_items.upload(parts.items, "copy work items to the device");
  d_first_item.upload(parts.first_item, "copy group items to the device");
  d_groups.upload(host_groups, "copy group states to the device");

  const unsigned item_blocks = grid_size(num_items, kWarpsPerBlock);
  const unsigned group_blocks = grid_size(num_groups, kWarpsPerBlock);

  // 1. scan: min / max per group, lowest non-finite index.
  {
    DeviceBuffer<ScanPartial> partials(static_cast<size_t>(num_items), "cudaMalloc(scan partials)");
    d_counter.fill_bytes(0xFF, "cudaMemset(bad index)");
    projection_scan_kernel<<<item_blocks, kThreads>>>(d_items.get(), num_items, d_y.get(),
                                                      partials.get(), d_counter.get());
    check_launch("projection_scan_kernel");
    const unsigned long long bad = download_value(d_counter.get(), "copy bad index to the host");
    if (bad != kNone) {
      const int64_t i = static_cast<int64_t>(bad);
      const int64_t g = group_of(parts.group_begin, i);
      fail(KDLTS_ERR_NON_FINITE, "y[" + std::to_string(i) + "] (group " + std::to_string(g) +
                                     ", element " + std::to_string(i - parts.group_begin[g]) +
                                     ") is not finite");
    }
    projection_init_kernel<<<group_blocks, kThreads>>>(d_groups.get(), num_groups,
                                                       d_first_item.get(), partials.get());
    check_launch("projection_init_kernel");
  }

  // 2. bisection, checking every kStepsPerCheck steps whether any group still bisects.
  {
    DeviceBuffer<double> partials(static_cast<size_t>(num_items), "cudaMalloc(phi partials)");
    for (int step = 0; step < kMaxBisectionSteps;) {
      for (int s = 0; s < kStepsPerCheck && step < kMaxBisectionSteps; ++s, ++step) {
        projection_phi_kernel<<<item_blocks, kThreads>>>(d_items.get(), num_items, d_y.get(),
                                                         d_groups.get(), partials.get());
        check_launch("projection_phi_kernel");
        d_counter.fill_bytes(0, "cudaMemset(active groups)");
        projection_bisect_update_kernel<<<group_blocks, kThreads>>>(
            d_groups.get(), num_groups, d_first_item.get(), partials.get(), d_counter.get(),
            step == kMaxBisectionSteps - 1);
        check_launch("projection_bisect_update_kernel");
      }
      if (download_value(d_counter.get(), "copy active groups to the host") == 0) break;
    }
  }

  // 3. walk to the exact lambda.
  {
    DeviceBuffer<WalkPartial> partials(static_cast<size_t>(num_items), "cudaMalloc(walk partials)");
    for (int step = 0; step < kMaxWalkSteps; ++step) {
      projection_walk_kernel<<<item_blocks, kThreads>>>(d_items.get(), num_items, d_y.get(),
                                                        d_groups.get(), partials.get());
      check_launch("projection_walk_kernel");
      d_counter.fill_bytes(0, "cudaMemset(active groups)");
      projection_walk_update_kernel<<<group_blocks, kThreads>>>(
          d_groups.get(), num_groups, d_first_item.get(), partials.get(), d_counter.get(),
          step == kMaxWalkSteps - 1);
      check_launch("projection_walk_update_kernel");
      if (download_value(d_counter.get(), "copy active groups to the host") == 0) break;
    }
  }

  // 4. x = clip(y - lambda, 0, 1); results back (x may alias y: y is no longer read on the host).
  projection_write_kernel<<<item_blocks, kThreads>>>(d_items.get(), num_items, d_y.get(),
                                                     d_groups.get(), d_x.get());
  check_launch("projection_write_kernel");
  d_x.download(x, static_cast<size_t>(n), "copy x to the host");
  if (thresholds != nullptr) {
    d_groups.download(host_groups.data(), host_groups.size(), "copy thresholds to the host");
    for (int64_t g = 0; g < num_groups; ++g) thresholds[g] = host_groups[g].lambda;
  }
}

}  // namespace kdlts::cuda
