// Batched Gram matrices on CUDA (see kdlts.h and ref::gram_forward / ref::gram_backward).
//
// Per block l (B x D row-major F):
//   raw Gram   Graw = F F^T: a 64 x 64-tiled shared-memory kernel over the tiles on or above the
//              diagonal, split over the inner dimension D (split-K) so that a small B still fills
//              the GPU; the float partial tiles are summed in a fixed order in double.
//   forward    G_ij = Graw_ij s_i s_j with s_i = 1 / max(sqrt(Graw_ii), eps) (s = 1 without
//              normalisation), exactly the reference's formula.
//   backward   with S = dG + dG^T, r_i = max(|f_i|, eps) (1 without normalisation) and
//              c_i = sum_j S_ij G_ij (0 for rows with |f_i| <= eps or without normalisation):
//              dF = M F with M_ij = S_ij / (r_i r_j) - [i == j] c_i / r_i^2, which expands the
//              reference's dF_i = (dF^_i - (dF^_i . f^_i) f^_i) / r_i with dF^ = S F^.
// Non-finite inputs are found on the device: rows of F by the diagonal tiles as they load them
// (every element is loaded by exactly one diagonal tile), dG elements by the kernel building M.
// Every result is deterministic (no floating-point atomics).
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

constexpr int kTile = 64;                          // output tile edge
constexpr int kTileK = 16;                         // inner-dimension step per shared stage
constexpr int kThreadsX = 16;                      // a 16 x 16 thread block ...
constexpr int kThreadsY = 16;
constexpr int kThreads = kThreadsX * kThreadsY;
constexpr int kPerThread = kTile / kThreadsX;      // ... computing 4 x 4 outputs per thread
constexpr int64_t kMinSplitLength = 256;           // shorter split-K chunks are not worth it
constexpr int64_t kMaxPartialBytes = int64_t{256} << 20;
constexpr int64_t kMaxGridY = 65535;
constexpr unsigned long long kNone = ~0ull;        // "no bad index found" for atomicMin flags

static_assert(kTile == kThreadsX * kPerThread && kTile == kThreadsY * kPerThread,
              "each thread covers kPerThread rows and columns of the tile");

// Loads rows [row0, row0 + kTile) x columns [k0, k0 + kTileK) of a row-major matrix with row
// stride ld, transposed into tile[k][row], zero-filled outside rows < row_end and k < k_end.
// With check_finite, the lowest row holding a NaN/Inf goes to *bad_row (atomicMin).
__device__ __forceinline__ void load_rows_transposed(const float* __restrict__ src, int64_t ld,
                                                     int64_t row0, int64_t row_end, int64_t k0,
                                                     int64_t k_end, float (*tile)[kTile + 1],
                                                     bool check_finite,
                                                     unsigned long long* bad_row) {
  // Consecutive threads read consecutive k of a row (coalesced); the +1 padding keeps the
  // transposed shared-memory stores mostly free of bank conflicts.
  for (int e = threadIdx.x; e < kTile * kTileK; e += kThreads) {
    const int r = e / kTileK;
    const int c = e % kTileK;
    const int64_t row = row0 + r;
    const int64_t k = k0 + c;
    float v = 0.0f;
    if (row < row_end && k < k_end) {
      v = src[row * ld + k];
      if (check_finite && !isfinite(v)) atomicMin(bad_row, static_cast<unsigned long long>(row));
    }
    tile[c][r] = v;
  }
}

// partial[z] (B x B) = F[:, chunk z] F[:, chunk z]^T for the tiles on or above the diagonal.
// Grid: (tiles, tiles, splits); blocks below the diagonal return at once.
__global__ void __launch_bounds__(kThreads)
    gram_partial_kernel(const float* __restrict__ f, int64_t batch, int64_t dim, int64_t chunk,
                        float* __restrict__ partial, unsigned long long* bad_row) {
  const int64_t tile_row = blockIdx.y;
  const int64_t tile_col = blockIdx.x;
  if (tile_col < tile_row) return;  // uniform per block: no __syncthreads is skipped halfway
  const int64_t i0 = tile_row * kTile;
  const int64_t j0 = tile_col * kTile;
  const int64_t k_begin = static_cast<int64_t>(blockIdx.z) * chunk;
  const int64_t k_end = min(dim, k_begin + chunk);
  const bool diagonal = tile_row == tile_col;

  __shared__ float a_tile[kTileK][kTile + 1];
  __shared__ float b_tile[kTileK][kTile + 1];
  const int tx = threadIdx.x % kThreadsX;
  const int ty = threadIdx.x / kThreadsX;
  float acc[kPerThread][kPerThread] = {};

  for (int64_t k0 = k_begin; k0 < k_end; k0 += kTileK) {
    load_rows_transposed(f, dim, i0, batch, k0, k_end, a_tile, diagonal, bad_row);
    load_rows_transposed(f, dim, j0, batch, k0, k_end, b_tile, false, bad_row);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kPerThread], b[kPerThread];
#pragma unroll
      for (int p = 0; p < kPerThread; ++p) {
        a[p] = a_tile[kk][ty + p * kThreadsY];
        b[p] = b_tile[kk][tx + p * kThreadsX];
      }
#pragma unroll
      for (int p = 0; p < kPerThread; ++p)
#pragma unroll
        for (int q = 0; q < kPerThread; ++q) acc[p][q] = fmaf(a[p], b[q], acc[p][q]);
    }
    __syncthreads();
  }

  float* out = partial + static_cast<int64_t>(blockIdx.z) * batch * batch;
#pragma unroll
  for (int p = 0; p < kPerThread; ++p) {
    const int64_t i = i0 + ty + p * kThreadsY;
    if (i >= batch) continue;
#pragma unroll
    for (int q = 0; q < kPerThread; ++q) {
      const int64_t j = j0 + tx + q * kThreadsX;
      if (j < batch) out[i * batch + j] = acc[p][q];
    }
  }
}

// graw = sum over splits of partial (in split order, in double), mirrored below the diagonal
// tiles. A non-finite diagonal entry (finite input whose squared norm overflowed float) goes to
// *overflow_row.
__global__ void gram_reduce_kernel(const float* __restrict__ partial, int64_t batch,
                                   int64_t splits, double* __restrict__ graw,
                                   unsigned long long* overflow_row) {
  const int64_t count = batch * batch;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < count;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = idx / batch;
    const int64_t j = idx % batch;
    const int64_t src = (i / kTile <= j / kTile) ? idx : j * batch + i;
    double sum = 0.0;
    for (int64_t z = 0; z < splits; ++z) sum += static_cast<double>(partial[z * count + src]);
    graw[idx] = sum;
    if (i == j && !isfinite(sum)) atomicMin(overflow_row, static_cast<unsigned long long>(i));
  }
}

// r_i: the row norm, floored at eps (1 without normalisation).
__device__ __forceinline__ double row_norm_floored(const double* graw, int64_t batch, int64_t i,
                                                   int normalize, double eps) {
  return normalize ? fmax(sqrt(graw[i * (batch + 1)]), eps) : 1.0;
}

// gram = Graw_ij s_i s_j (float), s_i = 1 / r_i.
__global__ void gram_normalize_kernel(const double* __restrict__ graw, int64_t batch,
                                      int normalize, double eps, float* __restrict__ gram) {
  const int64_t count = batch * batch;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < count;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double g = graw[idx];
    if (normalize) {
      const int64_t i = idx / batch;
      const int64_t j = idx % batch;
      g = g * (1.0 / row_norm_floored(graw, batch, i, 1, eps)) *
          (1.0 / row_norm_floored(graw, batch, j, 1, eps));
    }
    gram[idx] = static_cast<float>(g);
  }
}

// M (float, B x B) of the backward pass, one block per row i (grid-stride over rows). The
// lowest flat index of a non-finite dG element goes to *bad_dgram.
__global__ void __launch_bounds__(kThreads)
    gram_backward_coefficients_kernel(const double* __restrict__ graw,
                                      const float* __restrict__ dgram, int64_t batch,
                                      int normalize, double eps, float* __restrict__ m,
                                      unsigned long long* bad_dgram) {
  __shared__ double warp_partials[kThreads / kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  for (int64_t i = blockIdx.x; i < batch; i += gridDim.x) {  // uniform per block
    const double norm_i = sqrt(graw[i * (batch + 1)]);
    const double r_i = normalize ? fmax(norm_i, eps) : 1.0;
    const bool projected = normalize && norm_i > eps;  // the reference's !clamped

    double c_partial = 0.0;
    for (int64_t j = threadIdx.x; j < batch; j += kThreads) {
      const float dg_ij = dgram[i * batch + j];
      if (!isfinite(dg_ij)) atomicMin(bad_dgram, static_cast<unsigned long long>(i * batch + j));
      const double s_ij = static_cast<double>(dg_ij) + static_cast<double>(dgram[j * batch + i]);
      const double m_ij = s_ij / (r_i * row_norm_floored(graw, batch, j, normalize, eps));
      c_partial += m_ij * graw[i * batch + j];  // S_ij G_ij = S_ij Graw_ij / (r_i r_j)
      m[i * batch + j] = static_cast<float>(m_ij);
    }

    const double warp_c = warp_sum(c_partial);
    if (lane == 0) warp_partials[warp] = warp_c;
    __syncthreads();  // also orders the plain M_ii store above before the correction below
    if (threadIdx.x == 0 && projected) {
      double c = 0.0;
      for (int w = 0; w < kThreads / kWarpSize; ++w) c += warp_partials[w];
      const double s_ii = 2.0 * static_cast<double>(dgram[i * batch + i]);
      m[i * batch + i] = static_cast<float>((s_ii - c) / (r_i * r_i));
    }
    __syncthreads();  // warp_partials is reused by the next row
  }
}

// df (B x D) = m (B x B) f (B x D), 64 x 64 output tiles. Grid: (ceil(D/64), ceil(B/64)).
__global__ void __launch_bounds__(kThreads)
    coefficients_times_features_kernel(const float* __restrict__ m, const float* __restrict__ f,
                                       int64_t batch, int64_t dim, float* __restrict__ df) {
  const int64_t i0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t j0 = static_cast<int64_t>(blockIdx.x) * kTile;
  __shared__ float a_tile[kTileK][kTile + 1];  // m rows i0.., columns k0.. (transposed)
  __shared__ float b_tile[kTileK][kTile];      // f rows k0.., columns j0..
  const int tx = threadIdx.x % kThreadsX;
  const int ty = threadIdx.x / kThreadsX;
  float acc[kPerThread][kPerThread] = {};

  for (int64_t k0 = 0; k0 < batch; k0 += kTileK) {
    load_rows_transposed(m, batch, i0, batch, k0, batch, a_tile, false, nullptr);
    for (int e = threadIdx.x; e < kTile * kTileK; e += kThreads) {
      const int r = e / kTile;
      const int c = e % kTile;
      const int64_t k = k0 + r;
      const int64_t col = j0 + c;
      b_tile[r][c] = (k < batch && col < dim) ? f[k * dim + col] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[kPerThread], b[kPerThread];
#pragma unroll
      for (int p = 0; p < kPerThread; ++p) {
        a[p] = a_tile[kk][ty + p * kThreadsY];
        b[p] = b_tile[kk][tx + p * kThreadsX];
      }
#pragma unroll
      for (int p = 0; p < kPerThread; ++p)
#pragma unroll
        for (int q = 0; q < kPerThread; ++q) acc[p][q] = fmaf(a[p], b[q], acc[p][q]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int p = 0; p < kPerThread; ++p) {
    const int64_t i = i0 + ty + p * kThreadsY;
    if (i >= batch) continue;
#pragma unroll
    for (int q = 0; q < kPerThread; ++q) {
      const int64_t j = j0 + tx + q * kThreadsX;
      if (j < dim) df[i * dim + j] = acc[p][q];
    }
  }
}

// ---- host side ------------------------------------------------------------------------------

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// How one block's inner dimension is split: `splits` chunks of `chunk` (a multiple of kTileK).
struct SplitK {
  int64_t splits = 0;
  int64_t chunk = 0;
};

SplitK plan_split_k(int64_t batch, int64_t dim, int multiprocessors) {
  if (dim == 0) return {};
  const int64_t tiles = ceil_div(batch, kTile);
  const int64_t tile_blocks = tiles * (tiles + 1) / 2;
  const int64_t target_blocks = int64_t{4} * multiprocessors;  // a few waves of blocks
  int64_t splits = ceil_div(target_blocks, tile_blocks);
  splits = std::min(splits, ceil_div(dim, kMinSplitLength));
  splits = std::min(splits, kMaxPartialBytes / (batch * batch * int64_t{sizeof(float)}));
  splits = std::clamp<int64_t>(splits, 1, kMaxGridY);
  SplitK plan;
  plan.chunk = ceil_div(ceil_div(dim, splits), kTileK) * kTileK;
  plan.splits = ceil_div(dim, plan.chunk);  // <= splits, and every chunk is non-empty
  return plan;
}

// Device buffers reused by every block of one call.
struct GramWorkspace {
  DeviceBuffer<float> features;           // B x max D
  DeviceBuffer<float> partial;            // max splits x B x B
  DeviceBuffer<double> graw;              // B x B
  DeviceBuffer<unsigned long long> flags; // lowest bad feature row, overflow row, bad dG index
};

enum Flag { kBadFeatureRow = 0, kOverflowRow = 1, kBadDgram = 2, kFlagCount = 3 };

std::vector<SplitK> plan_blocks(const kdlts_gram_params& params, int64_t* max_dim,
                                int64_t* max_splits) {
  const int64_t batch = params.batch;
  if (ceil_div(batch, kTile) > kMaxGridY) {
    fail(KDLTS_ERR_BACKEND, "cuda: gram: params.batch = " + std::to_string(batch) +
                                " is too large for the CUDA backend");
  }
  const int multiprocessors = multiprocessor_count();
  std::vector<SplitK> plans(static_cast<size_t>(params.num_blocks));
  *max_dim = 0;
  *max_splits = 0;
  for (int64_t l = 0; l < params.num_blocks; ++l) {
    plans[l] = plan_split_k(batch, params.dims[l], multiprocessors);
    *max_dim = std::max(*max_dim, params.dims[l]);
    *max_splits = std::max(*max_splits, plans[l].splits);
  }
  return plans;
}

GramWorkspace make_workspace(int64_t batch, int64_t max_dim, int64_t max_splits) {
  GramWorkspace ws;
  ws.features = DeviceBuffer<float>(static_cast<size_t>(batch * max_dim), "cudaMalloc(features)");
  ws.partial = DeviceBuffer<float>(static_cast<size_t>(max_splits * batch * batch),
                                   "cudaMalloc(gram partial sums)");
  ws.graw = DeviceBuffer<double>(static_cast<size_t>(batch * batch), "cudaMalloc(raw gram)");
  ws.flags = DeviceBuffer<unsigned long long>(kFlagCount, "cudaMalloc(flags)");
  return ws;
}

// Uploads F_l and leaves Graw_l in ws.graw; resets the flags (kBadDgram included) and fails on
// a non-finite or overflowing row.
void raw_gram(GramWorkspace& ws, const float* host_features, int64_t block, int64_t batch,
              int64_t dim, const SplitK& plan) {
  ws.flags.fill_bytes(0xFF, "cudaMemset(flags)");
  if (dim == 0) {
    ws.graw.fill_bytes(0, "cudaMemset(raw gram)");
    return;
  }
  ws.features.upload(host_features, static_cast<size_t>(batch * dim), "copy features to the device");
  const unsigned tiles = static_cast<unsigned>(ceil_div(batch, kTile));
  gram_partial_kernel<<<dim3(tiles, tiles, static_cast<unsigned>(plan.splits)), kThreads>>>(
      ws.features.get(), batch, dim, plan.chunk, ws.partial.get(), ws.flags.get() + kBadFeatureRow);
  check_launch("gram_partial_kernel");
  gram_reduce_kernel<<<grid_size(batch * batch, 256), 256>>>(
      ws.partial.get(), batch, plan.splits, ws.graw.get(), ws.flags.get() + kOverflowRow);
  check_launch("gram_reduce_kernel");

  unsigned long long flags[kFlagCount];
  ws.flags.download(flags, kFlagCount, "copy gram flags to the host");
  const std::string name = "features[" + std::to_string(block) + "]";
  if (flags[kBadFeatureRow] != kNone) {
    fail(KDLTS_ERR_NON_FINITE, name + " row " + std::to_string(flags[kBadFeatureRow]) + " is not finite");
  }
  if (flags[kOverflowRow] != kNone) {
    fail(KDLTS_ERR_NON_FINITE, name + " row " + std::to_string(flags[kOverflowRow]) +
                                   " is too large: its squared norm overflows float32");
  }
}

}  // namespace

void gram_forward(const kdlts_gram_params& params, const float* const* features, float* grams) {
  const int64_t batch = params.batch;
  int64_t max_dim = 0, max_splits = 0;
  const std::vector<SplitK> plans = plan_blocks(params, &max_dim, &max_splits);
  GramWorkspace ws = make_workspace(batch, max_dim, max_splits);
  DeviceBuffer<float> gram(static_cast<size_t>(batch * batch), "cudaMalloc(gram)");
  const double eps = static_cast<double>(params.eps);

  for (int64_t l = 0; l < params.num_blocks; ++l) {
    raw_gram(ws, features[l], l, batch, params.dims[l], plans[l]);
    gram_normalize_kernel<<<grid_size(batch * batch, 256), 256>>>(ws.graw.get(), batch,
                                                                  params.normalize, eps, gram.get());
    check_launch("gram_normalize_kernel");
    gram.download(grams + l * batch * batch, static_cast<size_t>(batch * batch),
                  "copy grams to the host");
  }
}

void gram_backward(const kdlts_gram_params& params, const float* const* features,
                   const float* dgrams, float* const* dfeatures) {
  const int64_t batch = params.batch;
  int64_t max_dim = 0, max_splits = 0;
  const std::vector<SplitK> plans = plan_blocks(params, &max_dim, &max_splits);
  GramWorkspace ws = make_workspace(batch, max_dim, max_splits);
  DeviceBuffer<float> dgram(static_cast<size_t>(batch * batch), "cudaMalloc(dgram)");
  DeviceBuffer<float> coefficients(static_cast<size_t>(batch * batch), "cudaMalloc(coefficients)");
  DeviceBuffer<float> dfeature(static_cast<size_t>(batch * max_dim), "cudaMalloc(dfeatures)");
  const double eps = static_cast<double>(params.eps);
  const unsigned row_blocks = grid_size(batch, 1);

  for (int64_t l = 0; l < params.num_blocks; ++l) {
    const int64_t dim = params.dims[l];
    raw_gram(ws, features[l], l, batch, dim, plans[l]);
    dgram.upload(dgrams + l * batch * batch, static_cast<size_t>(batch * batch),
                 "copy dgrams to the device");
    gram_backward_coefficients_kernel<<<row_blocks, kThreads>>>(
        ws.graw.get(), dgram.get(), batch, params.normalize, eps, coefficients.get(),
        ws.flags.get() + kBadDgram);
    check_launch("gram_backward_coefficients_kernel");
    const unsigned long long bad_dgram =
        download_value(ws.flags.get() + kBadDgram, "copy gram flags to the host");
    if (bad_dgram != kNone) {
      const unsigned long long b = static_cast<unsigned long long>(batch);
      fail(KDLTS_ERR_NON_FINITE, "dgrams[" + std::to_string(l) + "] is not finite (row " +
                                     std::to_string(bad_dgram / b) + ", column " +
                                     std::to_string(bad_dgram % b) + ")");
    }
    if (dim == 0) continue;  // nothing to write (dfeatures[l] may be NULL)
    const dim3 grid(static_cast<unsigned>(ceil_div(dim, kTile)),
                    static_cast<unsigned>(ceil_div(batch, kTile)));
    coefficients_times_features_kernel<<<grid, kThreads>>>(coefficients.get(), ws.features.get(),
                                                           batch, dim, dfeature.get());
    check_launch("coefficients_times_features_kernel");
    dfeature.download(dfeatures[l], static_cast<size_t>(batch * dim), "copy dfeatures to the host");
  }
}

}  // namespace kdlts::cuda
