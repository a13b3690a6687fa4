#pragma once
// Where computation runs, chosen at run time (`--device cpu|cuda[:N]`). CUDA is available only in
// a build compiled with nvcc and on a machine that has a GPU; asking for it otherwise is an error.
#include <string>
#include <string_view>

namespace anneal {

enum class DeviceKind { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
  std::string name() const;  // "cpu", "cuda:0"
  bool operator==(const Device&) const = default;
};

bool cuda_compiled();
// Number of usable CUDA devices: 0 in a build without CUDA or on a machine without a GPU.
int cuda_device_count();
// Parses "cpu", "cuda", "cuda:N"; throws anneal::Error if the device does not exist here.
Device parse_device(std::string_view text);

}  // namespace anneal
