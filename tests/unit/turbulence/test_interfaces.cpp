// Interface geometry against exact shapes: planes (linear fields), circles and spheres (second-
// order vertex error, closed and consistently oriented meshes, enclosed area/volume), the exact
// distance to them, a brute-force nearest-element search, masks and components.
#include <tbb/global_control.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "physics/turbulence/interfaces.hpp"
#include "solvers/clustering/kmeans.hpp"

using namespace anneal::physics::turbulence;
using anneal::io::RectilinearGrid;

namespace {

std::vector<double> uniform_axis(double lo, double hi, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
  return x;
}

// Strictly increasing, with spacings from about 0.5 to 1.5 times the mean.
std::vector<double> stretched_axis(double lo, double hi, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(i) / static_cast<double>(n - 1);
    x[i] = lo + (hi - lo) * (u + 0.08 * std::sin(2 * std::numbers::pi * u));
  }
  return x;
}

double max_spacing(const RectilinearGrid& grid) {
  double h = 0;
  for (const auto* axis : {&grid.x, &grid.y, &grid.z})
    for (std::size_t i = 1; i < axis->size(); ++i) h = std::max(h, (*axis)[i] - (*axis)[i - 1]);
  return h;
}

// Calls visit(node, x, y, z) for every node in C order, z = 0 in 2-D.
void for_each_node(const RectilinearGrid& grid, const std::function<void(std::size_t, double, double, double)>& visit) {
  const std::size_t nz = grid.is_3d() ? grid.z.size() : 1;
  std::size_t node = 0;
  for (std::size_t k = 0; k < nz; ++k)
    for (const double y : grid.y)
      for (const double x : grid.x) visit(node++, x, y, grid.is_3d() ? grid.z[k] : 0.0);
}

std::vector<double> node_field(const RectilinearGrid& grid, const std::function<double(double, double, double)>& f) {
  std::vector<double> values;
  for_each_node(grid, [&](std::size_t, double x, double y, double z) { values.push_back(f(x, y, z)); });
  return values;
}

std::array<double, 3> mesh_point(const InterfaceMesh& mesh, std::uint32_t v) {
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  return {mesh.points[v * d], mesh.points[v * d + 1], d == 3 ? mesh.points[v * d + 2] : 0.0};
}

double distance_to(const std::array<double, 3>& p, const std::array<double, 3>& c) {
  return std::hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]);
}

// Every directed edge of the mesh appears once and its reverse once: closed and consistently
// oriented (segments in 2-D are their own edges: each vertex starts one and ends one).
void check_closed_and_oriented(const InterfaceMesh& mesh) {
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  std::map<std::pair<std::uint32_t, std::uint32_t>, int> directed;
  for (std::size_t e = 0; e < mesh.element_count(); ++e)
    for (std::size_t c = 0; c < d; ++c) {
      if (d == 2 && c == 1) break;
      ++directed[{mesh.elements[e * d + c], mesh.elements[e * d + (c + 1) % d]}];
    }
  if (d == 2) {
    std::vector<int> starts(mesh.point_count(), 0), ends(mesh.point_count(), 0);
    for (const auto& [edge, count] : directed) {
      starts[edge.first] += count;
      ends[edge.second] += count;
    }
    for (std::size_t v = 0; v < mesh.point_count(); ++v) {
      CHECK(starts[v] == 1);
      CHECK(ends[v] == 1);
    }
    return;
  }
  for (const auto& [edge, count] : directed) {
    CHECK(count == 1);
    const auto twin = directed.find({edge.second, edge.first});
    CHECK((twin != directed.end() && twin->second == 1));
  }
}

// Signed area (2-D, shoelace) or volume (3-D, divergence theorem) enclosed by the mesh; positive
// when the elements go counter-clockwise / have outward normals.
double enclosed_measure(const InterfaceMesh& mesh) {
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  double sum = 0;
  for (std::size_t e = 0; e < mesh.element_count(); ++e) {
    const auto a = mesh_point(mesh, mesh.elements[e * d]), b = mesh_point(mesh, mesh.elements[e * d + 1]);
    if (d == 2) {
      sum += 0.5 * (a[0] * b[1] - b[0] * a[1]);
    } else {
      const auto c = mesh_point(mesh, mesh.elements[e * d + 2]);
      sum += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) +
              a[2] * (b[0] * c[1] - b[1] * c[0])) /
             6;
    }
  }
  return sum;
}

// Point–segment / point–triangle distance written independently of the library: the triangle by
// minimising over a barycentric parametrisation's edges and its interior stationary point.
double brute_force_distance(const InterfaceMesh& mesh, const std::array<double, 3>& p) {
  const auto d = static_cast<std::size_t>(mesh.dimensions);
  const auto sub = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return std::array<double, 3>{a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  };
  const auto dot = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  };
  const auto segment = [&](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    const auto ab = sub(b, a);
    const double len2 = dot(ab, ab);
    const double t = len2 == 0 ? 0 : std::clamp(dot(sub(p, a), ab) / len2, 0.0, 1.0);
    return distance_to(p, {a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]});
  };
  double best = std::numeric_limits<double>::infinity();
  for (std::size_t e = 0; e < mesh.element_count(); ++e) {
    const auto a = mesh_point(mesh, mesh.elements[e * d]), b = mesh_point(mesh, mesh.elements[e * d + 1]);
    best = std::min(best, segment(a, b));
    if (d == 2) continue;
    const auto c = mesh_point(mesh, mesh.elements[e * d + 2]);
    best = std::min({best, segment(b, c), segment(c, a)});
    // Interior: solve the 2×2 normal equations for p ≈ a + s (b − a) + t (c − a).
    const auto u = sub(b, a), v = sub(c, a), w = sub(p, a);
    const double uu = dot(u, u), uv = dot(u, v), vv = dot(v, v), wu = dot(w, u), wv = dot(w, v);
    const double det = uu * vv - uv * uv;
    if (det <= 1e-30) continue;
    const double s = (wu * vv - wv * uv) / det, t = (wv * uu - wu * uv) / det;
    if (s >= 0 && t >= 0 && s + t <= 1)
      best = std::min(
          best, distance_to(p, {a[0] + s * u[0] + t * v[0], a[1] + s * u[1] + t * v[1], a[2] + s * u[2] + t * v[2]}));
  }
  return best;
}

}  // namespace

TEST_CASE("level set of a linear field lies on its plane, oriented along the gradient", "[interfaces]") {
  SECTION("2-D") {
    const RectilinearGrid grid{stretched_axis(-1, 1, 23), stretched_axis(-0.5, 1, 17), {}};
    const auto f = node_field(grid, [](double x, double y, double) { return 0.7 * x - 1.3 * y + 0.2; });
    const InterfaceMesh mesh = extract_level_set(grid, f, 0.1);
    REQUIRE(mesh.dimensions == 2);
    REQUIRE(mesh.element_count() >= 20);
    for (std::size_t v = 0; v < mesh.point_count(); ++v) {
      const auto p = mesh_point(mesh, static_cast<std::uint32_t>(v));
      CHECK(std::abs(0.7 * p[0] - 1.3 * p[1] + 0.2 - 0.1) < 1e-13);
    }
    for (std::size_t e = 0; e < mesh.element_count(); ++e) {  // the gradient on the segment's left
      const auto a = mesh_point(mesh, mesh.elements[2 * e]), b = mesh_point(mesh, mesh.elements[2 * e + 1]);
      CHECK(-(b[1] - a[1]) * 0.7 + (b[0] - a[0]) * -1.3 > 0);
    }
  }
  SECTION("3-D") {
    const RectilinearGrid grid{stretched_axis(-1, 1, 9), stretched_axis(0, 1, 8), stretched_axis(-0.5, 0.5, 10)};
    const auto f = node_field(grid, [](double x, double y, double z) { return 0.5 * x + 0.3 * y - 0.8 * z; });
    const InterfaceMesh mesh = extract_level_set(grid, f, 0.05);
    REQUIRE(mesh.dimensions == 3);
    REQUIRE(mesh.element_count() >= 50);
    for (std::size_t v = 0; v < mesh.point_count(); ++v) {
      const auto p = mesh_point(mesh, static_cast<std::uint32_t>(v));
      CHECK(std::abs(0.5 * p[0] + 0.3 * p[1] - 0.8 * p[2] - 0.05) < 1e-13);
    }
    for (std::size_t e = 0; e < mesh.element_count(); ++e) {  // normals along the gradient
      const auto a = mesh_point(mesh, mesh.elements[3 * e]), b = mesh_point(mesh, mesh.elements[3 * e + 1]),
                 c = mesh_point(mesh, mesh.elements[3 * e + 2]);
      const std::array<double, 3> u{b[0] - a[0], b[1] - a[1], b[2] - a[2]}, w{c[0] - a[0], c[1] - a[1], c[2] - a[2]};
      const std::array<double, 3> n{u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
      CHECK(0.5 * n[0] + 0.3 * n[1] - 0.8 * n[2] > 0);
    }
  }
}

TEST_CASE("level set of a circle: vertices within O(h²), closed, enclosing πR²", "[interfaces]") {
  const double radius = 0.6;
  const std::array<double, 3> centre{0.05, -0.03, 0};
  for (const bool stretched : {false, true}) {
    CAPTURE(stretched);
    const RectilinearGrid grid = stretched ? RectilinearGrid{stretched_axis(-1, 1, 81), stretched_axis(-1, 1, 71), {}}
                                           : RectilinearGrid{uniform_axis(-1, 1, 81), uniform_axis(-1, 1, 81), {}};
    const double h = max_spacing(grid);
    const auto f =
        node_field(grid, [&](double x, double y, double) { return radius - std::hypot(x - centre[0], y - centre[1]); });
    const InterfaceMesh mesh = extract_level_set(grid, f, 0.0);
    REQUIRE(mesh.element_count() > 100);
    for (std::size_t v = 0; v < mesh.point_count(); ++v)
      CHECK(std::abs(distance_to(mesh_point(mesh, static_cast<std::uint32_t>(v)), centre) - radius) < h * h / radius);
    check_closed_and_oriented(mesh);
    // Counter-clockwise around the positive inside; area error ≈ perimeter × vertex error.
    CHECK(std::abs(enclosed_measure(mesh) - std::numbers::pi * radius * radius) < 2 * std::numbers::pi * h * h);
    CHECK(largest_component(mesh).element_count() == mesh.element_count());
  }
}

TEST_CASE("level set of a sphere: vertices within O(h²), closed, oriented, a topological sphere", "[interfaces]") {
  const double radius = 0.55;
  const std::array<double, 3> centre{0.03, -0.05, 0.02};
  for (const bool stretched : {false, true}) {
    CAPTURE(stretched);
    const RectilinearGrid grid =
        stretched ? RectilinearGrid{stretched_axis(-1, 1, 29), stretched_axis(-1, 1, 31), stretched_axis(-1, 1, 27)}
                  : RectilinearGrid{uniform_axis(-1, 1, 33), uniform_axis(-1, 1, 33), uniform_axis(-1, 1, 33)};
    const double h = max_spacing(grid);
    const auto f = node_field(grid, [&](double x, double y, double z) {
      return radius - std::hypot(x - centre[0], y - centre[1], z - centre[2]);
    });
    const InterfaceMesh mesh = extract_level_set(grid, f, 0.0);
    REQUIRE(mesh.dimensions == 3);
    REQUIRE(mesh.element_count() > 1000);
    for (std::size_t v = 0; v < mesh.point_count(); ++v)
      CHECK(std::abs(distance_to(mesh_point(mesh, static_cast<std::uint32_t>(v)), centre) - radius) < h * h / radius);
    check_closed_and_oriented(mesh);
    // Euler characteristic V − E + F = 2; each triangle has 3 edges, each shared by two.
    const auto points = static_cast<long>(mesh.point_count()), triangles = static_cast<long>(mesh.element_count());
    REQUIRE(triangles % 2 == 0);
    CHECK(points - 3 * triangles / 2 + triangles == 2);
    // Normals point into the positive inside, so the divergence theorem gives −volume.
    const double volume = 4.0 / 3.0 * std::numbers::pi * std::pow(radius, 3);
    CHECK(std::abs(-enclosed_measure(mesh) - volume) < 4 * std::numbers::pi * radius * radius * h * h);
  }
}

TEST_CASE("signed distance to a circle and a sphere: R − r to O(h²), the sign of the field", "[interfaces]") {
  const double radius = 0.45;
  for (const bool three_d : {false, true})
    for (const bool stretched : {false, true}) {
      CAPTURE(three_d, stretched);
      const std::size_t n = three_d ? 25 : 61;
      const auto axis = [&](std::size_t nodes) {
        return stretched ? stretched_axis(-1, 1, nodes) : uniform_axis(-1, 1, nodes);
      };
      const RectilinearGrid grid{axis(n), axis(n + 4), three_d ? axis(n - 2) : std::vector<double>{}};
      const double h = max_spacing(grid);
      const std::array<double, 3> centre{0.04, -0.02, three_d ? 0.03 : 0.0};
      const auto r = [&](double x, double y, double z) {
        return std::hypot(x - centre[0], y - centre[1], z - centre[2]);
      };
      const auto f = node_field(grid, [&](double x, double y, double z) { return radius - r(x, y, z); });
      const InterfaceMesh mesh = extract_level_set(grid, f, 0.0);
      const std::vector<double> sd = signed_distance(grid, f, 0.0, mesh);
      REQUIRE(sd.size() == f.size());
      double worst = 0;
      for_each_node(grid, [&](std::size_t node, double x, double y, double z) {
        worst = std::max(worst, std::abs(sd[node] - (radius - r(x, y, z))));
        // A node within rounding of the level may carry a vertex, at distance 0.
        if (f[node] > 0)
          CHECK((sd[node] > 0 || (sd[node] == 0 && f[node] < 1e-15)));
        else
          CHECK(sd[node] <= 0);
      });
      CHECK(worst < h * h / radius);
      // The tree search finds the same nearest element as trying them all.
      for_each_node(grid, [&](std::size_t node, double x, double y, double z) {
        if (node % 7 != 0) return;
        CHECK(std::abs(sd[node]) == Approx(brute_force_distance(mesh, {x, y, z})).epsilon(1e-12).margin(1e-15));
      });
      // A band: the same distances inside it, infinite (signed by side) outside.
      const double band = 0.2;
      const std::vector<double> banded = signed_distance(grid, f, 0.0, mesh, {}, band);
      for (std::size_t node = 0; node < sd.size(); ++node) {
        if (std::abs(sd[node]) < band)
          CHECK(banded[node] == sd[node]);
        else
          CHECK(banded[node] == (f[node] > 0 ? 1 : -1) * std::numeric_limits<double>::infinity());
      }
      // Rows are never split between threads: the same bits with 1 and 2.
      const auto with_threads = [&](std::size_t threads) {
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
        return signed_distance(grid, f, 0.0, mesh);
      };
      CHECK(with_threads(1) == with_threads(2));
    }
}

TEST_CASE("a level through grid nodes: coincident vertices, degenerate elements, exact distances", "[interfaces]") {
  // f = i + 2 j − k on integer nodes reaches the level 3 exactly at nodes, where vertices of
  // neighbouring edges coincide and elements collapse; the distance must not notice.
  for (const bool three_d : {false, true}) {
    CAPTURE(three_d);
    const RectilinearGrid grid{uniform_axis(0, 8, 9), uniform_axis(0, 6, 7),
                               three_d ? uniform_axis(0, 5, 6) : std::vector<double>{}};
    const auto f = node_field(grid, [](double x, double y, double z) { return x + 2 * y - z; });
    const InterfaceMesh mesh = extract_level_set(grid, f, 3.0);
    REQUIRE(mesh.element_count() > 0);
    for (std::size_t v = 0; v < mesh.point_count(); ++v) {
      const auto p = mesh_point(mesh, static_cast<std::uint32_t>(v));
      CHECK(p[0] + 2 * p[1] - p[2] == Approx(3.0).margin(1e-12));
    }
    const std::vector<double> sd = signed_distance(grid, f, 3.0, mesh);
    for_each_node(grid, [&](std::size_t node, double x, double y, double z) {
      REQUIRE(std::isfinite(sd[node]));
      CHECK((f[node] > 3.0) == (sd[node] > 0));
      CHECK(std::abs(sd[node]) == Approx(brute_force_distance(mesh, {x, y, z})).margin(1e-12));
      // Never nearer than the plane itself.
      CHECK(std::abs(sd[node]) >= std::abs(f[node] - 3.0) / std::sqrt(three_d ? 6.0 : 5.0) - 1e-12);
    });
  }
}

TEST_CASE("signed distance to an empty mesh is infinite, signed by side", "[interfaces]") {
  const RectilinearGrid grid{uniform_axis(0, 1, 5), uniform_axis(0, 1, 4), {}};
  const auto f = node_field(grid, [](double x, double, double) { return x; });
  InterfaceMesh empty;
  const auto sd = signed_distance(grid, f, 0.5, empty);
  for (std::size_t n = 0; n < sd.size(); ++n)
    CHECK(sd[n] == (f[n] > 0.5 ? 1 : -1) * std::numeric_limits<double>::infinity());
}

TEST_CASE("largest component keeps the big circle / sphere and drops the small one", "[interfaces]") {
  for (const bool three_d : {false, true}) {
    CAPTURE(three_d);
    const std::size_t n = three_d ? 31 : 101;
    const RectilinearGrid grid{uniform_axis(-1, 1, n), uniform_axis(-1, 1, n),
                               three_d ? uniform_axis(-1, 1, n) : std::vector<double>{}};
    const std::array<double, 3> big{-0.3, 0.1, 0}, small{0.62, -0.55, 0};
    const auto f = node_field(grid, [&](double x, double y, double z) {
      return std::max(0.5 - std::hypot(x - big[0], y - big[1], z - big[2]),
                      0.2 - std::hypot(x - small[0], y - small[1], z - small[2]));
    });
    const InterfaceMesh both = extract_level_set(grid, f, 0.0);
    const InterfaceMesh kept = largest_component(both);
    CHECK(kept.dimensions == both.dimensions);
    CHECK(kept.element_count() < both.element_count());
    CHECK(kept.element_count() > both.element_count() / 2);
    const double h = 2.0 / static_cast<double>(n - 1);
    for (std::size_t v = 0; v < kept.point_count(); ++v)
      CHECK(std::abs(distance_to(mesh_point(kept, static_cast<std::uint32_t>(v)), big) - 0.5) < h);
    check_closed_and_oriented(kept);
    // The dropped vertices are those of the small circle, all of them.
    std::size_t near_small = 0;
    for (std::size_t v = 0; v < both.point_count(); ++v)
      if (distance_to(mesh_point(both, static_cast<std::uint32_t>(v)), small) < 0.2 + h) ++near_small;
    CHECK(kept.point_count() + near_small == both.point_count());
  }
}

TEST_CASE("masked nodes: their cells are skipped and their distance is NaN", "[interfaces]") {
  const RectilinearGrid grid{uniform_axis(-1, 1, 41), uniform_axis(-1, 1, 41), {}};
  auto f = node_field(grid, [](double x, double y, double) { return 0.6 - std::hypot(x, y); });
  std::vector<std::uint8_t> valid(f.size(), 1);
  for_each_node(grid, [&](std::size_t node, double x, double, double) {
    if (x > 0.2) {
      valid[node] = 0;
      f[node] = std::nan("");  // masked data may be anything
    }
  });
  const InterfaceMesh mesh = extract_level_set(grid, f, 0.0, valid);
  REQUIRE(mesh.element_count() > 10);
  std::vector<int> uses(mesh.point_count(), 0);
  for (const std::uint32_t v : mesh.elements) ++uses[v];
  int open_ends = 0;
  for (std::size_t v = 0; v < mesh.point_count(); ++v) {
    CHECK(mesh.points[2 * v] <= 0.2 + 1e-12);
    open_ends += uses[v] == 1 ? 1 : 0;
  }
  CHECK(open_ends == 2);  // the circle is cut open at the mask
  const auto sd = signed_distance(grid, f, 0.0, mesh, valid);
  for (std::size_t n = 0; n < sd.size(); ++n) CHECK(std::isnan(sd[n]) == (valid[n] == 0));

  using Catch::Contains;
  CHECK_THROWS_WITH(extract_level_set(grid, f, 0.0), Contains("not masked"));
  CHECK_THROWS_WITH(extract_level_set(grid, std::span<const double>(f).first(10), 0.0, valid),
                    Contains("10 values for 1681 grid nodes"));
  CHECK_THROWS_WITH(extract_level_set(grid, f, 0.0, std::span<const std::uint8_t>(valid).first(3)),
                    Contains("mask has 3 values"));
  InterfaceMesh bad = mesh;
  bad.elements.push_back(static_cast<std::uint32_t>(mesh.point_count()));
  bad.elements.push_back(0);
  CHECK_THROWS_AS(largest_component(bad), anneal::Error);
}

namespace {

// A scalar on four plateaus (0, 0.35, 0.65, 1) stacked along the last axis, separated by three
// wavy interfaces at known heights, with tanh transitions one cell wide and seeded noise ≤ 0.03:
// a stand-in for a dye or enstrophy field with turbulent/non-turbulent and internal interfaces.
struct LayeredField {
  RectilinearGrid grid;
  std::vector<std::function<double(double, double)>> heights;  // interface i: v = heights[i](x, y)
  std::vector<double> field;
  double cell = 0;  // node spacing along the stacking axis

  static double vertical(double y, double z, bool three_d) { return three_d ? z : y; }
};

LayeredField layered_field(bool three_d) {
  LayeredField s;
  constexpr double pi = std::numbers::pi;
  if (three_d) {
    s.grid = {uniform_axis(0, 1, 48), uniform_axis(0, 1, 40), uniform_axis(0, 1.2, 44)};
    s.cell = 1.2 / 43;
    s.heights = {[=](double x, double y) { return 0.3 + 0.04 * std::sin(2 * pi * x) * std::sin(2 * pi * y); },
                 [=](double x, double y) { return 0.6 + 0.03 * std::sin(2 * pi * x + 1) * std::cos(2 * pi * y); },
                 [=](double x, double y) { return 0.9 + 0.05 * std::sin(pi * x + 2) * std::sin(2 * pi * y + 0.5); }};
  } else {
    s.grid = {uniform_axis(0, 2, 200), uniform_axis(0, 1.6, 160), {}};
    s.cell = 1.6 / 159;
    s.heights = {[=](double x, double) { return 0.4 + 0.06 * std::sin(2 * pi * x); },
                 [=](double x, double) { return 0.8 + 0.04 * std::sin(3 * pi * x + 1); },
                 [=](double x, double) { return 1.2 + 0.08 * std::sin(pi * x + 2); }};
  }
  const std::array<double, 3> steps{0.35, 0.30, 0.35};
  for_each_node(s.grid, [&](std::size_t node, double x, double y, double z) {
    double value = 0;
    for (std::size_t i = 0; i < 3; ++i)
      value += steps[i] * 0.5 * (1 + std::tanh((LayeredField::vertical(y, z, three_d) - s.heights[i](x, y)) / s.cell));
    anneal::RandomStream noise(2025, node);
    s.field.push_back(value + 0.06 * (noise.uniform() - 0.5));
  });
  return s;
}

}  // namespace

// The acceptance test of issue 7 (Khojasteh et al. 2025): four-cluster detection recovers the
// interfaces of a synthetic field with known interface positions to within one grid cell.
TEST_CASE("four-cluster detection recovers known interfaces to within one grid cell", "[interfaces][acceptance]") {
  using anneal::solvers::KMeansResult;
  for (const bool three_d : {false, true}) {
    const LayeredField s = layered_field(three_d);
    const KMeansResult exact = anneal::solvers::kmeans_1d_exact(s.field, 4);
    const KMeansResult lloyd = anneal::solvers::kmeans(s.field, 1, {.k = 4, .seed = 7});
    for (const KMeansResult* clusters : {&exact, &lloyd}) {
      const bool is_exact = clusters == &exact;
      CAPTURE(three_d, is_exact);
      REQUIRE(clusters->k() == 4);
      const std::array<double, 4> plateaus{0, 0.35, 0.65, 1.0};
      for (std::size_t c = 0; c < 4; ++c) CHECK(std::abs(clusters->centroids[c] - plateaus[c]) < 0.05);
      const std::vector<double> thresholds = anneal::solvers::midpoint_thresholds(*clusters);
      REQUIRE(thresholds.size() == 3);
      for (std::size_t i = 0; i < 3; ++i) {
        CAPTURE(i, thresholds[i]);
        if (!is_exact) CHECK(std::abs(thresholds[i] - anneal::solvers::midpoint_thresholds(exact)[i]) < 0.01);
        const InterfaceMesh mesh = extract_level_set(s.grid, s.field, thresholds[i]);
        // One sheet across the whole domain: no islands made by the noise.
        REQUIRE(mesh.element_count() > (three_d ? 2 * 47 * 39 : 199));
        CHECK(largest_component(mesh).element_count() == mesh.element_count());
        double worst = 0;
        for (std::size_t v = 0; v < mesh.point_count(); ++v) {
          const auto p = mesh_point(mesh, static_cast<std::uint32_t>(v));
          const double off = std::abs(LayeredField::vertical(p[1], p[2], three_d) - s.heights[i](p[0], p[1]));
          worst = std::max(worst, off / s.cell);
        }
        CAPTURE(worst);
        CHECK(worst <= 1.0);
        // The turbulent (higher) side positive, the other negative, beyond one cell from the interface;
        // and never farther from the mesh than from the true interface plus a cell.
        const std::vector<double> sd = signed_distance(s.grid, s.field, thresholds[i], mesh);
        std::size_t wrong_sign = 0, too_far = 0;
        for_each_node(s.grid, [&](std::size_t node, double x, double y, double z) {
          const double above = LayeredField::vertical(y, z, three_d) - s.heights[i](x, y);
          if ((above > s.cell && !(sd[node] > 0)) || (above < -s.cell && !(sd[node] < 0))) ++wrong_sign;
          if (std::abs(sd[node]) > std::abs(above) + s.cell) ++too_far;
        });
        CHECK(wrong_sign == 0);
        CHECK(too_far == 0);
      }
    }
  }
}
