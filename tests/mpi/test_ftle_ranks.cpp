// Run under `mpiexec -n 2`: FTLE and barrier fields split by planes over the ranks equal the
// serial computation seed by seed (each seed's particles do not depend on who advects them).
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>

#include "core/mpi_env.hpp"
#include "io/hdf5_file.hpp"
#include "physics/turbulence/analytic_flows.hpp"
#include "physics/turbulence/barriers.hpp"
#include "physics/turbulence/turbulence_run.hpp"

#include "tests/support/linspace.hpp"

using namespace anneal;
using namespace anneal::physics::turbulence;

using anneal::test::linspace;

namespace {

std::filesystem::path shared_dir() {
  std::string path;
  if (mpi::rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "anneal-ftle-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  return mpi::broadcast(path);
}


}  // namespace

TEST_CASE("ftle and barriers on 2 ranks equal the serial fields seed by seed", "[mpi][turbulence]") {
  REQUIRE(mpi::size() == 2);
  const std::filesystem::path dir = shared_dir();
  io::RectilinearGrid grid;
  grid.x = linspace(0, 2, 81);
  grid.y = linspace(0, 1, 41);
  FlowData data = sample_on_grid<2>(*double_gyre(DoubleGyre{}), grid, {}, linspace(0, 4, 41));
  data.viscosity = 1e-3;
  write_flow_data(dir / "gyre.h5", data);  // collective

  AnalysisOptions o;
  o.input = dir / "gyre.h5";
  o.output = dir / "ftle.h5";
  o.progress = false;
  o.t0 = {0.5};
  o.T = {2.0};
  o.seeds.counts = {33, 17};
  o.ftle.flow.step = 0.02;
  run_ftle(o, {});
  o.output = dir / "barriers.h5";
  run_barriers(o, {});

  // The same seeds, serially, in this process, through the same frames.
  const FlowFileInfo info = inspect_flow_file(dir / "gyre.h5");
  const auto field_ptr = detail::load_velocity<2>(info, 0.5, 2.5, o, true);
  const GriddedVelocity<2>& field = *field_ptr;
  const SeedGrid seeds = make_seed_grid(info, o.seeds);
  const auto points = local_seed_positions<2>(seeds, {0, seeds.planes()}, {}, 0);
  const auto ftle = compute_ftle<2>(field, points, 0.5, 2.0, o.ftle, min_spacing(seeds.grid));
  const auto barriers = barrier_field<2>(field, points, 0.5, 2.0, 1e-3, o.ftle.flow);
  const auto written = io::H5File::open_read(dir / "ftle.h5").read<double>("/fields/ftle").data;
  const auto vorticity = io::H5File::open_read(dir / "barriers.h5").read<double>("/fields/vorticity_mean").data;
  const auto active_written = io::H5File::open_read(dir / "barriers.h5").read<double>("/fields/active_ftle").data;
  const auto active = active_ftle<2>(seeds.grid, seeds.periodic, barriers.barrier, 1e-3, 2.0, Interpolation::cubic, o.ftle);
  REQUIRE(written.size() == ftle.ftle.size());
  std::size_t finite = 0;
  for (std::size_t p = 0; p < written.size(); ++p) {
    REQUIRE(std::isnan(written[p]) == std::isnan(ftle.ftle[p]));  // the same seeds fail (edge seeds leave)
    if (std::isnan(written[p])) continue;
    ++finite;
    CHECK(written[p] == ftle.ftle[p]);  // bit for bit
    CHECK(vorticity[p] == barriers.mean_vorticity[p]);
  }
  for (std::size_t p = 0; p < active.ftle.size(); ++p)
    CHECK((active_written[p] == active.ftle[p] || (std::isnan(active_written[p]) && std::isnan(active.ftle[p]))));
  CHECK(finite > written.size() / 2);
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}
