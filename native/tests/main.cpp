// Runs the cases of one op on one backend: `kdlts_tests OP BACKEND` (see harness.hpp).
#include <iostream>
#include <string>

#include "harness.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: kdlts_tests OP BACKEND   (BACKEND: cpu or cuda)\n";
    return 2;
  }
  const std::string op = argv[1];
  const std::string backend = argv[2];
  kdlts_test::Context ctx;
  ctx.backend = backend;
  if (backend == "cuda") {
    if (kdlts_cuda_device_count() == 0) {
      std::cout << "skipped: " << (kdlts_cuda_compiled() ? "no CUDA device" : "built without CUDA")
                << "\n";
      return 77;
    }
    ctx.exec.backend = KDLTS_BACKEND_CUDA;
  } else if (backend != "cpu") {
    std::cerr << "unknown backend '" << backend << "'\n";
    return 2;
  }
  int ran = 0, failed = 0;
  for (const auto& c : kdlts_test::registry()) {
    if (c.op != op) continue;
    ctx.failures = 0;
    ctx.rng.seed(0x6b646c7473ULL + static_cast<unsigned>(ran));
    try {
      c.fn(ctx);
    } catch (const std::exception& e) {
      std::cerr << "    exception: " << e.what() << "\n";
      ++ctx.failures;
    }
    ++ran;
    if (ctx.failures > 0) ++failed;
    std::cout << (ctx.failures ? "FAIL " : "ok   ") << op << "." << c.name << " [" << backend << "]\n";
  }
  if (ran == 0) {
    std::cerr << "no cases registered for op '" << op << "'\n";
    return 2;
  }
  std::cout << ran - failed << " of " << ran << " cases passed\n";
  return failed ? 1 : 0;
}
