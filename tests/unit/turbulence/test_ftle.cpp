// FTLE against closed forms: linear strain (= a), simple shear (= asinh(γT/2)/T), rigid rotation
// (= 0), the steady double gyre on its separatrix, the forward/backward symmetry of the
// time-periodic double gyre; from analytic fields and from gridded HDF5 input.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "physics/turbulence/analytic_flows.hpp"
#include "physics/turbulence/flow_data.hpp"
#include "physics/turbulence/ftle.hpp"
#include "physics/turbulence/gridded_velocity.hpp"
#include "tests/support/linspace.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::physics::turbulence;
using anneal::io::RectilinearGrid;

using anneal::test::linspace;

namespace {


FtleOptions options(GradientMethod method, double step = 0.01) {
  FtleOptions o;
  o.method = method;
  o.flow.step = step;
  return o;
}

// The analytic field sampled on [-2, 2]², written to HDF5 and read back through the file path.
std::unique_ptr<GriddedVelocity<2>> through_file(const VelocityField<2>& field, const anneal::test::TempDir& dir,
                                                 double t_end) {
  RectilinearGrid grid;
  grid.x = linspace(-2, 2, 41);
  grid.y = linspace(-2, 2, 41);
  const FlowData sampled = sample_on_grid<2>(field, grid, {}, linspace(0, t_end, 11));
  write_flow_data(dir / "flow.h5", sampled);
  const FlowFileInfo info = inspect_flow_file(dir / "flow.h5");
  auto data = std::make_shared<FlowData>(read_flow_data(info, 0, t_end, false));
  return std::make_unique<GriddedVelocity<2>>(data, Interpolation::linear, Interpolation::linear);
}

}  // namespace

TEST_CASE("FTLE of linear strain, shear and rotation equals the closed forms", "[ftle]") {
  const std::vector<Vec<2>> seeds = {{0.0, 0.0}, {0.3, -0.2}, {-0.4, 0.1}};
  const double a = 0.7, gamma = 1.3, omega = 2.0, T = 1.5;
  anneal::test::TempDir dir;
  for (const auto method : {GradientMethod::finite_differences, GradientMethod::variational}) {
    for (const double sign : {1.0, -1.0}) {
      INFO("method " << to_string(method) << ", T = " << sign * T);
      // Gridded copies are exact here: bilinear interpolation reproduces linear fields.
      const auto strain = linear_strain(a);
      const auto shear = simple_shear(gamma);
      const auto rotation = rigid_rotation(omega);
      const double t0 = sign > 0 ? 0.0 : T;
      const auto strain_grid = through_file(*strain, dir, T);
      for (const VelocityField<2>* field : {static_cast<const VelocityField<2>*>(strain.get()), static_cast<const VelocityField<2>*>(strain_grid.get())}) {
        const auto r = compute_ftle<2>(*field, seeds, t0, sign * T, options(method), 0.1);
        for (const double f : r.ftle) CHECK(f == Approx(a).epsilon(1e-9));
      }
      for (const auto* field : {shear.get()}) {
        const auto r = compute_ftle<2>(*field, seeds, t0, sign * T, options(method), 0.1);
        for (const double f : r.ftle) CHECK(f == Approx(std::asinh(gamma * T / 2) / T).epsilon(1e-9));
      }
      const auto shear_grid = through_file(*shear, dir, T);
      for (const double f : compute_ftle<2>(*shear_grid, seeds, t0, sign * T, options(method), 0.1).ftle)
        CHECK(f == Approx(std::asinh(gamma * T / 2) / T).epsilon(1e-9));
      for (const double f : compute_ftle<2>(*rotation, seeds, t0, sign * T, options(method, 1e-3), 0.1).ftle)
        CHECK(std::abs(f) < 1e-10);
      // Gridded: the particles cross hundreds of cells, each a rounding-level kink of the interpolant.
      const auto rotation_grid = through_file(*rotation, dir, T);
      for (const double f : compute_ftle<2>(*rotation_grid, seeds, t0, sign * T, options(method, 1e-3), 0.1).ftle)
        CHECK(std::abs(f) < 1e-8);
    }
  }
}

TEST_CASE("FTLE on the separatrix of the steady double gyre equals the closed form", "[ftle]") {
  DoubleGyre p;
  p.epsilon = 0;
  const auto field = double_gyre(p);
  for (const double T : {5.0, -5.0}) {
    std::vector<Vec<2>> seeds;
    for (const double y : {0.2, 0.35, 0.5, 0.65, 0.8}) seeds.push_back({1.0, y});
    for (const auto method : {GradientMethod::variational, GradientMethod::finite_differences}) {
      FtleOptions o = options(method, 1e-3);
      o.fd_delta = 1e-6;
      const auto r = compute_ftle<2>(*field, seeds, 0.0, T, o, 0.01);
      for (std::size_t i = 0; i < seeds.size(); ++i) {
        INFO("T = " << T << ", y0 = " << seeds[i][1] << ", " << to_string(method));
        CHECK(r.ftle[i] == Approx(steady_double_gyre_ftle_on_separatrix(p.A, seeds[i][1], T)).epsilon(1e-6));
      }
    }
  }
}

TEST_CASE("time-periodic double gyre: forward FTLE at (x, y) equals backward FTLE at (2 − x, 1 − y)", "[ftle]") {
  const auto field = double_gyre(DoubleGyre{});
  std::vector<Vec<2>> seeds, mirrored;
  for (const double x : linspace(0.05, 1.95, 9))
    for (const double y : linspace(0.05, 0.95, 5)) {
      seeds.push_back({x, y});
      mirrored.push_back({2 - x, 1 - y});
    }
  const double T = 10;
  for (const auto method : {GradientMethod::variational, GradientMethod::finite_differences}) {
    const auto forward = compute_ftle<2>(*field, seeds, 0.0, T, options(method, 0.01), 0.01);
    const auto backward = compute_ftle<2>(*field, mirrored, 0.0, -T, options(method, 0.01), 0.01);
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      INFO(to_string(method) << " seed (" << seeds[i][0] << ", " << seeds[i][1] << ")");
      CHECK(forward.ftle[i] == Approx(backward.ftle[i]).margin(1e-9));
    }
  }
}

TEST_CASE("variational and finite-difference FTLE agree where differences are well conditioned", "[ftle]") {
  const auto field = double_gyre(DoubleGyre{});
  std::vector<Vec<2>> seeds;
  for (const double x : linspace(0.1, 1.9, 10))
    for (const double y : linspace(0.1, 0.9, 6)) seeds.push_back({x, y});
  FtleOptions fd = options(GradientMethod::finite_differences, 0.005);
  fd.fd_delta = 1e-6;
  const auto a = compute_ftle<2>(*field, seeds, 0.0, 8.0, options(GradientMethod::variational, 0.005), 0.01);
  const auto b = compute_ftle<2>(*field, seeds, 0.0, 8.0, fd, 0.01);
  for (std::size_t i = 0; i < seeds.size(); ++i) CHECK(a.ftle[i] == Approx(b.ftle[i]).margin(1e-6));
  CHECK(b.ill_conditioned == 0);

  // A coarse δ on a long run: the auxiliary particles separate by far more than the seed spacing.
  fd.fd_delta = 0.05;
  const auto coarse = compute_ftle<2>(*field, seeds, 0.0, 20.0, fd, 0.01);
  CHECK(coarse.ill_conditioned > 0);
}

TEST_CASE("RK45 and RK4 flow maps agree, and gridded data reproduce the analytic double gyre", "[ftle]") {
  const auto field = double_gyre(DoubleGyre{});
  std::vector<Vec<2>> seeds;
  for (const double x : linspace(0.1, 1.9, 7))
    for (const double y : linspace(0.1, 0.9, 5)) seeds.push_back({x, y});
  FtleOptions adaptive = options(GradientMethod::variational);
  adaptive.flow.integrator = Integrator::rk45;
  adaptive.flow.adaptive.rtol = 1e-10;
  adaptive.flow.adaptive.atol = 1e-12;
  const auto rk4 = compute_ftle<2>(*field, seeds, 0.0, 5.0, options(GradientMethod::variational, 0.002), 0.01);
  const auto rk45 = compute_ftle<2>(*field, seeds, 0.0, 5.0, adaptive, 0.01);
  for (std::size_t i = 0; i < seeds.size(); ++i) CHECK(rk4.ftle[i] == Approx(rk45.ftle[i]).margin(1e-7));

  RectilinearGrid grid;
  grid.x = linspace(0, 2, 201);
  grid.y = linspace(0, 1, 101);
  auto data = std::make_shared<FlowData>(sample_on_grid<2>(*field, grid, {}, linspace(0, 5, 51)));
  const GriddedVelocity<2> cubic(data, Interpolation::cubic, Interpolation::cubic);
  const auto gridded = compute_ftle<2>(cubic, seeds, 0.0, 5.0, options(GradientMethod::finite_differences, 0.01), 0.01);
  for (std::size_t i = 0; i < seeds.size(); ++i) CHECK(gridded.ftle[i] == Approx(rk45.ftle[i]).margin(2e-3));
}

TEST_CASE("particles that leave the data or enter masked data are flagged, not clipped", "[ftle]") {
  RectilinearGrid grid;
  grid.x = linspace(-1, 1, 21);
  grid.y = linspace(-1, 1, 21);
  auto data = std::make_shared<FlowData>(sample_on_grid<2>(*linear_strain(1.0), grid, {}, {0.0, 2.0}));
  // Mask the node column at x = −0.5.
  data->mask.assign(data->nodes(), 0);
  data->mask_static = true;
  for (std::size_t j = 0; j < 21; ++j) data->mask[j * 21 + 5] = 1;
  const GriddedVelocity<2> field(data, Interpolation::linear, Interpolation::linear);
  // x grows like e^t: from 0.5 it leaves x = 1 at t = ln 2 < 2; from −0.3 it runs into the mask.
  const std::vector<Vec<2>> seeds = {{0.5, 0.0}, {-0.3, 0.0}, {0.05, 0.5}};
  const auto r = compute_ftle<2>(field, seeds, 0.0, 2.0, options(GradientMethod::variational), 0.05);
  CHECK(r.status[0] == particle_left_domain);
  CHECK(std::isnan(r.ftle[0]));
  CHECK(r.status[1] == particle_masked);
  CHECK(std::isnan(r.ftle[1]));
  CHECK(r.status[2] == particle_ok);
  CHECK(r.ftle[2] == Approx(1.0).epsilon(1e-9));
  CHECK_THROWS_WITH(compute_ftle<2>(field, seeds, 0.0, 3.0, options(GradientMethod::variational), 0.05),
                    Catch::Contains("covers [0, 2]"));
}

TEST_CASE("FTLE in 3-D: the ABC flow from analytic and periodic gridded data", "[ftle]") {
  const auto field = abc_flow(std::sqrt(3.0), std::sqrt(2.0), 1.0);
  const double L = 2 * std::numbers::pi;
  std::vector<Vec<3>> seeds = {{1.0, 2.0, 3.0}, {0.5, 5.5, 0.2}, {4.0, 0.1, 6.0}};
  const auto exact = compute_ftle<3>(*field, seeds, 0.0, 2.0, options(GradientMethod::variational, 0.002), 0.1);
  RectilinearGrid grid;
  for (auto* axis : {&grid.x, &grid.y, &grid.z}) *axis = anneal::io::periodic_axis(0, L, 48);
  auto data = std::make_shared<FlowData>(sample_on_grid<3>(*field, grid, {true, true, true}, {0.0, 2.0}));
  const GriddedVelocity<3> cubic(data, Interpolation::cubic, Interpolation::linear);
  const auto gridded = compute_ftle<3>(cubic, seeds, 0.0, 2.0, options(GradientMethod::finite_differences, 0.01), 0.1);
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    CHECK(gridded.status[i] == particle_ok);
    CHECK(gridded.ftle[i] == Approx(exact.ftle[i]).margin(1e-2));
  }
}
