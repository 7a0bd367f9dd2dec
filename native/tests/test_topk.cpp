// kdlts_topk_mask against ref::topk_mask (reference.hpp), through the public C API on ctx.exec's
// backend. Selection is exact, so masks must match the reference exactly (no tolerance): exactly
// k_g ones per group, the largest scores, ties kept by lower index, -0.0 == +0.0.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "harness.hpp"
#include "reference.hpp"

namespace {

using kdlts_test::Context;

struct Result {
  kdlts_status status;
  std::vector<uint8_t> mask;
};

// Runs the op with mask type U8, and again with F32 when `both_types`: the two must agree.
Result topk(Context& ctx, const kdlts_exec& exec, const std::vector<float>& scores,
            const std::vector<int64_t>& sizes, const std::vector<int64_t>& k,
            bool both_types = true) {
  Result r{KDLTS_OK, std::vector<uint8_t>(scores.size(), 7)};
  kdlts_topk_params params{int64_t(sizes.size()), sizes.data(), k.data(), KDLTS_MASK_U8};
  r.status = kdlts_topk_mask(&exec, &params, scores.data(), r.mask.data());
  if (!both_types || r.status != KDLTS_OK) return r;
  std::vector<float> f32(scores.size(), 7.0f);
  params.mask_type = KDLTS_MASK_F32;
  const kdlts_status status = kdlts_topk_mask(&exec, &params, scores.data(), f32.data());
  CHECK(status == KDLTS_OK) << "F32 mask: " << kdlts_last_error();
  int64_t differ = 0;
  for (size_t i = 0; i < f32.size(); ++i)
    differ += !(f32[i] == (r.mask[i] ? 1.0f : 0.0f) && !std::signbit(f32[i]));
  CHECK(differ == 0) << differ << " F32 mask values differ from the U8 mask";
  return r;
}

void check_against_reference(Context& ctx, const std::vector<float>& scores,
                             const std::vector<int64_t>& sizes, const std::vector<int64_t>& k,
                             const std::string& what) {
  const Result r = topk(ctx, ctx.exec, scores, sizes, k);
  CHECK(r.status == KDLTS_OK) << what << ": " << kdlts_last_error();
  if (r.status != KDLTS_OK) return;
  int64_t offset = 0;
  for (size_t g = 0; g < sizes.size(); ++g) {
    const std::vector<uint8_t> expected = ref::topk_mask(scores.data() + offset, sizes[g], k[g]);
    int64_t first_diff = -1;
    for (int64_t i = 0; i < sizes[g] && first_diff < 0; ++i)
      if (r.mask[offset + i] != expected[i]) first_diff = i;
    CHECK(first_diff < 0) << what << " group " << g << " (n " << sizes[g] << ", k " << k[g]
                          << "): first mismatch at element " << first_diff << " (score "
                          << scores[offset + first_diff] << ", got "
                          << int(r.mask[offset + first_diff]) << ")";
    offset += sizes[g];
  }
}

// O(n) checks of one group: k ones, kept >= dropped, and ties at the threshold kept by index.
void check_invariants(Context& ctx, const float* s, const uint8_t* mask, int64_t n, int64_t k,
                      const std::string& what) {
  int64_t ones = 0;
  float min_kept = std::numeric_limits<float>::infinity();
  float max_dropped = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (mask[i] == 1) ++ones, min_kept = std::min(min_kept, s[i]);
    else max_dropped = std::max(max_dropped, s[i]);
  }
  CHECK(ones == k) << what << ": " << ones << " ones, expected " << k;
  if (ones == 0 || ones == n) return;
  CHECK(min_kept >= max_dropped) << what << ": kept " << min_kept << " < dropped " << max_dropped;
  int64_t last_kept_tie = -1, first_dropped_tie = n;
  for (int64_t i = 0; i < n; ++i) {
    if (s[i] != min_kept) continue;  // -0.0 == +0.0 here, as in the contract
    if (mask[i]) last_kept_tie = i;
    else first_dropped_tie = std::min(first_dropped_tie, i);
  }
  CHECK(last_kept_tie < first_dropped_tie)
      << what << ": tie at " << min_kept << " kept index " << last_kept_tie
      << " after dropped index " << first_dropped_tie;
}

int64_t random_k(Context& ctx, int64_t n) { return int64_t(ctx.rng() % uint64_t(n + 1)); }

}  // namespace

KDLTS_TEST(topk, matches_reference_across_sizes) {
  for (const int64_t n : {0, 1, 2, 3, 17, 1000, 65537, 1 << 20}) {
    const std::vector<float> s = kdlts_test::normal(ctx, n);
    check_against_reference(ctx, s, {n}, {random_k(ctx, n)}, "n " + std::to_string(n));
  }
}

KDLTS_TEST(topk, boundary_k) {
  for (const int64_t n : {1, 5, 1000, 300000}) {
    const std::vector<float> s = kdlts_test::uniform(ctx, n);
    for (const int64_t k : {int64_t{0}, int64_t{1}, n / 2, n - 1, n})
      check_against_reference(ctx, s, {n}, {k},
                              "n " + std::to_string(n) + " k " + std::to_string(k));
  }
}

KDLTS_TEST(topk, ties_keep_lower_index) {
  for (const int64_t n : {10, 1000, 300000}) {
    const std::vector<float> equal(static_cast<size_t>(n), 0.5f);
    for (const int64_t k : {int64_t{1}, n / 3, n - 1})
      check_against_reference(ctx, equal, {n}, {k}, "all equal n " + std::to_string(n));
    std::vector<float> levels(static_cast<size_t>(n));
    for (auto& v : levels) v = float(ctx.rng() % 3);  // {0, 1, 2}
    for (const int64_t k : {n / 3, n / 2, n - 3})
      check_against_reference(ctx, levels, {n}, {k}, "levels n " + std::to_string(n));
    std::vector<float> coarse = kdlts_test::normal(ctx, n);
    for (auto& v : coarse) v = std::round(v * 8.0f) / 8.0f;  // ~50 distinct values
    check_against_reference(ctx, coarse, {n}, {random_k(ctx, n)}, "coarse n " + std::to_string(n));
  }
}

KDLTS_TEST(topk, signed_zeros_are_equal) {
  for (const int64_t n : {8, 100000}) {
    std::vector<float> s(static_cast<size_t>(n));
    for (auto& v : s) v = (ctx.rng() % 2) ? -0.0f : 0.0f;
    s[n / 2] = 1.0f;
    s[n / 3] = -1.0f;
    for (const int64_t k : {int64_t{2}, n / 2, n - 2})
      check_against_reference(ctx, s, {n}, {k}, "signed zeros n " + std::to_string(n));
  }
}

KDLTS_TEST(topk, infinities_are_ordinary_values) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const int64_t n : {20, 200000}) {
    std::vector<float> s = kdlts_test::normal(ctx, n);
    for (int64_t i = 0; i < n; i += 7) s[i] = inf;
    for (int64_t i = 3; i < n; i += 11) s[i] = -inf;
    s[1] = std::numeric_limits<float>::max();
    s[2] = -std::numeric_limits<float>::max();
    for (const int64_t k : {int64_t{1}, n / 10, n / 2, n - n / 12, n - 1})
      check_against_reference(ctx, s, {n}, {k}, "infinities n " + std::to_string(n));
  }
}

KDLTS_TEST(topk, many_groups_of_different_sizes) {
  const std::vector<int64_t> sizes = {0, 1, 5, 100000, 3, 200000, 2, 0, 70000};
  std::vector<int64_t> k;
  int64_t n = 0;
  for (const int64_t s : sizes) {
    n += s;
    k.push_back(random_k(ctx, s));
  }
  k[4] = 3;  // k = n for one group, k = 0 for another
  k[6] = 0;
  check_against_reference(ctx, kdlts_test::normal(ctx, n), sizes, k, "groups");
  std::vector<int64_t> tiny(3000), tiny_k;
  int64_t total = 0;
  for (auto& s : tiny) {
    s = int64_t(ctx.rng() % 40);
    total += s;
    tiny_k.push_back(random_k(ctx, s));
  }
  check_against_reference(ctx, kdlts_test::uniform(ctx, total), tiny, tiny_k, "tiny groups");
}

KDLTS_TEST(topk, deterministic_across_thread_counts) {
  std::vector<int64_t> sizes = {3000000}, k = {1234567};
  for (int g = 0; g < 50; ++g) {
    sizes.push_back(int64_t(ctx.rng() % 20000));
    k.push_back(random_k(ctx, sizes.back()));
  }
  int64_t n = 0;
  for (const int64_t s : sizes) n += s;
  std::vector<float> s = kdlts_test::normal(ctx, n);
  for (int64_t i = 0; i < n; i += 3) s[i] = std::round(s[i] * 4.0f);  // plenty of ties
  Result first;
  for (const int threads : {1, 2, 7, 2}) {
    kdlts_exec exec = ctx.exec;  // same backend; only the CPU thread count changes
    exec.num_threads = threads;
    const Result r = topk(ctx, exec, s, sizes, k, false);
    CHECK(r.status == KDLTS_OK) << kdlts_last_error();
    if (first.mask.empty()) {
      first = r;
      check_invariants(ctx, s.data(), r.mask.data(), sizes[0], k[0], "3M group");
      continue;
    }
    CHECK(r.mask == first.mask) << threads << " threads: mask differs from 1 thread";
  }
}

KDLTS_TEST(topk, large_global_invariants) {
  const int64_t n = 12000000;
  std::vector<float> s = kdlts_test::normal(ctx, n);
  for (const int64_t k : {n / 3, int64_t{10}, n - 10}) {
    const Result r = topk(ctx, ctx.exec, s, {n}, {k}, k == n / 3);
    CHECK(r.status == KDLTS_OK) << kdlts_last_error();
    if (r.status == KDLTS_OK)
      check_invariants(ctx, s.data(), r.mask.data(), n, k, "12M k " + std::to_string(k));
  }
  // Heavy ties at the threshold in a large group.
  for (auto& v : s) v = float(ctx.rng() % 3);
  for (const int64_t k : {n / 2, n / 3 + 1}) {
    const Result r = topk(ctx, ctx.exec, s, {n}, {k}, false);
    CHECK(r.status == KDLTS_OK) << kdlts_last_error();
    if (r.status == KDLTS_OK) check_invariants(ctx, s.data(), r.mask.data(), n, k, "12M levels");
  }
}

KDLTS_TEST(topk, nan_is_rejected) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct Case {
    std::vector<int64_t> sizes, k;
    int64_t group, element;
    bool all_equal;  // heavy ties: the selection takes another path
  };
  const std::vector<Case> cases = {
      {{10, 100, 1000}, {1, 2, 3}, 2, 34, false},
      {{10, 100, 1000}, {1, 0, 3}, 1, 0, false},           // k = 0 still checks
      {{5, 300000}, {1, 150000}, 1, 299999, false},        // large group
      {{5, 300000, 10}, {1, 300000, 2}, 1, 7, false},      // k = n in a large group
      {{2000000}, {1000000}, 0, 1234567, true},            // all equal but one NaN
  };
  for (const Case& c : cases) {
    int64_t n = 0, offset = 0;
    for (size_t g = 0; g < c.sizes.size(); ++g) {
      if (int64_t(g) < c.group) offset += c.sizes[g];
      n += c.sizes[g];
    }
    std::vector<float> s = c.all_equal ? std::vector<float>(static_cast<size_t>(n), 0.5f)
                                       : kdlts_test::uniform(ctx, n);
    s[offset + c.element] = nan;
    if (offset + c.element + 5 < n) s[offset + c.element + 5] = -nan;  // later: not reported
    if (offset + c.element < n - 1) s[n - 1] = nan;
    const std::string expected = "scores[" + std::to_string(offset + c.element) + "] (group " +
                                 std::to_string(c.group) + ", element " +
                                 std::to_string(c.element) + ") is NaN";
    std::vector<uint8_t> mask(s.size());
    const kdlts_topk_params params{int64_t(c.sizes.size()), c.sizes.data(), c.k.data(),
                                   KDLTS_MASK_U8};
    CHECK_STATUS(kdlts_topk_mask(&ctx.exec, &params, s.data(), mask.data()), KDLTS_ERR_NON_FINITE,
                 expected);
  }
}

KDLTS_TEST(topk, same_output_twice) {
  const std::vector<float> s = kdlts_test::normal(ctx, 500000);
  const Result a = topk(ctx, ctx.exec, s, {500000}, {4321}, false);
  const Result b = topk(ctx, ctx.exec, s, {500000}, {4321}, false);
  CHECK(a.status == KDLTS_OK && b.status == KDLTS_OK) << kdlts_last_error();
  CHECK(a.mask == b.mask);
}
