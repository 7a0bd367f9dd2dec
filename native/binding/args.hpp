// Argument checking and error conversion shared by the binding's op files. No math here: every
// function either returns a checked view of a JS value or throws a JS exception that names the
// function and the argument.
#pragma once

#include <napi.h>

#include <functional>
#include <string>
#include <vector>

#include "kdlts.h"

namespace kdlts_node {

// "topkMask: argument 'scores' ..." prefixes for every message.
struct Where {
  const char* fn;
  std::string arg(const std::string& name) const { return std::string(fn) + ": argument '" + name + "'"; }
};

// A typed array of the expected element type, else TypeError naming the argument.
Napi::Float32Array float32_array(const Where& where, const Napi::Value& value, const std::string& name);
Napi::Float64Array float64_array(const Where& where, const Napi::Value& value, const std::string& name);
// A Uint8Array or a Float32Array (a mask buffer).
Napi::TypedArray mask_array(const Where& where, const Napi::Value& value, kdlts_mask_type* type);
// A JS array of Float32Arrays.
std::vector<Napi::Float32Array> float32_arrays(const Where& where, const Napi::Value& value,
                                               const std::string& name);

// A non-negative safe integer (sizes, counts), else TypeError/RangeError naming the argument.
int64_t size_arg(const Where& where, const Napi::Value& value, const std::string& name);
// A finite number.
double number_arg(const Where& where, const Napi::Value& value, const std::string& name);
// An array of non-negative safe integers / of finite numbers.
std::vector<int64_t> size_list(const Where& where, const Napi::Value& value, const std::string& name);
std::vector<double> number_list(const Where& where, const Napi::Value& value, const std::string& name);

// {backend?: 'auto' | 'cpu' | 'cuda', numThreads?: number} -> kdlts_exec.
kdlts_exec exec_arg(const Where& where, const Napi::Value& value);

// Throws RangeError naming the argument when `actual != expected`.
void require_length(Napi::Env env, const Where& where, const std::string& name, size_t actual,
                    size_t expected, const std::string& why);

// The JS error for a failed C call: message "fn: <kdlts_last_error()>", .code = "KDLTS_ERR_...".
Napi::Error status_error(Napi::Env env, const char* fn, kdlts_status status, const std::string& message);

// Runs `work` now (sync: returns `result` or throws) or on the libuv thread pool (async:
// returns a Promise of `result`). `keep_alive` holds the buffers `work` reads and writes until
// it finishes. `work` must not touch JS values.
Napi::Value run_op(Napi::Env env, const char* fn, bool async, std::function<kdlts_status()> work,
                   const std::vector<Napi::Value>& keep_alive, Napi::Value result);

}  // namespace kdlts_node
