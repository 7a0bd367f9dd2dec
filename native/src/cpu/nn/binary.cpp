// Elementwise binary ops with numpy/tfjs broadcasting.
//
// The shapes are first collapsed: size-1 output dims are dropped and adjacent dims with the same
// broadcast pattern (which operand repeats along them) are merged. Then every hot case is a loop
// over one contiguous inner run with a template-chosen access pattern:
//   same shape -> 1 dim, both contiguous;  tensor op scalar -> 1 dim, b scalar;
//   NHWC op [C] -> [N*H*W (b repeats), C (both contiguous)];  [3,1] op [1,4] -> a scalar per row.
// Outer rows are walked with an odometer; rows are split into fixed chunks of ~kChunk elements.
//
// Values match tfjs, which computes in double and rounds to float: +, -, *, / of two floats are
// correctly rounded either way, squaredDifference is computed in double as tfjs does, maximum /
// minimum follow Math.max / Math.min (NaN if either is NaN; max(+0, -0) = +0, min = -0), and
// reluGrad is tfjs's Relu gradient mul(dy, step(x)): dy where x > 0, NaN where x is NaN, else
// dy * 0 (so -0 for negative dy, NaN for infinite dy).
#include <algorithm>

#include "cpu/nn/ops.hpp"

namespace kdlts::cpu {

namespace {

struct Add {
  float operator()(float a, float b) const { return a + b; }
};
struct Sub {
  float operator()(float a, float b) const { return a - b; }
};
struct Mul {
  float operator()(float a, float b) const { return a * b; }
};
struct Div {
  float operator()(float a, float b) const { return a / b; }
};
struct SquaredDifference {
  float operator()(float a, float b) const {
    const double d = static_cast<double>(a) - static_cast<double>(b);
    return static_cast<float>(d * d);
  }
};
// Math.max on floats; equal operands (only +0 / -0 can differ) combine their sign bits so that
// max(+0, -0) = +0 (AND) and min(+0, -0) = -0 (OR).
struct Maximum {
  float operator()(float a, float b) const {
    const float m = a > b ? a : b;
    const float r = a == b ? float_of(bits_of(a) & bits_of(b)) : m;
    return (a != a) | (b != b) ? a + b : r;
  }
};
struct Minimum {
  float operator()(float a, float b) const {
    const float m = a < b ? a : b;
    const float r = a == b ? float_of(bits_of(a) | bits_of(b)) : m;
    return (a != a) | (b != b) ? a + b : r;
  }
};
struct ReluGrad {  // a = dy, b = x: dy * step(x)
  float operator()(float a, float b) const {
    const float s = b > 0.0f ? 1.0f : 0.0f;
    return a * (b != b ? b : s);
  }
};

// One inner run: SA / SB are the operands' strides along it (1 contiguous, 0 repeated).
template <typename Op, int SA, int SB>
void run(const float* a, const float* b, float* out, int64_t n) {
  const Op op;
  if (SA == 0) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = op(av, b[i]);
  } else if (SB == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], bv);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
  }
}

// The collapsed problem: dims[0..rank) (innermost last) with per-operand element strides.
struct Plan {
  int rank = 0;
  int64_t dims[8];
  int64_t sa[8];
  int64_t sb[8];
};

Plan collapse(int rank, const int64_t* out_shape, const int64_t* a_shape, const int64_t* b_shape) {
  Plan p;
  int last_pattern = -1;
  for (int d = 0; d < rank; ++d) {
    if (out_shape[d] == 1) continue;
    const int pattern = (a_shape[d] == 1 ? 1 : 0) | (b_shape[d] == 1 ? 2 : 0);
    if (pattern == last_pattern) {
      p.dims[p.rank - 1] *= out_shape[d];
    } else {
      p.dims[p.rank] = out_shape[d];
      p.sa[p.rank] = pattern & 1;  // temporarily: 1 = a repeats along this dim
      p.sb[p.rank] = pattern & 2;
      ++p.rank;
      last_pattern = pattern;
    }
  }
  if (p.rank == 0) {  // every dim is 1: a single element
    p.rank = 1;
    p.dims[0] = 1;
    p.sa[0] = p.sb[0] = 0;
  }
  int64_t stride_a = 1, stride_b = 1;
  for (int k = p.rank - 1; k >= 0; --k) {
    const bool a_repeats = p.sa[k] != 0, b_repeats = p.sb[k] != 0;
    p.sa[k] = a_repeats ? 0 : stride_a;
    p.sb[k] = b_repeats ? 0 : stride_b;
    if (!a_repeats) stride_a *= p.dims[k];
    if (!b_repeats) stride_b *= p.dims[k];
  }
  return p;
}

template <typename Op, int SA, int SB>
void execute(int threads, const Plan& p, const float* a, const float* b, float* out) {
  const int outer_rank = p.rank - 1;
  const int64_t inner = p.dims[outer_rank];
  int64_t rows = 1;
  for (int k = 0; k < outer_rank; ++k) rows *= p.dims[k];
  for_ranges(threads, rows, items_per_task(inner), [&](int64_t begin, int64_t end) {
    int64_t idx[8] = {0};
    int64_t off_a = 0, off_b = 0;
    int64_t rest = begin;
    for (int k = outer_rank - 1; k >= 0; --k) {
      idx[k] = rest % p.dims[k];
      rest /= p.dims[k];
      off_a += idx[k] * p.sa[k];
      off_b += idx[k] * p.sb[k];
    }
    for (int64_t row = begin; row < end; ++row) {
      run<Op, SA, SB>(a + off_a, b + off_b, out + row * inner, inner);
      for (int k = outer_rank - 1; k >= 0; --k) {  // odometer step
        off_a += p.sa[k];
        off_b += p.sb[k];
        if (++idx[k] < p.dims[k]) break;
        off_a -= p.sa[k] * p.dims[k];
        off_b -= p.sb[k] * p.dims[k];
        idx[k] = 0;
      }
    }
  });
}

template <typename Op>
void dispatch(int threads, const Plan& p, const float* a, const float* b, float* out) {
  const int k = p.rank - 1;
  if (p.sa[k] == 0) return execute<Op, 0, 1>(threads, p, a, b, out);
  if (p.sb[k] == 0) return execute<Op, 1, 0>(threads, p, a, b, out);
  execute<Op, 1, 1>(threads, p, a, b, out);
}

}  // namespace

void binary(int threads, int32_t op, int rank, const int64_t* out_shape, const int64_t* a_shape,
            const int64_t* b_shape, const float* a, const float* b, float* out) {
  const Plan p = collapse(rank, out_shape, a_shape, b_shape);
  switch (op) {
    case KDLTS_BINARY_ADD:
      return dispatch<Add>(threads, p, a, b, out);
    case KDLTS_BINARY_SUB:
      return dispatch<Sub>(threads, p, a, b, out);
    case KDLTS_BINARY_MUL:
      return dispatch<Mul>(threads, p, a, b, out);
    case KDLTS_BINARY_DIV:
      return dispatch<Div>(threads, p, a, b, out);
    case KDLTS_BINARY_SQUARED_DIFFERENCE:
      return dispatch<SquaredDifference>(threads, p, a, b, out);
    case KDLTS_BINARY_MAXIMUM:
      return dispatch<Maximum>(threads, p, a, b, out);
    case KDLTS_BINARY_MINIMUM:
      return dispatch<Minimum>(threads, p, a, b, out);
    case KDLTS_BINARY_RELU_GRAD:
      return dispatch<ReluGrad>(threads, p, a, b, out);
    default:
      return;  // validated by the API
  }
}

}  // namespace kdlts::cpu
