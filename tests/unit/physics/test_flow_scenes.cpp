// The example scenes that ship in data/scenes/ parse and describe what their names say.
#include <catch2/catch.hpp>

#include <filesystem>

#include "physics/flow/scene.hpp"

using namespace anneal::physics::flow;

TEST_CASE("flow: every example scene in data/scenes parses", "[flow]") {
  const std::filesystem::path dir = std::filesystem::path(ANNEAL_SOURCE_DIR) / "data" / "scenes";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".toml") continue;
    INFO(entry.path().string());
    const Scene s = read_scene(entry.path());
    CHECK(s.name == entry.path().stem().string());
    ++count;
  }
  CHECK(count >= 7);
  const Scene jet = read_scene(dir / "jet_3d.toml");
  CHECK(jet.dim == 3);
  CHECK(jet.cells == std::array<long, 3>{64, 64, 128});
  CHECK(jet.boundary[4].kind == BoundaryKind::inflow);
  CHECK(jet.boundary[5].kind == BoundaryKind::outflow);
  // Re = U D / ν = 1000.
  CHECK(jet.boundary[4].speed * jet.boundary[4].diameter / jet.viscosity == Approx(1000));
  const Scene cavity = read_scene(dir / "cavity_re100.toml");
  CHECK(cavity.boundary[3].wall_velocity[0] == 1.0);
  CHECK(1.0 / cavity.viscosity == Approx(100));
}
