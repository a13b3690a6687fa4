// Obstacles: a solid mask read from HDF5 marks the same cells as the primitive it was drawn from,
// and no fluid crosses a solid's faces.
#include <catch2/catch.hpp>

#include <cmath>

#include "io/hdf5_file.hpp"
#include "physics/flow/flow_solver.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::physics::flow;

namespace {

std::string scene_with(const std::string& obstacle) {
  return "[domain]\ncells = [24, 20]\nsize = [1.2, 1.0]\n"
         "[boundary]\ny_max = { type = 'wall', velocity = [1.0, 0.0] }\n"
         "[fluid]\nviscosity = 0.01\n" + obstacle;
}

}  // namespace

TEST_CASE("flow: a mask file marks the cells it says, and a box obstacle the cells whose centres it holds", "[flow]") {
  anneal::test::TempDir dir;
  // The mask: cells i in [5, 9), j in [4, 12) (centres x in (0.25, 0.45), y in (0.2, 0.6)).
  std::vector<std::uint8_t> mask(24 * 20, 0);
  for (std::size_t j = 4; j < 12; ++j)
    for (std::size_t i = 5; i < 9; ++i) mask[j * 24 + i] = 1;
  {
    auto file = anneal::io::H5File::create(dir / "mask.h5");
    file.write<std::uint8_t>("/solid", mask, {20, 24});
  }
  const Scene from_mask = parse_scene(scene_with("[mask]\nfile = 'mask.h5'\ndataset = '/solid'\n"), "mask.toml", dir.path());
  const Scene from_box = parse_scene(scene_with("[[obstacle]]\nshape = 'box'\nmin = [0.25, 0.2]\nmax = [0.45, 0.6]\n"), "box.toml");
  FlowSolver a(from_mask), b(from_box);
  CHECK(a.solid() == mask);
  CHECK(b.solid() == mask);

  // After some steps the velocity on every face of a solid cell is still zero.
  for (int n = 0; n < 20; ++n) a.step();
  const auto u = a.face_velocity(0), v = a.face_velocity(1);
  double on_solid = 0;
  for (std::size_t j = 0; j < 20; ++j)
    for (std::size_t i = 0; i < 24; ++i)
      if (mask[j * 24 + i]) {
        on_solid = std::max({on_solid, std::abs(u[j * 25 + i]), std::abs(u[j * 25 + i + 1]), std::abs(v[j * 24 + i]),
                             std::abs(v[(j + 1) * 24 + i])});
      }
  CHECK(a.max_speed() > 0.1);
  CHECK(on_solid == 0.0);
}
