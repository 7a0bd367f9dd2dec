// kdlts_conv2d_forward / _backward_input / _backward_filter against a plain 7-loop direct
// convolution in double precision, on fresh random inputs over many geometries: batch 1 and odd
// sizes, strides 1 and 2, tfjs SAME (asymmetric implied padding) and VALID, explicit pads, 1x1,
// 3x3, 5x5 and non-square filters, dilation 2, channel counts 1, 3, 16, 17, 64, the ResNet-20 and
// Conv-4 layer shapes (small batch); empty sizes, NaN propagation, bitwise-identical results for
// 1, 2 and 3 threads, and argument errors.
//
// Tolerance: each output is a float32 sum of D products t_i (D = FH*FW*IC for the forward,
// FH*FW*OC per dx element, N*OH*OW per dfilter element). We require
//     |got - exact| <= 16 u sum_i |t_i|        (u = 2^-24)
// The worst value seen over all cases is ~4.5 u sum|t|. Dropping or doubling one product of a
// sum (|t_i| ~ sum|t| / D) exceeds the bound for every D used here (D <= 50k); dropping one
// pixel of some rows of the filter gradient fails by a factor of 10^4 and more (checked by
// mutating the kernels).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"
#include "kdlts_nn.h"

namespace {

using kdlts_test::Context;

constexpr double kUnit = 1.0 / (1 << 24);
constexpr double kTolerance = 16.0;  // in units of u * sum|terms|

struct Geometry {
  int64_t n = 1, h = 1, w = 1, ic = 1, oc = 1, fh = 1, fw = 1;
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, oh = 1, ow = 1;
  kdlts_conv2d_params params() const {
    return {n, h, w, ic, oh, ow, oc, fh, fw, sh, sw, dh, dw, pt, pl};
  }
  int64_t x_size() const { return n * h * w * ic; }
  int64_t y_size() const { return n * oh * ow * oc; }
  int64_t f_size() const { return fh * fw * ic * oc; }
};

std::string describe(const Geometry& g) {
  auto s = [](int64_t v) { return std::to_string(v); };
  return "N=" + s(g.n) + " " + s(g.h) + "x" + s(g.w) + "x" + s(g.ic) + " -> " + s(g.oh) + "x" +
         s(g.ow) + "x" + s(g.oc) + " filter " + s(g.fh) + "x" + s(g.fw) + " stride " + s(g.sh) +
         "," + s(g.sw) + " dilation " + s(g.dh) + "," + s(g.dw) + " pad " + s(g.pt) + "," + s(g.pl);
}

// tfjs padding rules: SAME (out = ceil(in / s), the odd pad goes to the bottom/right) or VALID.
Geometry make(int64_t n, int64_t h, int64_t w, int64_t ic, int64_t oc, int64_t fh, int64_t fw,
              int64_t stride, bool same, int64_t dilation = 1) {
  Geometry g{n, h, w, ic, oc, fh, fw, stride, stride, dilation, dilation};
  auto axis = [&](int64_t in, int64_t f, int64_t& out, int64_t& pad) {
    const int64_t fd = (f - 1) * dilation + 1;
    if (same) {
      out = (in + stride - 1) / stride;
      pad = std::max<int64_t>((out - 1) * stride + fd - in, 0) / 2;
    } else {
      out = in >= fd ? (in - fd) / stride + 1 : 0;
      pad = 0;
    }
  };
  axis(h, fh, g.oh, g.pt);
  axis(w, fw, g.ow, g.pl);
  return g;
}

// ---- the reference: direct loops in double; |terms| summed alongside ----
struct Reference {
  std::vector<double> value, magnitude;
};

// Calls fn(x index, y index, filter index) for every product of the convolution.
template <typename Fn>
void for_each_product(const Geometry& g, Fn fn) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow)
        for (int64_t fh = 0; fh < g.fh; ++fh) {
          const int64_t ih = oh * g.sh - g.pt + fh * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t fw = 0; fw < g.fw; ++fw) {
            const int64_t iw = ow * g.sw - g.pl + fw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            for (int64_t ic = 0; ic < g.ic; ++ic)
              for (int64_t oc = 0; oc < g.oc; ++oc)
                fn(((n * g.h + ih) * g.w + iw) * g.ic + ic, ((n * g.oh + oh) * g.ow + ow) * g.oc + oc,
                   ((fh * g.fw + fw) * g.ic + ic) * g.oc + oc);
          }
        }
}

Reference ref_forward(const Geometry& g, const std::vector<float>& x, const std::vector<float>& f) {
  Reference r{std::vector<double>(g.y_size()), std::vector<double>(g.y_size())};
  for_each_product(g, [&](int64_t xi, int64_t yi, int64_t fi) {
    const double t = double(x[xi]) * f[fi];
    r.value[yi] += t;
    r.magnitude[yi] += std::fabs(t);
  });
  return r;
}

Reference ref_backward_input(const Geometry& g, const std::vector<float>& dy,
                             const std::vector<float>& f) {
  Reference r{std::vector<double>(g.x_size()), std::vector<double>(g.x_size())};
  for_each_product(g, [&](int64_t xi, int64_t yi, int64_t fi) {
    const double t = double(dy[yi]) * f[fi];
    r.value[xi] += t;
    r.magnitude[xi] += std::fabs(t);
  });
  return r;
}

Reference ref_backward_filter(const Geometry& g, const std::vector<float>& x,
                              const std::vector<float>& dy) {
  Reference r{std::vector<double>(g.f_size()), std::vector<double>(g.f_size())};
  for_each_product(g, [&](int64_t xi, int64_t yi, int64_t fi) {
    const double t = double(x[xi]) * dy[yi];
    r.value[fi] += t;
    r.magnitude[fi] += std::fabs(t);
  });
  return r;
}

// Worst |got - ref| / (u sum|t|) (NaN where exactly one of them is NaN counts as a failure).
void check(Context& ctx, const std::string& what, const std::vector<float>& got,
           const Reference& ref) {
  double worst = 0.0;
  size_t worst_at = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(ref.value[i]) && std::isnan(got[i])) continue;
    const double ratio = std::fabs(got[i] - ref.value[i]) / (kUnit * ref.magnitude[i] + 1e-37);
    if (!(ratio <= worst)) {
      worst = ratio;
      worst_at = i;
    }
  }
  CHECK(worst <= kTolerance) << what << ": error " << worst << " u sum|t| at " << worst_at
                             << " (got " << got[worst_at] << ", expected " << ref.value[worst_at]
                             << ")";
}

// Forward with bias and activation applied to the reference.
void check_forward(Context& ctx, const Geometry& g, bool with_bias, int32_t activation,
                   const std::vector<float>& x, const std::vector<float>& f) {
  const auto bias = kdlts_test::uniform(ctx, g.oc);
  std::vector<float> y(g.y_size(), std::nanf(""));
  const auto p = g.params();
  CHECK_OK(kdlts_conv2d_forward(&ctx.exec, &p, x.data(), f.data(), with_bias ? bias.data() : nullptr,
                                activation, y.data()));
  Reference ref = ref_forward(g, x, f);
  for (size_t i = 0; i < ref.value.size(); ++i) {
    if (with_bias) {
      ref.value[i] += bias[i % g.oc];
      ref.magnitude[i] += std::fabs(bias[i % g.oc]);
    }
    if (activation == KDLTS_ACTIVATION_RELU && ref.value[i] < 0.0) {
      ref.value[i] = 0.0;  // a small negative rounded to >= 0 (or vice versa) stays in tolerance
    }
  }
  if (activation == KDLTS_ACTIVATION_RELU) {
    for (float& v : y) CHECK(!(v < 0.0f)) << "relu output " << v;
  }
  check(ctx, "forward " + describe(g) + (with_bias ? " +bias" : "") +
                 (activation ? " relu" : ""), y, ref);
}

void check_all(Context& ctx, const Geometry& g, int variant = 0) {
  const auto x = kdlts_test::uniform(ctx, g.x_size());
  const auto f = kdlts_test::uniform(ctx, g.f_size());
  const auto dy = kdlts_test::uniform(ctx, g.y_size());
  check_forward(ctx, g, variant % 2 == 0, variant % 3 == 0 ? KDLTS_ACTIVATION_RELU : 0, x, f);
  const auto p = g.params();
  std::vector<float> dx(g.x_size(), std::nanf("")), df(g.f_size(), std::nanf(""));
  CHECK_OK(kdlts_conv2d_backward_input(&ctx.exec, &p, dy.data(), f.data(), dx.data()));
  check(ctx, "backward_input " + describe(g), dx, ref_backward_input(g, dy, f));
  CHECK_OK(kdlts_conv2d_backward_filter(&ctx.exec, &p, x.data(), dy.data(), df.data()));
  check(ctx, "backward_filter " + describe(g), df, ref_backward_filter(g, x, dy));
}

}  // namespace

KDLTS_TEST(conv2d, same_and_valid_strides_filters_channels) {
  // Channel counts around the 16-lane vectors, 1x1 / 3x3 / 5x5 / non-square filters, strides
  // 1 and 2 (SAME with stride 2 on an even input pads 0 on top and 1 at the bottom).
  const int64_t channels[] = {1, 3, 16, 17, 64};
  const int64_t filters[][2] = {{1, 1}, {3, 3}, {5, 5}, {1, 3}, {3, 2}};
  int variant = 0;
  for (int64_t ic : channels)
    for (int64_t oc : channels)
      for (const auto& f : filters) {
        const int64_t stride = 1 + variant % 2;
        const bool same = (variant / 2) % 2 == 0;
        const int64_t h = 5 + variant % 7, w = 4 + (variant * 3) % 9;
        const Geometry g = make(1 + variant % 2, h, w, ic, oc, f[0], f[1], stride, same);
        if (g.oh > 0 && g.ow > 0) check_all(ctx, g, variant);
        ++variant;
      }
}

KDLTS_TEST(conv2d, dilation_and_mixed_strides) {
  check_all(ctx, make(2, 11, 9, 5, 7, 3, 3, 1, true, 2), 0);
  check_all(ctx, make(1, 12, 12, 16, 32, 3, 3, 2, true, 2), 1);
  check_all(ctx, make(1, 13, 10, 3, 16, 5, 3, 1, false, 2), 2);
  Geometry g = make(2, 9, 14, 8, 20, 3, 4, 1, true);
  g.sh = 2, g.sw = 3, g.dh = 2, g.dw = 1;  // unequal strides and dilations, explicit pads
  g.pt = 2, g.pl = 1;
  g.oh = (g.h + 2 * g.pt - ((g.fh - 1) * g.dh + 1)) / g.sh + 1;
  g.ow = (g.w + g.pl - ((g.fw - 1) * g.dw + 1)) / g.sw + 1;
  check_all(ctx, g, 3);
}

KDLTS_TEST(conv2d, explicit_pads_beyond_the_filter) {
  // pad_top 4 with a 3-row filter: the first window lies wholly in the padding (y = bias).
  Geometry g = make(1, 6, 6, 4, 5, 3, 3, 1, false);
  g.pt = 4, g.pl = 3;
  g.oh = 9, g.ow = 8;
  check_all(ctx, g, 0);
  check_all(ctx, g, 1);
}

KDLTS_TEST(conv2d, resnet20_and_conv4_layers) {
  // The layer shapes of the target networks (batch 2 to keep the reference quick).
  check_all(ctx, make(2, 32, 32, 3, 16, 3, 3, 1, true), 0);    // ResNet stem
  check_all(ctx, make(2, 32, 32, 16, 16, 3, 3, 1, true), 1);
  check_all(ctx, make(2, 32, 32, 16, 32, 3, 3, 2, true), 2);   // downsampling
  check_all(ctx, make(2, 32, 32, 16, 32, 1, 1, 2, true), 3);   // 1x1 projection shortcut
  check_all(ctx, make(2, 16, 16, 32, 32, 3, 3, 1, true), 4);
  check_all(ctx, make(2, 16, 16, 32, 64, 3, 3, 2, true), 5);
  check_all(ctx, make(2, 16, 16, 32, 64, 1, 1, 2, true), 6);
  check_all(ctx, make(2, 8, 8, 64, 64, 3, 3, 1, true), 7);
  check_all(ctx, make(2, 28, 28, 1, 64, 3, 3, 1, true), 8);    // Conv-4
  check_all(ctx, make(1, 28, 28, 64, 64, 3, 3, 1, true), 9);
  check_all(ctx, make(1, 14, 14, 64, 128, 3, 3, 1, true), 10);
  check_all(ctx, make(1, 14, 14, 128, 128, 3, 3, 1, true), 11);
}

KDLTS_TEST(conv2d, output_row_widths_and_kernel_variants) {
  // The window path tiles output rows with 8, 12, 14, 16 or 28 pixels depending on the width,
  // and the filter gradient reads 16/32-channel layers in place: widths around those tiles,
  // channel counts that pick each tile kind (1 or 2 vectors, odd vector counts).
  const int64_t widths[] = {1, 5, 7, 8, 9, 14, 15, 16, 23, 24, 28, 29, 32, 33};
  const int64_t channels[][2] = {{16, 16}, {32, 32}, {16, 48}, {32, 16}, {48, 64}, {16, 32}};
  int variant = 0;
  for (int64_t w : widths)
    for (const auto& c : channels) {
      const int64_t stride = 1 + variant % 2;
      check_all(ctx, make(1 + variant % 2, 3 + variant % 3, w, c[0], c[1], 3, 3, stride, true),
                variant);
      ++variant;
    }
}

KDLTS_TEST(conv2d, long_reduction_for_the_filter_gradient) {
  // Enough pixels for many fixed chunks in backward_filter (partials added in chunk order).
  check_all(ctx, make(24, 32, 32, 3, 16, 3, 3, 1, true), 0);
  check_all(ctx, make(20, 16, 16, 17, 33, 3, 3, 2, true), 1);
}

KDLTS_TEST(conv2d, bitwise_identical_for_1_2_3_threads) {
  const Geometry shapes[] = {make(6, 16, 16, 16, 32, 3, 3, 1, true),
                             make(5, 15, 13, 17, 19, 3, 3, 2, true),
                             make(16, 32, 32, 3, 16, 3, 3, 1, true)};
  for (const auto& g : shapes) {
    const auto x = kdlts_test::uniform(ctx, g.x_size());
    const auto f = kdlts_test::uniform(ctx, g.f_size());
    const auto dy = kdlts_test::uniform(ctx, g.y_size());
    const auto bias = kdlts_test::uniform(ctx, g.oc);
    const auto p = g.params();
    std::vector<float> y1, dx1, df1;
    for (int threads : {1, 2, 3}) {
      kdlts_exec exec{KDLTS_BACKEND_CPU, threads};
      std::vector<float> y(g.y_size()), dx(g.x_size()), df(g.f_size());
      CHECK_OK(kdlts_conv2d_forward(&exec, &p, x.data(), f.data(), bias.data(), 1, y.data()));
      CHECK_OK(kdlts_conv2d_backward_input(&exec, &p, dy.data(), f.data(), dx.data()));
      CHECK_OK(kdlts_conv2d_backward_filter(&exec, &p, x.data(), dy.data(), df.data()));
      if (threads == 1) {
        y1 = y, dx1 = dx, df1 = df;
        continue;
      }
      const std::string where = describe(g) + ": " + std::to_string(threads) + " threads";
      CHECK(std::memcmp(y.data(), y1.data(), y.size() * 4) == 0) << "forward " << where;
      CHECK(std::memcmp(dx.data(), dx1.data(), dx.size() * 4) == 0) << "backward_input " << where;
      CHECK(std::memcmp(df.data(), df1.data(), df.size() * 4) == 0) << "backward_filter " << where;
    }
  }
}

KDLTS_TEST(conv2d, nan_propagates_to_exactly_the_reached_outputs) {
  const Geometry g = make(2, 9, 8, 17, 18, 3, 3, 2, true);
  auto x = kdlts_test::uniform(ctx, g.x_size());
  const auto f = kdlts_test::uniform(ctx, g.f_size());
  auto dy = kdlts_test::uniform(ctx, g.y_size());
  x[(((1 * g.h) + 4) * g.w + 3) * g.ic + 5] = std::nanf("");
  dy[(((0 * g.oh) + 2) * g.ow + 1) * g.oc + 7] = std::nanf("");
  const auto p = g.params();
  std::vector<float> y(g.y_size()), dx(g.x_size()), df(g.f_size());
  // The reference propagates NaN through its products; check() requires NaN in exactly the
  // same elements and tolerance elsewhere. Relu keeps NaN.
  CHECK_OK(kdlts_conv2d_forward(&ctx.exec, &p, x.data(), f.data(), nullptr, 1, y.data()));
  Reference ref = ref_forward(g, x, f);
  for (double& v : ref.value) v = v < 0.0 ? 0.0 : v;
  int nans = 0;
  for (float v : y) nans += std::isnan(v);
  CHECK(nans > 0 && nans < int(y.size())) << nans << " NaN outputs";
  check(ctx, "forward with NaN", y, ref);
  CHECK_OK(kdlts_conv2d_backward_input(&ctx.exec, &p, dy.data(), f.data(), dx.data()));
  check(ctx, "backward_input with NaN", dx, ref_backward_input(g, dy, f));
  CHECK_OK(kdlts_conv2d_backward_filter(&ctx.exec, &p, x.data(), dy.data(), df.data()));
  check(ctx, "backward_filter with NaN", df, ref_backward_filter(g, x, dy));
}

KDLTS_TEST(conv2d, empty_sizes) {
  // No output: nothing is read or written (NULL buffers are fine).
  Geometry g = make(0, 8, 8, 3, 4, 3, 3, 1, true);
  auto p = g.params();
  CHECK_OK(kdlts_conv2d_forward(&ctx.exec, &p, nullptr, nullptr, nullptr, 0, nullptr));
  CHECK_OK(kdlts_conv2d_backward_input(&ctx.exec, &p, nullptr, nullptr, nullptr));
  // batch 0 but a filter: its gradient is zero.
  std::vector<float> df(g.f_size(), std::nanf(""));
  CHECK_OK(kdlts_conv2d_backward_filter(&ctx.exec, &p, nullptr, nullptr, df.data()));
  for (float v : df) CHECK(v == 0.0f) << "dfilter with no pixels: " << v;

  // in_channels 0: y = act(bias), dx is empty, dfilter is empty.
  g = make(2, 5, 5, 0, 3, 3, 3, 1, true);
  p = g.params();
  const std::vector<float> bias = {0.5f, -1.0f, 2.0f};
  std::vector<float> y(g.y_size(), std::nanf(""));
  CHECK_OK(kdlts_conv2d_forward(&ctx.exec, &p, nullptr, nullptr, bias.data(), 1, y.data()));
  for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == std::max(bias[i % 3], 0.0f)) << y[i];
  CHECK_OK(kdlts_conv2d_backward_input(&ctx.exec, &p, y.data(), nullptr, nullptr));
  CHECK_OK(kdlts_conv2d_backward_filter(&ctx.exec, &p, nullptr, y.data(), nullptr));

  // out_channels 0: dx = 0.
  g = make(2, 5, 5, 3, 0, 3, 3, 1, true);
  p = g.params();
  std::vector<float> dx(g.x_size(), std::nanf(""));
  CHECK_OK(kdlts_conv2d_backward_input(&ctx.exec, &p, nullptr, nullptr, dx.data()));
  for (float v : dx) CHECK(v == 0.0f) << "dx with no output channels: " << v;

  // A 1x1 stride-2 conv leaves odd rows and columns of dx without any contribution: zeros.
  g = make(1, 5, 5, 2, 2, 1, 1, 2, false);
  check_all(ctx, g, 1);
}

KDLTS_TEST(conv2d, argument_errors) {
  const Geometry g = make(1, 6, 6, 2, 3, 3, 3, 1, true);
  const auto x = kdlts_test::uniform(ctx, g.x_size());
  const auto f = kdlts_test::uniform(ctx, g.f_size());
  std::vector<float> y(g.y_size()), dx(g.x_size()), df(g.f_size());
  const auto ok = g.params();
  auto with = [&](auto change) {
    kdlts_conv2d_params p = ok;
    change(p);
    return p;
  };
  const kdlts_status bad = KDLTS_ERR_INVALID_ARGUMENT;
  auto p = with([](auto& q) { q.stride_height = 0; });
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &p, x.data(), f.data(), nullptr, 0, y.data()), bad,
               "params.stride_height must be >= 1, got 0");
  p = with([](auto& q) { q.dilation_width = 0; });
  CHECK_STATUS(kdlts_conv2d_backward_input(&ctx.exec, &p, y.data(), f.data(), dx.data()), bad,
               "params.dilation_width");
  p = with([](auto& q) { q.pad_left = -1; });
  CHECK_STATUS(kdlts_conv2d_backward_filter(&ctx.exec, &p, x.data(), y.data(), df.data()), bad,
               "params.pad_left must be >= 0");
  p = with([](auto& q) { q.in_channels = -2; });
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &p, x.data(), f.data(), nullptr, 0, y.data()), bad,
               "params.in_channels");
  p = with([](auto& q) { q.out_height = 8; });  // window 7 would start at row 7 - pad 1 = 6
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &p, x.data(), f.data(), nullptr, 0, y.data()), bad,
               "params.out_height");
  p = with([](auto& q) { q.out_width = 8; });
  CHECK_STATUS(kdlts_conv2d_backward_filter(&ctx.exec, &p, x.data(), y.data(), df.data()), bad,
               "params.out_width");
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, nullptr, x.data(), f.data(), nullptr, 0, y.data()),
               bad, "params is NULL");
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &ok, nullptr, f.data(), nullptr, 0, y.data()), bad,
               "x is NULL");
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &ok, x.data(), nullptr, nullptr, 0, y.data()), bad,
               "filter is NULL");
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &ok, x.data(), f.data(), nullptr, 0, nullptr), bad,
               "y is NULL");
  CHECK_STATUS(kdlts_conv2d_forward(&ctx.exec, &ok, x.data(), f.data(), nullptr, 2, y.data()), bad,
               "activation");
  CHECK_STATUS(kdlts_conv2d_backward_input(&ctx.exec, &ok, nullptr, f.data(), dx.data()), bad,
               "dy is NULL");
  CHECK_STATUS(kdlts_conv2d_backward_input(&ctx.exec, &ok, y.data(), f.data(), nullptr), bad,
               "dx is NULL");
  CHECK_STATUS(kdlts_conv2d_backward_filter(&ctx.exec, &ok, x.data(), y.data(), nullptr), bad,
               "dfilter is NULL");
  std::vector<float> same(std::max(g.x_size(), g.y_size()));
  CHECK_STATUS(kdlts_conv2d_backward_input(&ctx.exec, &ok, same.data(), f.data(), same.data()), bad,
               "dx must not alias dy");
  kdlts_exec cuda{KDLTS_BACKEND_CUDA, 0};
  CHECK_STATUS(kdlts_conv2d_forward(&cuda, &ok, x.data(), f.data(), nullptr, 0, y.data()),
               KDLTS_ERR_BACKEND, "CPU only");
  kdlts_exec unknown{7, 0};
  CHECK_STATUS(kdlts_conv2d_backward_filter(&unknown, &ok, x.data(), y.data(), df.data()), bad,
               "exec.backend");
  // A valid call clears the message.
  CHECK_OK(kdlts_conv2d_forward(&ctx.exec, &ok, x.data(), f.data(), nullptr, 0, y.data()));
  CHECK(std::string(kdlts_last_error()).empty());
}
