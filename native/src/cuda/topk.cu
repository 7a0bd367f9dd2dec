// Exact top-k masks on CUDA (see kdlts.h and ref::topk_mask).
//
// Scores become order-preserving uint32 keys (-0.0 mapped to +0.0, so the two tie; +-Inf are
// the largest / smallest keys; NaN is rejected first). Per group with 0 < k < n:
//   1. radix select: 4 passes over 8-bit digits, most significant first. Each pass builds a
//      256-bin histogram of the elements that match the digits fixed so far (per-warp
//      shared-memory histograms, flushed to a per-group global one with integer atomics), then
//      one warp per group finds the digit holding the k-th largest key. After 4 passes the
//      threshold key t is known, and need = k - #(keys > t) (1 <= need <= #(keys == t)).
//   2. ties: each work item counts its keys == t; an exclusive scan over the items of each
//      group (on the host: one number per item) gives every item the rank of its first tie.
//   3. write: key > t is kept; key == t is kept iff its rank among the group's ties in index
//      order is < need (lower index wins), ranks within an item come from warp ballots.
// k = 0 and k = n need no selection: they are encoded as t = 0xFFFFFFFF (no key is that
// large: it would be a NaN) and t = 0 (every non-NaN key is larger), with need = 0.
// Everything is integer arithmetic, so the result is exact and deterministic.
#include <cuda_runtime.h>

#include <algorithm>
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
constexpr int kBins = 256;
constexpr int kBinsPerLane = kBins / kWarpSize;
constexpr int kPasses = 4;
constexpr int64_t kHistogramGroups = 16384;  // groups per batch: bounds the global histograms
constexpr unsigned long long kNone = ~0ull;

struct TopkGroup {
  uint32_t prefix;               // the digits fixed so far; the threshold key t at the end
  int32_t selecting;             // 1 when 0 < k < n
  unsigned long long remaining;  // elements still to take among those matching prefix
};

__device__ __forceinline__ int64_t first_warp() {
  return static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarpSize;
}
__device__ __forceinline__ int64_t warp_stride() {
  return static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
}

__global__ void topk_nan_kernel(const float* __restrict__ scores, int64_t n,
                                unsigned long long* bad_index) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    if (isnan(scores[i])) atomicMin(bad_index, static_cast<unsigned long long>(i));
  }
}

// Adds the pass's digit histogram of items [item_begin, item_end) (all in groups
// [group0, group0 + kHistogramGroups)) to histograms[(g - group0) * 256 + digit].
__global__ void __launch_bounds__(kThreads)
    topk_histogram_kernel(const WorkItem* __restrict__ items, int64_t item_begin,
                          int64_t item_end, const float* __restrict__ scores,
                          const TopkGroup* __restrict__ groups, int pass, int64_t group0,
                          unsigned long long* __restrict__ histograms) {
  __shared__ unsigned int warp_histograms[kWarpsPerBlock][kBins];
  unsigned int* hist = warp_histograms[threadIdx.x / kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int shift = 24 - 8 * pass;
  const uint32_t high_mask = ~(0xFFFFFFFFu >> (8 * pass));  // the digits fixed by earlier passes
  for (int64_t it = item_begin + first_warp(); it < item_end; it += warp_stride()) {
    const WorkItem item = items[it];
    const TopkGroup group = groups[item.group];
    if (!group.selecting) continue;  // uniform per warp
    for (int b = lane; b < kBins; b += kWarpSize) hist[b] = 0u;
    __syncwarp();
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      const uint32_t key = order_key(scores[i]);
      if ((key & high_mask) == (group.prefix & high_mask)) atomicAdd(&hist[(key >> shift) & 0xFFu], 1u);
    }
    __syncwarp();
    unsigned long long* out = histograms + (item.group - group0) * kBins;
    for (int b = lane; b < kBins; b += kWarpSize) {
      if (hist[b] != 0u) atomicAdd(&out[b], static_cast<unsigned long long>(hist[b]));
    }
    __syncwarp();  // the next item clears hist
  }
}

// One warp per group of [group0, group1): fixes the pass's digit of the k-th largest key and
// clears the group's histogram for the next pass.
__global__ void __launch_bounds__(kThreads)
    topk_select_kernel(TopkGroup* __restrict__ groups, int64_t group0, int64_t group1, int pass,
                       unsigned long long* __restrict__ histograms) {
  const int lane = threadIdx.x % kWarpSize;
  const int shift = 24 - 8 * pass;
  for (int64_t g = group0 + first_warp(); g < group1; g += warp_stride()) {
    const TopkGroup group = groups[g];
    if (!group.selecting) continue;  // uniform per warp
    unsigned long long* row = histograms + (g - group0) * kBins;
    // Lane l holds the bins at descending positions l*8 .. l*8+7 (digit = 255 - position).
    unsigned long long counts[kBinsPerLane];
    unsigned long long lane_total = 0;
#pragma unroll
    for (int j = 0; j < kBinsPerLane; ++j) {
      counts[j] = row[kBins - 1 - (lane * kBinsPerLane + j)];
      lane_total += counts[j];
    }
    unsigned long long inclusive = lane_total;  // keys in this lane's bins and all larger ones
    for (int offset = 1; offset < kWarpSize; offset *= 2) {
      const unsigned long long up = __shfl_up_sync(kFullMask, inclusive, offset);
      if (lane >= offset) inclusive += up;
    }
    const unsigned long long exclusive = inclusive - lane_total;
    const unsigned long long remaining = group.remaining;
    if (exclusive < remaining && remaining <= inclusive) {  // exactly one lane
      unsigned long long above = exclusive;
      for (int j = 0; j < kBinsPerLane; ++j) {
        if (remaining <= above + counts[j]) {
          const uint32_t digit = static_cast<uint32_t>(kBins - 1 - (lane * kBinsPerLane + j));
          TopkGroup updated = group;
          updated.prefix = group.prefix | (digit << shift);
          updated.remaining = remaining - above;
          groups[g] = updated;
          break;
        }
        above += counts[j];
      }
    }
#pragma unroll
    for (int j = 0; j < kBinsPerLane; ++j) row[kBins - 1 - (lane * kBinsPerLane + j)] = 0ull;
  }
}

// ties[it] = number of keys equal to the group's threshold in item it.
__global__ void __launch_bounds__(kThreads)
    topk_tie_count_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                          const float* __restrict__ scores, const TopkGroup* __restrict__ groups,
                          unsigned long long* __restrict__ ties) {
  const int lane = threadIdx.x % kWarpSize;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    const uint32_t threshold = groups[item.group].prefix;
    unsigned long long count = 0;
    for (int64_t i = item.begin + lane; i < item.end; i += kWarpSize) {
      count += order_key(scores[i]) == threshold ? 1ull : 0ull;
    }
    count = warp_sum(count);
    if (lane == 0) ties[it] = count;
  }
}

template <typename Mask>
__global__ void __launch_bounds__(kThreads)
    topk_write_kernel(const WorkItem* __restrict__ items, int64_t num_items,
                      const float* __restrict__ scores, const TopkGroup* __restrict__ groups,
                      const unsigned long long* __restrict__ tie_base, Mask* __restrict__ mask) {
  const int lane = threadIdx.x % kWarpSize;
  const unsigned lanes_below = (1u << lane) - 1u;
  for (int64_t it = first_warp(); it < num_items; it += warp_stride()) {
    const WorkItem item = items[it];
    const TopkGroup group = groups[item.group];
    const uint32_t threshold = group.prefix;
    const unsigned long long need = group.remaining;
    unsigned long long ties_before = tie_base[it];  // ties of the group before this round
    // Rounds of 32 consecutive elements keep the index order across lanes.
    for (int64_t base = item.begin; base < item.end; base += kWarpSize) {
      const int64_t i = base + lane;
      const bool inside = i < item.end;
      const uint32_t key = inside ? order_key(scores[i]) : 0u;
      const bool tie = inside && key == threshold;
      const unsigned tie_lanes = __ballot_sync(kFullMask, tie);
      const unsigned long long rank = ties_before + static_cast<unsigned>(__popc(tie_lanes & lanes_below));
      const bool keep = key > threshold || (tie && rank < need);
      if (inside) mask[i] = keep ? Mask(1) : Mask(0);
      ties_before += static_cast<unsigned>(__popc(tie_lanes));
    }
  }
}

}  // namespace

void topk_mask(const kdlts_topk_params& params, const float* scores, void* mask) {
  const int64_t num_groups = params.num_groups;
  const GroupItems parts = split_groups(num_groups, params.group_sizes);
  const int64_t n = parts.group_begin[num_groups];
  const int64_t num_items = static_cast<int64_t>(parts.items.size());

  DeviceBuffer<float> d_scores(static_cast<size_t>(n), "cudaMalloc(scores)");
  d_scores.upload(scores, static_cast<size_t>(n), "copy scores to the device");

  // NaN check (lowest index).
  {
    DeviceBuffer<unsigned long long> d_bad(1, "cudaMalloc(bad index)");
    d_bad.fill_bytes(0xFF, "cudaMemset(bad index)");
    topk_nan_kernel<<<grid_size(n, 256), 256>>>(d_scores.get(), n, d_bad.get());
    check_launch("topk_nan_kernel");
    const unsigned long long bad = download_value(d_bad.get(), "copy bad index to the host");
    if (bad != kNone) {
      const int64_t i = static_cast<int64_t>(bad);
      const int64_t g = group_of(parts.group_begin, i);
      fail(KDLTS_ERR_NON_FINITE, "scores[" + std::to_string(i) + "] (group " + std::to_string(g) +
                                     ", element " + std::to_string(i - parts.group_begin[g]) +
                                     ") is NaN");
    }
  }

  std::vector<TopkGroup> host_groups(static_cast<size_t>(num_groups));
  std::vector<char> batch_selects(static_cast<size_t>((num_groups + kHistogramGroups - 1) / kHistogramGroups), 0);
  for (int64_t g = 0; g < num_groups; ++g) {
    const int64_t size = params.group_sizes[g];
    const int64_t k = params.k[g];
    if (k <= 0) {
      host_groups[g] = {0xFFFFFFFFu, 0, 0ull};  // nothing kept
    } else if (k >= size) {
      host_groups[g] = {0u, 0, 0ull};  // everything kept
    } else {
      host_groups[g] = {0u, 1, static_cast<unsigned long long>(k)};
      batch_selects[g / kHistogramGroups] = 1;
    }
  }

  DeviceBuffer<WorkItem> d_items(parts.items.size(), "cudaMalloc(work items)");
  DeviceBuffer<TopkGroup> d_groups(host_groups.size(), "cudaMalloc(group states)");
  d_items.upload(parts.items, "copy work items to the device");
  d_groups.upload(host_groups, "copy group states to the device");

  // 1. radix select, kHistogramGroups groups at a time.
  {
    const int64_t batch_groups = std::min<int64_t>(num_groups, kHistogramGroups);
    DeviceBuffer<unsigned long long> d_histograms(static_cast<size_t>(batch_groups * kBins),
                                                  "cudaMalloc(histograms)");
    d_histograms.fill_bytes(0, "cudaMemset(histograms)");
    for (int64_t group0 = 0; group0 < num_groups; group0 += kHistogramGroups) {
      if (!batch_selects[group0 / kHistogramGroups]) continue;
      const int64_t group1 = std::min(num_groups, group0 + kHistogramGroups);
      const int64_t item_begin = parts.first_item[group0];
      const int64_t item_end = parts.first_item[group1];
      for (int pass = 0; pass < kPasses; ++pass) {
        topk_histogram_kernel<<<grid_size(item_end - item_begin, kWarpsPerBlock), kThreads>>>(
            d_items.get(), item_begin, item_end, d_scores.get(), d_groups.get(), pass, group0,
            d_histograms.get());
        check_launch("topk_histogram_kernel");
        topk_select_kernel<<<grid_size(group1 - group0, kWarpsPerBlock), kThreads>>>(
            d_groups.get(), group0, group1, pass, d_histograms.get());
        check_launch("topk_select_kernel");
      }
    }
  }

  // 2. ties per item, then the rank of each item's first tie within its group (host scan).
  DeviceBuffer<unsigned long long> d_ties(static_cast<size_t>(num_items), "cudaMalloc(tie counts)");
  const unsigned item_blocks = grid_size(num_items, kWarpsPerBlock);
  topk_tie_count_kernel<<<item_blocks, kThreads>>>(d_items.get(), num_items, d_scores.get(),
                                                   d_groups.get(), d_ties.get());
  check_launch("topk_tie_count_kernel");
  std::vector<unsigned long long> ties(static_cast<size_t>(num_items));
  d_ties.download(ties.data(), ties.size(), "copy tie counts to the host");
  unsigned long long running = 0;
  for (int64_t it = 0; it < num_items; ++it) {
    if (it == parts.first_item[parts.items[it].group]) running = 0;
    const unsigned long long count = ties[it];
    ties[it] = running;
    running += count;
  }
  d_ties.upload(ties, "copy tie ranks to the device");

  // 3. the mask.
  if (params.mask_type == KDLTS_MASK_F32) {
    DeviceBuffer<float> d_mask(static_cast<size_t>(n), "cudaMalloc(mask)");
    topk_write_kernel<float><<<item_blocks, kThreads>>>(d_items.get(), num_items, d_scores.get(),
                                                        d_groups.get(), d_ties.get(), d_mask.get());
    check_launch("topk_write_kernel");
    d_mask.download(static_cast<float*>(mask), static_cast<size_t>(n), "copy mask to the host");
  } else {
    DeviceBuffer<uint8_t> d_mask(static_cast<size_t>(n), "cudaMalloc(mask)");
    topk_write_kernel<uint8_t><<<item_blocks, kThreads>>>(d_items.get(), num_items, d_scores.get(),
                                                          d_groups.get(), d_ties.get(), d_mask.get());
    check_launch("topk_write_kernel");
    d_mask.download(static_cast<uint8_t*>(mask), static_cast<size_t>(n), "copy mask to the host");
  }
}

}  // namespace kdlts::cuda
