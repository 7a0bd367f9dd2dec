// Reductions over the middle axis of x viewed as outer x size x inner (tfjs Sum, Mean, Max, Min
// after their axes are made innermost, plus the outer == 1 "per channel" case tfjs reaches by a
// transpose).
//
// Semantics (tfjs-backend-cpu): Sum accumulates in double and rounds once; Mean is tfjs's
// sum(x / size) evaluated as sum(x) / size in double (tfjs rounds every x / size to float first,
// which moves its result by at most 2^-25 sum|x| / size from ours, the correctly rounded one).
// Max / Min are NaN when any element is NaN, and otherwise return the first element (in
// reduction order) equal to the extreme value, which matters only for the sign of a zero
// result: tfjs keeps the first zero (found by a rescan, only when the result is zero).
//
// Layout: inner == 1 reduces contiguous rows with explicit vector lanes (a fixed lane order);
// inner > 1 accumulates whole rows of a column block into a vector of accumulators.
// Long reduction axes are cut into fixed chunks whose partials are merged in chunk order, so
// the result never depends on the thread count.
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

struct SumPolicy {
  using T = double;
  static T init() { return 0.0; }
  static T combine(T acc, T v) { return acc + v; }
};
struct MaxPolicy {
  using T = float;
  static T init() { return -std::numeric_limits<float>::infinity(); }
  static T combine(T acc, T v) { return (v > acc) | (v != v) ? v : acc; }  // NaN sticks
};
struct MinPolicy {
  using T = float;
  static T init() { return std::numeric_limits<float>::infinity(); }
  static T combine(T acc, T v) { return (v < acc) | (v != v) ? v : acc; }
};

// The whole-row reduction of x[0..n) (explicit lanes, ops.hpp).
template <typename P>
typename P::T reduce_row(const float* x, int64_t n) {
  if constexpr (std::is_same_v<P, SumPolicy>)
    return sum_row(x, n);
  else
    return extreme_row<std::is_same_v<P, MaxPolicy>>(x, n);
}

// acc[0..width) combined with rows x[r * stride + (0..width)], r < rows.
template <typename P>
void reduce_columns(const float* x, int64_t rows, int64_t stride, int64_t width,
                    typename P::T* acc) {
  using T = typename P::T;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * stride;
    for (int64_t i = 0; i < width; ++i) acc[i] = P::combine(acc[i], static_cast<T>(row[i]));
  }
}

// Final value of output (o, i) from its accumulator.
template <typename P>
float finish(int32_t op, typename P::T v, const float* x, int64_t size, int64_t inner) {
  if (op == KDLTS_REDUCE_MEAN) return static_cast<float>(v / static_cast<double>(size));
  if ((op == KDLTS_REDUCE_MAX || op == KDLTS_REDUCE_MIN) && v == 0) {
    for (int64_t r = 0; r < size; ++r) {  // the first zero wins (its sign), as in tfjs
      if (x[r * inner] == 0.0f) return x[r * inner];
    }
  }
  return static_cast<float>(v);
}

template <typename P>
void reduce_impl(int threads, int32_t op, int64_t outer, int64_t size, int64_t inner,
                 const float* x, float* y) {
  using T = typename P::T;
  if (inner == 1) {
    if (size < kChunk) {  // whole rows per task
      for_ranges(threads, outer, items_per_task(size), [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) {
          y[o] = finish<P>(op, reduce_row<P>(x + o * size, size), x + o * size, size, 1);
        }
      });
      return;
    }
    // Long rows: fixed chunks of kChunk, partials merged in chunk order.
    const int64_t parts = chunk_count(size, kChunk);
    std::vector<T> partial(static_cast<size_t>(outer * parts));
    run_tasks(threads, outer * parts, [&](int64_t t) {
      const int64_t o = t / parts, part = t % parts;
      const int64_t begin = part * kChunk;
      partial[t] = reduce_row<P>(x + o * size + begin, std::min(kChunk, size - begin));
    });
    for (int64_t o = 0; o < outer; ++o) {
      T acc = partial[o * parts];
      for (int64_t part = 1; part < parts; ++part) acc = P::combine(acc, partial[o * parts + part]);
      y[o] = finish<P>(op, acc, x + o * size, size, 1);
    }
    return;
  }
  // inner > 1: column blocks of up to kBlock outputs, row chunks of ~kChunk elements.
  constexpr int64_t kBlock = 1024;
  const int64_t block = std::min(inner, kBlock);
  const int64_t blocks = chunk_count(inner, block);
  const int64_t rows_per_part = items_per_task(block);
  const int64_t parts = chunk_count(size, rows_per_part);
  // parts == 1: each task owns its outputs. Else partial[(o * parts + part) * inner + i].
  std::vector<T> partial(parts > 1 ? static_cast<size_t>(outer * parts * inner) : 0);
  run_tasks(threads, outer * blocks * parts, [&](int64_t t) {
    const int64_t part = t % parts, b = (t / parts) % blocks, o = t / (parts * blocks);
    const int64_t c0 = b * block, width = std::min(block, inner - c0);
    const int64_t r0 = part * rows_per_part, rows = std::min(rows_per_part, size - r0);
    T acc[kBlock];
    std::fill(acc, acc + width, P::init());
    const float* base = x + (o * size + r0) * inner + c0;
    reduce_columns<P>(base, rows, inner, width, acc);
    if (parts > 1) {
      std::copy(acc, acc + width, partial.data() + (o * parts + part) * inner + c0);
    } else {
      for (int64_t i = 0; i < width; ++i) {
        y[o * inner + c0 + i] = finish<P>(op, acc[i], x + o * size * inner + c0 + i, size, inner);
      }
    }
  });
  if (parts == 1) return;
  for (int64_t o = 0; o < outer; ++o) {
    const T* first = partial.data() + o * parts * inner;
    for (int64_t i = 0; i < inner; ++i) {
      T acc = first[i];
      for (int64_t part = 1; part < parts; ++part) acc = P::combine(acc, first[part * inner + i]);
      y[o * inner + i] = finish<P>(op, acc, x + o * size * inner + i, size, inner);
    }
  }
}

}  // namespace

void reduce(int threads, int32_t op, int64_t outer, int64_t size, int64_t inner, const float* x,
            float* y) {
  if (size == 0) {  // the identities; mean is 0 / 0
    const float value = op == KDLTS_REDUCE_SUM    ? 0.0f
                        : op == KDLTS_REDUCE_MEAN ? std::numeric_limits<float>::quiet_NaN()
                        : op == KDLTS_REDUCE_MAX  ? -std::numeric_limits<float>::infinity()
                                                  : std::numeric_limits<float>::infinity();
    std::fill(y, y + outer * inner, value);
    return;
  }
  switch (op) {
    case KDLTS_REDUCE_SUM:
    case KDLTS_REDUCE_MEAN:
      return reduce_impl<SumPolicy>(threads, op, outer, size, inner, x, y);
    case KDLTS_REDUCE_MAX:
      return reduce_impl<MaxPolicy>(threads, op, outer, size, inner, x, y);
    case KDLTS_REDUCE_MIN:
      return reduce_impl<MinPolicy>(threads, op, outer, size, inner, x, y);
    default:
      return;  // validated by the API
  }
}

}  // namespace kdlts::cpu
