#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "io/grid_file.hpp"
#include "io/grid_output.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::io;
using Catch::Matchers::Contains;

TEST_CASE("periodic axes leave out the end point", "[io][grid]") {
  const auto axis = periodic_axis(0.0, 1.0, 4);
  REQUIRE(axis == std::vector<double>{0.0, 0.25, 0.5, 0.75});
}

TEST_CASE("a grid round-trips and malformed grids are refused", "[io][grid]") {
  anneal::test::TempDir dir;
  RectilinearGrid grid{{0, 1, 3}, {0, 0.5}, {-1, 0, 2, 5}, "m"};
  REQUIRE(grid.field_shape(3) == Shape{4, 2, 3, 3});
  REQUIRE(grid.field_shape() == Shape{4, 2, 3});
  {
    auto file = H5File::create(dir / "g.h5");
    write_grid(file, grid);
  }
  const auto file = H5File::open_read(dir / "g.h5");
  const auto back = read_grid(file);
  REQUIRE(back.x == grid.x);
  REQUIRE(back.z == grid.z);
  REQUIRE(back.units == "m");
  REQUIRE(file.string_attribute("/grid/x", "units") == "m");

  {
    auto bad = H5File::create(dir / "bad.h5");
    bad.write<double>("/grid/x", std::vector<double>{0, 2, 1}, {3});
    bad.write<double>("/grid/y", std::vector<double>{0, 1}, {2});
  }
  REQUIRE_THROWS_WITH(read_grid(H5File::open_read(dir / "bad.h5")),
                      Contains("bad.h5") && Contains("/grid/x") && Contains("not strictly increasing at index 2"));
}

TEST_CASE("a grid output is an HDF5 file plus an XDMF sidecar, both complete", "[io][grid]") {
  anneal::test::TempDir dir;
  RectilinearGrid grid{{0, 1}, {0, 1, 2}, {}, "1"};
  std::vector<float> p{1, 2, 3, 4, 5, 6};
  GridOutput out(dir / "p.h5", grid, {"test", "{}", "cpu", {}});
  out.write_field<float>("pressure", p, 1, 0, "Pa");
  REQUIRE_FALSE(std::filesystem::exists(dir / "p.h5"));
  const auto xmf = out.commit();
  REQUIRE(xmf == dir / "p.xmf");
  const auto file = H5File::open_read(dir / "p.h5");
  REQUIRE(file.read<float>("/fields/pressure").shape == Shape{3, 2});
  REQUIRE(file.string_attribute("/fields/pressure", "units") == "Pa");
  std::ifstream in(xmf);
  const std::string xml((std::istreambuf_iterator<char>(in)), {});
  REQUIRE_THAT(xml, Contains("p.h5:/fields/pressure") && Contains(R"(Dimensions="3 2")"));
}
