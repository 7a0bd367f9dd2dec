// Shared pieces of the CUDA backend: error checking that turns every CUDA failure into a
// kdlts::Error, an RAII device buffer (so an exception frees device memory), the split of
// consecutive groups into warp-sized work items, and small warp helpers.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"

namespace kdlts::cuda {

// ---- errors -------------------------------------------------------------------------------

// Throws KDLTS_ERR_BACKEND ("cuda: <what>: <reason>") when status is not cudaSuccess; a failed
// allocation is KDLTS_ERR_OUT_OF_MEMORY. The non-sticky error state is cleared first so a later
// check does not report this failure again.
inline void check(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  (void)cudaGetLastError();
  const kdlts_status code =
      status == cudaErrorMemoryAllocation ? KDLTS_ERR_OUT_OF_MEMORY : KDLTS_ERR_BACKEND;
  fail(code, std::string("cuda: ") + what + ": " + cudaGetErrorString(status));
}

// Call right after a kernel launch: reports a bad launch configuration at once. Faults inside
// the kernel surface at the next synchronising call (a cudaMemcpy), which is checked too.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

// ---- device memory ------------------------------------------------------------------------

// An owned device array of `count` elements of T (no allocation when count is 0).
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(size_t count, const char* what) : count_(count) {
    if (count == 0) return;
    void* p = nullptr;
    check(cudaMalloc(&p, count * sizeof(T)), what);
    ptr_ = static_cast<T*>(p);
  }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      ptr_ = std::exchange(other.ptr_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  T* get() const { return ptr_; }
  size_t size() const { return count_; }

  // Host -> device copy of `count` elements to the start of the buffer (synchronous for
  // pageable host memory).
  void upload(const T* host, size_t count, const char* what) {
    if (count == 0) return;
    check(cudaMemcpy(ptr_, host, count * sizeof(T), cudaMemcpyHostToDevice), what);
  }
  void upload(const std::vector<T>& host, const char* what) { upload(host.data(), host.size(), what); }
  // Device -> host copy; waits for all preceding work on the default stream.
  void download(T* host, size_t count, const char* what) const {
    if (count == 0) return;
    check(cudaMemcpy(host, ptr_, count * sizeof(T), cudaMemcpyDeviceToHost), what);
  }
  // Every byte set to `byte` (e.g. 0, or 0xFF for all-ones integers).
  void fill_bytes(int byte, const char* what) {
    if (count_ == 0) return;
    check(cudaMemset(ptr_, byte, count_ * sizeof(T)), what);
  }

 private:
  void release() noexcept {
    if (ptr_ != nullptr) {
      (void)cudaFree(ptr_);
      (void)cudaGetLastError();  // a failed free must not be reported by a later check
    }
    ptr_ = nullptr;
    count_ = 0;
  }

  T* ptr_ = nullptr;
  size_t count_ = 0;
};

// Copies one device value back to the host.
template <typename T>
T download_value(const T* device_ptr, const char* what) {
  T value{};
  check(cudaMemcpy(&value, device_ptr, sizeof(T), cudaMemcpyDeviceToHost), what);
  return value;
}

// Streaming multiprocessors of the current device (for sizing grids).
inline int multiprocessor_count() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  int count = 0;
  check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute(multiprocessor count)");
  return std::max(count, 1);
}

// A grid of ceil(units / units_per_block) blocks, at most max_blocks (kernels grid-stride).
inline unsigned grid_size(int64_t units, int64_t units_per_block, int64_t max_blocks = 1 << 16) {
  const int64_t blocks = (units + units_per_block - 1) / units_per_block;
  return static_cast<unsigned>(std::clamp<int64_t>(blocks, 1, max_blocks));
}

// ---- groups split into work items ---------------------------------------------------------

// A contiguous slice [begin, end) of one group, processed by one warp. Items of a group are
// consecutive and in index order, so a group's items are [first_item[g], first_item[g + 1]).
struct WorkItem {
  int64_t group;
  int64_t begin;
  int64_t end;
};

struct GroupItems {
  std::vector<int64_t> group_begin;  // G + 1 offsets into the flat array
  std::vector<int64_t> first_item;   // G + 1 offsets into items
  std::vector<WorkItem> items;
};

// Items hold at least kMinItemLength elements (whole small groups) and a group has at most
// kMaxItemsPerGroup items, so per-group reductions over items stay short while a single huge
// group still gives every SM enough warps.
constexpr int64_t kMinItemLength = 2048;
constexpr int64_t kMaxItemsPerGroup = 8192;

inline GroupItems split_groups(int64_t num_groups, const int64_t* sizes) {
  GroupItems out;
  out.group_begin.resize(static_cast<size_t>(num_groups) + 1);
  out.first_item.resize(static_cast<size_t>(num_groups) + 1);
  int64_t offset = 0;
  for (int64_t g = 0; g < num_groups; ++g) {
    out.group_begin[g] = offset;
    out.first_item[g] = static_cast<int64_t>(out.items.size());
    const int64_t n = sizes[g];
    const int64_t length = std::max(kMinItemLength, (n + kMaxItemsPerGroup - 1) / kMaxItemsPerGroup);
    for (int64_t b = 0; b < n; b += length) out.items.push_back({g, offset + b, offset + std::min(n, b + length)});
    offset += n;
  }
  out.group_begin[num_groups] = offset;
  out.first_item[num_groups] = static_cast<int64_t>(out.items.size());
  return out;
}

// The group holding flat index i (group_begin as above; empty groups are skipped).
inline int64_t group_of(const std::vector<int64_t>& group_begin, int64_t i) {
  const auto it = std::upper_bound(group_begin.begin(), group_begin.end(), i);
  return static_cast<int64_t>(it - group_begin.begin()) - 1;
}

// ---- device helpers -----------------------------------------------------------------------

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;

// Order-preserving map float -> uint32 (a > b  <=>  key(a) > key(b) for non-NaN floats), with
// -0.0 mapped like +0.0.
__device__ __forceinline__ uint32_t order_key(float v) {
  uint32_t bits = __float_as_uint(v);
  if (bits == 0x80000000u) bits = 0u;
  return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

// Butterfly reductions: every lane ends with the same value, in a fixed order (deterministic).
__device__ __forceinline__ double warp_sum(double v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}
__device__ __forceinline__ unsigned long long warp_sum(unsigned long long v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
  return v;
}
__device__ __forceinline__ double warp_max(double v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = fmax(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}
__device__ __forceinline__ double warp_min(double v) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = fmin(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

}  // namespace kdlts::cuda
