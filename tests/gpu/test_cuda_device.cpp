#include <catch2/catch.hpp>
#include <cuda_runtime_api.h>

#include <vector>

#include "core/device.hpp"
#include "core/status_check.hpp"
#include "tests/gpu/saxpy_kernel.hpp"
#include "tests/support/skip.hpp"

namespace {
void require_gpu() {
  if (anneal::cuda_device_count() == 0) anneal::test::skip_test("no CUDA device on this machine");
}
}  // namespace

TEST_CASE("a CUDA kernel agrees with the CPU", "[gpu]") {
  require_gpu();
  const int n = 1 << 20;
  std::vector<float> x(n), y(n), expected(n);
  for (int i = 0; i < n; ++i) {
    x[i] = 0.5f * static_cast<float>(i % 97);
    y[i] = static_cast<float>(i % 13);
    expected[i] = 3.0f * x[i] + y[i];
  }
  void *vx = nullptr, *vy = nullptr;
  ANNEAL_CUDA_CHECK(cudaMalloc(&vx, n * sizeof(float)));
  ANNEAL_CUDA_CHECK(cudaMalloc(&vy, n * sizeof(float)));
  auto* dx = static_cast<float*>(vx);
  auto* dy = static_cast<float*>(vy);
  ANNEAL_CUDA_CHECK(cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  ANNEAL_CUDA_CHECK(cudaMemcpy(dy, y.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  ANNEAL_CUDA_CHECK(launch_saxpy(n, 3.0f, dx, dy));
  ANNEAL_CUDA_CHECK(cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost));
  cudaFree(dx);
  cudaFree(dy);
  for (int i = 0; i < n; ++i) REQUIRE(y[i] == expected[i]);  // one fused multiply-add each side
}

TEST_CASE("device cuda:N names an existing device", "[gpu]") {
  require_gpu();
  REQUIRE(anneal::parse_device("cuda:0").name() == "cuda:0");
  REQUIRE_THROWS(anneal::parse_device("cuda:" + std::to_string(anneal::cuda_device_count())));
}
