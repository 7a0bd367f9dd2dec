// Errors inside the core: kernels throw kdlts::Error; the C API (api.cpp) catches it, stores the
// message for kdlts_last_error() and returns the status. Nothing in the core aborts.
#pragma once

#include <stdexcept>
#include <string>

#include "kdlts.h"

namespace kdlts {

class Error : public std::runtime_error {
 public:
  Error(kdlts_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  kdlts_status status() const noexcept { return status_; }

 private:
  kdlts_status status_;
};

[[noreturn]] inline void fail(kdlts_status status, const std::string& message) {
  throw Error(status, message);
}

}  // namespace kdlts
