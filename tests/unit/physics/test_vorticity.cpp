#include <catch2/catch.hpp>

#include <cmath>

#include "core/partition.hpp"
#include "physics/flow/taylor_green.hpp"
#include "physics/flow/vorticity.hpp"

using namespace anneal::physics::flow;
using anneal::io::RectilinearGrid;

namespace {
const double kTwoPi = 2 * std::acos(-1.0);

double taylor_green_error(std::size_t n) {
  RectilinearGrid grid;
  grid.x = grid.y = grid.z = anneal::io::periodic_axis(0, kTwoPi, n);
  const auto window = vorticity_input_window(n, true, 0, n);
  std::vector<double> u(window.count * n * n * 3), w(n * n * n * 3);
  sample_taylor_green(grid, window.first, window.count, u);
  compute_vorticity(grid, {true, true, true}, window, u, 0, n, w);
  double error = 0;
  for (std::size_t k = 0; k < n; ++k)
    for (std::size_t j = 0; j < n; ++j)
      for (std::size_t i = 0; i < n; ++i) {
        const auto exact = taylor_green_vorticity(grid.x[i], grid.y[j], grid.z[k]);
        for (std::size_t c = 0; c < 3; ++c)
          error = std::max(error, std::abs(w[((k * n + j) * n + i) * 3 + c] - exact[c]));
      }
  return error;
}

// u = (y^2 z, x z^2, x^2 y): quadratic in each variable separately, so three-point differences are
// exact; ∇×u = (x^2 - 2xz, y^2 - 2xy, z^2 - 2yz).
std::array<double, 3> quadratic_u(double x, double y, double z) { return {y * y * z, x * z * z, x * x * y}; }
std::array<double, 3> quadratic_curl(double x, double y, double z) {
  return {x * x - 2 * x * z, y * y - 2 * x * y, z * z - 2 * y * z};
}

std::vector<double> sample(const RectilinearGrid& g, const PlaneWindow& win) {
  const std::size_t nx = g.x.size(), ny = g.y.size();
  std::vector<double> u(win.count * ny * nx * 3);
  for (std::size_t p = 0; p < win.count; ++p)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const auto v = quadratic_u(g.x[i], g.y[j], g.z[static_cast<std::size_t>(win.first) + p]);
        for (std::size_t c = 0; c < 3; ++c) u[((p * ny + j) * nx + i) * 3 + c] = v[c];
      }
  return u;
}
}  // namespace

TEST_CASE("Taylor-Green vorticity converges at 4th order on periodic grids", "[physics][vorticity]") {
  const double e16 = taylor_green_error(16), e32 = taylor_green_error(32);
  INFO("errors " << e16 << " " << e32);
  REQUIRE(e32 < 2e-3);
  REQUIRE(e16 / e32 == Approx(16.0).epsilon(0.15));
}

TEST_CASE("three-point differences are exact for fields quadratic on uneven grids", "[physics][vorticity]") {
  RectilinearGrid g{{0.0, 0.3, 0.5, 1.1, 1.2}, {-1.0, -0.2, 0.4, 0.45}, {0.0, 0.1, 0.35, 0.9, 1.0, 1.7}, "1"};
  const std::size_t nz = g.z.size(), ny = g.y.size(), nx = g.x.size();
  const auto win = vorticity_input_window(nz, false, 0, nz);
  REQUIRE(win.first == 0);
  REQUIRE(win.count == nz);
  std::vector<double> w(nz * ny * nx * 3);
  compute_vorticity(g, {}, win, sample(g, win), 0, nz, w);
  for (std::size_t k = 0; k < nz; ++k)
    for (std::size_t j = 0; j < ny; ++j)
      for (std::size_t i = 0; i < nx; ++i) {
        const auto exact = quadratic_curl(g.x[i], g.y[j], g.z[k]);
        for (std::size_t c = 0; c < 3; ++c) REQUIRE(w[((k * ny + j) * nx + i) * 3 + c] == Approx(exact[c]).margin(1e-12));
      }
}

TEST_CASE("slabs computed separately equal the whole, bit for bit", "[physics][vorticity]") {
  RectilinearGrid g{{0.0, 0.3, 0.5, 1.1}, {-1.0, -0.2, 0.4}, {0.0, 0.1, 0.35, 0.9, 1.0, 1.7, 2.0}, "1"};
  const std::size_t nz = g.z.size(), plane = g.y.size() * g.x.size() * 3;
  const auto all = vorticity_input_window(nz, false, 0, nz);
  std::vector<double> whole(nz * plane);
  compute_vorticity(g, {}, all, sample(g, all), 0, nz, whole);
  for (int ranks : {2, 3, 7}) {
    for (int r = 0; r < ranks; ++r) {
      const auto mine = anneal::block_range(nz, ranks, r);
      const auto win = vorticity_input_window(nz, false, mine.begin, mine.end);
      std::vector<double> part(mine.size() * plane);
      compute_vorticity(g, {}, win, sample(g, win), mine.begin, mine.end, part);
      for (std::size_t i = 0; i < part.size(); ++i) REQUIRE(part[i] == whole[mine.begin * plane + i]);
    }
  }
}

TEST_CASE("periodic axes must be evenly spaced and long enough", "[physics][vorticity]") {
  RectilinearGrid g{{0.0, 0.1, 0.2, 0.4, 0.5, 0.6}, {0, 1, 2}, {0, 1, 2}, "1"};
  const auto win = vorticity_input_window(3, false, 0, 3);
  std::vector<double> u(3 * 3 * 6 * 3), w(3 * 3 * 6 * 3);
  REQUIRE_THROWS_WITH(compute_vorticity(g, {true, false, false}, win, u, 0, 3, w),
                      Catch::Matchers::Contains("evenly spaced"));
  REQUIRE_THROWS_WITH(compute_vorticity(g, {false, true, false}, win, u, 0, 3, w),
                      Catch::Matchers::Contains("at least 5 nodes"));
}
