// The run layer: FTLE and barrier files from gridded input, invariance under a uniform frame
// velocity, and the tnti pipeline on a synthetic flow whose interfaces are known.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>

#include "io/hdf5_file.hpp"
#include "physics/turbulence/analytic_flows.hpp"
#include "physics/turbulence/turbulence_run.hpp"
#include "tests/support/linspace.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::physics::turbulence;
using anneal::io::H5File;
using anneal::io::RectilinearGrid;

using anneal::test::linspace;

namespace {

constexpr double pi = std::numbers::pi;


// f seen from a frame moving with −U: g(x, t) = f(x − U t, t) + U.
class Boosted final : public VelocityField<2> {
 public:
  Boosted(const VelocityField<2>& f, Vec<2> U) : f_(f), U_(U) {}
  const FieldExtent<2>& extent() const override { return f_.extent(); }
  std::uint8_t velocity(const Vec<2>& x, double t, Vec<2>& v) const override {
    f_.velocity({x[0] - U_[0] * t, x[1] - U_[1] * t}, t, v);
    v[0] += U_[0];
    v[1] += U_[1];
    return particle_ok;
  }
  std::uint8_t gradient(const Vec<2>& x, double t, Vec<2>& v, Mat<2>& g) const override {
    f_.gradient({x[0] - U_[0] * t, x[1] - U_[1] * t}, t, v, g);
    v[0] += U_[0];
    v[1] += U_[1];
    return particle_ok;
  }
  std::uint8_t laplacian(const Vec<2>& x, double t, Vec<2>& lap) const override {
    return f_.laplacian({x[0] - U_[0] * t, x[1] - U_[1] * t}, t, lap);
  }
  std::string describe() const override { return "boosted"; }

 private:
  const VelocityField<2>& f_;
  Vec<2> U_;
};

std::vector<double> read_all(const std::filesystem::path& path, const std::string& dataset) {
  return H5File::open_read(path).read<double>(dataset).data;
}

AnalysisOptions base_options(const std::filesystem::path& in, const std::filesystem::path& out) {
  AnalysisOptions o;
  o.input = in;
  o.output = out;
  o.progress = false;
  o.space = Interpolation::cubic;
  o.time = Interpolation::cubic;
  o.ftle.flow.step = 0.01;
  return o;
}

}  // namespace

TEST_CASE("ftle and barrier fields are invariant under a uniform frame velocity", "[turbulence_run]") {
  anneal::test::TempDir dir;
  const auto gyre = double_gyre(DoubleGyre{});
  const Vec<2> U = {0.3, -0.1};
  const Boosted boosted(*gyre, U);
  const std::vector<double> times = linspace(0, 3, 61);
  RectilinearGrid lab, moving;
  lab.x = linspace(0, 2, 161);
  lab.y = linspace(0, 1, 81);
  // The boosted flow's particles drift by U t: its data cover the drifted domain.
  moving.x = linspace(0, 2 + 0.9, 233);
  moving.y = linspace(-0.3, 1, 105);
  FlowData a = sample_on_grid<2>(*gyre, lab, {}, times), b = sample_on_grid<2>(boosted, moving, {}, times);
  a.viscosity = b.viscosity = 1e-3;
  write_flow_data(dir / "lab.h5", a);
  write_flow_data(dir / "boosted.h5", b);

  AnalysisOptions o = base_options(dir / "lab.h5", dir / "ftle_lab.h5");
  o.t0 = {0.5, 1.0};
  o.T = {1.5, -0.5};
  o.seeds.counts = {21, 11};
  o.seeds.box = {0.2, 1.8, 0.1, 0.9};
  run_ftle(o, {});
  AnalysisOptions ob = o;
  ob.input = dir / "boosted.h5";
  ob.output = dir / "ftle_boosted.h5";
  ob.frame_velocity = {U[0], U[1]};
  run_ftle(ob, {});
  const auto fa = read_all(o.output, "/fields/ftle"), fb = read_all(ob.output, "/fields/ftle");
  REQUIRE(fa.size() == 4 * 21 * 11);
  for (std::size_t i = 0; i < fa.size(); ++i) {
    REQUIRE(std::isfinite(fa[i]));
    CHECK(fb[i] == Approx(fa[i]).margin(2e-3));
  }
  CHECK(read_all(o.output, "/cases/T") == std::vector<double>{1.5, -0.5, 1.5, -0.5});

  o.output = dir / "barriers_lab.h5";
  ob.output = dir / "barriers_boosted.h5";
  o.t0 = ob.t0 = {0.5};
  o.T = ob.T = {1.5};
  run_barriers(o, {});
  run_barriers(ob, {});
  for (const char* name : {"/fields/vorticity_mean", "/fields/barrier", "/fields/active_ftle"}) {
    const auto va = read_all(o.output, name), vb = read_all(ob.output, name);
    double scale = 0;
    for (const double v : va)
      if (std::isfinite(v)) scale = std::max(scale, std::abs(v));
    // Active-FTLE particles that leave the seed box are NaN in both frames.
    std::size_t finite = 0;
    for (std::size_t i = 0; i < va.size(); ++i) {
      INFO(name << " [" << i << "]");
      REQUIRE(std::isfinite(va[i]) == std::isfinite(vb[i]));
      if (!std::isfinite(va[i])) continue;
      ++finite;
      CHECK(vb[i] == Approx(va[i]).margin(5e-3 * scale));
    }
    CHECK(finite > va.size() / 4);
  }
}

TEST_CASE("tnti recovers the interfaces of a synthetic layered scalar and conditions FTLE on them", "[turbulence_run]") {
  anneal::test::TempDir dir;
  // Four scalar layers (ambient 0 at the bottom → core 1 at the top) separated by wavy interfaces,
  // advected by a slow double gyre.
  RectilinearGrid grid;
  grid.x = linspace(0, 2, 161);
  grid.y = linspace(0, 1, 81);
  const std::vector<double> times = linspace(0, 2, 21);
  DoubleGyre p;
  p.A = 0.02;
  FlowData data = sample_on_grid<2>(*double_gyre(p), grid, {}, times);
  auto interface_y = [](int i, double x) { return 0.25 * (i + 1) + 0.04 * std::sin(pi * x * (i + 1)); };
  const std::vector<double> levels = {0.0, 0.35, 0.65, 1.0};
  const std::size_t nodes = data.nodes();
  data.scalar.resize(times.size() * nodes);
  for (std::size_t f = 0; f < times.size(); ++f)
    for (std::size_t j = 0; j < grid.y.size(); ++j)
      for (std::size_t i = 0; i < grid.x.size(); ++i) {
        double s = levels[0];
        for (int k = 0; k < 3; ++k) s += (levels[k + 1] - levels[k]) * 0.5 * (1 + std::tanh((grid.y[j] - interface_y(k, grid.x[i])) / 0.004));
        data.scalar[f * nodes + j * grid.x.size() + i] = s;
      }
  data.viscosity = 1e-3;
  write_flow_data(dir / "layers.h5", data);

  TntiOptions o;
  o.input = dir / "layers.h5";
  o.output = dir / "tnti.h5";
  o.progress = false;
  o.t0 = {1.0};
  o.T = {0.5, 1.0};
  o.bins = 20;
  o.bin_range = 0.2;
  const AnalysisSummary s = run_tnti(o, {});
  REQUIRE(s.thresholds.size() == 3);
  const H5File f = H5File::open_read(o.output);
  const double h = 2.0 / 160;
  for (const auto& [name, k] : {std::pair<std::string, int>{"tnti", 0}, {"internal", 2}}) {
    const auto points = f.read<double>("/interfaces/" + name + "/points").data;
    REQUIRE(points.size() > 100);
    for (std::size_t q = 0; q < points.size(); q += 2) CHECK(std::abs(points[q + 1] - interface_y(k, points[q])) < h);
  }
  // The signed distance is positive on the core side.
  const auto d = f.read<double>("/fields/distance_tnti").data;
  const std::size_t nx = grid.x.size();
  CHECK(d[0 * nx + 40] < 0);           // y = 0: ambient
  CHECK(d[(grid.y.size() - 1) * nx + 40] > 0);
  // Conditional tables: one row per T, counts add up to the nodes within ±0.2 of the TNTI.
  CHECK(f.dataset_info("/conditional/tnti/ftle_forward").shape == anneal::io::Shape{2, 20});
  CHECK(f.dataset_info("/conditional/internal/barrier_strength").shape == anneal::io::Shape{2, 20});
  std::int64_t within = 0, counted = 0;
  for (const double v : d) within += std::abs(v) <= 0.2 ? 1 : 0;
  for (const auto c : f.read<std::int64_t>("/conditional/tnti/count").data) counted += c;
  CHECK(counted == within);
  // The mean scalar rises across the TNTI from the ambient level towards the next one.
  const auto scalar = f.read<double>("/conditional/tnti/scalar").data;
  CHECK(scalar.front() == Approx(0.0).margin(0.02));
  CHECK(scalar.back() > 0.3);
  CHECK(read_all(o.output, "/grid/t") == std::vector<double>{0.5, 1.0});
}

TEST_CASE("tnti in 3-D: interfaces of a layered scalar in the ABC flow", "[turbulence_run]") {
  anneal::test::TempDir dir;
  RectilinearGrid grid;
  grid.x = linspace(0, 1, 21);
  grid.y = linspace(0, 1, 21);
  grid.z = linspace(0, 1, 25);
  const std::vector<double> times = linspace(0, 1, 11);
  FlowData data = sample_on_grid<3>(*abc_flow(0.1, 0.1, 0.1), grid, {}, times);
  auto interface_z = [](int i, double x, double y) { return 0.3 + 0.2 * i + 0.03 * std::sin(2 * pi * x) * std::cos(2 * pi * y); };
  const std::size_t nodes = data.nodes();
  data.scalar.resize(times.size() * nodes);
  for (std::size_t f = 0; f < times.size(); ++f)
    for (std::size_t n = 0; n < nodes; ++n) {
      const double x = grid.x[n % 21], y = grid.y[(n / 21) % 21], z = grid.z[n / (21 * 21)];
      double s = 0;
      for (int k = 0; k < 3; ++k) s += (k == 0 ? 0.3 : 0.35) * 0.5 * (1 + std::tanh((z - interface_z(k, x, y)) / 0.005));
      data.scalar[f * nodes + n] = s;
    }
  write_flow_data(dir / "layers3.h5", data);
  TntiOptions o;
  o.input = dir / "layers3.h5";
  o.output = dir / "tnti3.h5";
  o.progress = false;
  o.t0 = {0.5};
  o.T = {0.25};
  o.bin_range = 0.2;
  o.bins = 10;
  run_tnti(o, {});
  const H5File f = H5File::open_read(o.output);
  const auto points = f.read<double>("/interfaces/tnti/points").data;
  REQUIRE(points.size() > 300);
  for (std::size_t q = 0; q < points.size(); q += 3) CHECK(std::abs(points[q + 2] - interface_z(0, points[q], points[q + 1])) < 1.0 / 24);
  CHECK(f.dataset_info("/interfaces/internal/elements").shape[1] == 3);
  CHECK(f.dataset_info("/conditional/tnti/ftle_forward").shape == anneal::io::Shape{1, 10});
  CHECK_FALSE(f.exists("/conditional/tnti/barrier_strength"));  // no viscosity in this file
}
