#include <catch2/catch.hpp>

#include <string>

#include "core/device.hpp"
#include "core/error.hpp"

using anneal::Device;
using anneal::DeviceKind;
using Catch::Matchers::Contains;

TEST_CASE("parse_device: cpu", "[core][device]") {
  const Device d = anneal::parse_device("cpu");
  CHECK(d.kind == DeviceKind::cpu);
  CHECK(d.index == 0);
  CHECK(d.name() == "cpu");
  CHECK(d == Device{});
}

TEST_CASE("parse_device: malformed names are unknown devices", "[core][device]") {
  for (const char* bad : {"cuda:x", "gpu", "cuda:", "", "CPU", "cpu:0", "cuda0", "cudax", "cuda:-1", "cuda:1x",
                          "cuda: 1", "cuda:+1", "cuda:0:1"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(anneal::parse_device(bad), anneal::Error);
    CHECK_THROWS_WITH(anneal::parse_device(bad),
                      "unknown device '" + std::string(bad) + "' (expected cpu, cuda or cuda:N)");
  }
}

TEST_CASE("parse_device: cuda depends on the build and the machine", "[core][device]") {
  if (!anneal::cuda_compiled()) {
    CHECK(anneal::cuda_device_count() == 0);
    for (const char* name : {"cuda", "cuda:0", "cuda:3"}) {
      CAPTURE(name);
      CHECK_THROWS_WITH(anneal::parse_device(name), Contains("no CUDA support") && Contains(std::string("'") + name + "'"));
    }
    return;
  }
  const int count = anneal::cuda_device_count();
  CHECK(count >= 0);
  const std::string beyond = "cuda:" + std::to_string(count);
  CHECK_THROWS_WITH(anneal::parse_device(beyond),
                    "device '" + beyond + "' asked for, but this machine has " + std::to_string(count) +
                        " CUDA device(s)");
  if (count == 0) {
    CHECK_THROWS_WITH(anneal::parse_device("cuda"), Contains("this machine has 0 CUDA device(s)"));
  } else {
    CHECK(anneal::parse_device("cuda") == Device{DeviceKind::cuda, 0});
    CHECK(anneal::parse_device("cuda:0") == Device{DeviceKind::cuda, 0});
    const std::string last = "cuda:" + std::to_string(count - 1);
    CHECK(anneal::parse_device(last) == Device{DeviceKind::cuda, count - 1});
  }
}

TEST_CASE("Device::name", "[core][device]") {
  CHECK(Device{DeviceKind::cuda, 1}.name() == "cuda:1");
  CHECK(Device{DeviceKind::cuda, 0}.name() == "cuda:0");
  CHECK(Device{DeviceKind::cuda, 12}.name() == "cuda:12");
  CHECK(Device{DeviceKind::cpu, 0}.name() == "cpu");
  CHECK_FALSE(Device{DeviceKind::cuda, 1} == Device{DeviceKind::cuda, 0});
  CHECK_FALSE(Device{DeviceKind::cuda, 0} == Device{DeviceKind::cpu, 0});
}
