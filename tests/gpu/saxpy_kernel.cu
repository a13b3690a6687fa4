// The smallest real use of the CUDA tool chain: a kernel, launched through the runtime API.
#include <cuda_runtime.h>

#include "tests/gpu/saxpy_kernel.hpp"

namespace {
__global__ void saxpy(int n, float a, const float* x, float* y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}
}  // namespace

int launch_saxpy(int n, float a, const float* x, float* y) {
  saxpy<<<(n + 255) / 256, 256>>>(n, a, x, y);
  return static_cast<int>(cudaGetLastError());
}
