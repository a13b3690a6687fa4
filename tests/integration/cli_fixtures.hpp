#pragma once
// Inputs for the command-line tests, made with the io library, and checks on what a run left.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <string>

#include "io/grid_file.hpp"
#include "io/hdf5_file.hpp"
#include "physics/flow/taylor_green.hpp"
#include "tests/support/run_process.hpp"

namespace anneal::test {

// A periodic Taylor-Green velocity file of n^3 nodes, as a user would bring it.
inline void write_velocity_file(const std::filesystem::path& path, std::size_t n) {
  io::RectilinearGrid grid;
  grid.x = grid.y = grid.z = io::periodic_axis(0, 2 * std::acos(-1.0), n);
  std::vector<double> u(n * n * n * 3);
  physics::flow::sample_taylor_green(grid, 0, n, u);
  auto file = io::H5File::create(path);
  io::write_grid(file, grid);
  file.write<double>("/fields/velocity", u, {n, n, n, 3});
}

// A run that must succeed; its output is shown when it does not.
inline void require_ok(const ProcessResult& r) {
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

// The one-line error contract: non-zero exit, exactly one line on stderr, "anneal: error: ...".
inline bool is_one_line_error(const ProcessResult& r) {
  return r.exit_code > 0 && r.err.rfind("anneal: error: ", 0) == 0 && r.err.find('\n') == r.err.size() - 1;
}

// Names in `dir` (outputs and temporaries a failed run must not leave).
inline std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// What `anneal demo --no-png --flow-cells 8` writes, sorted.
inline const std::vector<std::string> kDemoFiles{
    "cgs_eval.h5",
    "cgs_model.h5",
    "cgs_test.h5",
    "cgs_train.h5",
    "jet_2d.h5",
    "jet_2d.toml",
    "jet_2d.xmf",
    "jet_2d_tnti.h5",
    "jet_2d_tnti.interfaces.xmf",
    "jet_2d_tnti.xmf",
    "jet_3d.h5",
    "jet_3d.pressure_24.h5",
    "jet_3d.toml",
    "jet_3d.xmf",
    "lpinn_convection.h5",
    "lpinn_convection.toml",
    "mpnn_eval.h5",
    "mpnn_model.h5",
    "pinn_convection.h5",
    "pinn_convection.toml",
    "poisson_cg.h5",
    "poisson_cg.xmf",
    "poisson_dcdm.h5",
    "poisson_dcdm.xmf",
    "poisson_gamg.h5",
    "poisson_gamg.xmf",
    "poisson_icc.h5",
    "poisson_icc.xmf",
    "taylor_green.h5",
    "taylor_green.xmf",
};

}  // namespace anneal::test
