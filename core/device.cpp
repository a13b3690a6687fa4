#include "core/device.hpp"

#include <charconv>

#include "core/error.hpp"

#ifdef ANNEAL_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace anneal {

std::string Device::name() const {
  return kind == DeviceKind::cpu ? std::string("cpu") : fmt::format("cuda:{}", index);
}

bool cuda_compiled() {
#ifdef ANNEAL_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef ANNEAL_HAVE_CUDA
  int count = 0;
  // No driver or no GPU is a normal situation here, not an error: it means "no CUDA devices".
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

Device parse_device(std::string_view text) {
  if (text == "cpu") return {};
  ANNEAL_CHECK(text.substr(0, 4) == "cuda", "unknown device '{}' (expected cpu, cuda or cuda:N)", text);
  int index = 0;
  if (text.size() > 4) {
    const auto digits = text.substr(5);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    ANNEAL_CHECK(text[4] == ':' && ec == std::errc{} && end == digits.data() + digits.size() && index >= 0,
                 "unknown device '{}' (expected cpu, cuda or cuda:N)", text);
  }
  ANNEAL_CHECK(cuda_compiled(), "device '{}' asked for, but this build of anneal has no CUDA support "
               "(rebuild on a machine with nvcc, or use --device cpu)", text);
  const int count = cuda_device_count();
  ANNEAL_CHECK(index < count, "device '{}' asked for, but this machine has {} CUDA device(s)", text, count);
  return {DeviceKind::cuda, index};
}

}  // namespace anneal
