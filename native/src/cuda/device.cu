// The run-time probe for the CUDA backend. A machine without a driver or a GPU, with a driver
// too old for this runtime, or whose current GPU cannot run the kernels compiled in (no
// matching SASS or PTX) reports 0 devices, so every op falls back to the CPU.
#include <cuda_runtime.h>

#include "cuda/ops.hpp"

namespace kdlts::cuda {

namespace {

// Never launched: only asked whether a kernel image exists for the current device.
__global__ void probe_kernel() {}

}  // namespace

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count <= 0) {
    (void)cudaGetLastError();  // leave no error behind for later checks
    return 0;
  }
  // The ops run on the current device (device 0): it must have a usable kernel image.
  cudaFuncAttributes attributes{};
  if (cudaFuncGetAttributes(&attributes, probe_kernel) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

}  // namespace kdlts::cuda
