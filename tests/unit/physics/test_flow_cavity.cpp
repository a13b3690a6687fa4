// The lid-driven cavity against the centreline tables of Ghia, Ghia & Shin (1982).
#include <catch2/catch.hpp>

#include <cmath>

#include "ghia_1982.hpp"
#include "physics/flow/flow_solver.hpp"

using namespace anneal::physics::flow;

namespace {

std::string cavity(int n, double viscosity, double end) {
  return "[domain]\ncells = [" + std::to_string(n) + ", " + std::to_string(n) + "]\nsize = [1.0, 1.0]\n" +
         "[boundary]\ny_max = { type = 'wall', velocity = [1.0, 0.0] }\n[fluid]\nviscosity = " +
         std::to_string(viscosity) + "\n[time]\ncfl = 0.7\nend = " + std::to_string(end) + "\n";
}

// Linear interpolation of samples f at increasing positions s, with end values beyond.
double interpolate(const std::vector<double>& s, const std::vector<double>& f, double at) {
  if (at <= s.front()) return f.front();
  if (at >= s.back()) return f.back();
  std::size_t i = 1;
  while (s[i] < at) ++i;
  const double w = (at - s[i - 1]) / (s[i] - s[i - 1]);
  return (1 - w) * f[i - 1] + w * f[i];
}

// Runs to steady state, then the worst deviation from Ghia's u(y) at x = ½ and v(x) at y = ½.
double worst_deviation(int n, double viscosity, const auto& u_table, const auto& v_table) {
  const Scene scene = parse_scene(cavity(n, viscosity, 200.0), "cavity.toml");
  FlowSolver solver(scene);
  StepReport report;
  do report = solver.step();
  while (report.change_rate > 1e-5 && solver.time() < scene.end_time);
  REQUIRE(report.change_rate <= 1e-5);  // it reached a steady state

  const double h = 1.0 / n;
  // u faces at x = ½ are face column n/2; y at cell centres, plus the walls (0 below, the lid above).
  std::vector<double> ys{0.0}, us{0.0}, xs{0.0}, vs{0.0};
  const auto u = solver.face_velocity(0), v = solver.face_velocity(1);
  const CellBlock bu = solver.face_block(0), bv = solver.face_block(1);
  for (long j = 0; j < n; ++j) {
    ys.push_back((static_cast<double>(j) + 0.5) * h);
    us.push_back(u[static_cast<std::size_t>(j * bu.count[0] + n / 2)]);
  }
  ys.push_back(1.0);
  us.push_back(1.0);
  for (long i = 0; i < n; ++i) {
    xs.push_back((static_cast<double>(i) + 0.5) * h);
    vs.push_back(v[static_cast<std::size_t>((n / 2) * bv.count[0] + i)]);
  }
  xs.push_back(1.0);
  vs.push_back(0.0);
  double worst = 0;
  for (std::size_t m = 0; m < ghia::y.size(); ++m) {
    worst = std::max(worst, std::abs(interpolate(ys, us, ghia::y[m]) - u_table[m]));
    worst = std::max(worst, std::abs(interpolate(xs, vs, ghia::x[m]) - v_table[m]));
  }
  return worst;
}

}  // namespace

TEST_CASE("flow: lid-driven cavity at Re 100 matches Ghia et al. within 2% of the lid speed", "[flow]") {
  const double worst = worst_deviation(64, 0.01, ghia::u_re100, ghia::v_re100);
  INFO("largest deviation from Ghia's tables: " << worst);
  CHECK(worst < 0.02);
}

TEST_CASE("flow: lid-driven cavity at Re 1000 matches Ghia et al. within 2% of the lid speed", "[flow][slow]") {
  const double worst = worst_deviation(128, 0.001, ghia::u_re1000, ghia::v_re1000);
  INFO("largest deviation from Ghia's tables: " << worst);
  CHECK(worst < 0.02);
}
