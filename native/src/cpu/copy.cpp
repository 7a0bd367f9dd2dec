// copy_f32: a multi-threaded memcpy, the memory-bandwidth probe the benchmarks compare with.
#include <algorithm>
#include <cstring>

#include "cpu/ops.hpp"
#include "parallel.hpp"

namespace kdlts::cpu {

void copy_f32(int threads, const float* src, float* dst, int64_t n) {
  // 1 MiB chunks: large enough to amortise task hand-out, small enough to balance 2..64 threads.
  constexpr int64_t kChunk = int64_t{1} << 18;
  parallel_for(chunk_count(n, kChunk), threads, [&](int64_t task) {
    const int64_t begin = task * kChunk;
    const int64_t count = std::min(kChunk, n - begin);
    std::memcpy(dst + begin, src + begin, static_cast<size_t>(count) * sizeof(float));
  });
}

}  // namespace kdlts::cpu
