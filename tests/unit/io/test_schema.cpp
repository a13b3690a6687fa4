#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "io/schema.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::io;
using Catch::Matchers::Contains;

TEST_CASE("require_dataset accepts the expected type and shape and names both on mismatch", "[io][schema]") {
  anneal::test::TempDir dir;
  {
    auto file = H5File::create(dir / "s.h5");
    file.write<float>("/fields/u", std::vector<float>(4 * 5 * 3), {4, 5, 3});
  }
  const auto file = H5File::open_read(dir / "s.h5");
  REQUIRE(require_dataset(file, "/fields/u", {DType::f32, DType::f64}, {kAny, 5, 3}).shape == Shape{4, 5, 3});
  REQUIRE_THROWS_WITH(require_dataset(file, "/fields/u", {DType::f64}, {4, 5, 3}),
                      Contains("s.h5") && Contains("/fields/u") && Contains("should be f64 of shape [4, 5, 3]") &&
                          Contains("is f32 of shape [4, 5, 3]"));
  REQUIRE_THROWS_WITH(require_dataset(file, "/fields/u", {DType::f32}, {kAny, kAny, kAny, 3}),
                      Contains("shape [*, *, *, 3]") && Contains("[4, 5, 3]"));
  REQUIRE_THROWS_WITH(require_dataset(file, "/fields/w", {DType::f32}, {kAny}), Contains("no dataset '/fields/w'"));
}

TEST_CASE("require_finite finds NaN and Inf and says where", "[io][schema]") {
  anneal::test::TempDir dir;
  { auto file = H5File::create(dir / "n.h5"); }
  const auto file = H5File::open_read(dir / "n.h5");
  std::vector<double> values{0.0, 1.0, 2.0};
  REQUIRE_NOTHROW(require_finite<double>(file, "/fields/u", values));
  values[2] = std::numeric_limits<double>::quiet_NaN();
  REQUIRE_THROWS_WITH(require_finite<double>(file, "/fields/u", values),
                      Contains("n.h5") && Contains("/fields/u") && Contains("non-finite") && Contains("index 2"));
  values[2] = 0;
  values[1] = -std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(require_finite<double>(file, "/fields/u", values), Contains("index 1"));
}
