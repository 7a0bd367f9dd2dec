// sgemm(a, b, c, {m, n, k, transA?, transB?, alpha?, beta?, lda?, ldb?, ldc?}, exec?) and
// copyF32(src, dst, exec?), each also *Async: the building blocks benchmarks measure.
#include <memory>

#include "args.hpp"
#include "ops.hpp"

namespace kdlts_node {

namespace {

struct GemmShape {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  float alpha = 1.0f, beta = 0.0f;
};

int64_t optional_size(const Where& where, const Napi::Object& o, const char* key, int64_t fallback) {
  const auto v = o.Get(key);
  return v.IsUndefined() ? fallback : size_arg(where, v, std::string("shape.") + key);
}

double optional_number(const Where& where, const Napi::Object& o, const char* key, double fallback) {
  const auto v = o.Get(key);
  return v.IsUndefined() ? fallback : number_arg(where, v, std::string("shape.") + key);
}

bool optional_bool(const Napi::Object& o, const char* key) {
  const auto v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

// A rows x cols matrix with row stride ld must fit in `length` elements.
void require_fits(Napi::Env env, const Where& where, const char* name, size_t length, int64_t rows,
                  int64_t cols, int64_t ld) {
  if (rows == 0 || cols == 0) return;
  if (ld < cols) {
    throw Napi::RangeError::New(env, where.arg(name) + ": row stride " + std::to_string(ld) +
                                         " is smaller than its " + std::to_string(cols) + " columns");
  }
  const int64_t needed = (rows - 1) * ld + cols;
  if (static_cast<int64_t>(length) < needed) {
    throw Napi::RangeError::New(env, where.arg(name) + " has length " + std::to_string(length) + ", needs " +
                                         std::to_string(needed) + " for a " + std::to_string(rows) + " x " +
                                         std::to_string(cols) + " matrix with row stride " + std::to_string(ld));
  }
}

Napi::Value sgemm(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "sgemmAsync" : "sgemm"};
  auto env = info.Env();
  const auto a = float32_array(where, info[0], "a");
  const auto b = float32_array(where, info[1], "b");
  auto c = float32_array(where, info[2], "c");
  if (!info[3].IsObject()) throw Napi::TypeError::New(env, where.arg("shape") + " must be an object");
  const auto o = info[3].As<Napi::Object>();
  auto s = std::make_shared<GemmShape>();
  s->m = size_arg(where, o.Get("m"), "shape.m");
  s->n = size_arg(where, o.Get("n"), "shape.n");
  s->k = size_arg(where, o.Get("k"), "shape.k");
  s->trans_a = optional_bool(o, "transA");
  s->trans_b = optional_bool(o, "transB");
  s->alpha = static_cast<float>(optional_number(where, o, "alpha", 1.0));
  s->beta = static_cast<float>(optional_number(where, o, "beta", 0.0));
  s->lda = optional_size(where, o, "lda", s->trans_a ? s->m : s->k);
  s->ldb = optional_size(where, o, "ldb", s->trans_b ? s->k : s->n);
  s->ldc = optional_size(where, o, "ldc", s->n);
  const kdlts_exec exec = exec_arg(where, info[4]);
  require_fits(env, where, "a", a.ElementLength(), s->trans_a ? s->k : s->m, s->trans_a ? s->m : s->k, s->lda);
  require_fits(env, where, "b", b.ElementLength(), s->trans_b ? s->n : s->k, s->trans_b ? s->k : s->n, s->ldb);
  require_fits(env, where, "c", c.ElementLength(), s->m, s->n, s->ldc);
  const float* pa = a.Data();
  const float* pb = b.Data();
  float* pc = c.Data();
  return run_op(env, where.fn, async,
                [s, exec, pa, pb, pc] {
                  return kdlts_sgemm(&exec, s->trans_a, s->trans_b, s->m, s->n, s->k, s->alpha, pa,
                                     s->lda, pb, s->ldb, s->beta, pc, s->ldc);
                },
                {a, b, c}, c);
}

Napi::Value copy_f32(const Napi::CallbackInfo& info, bool async) {
  const Where where{async ? "copyF32Async" : "copyF32"};
  auto env = info.Env();
  const auto src = float32_array(where, info[0], "src");
  auto dst = float32_array(where, info[1], "dst");
  const kdlts_exec exec = exec_arg(where, info[2]);
  require_length(env, where, "dst", dst.ElementLength(), src.ElementLength(), "same length as src");
  const float* from = src.Data();
  float* to = dst.Data();
  const int64_t n = static_cast<int64_t>(src.ElementLength());
  return run_op(env, where.fn, async, [exec, from, to, n] { return kdlts_copy_f32(&exec, from, to, n); },
                {src, dst}, dst);
}

}  // namespace

void register_building_blocks(Napi::Env env, Napi::Object exports) {
  register_op<sgemm>(env, exports, "sgemm");
  register_op<copy_f32>(env, exports, "copyF32");
}

}  // namespace kdlts_node
