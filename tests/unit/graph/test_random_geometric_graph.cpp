// Random geometric graphs: the cell list finds exactly the pairs a brute-force search finds, and
// interior points have the mean degree the radius was chosen for.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "physics/graph/random_geometric_graph.hpp"

using namespace anneal::physics::graph;

TEST_CASE("The cell list finds exactly the pairs within the radius", "[graph][rgg]") {
  anneal::RandomStream rng(3, 0);
  std::vector<Point3> points(700);
  for (Point3& p : points)
    for (double& c : p) c = rng.uniform();
  // A cluster of coincident points and points on the cube's faces.
  points[10] = points[11] = points[12] = {0.5, 0.5, 0.5};
  points[20] = {0, 0, 0};
  points[21] = {1, 1, 1};
  for (const double radius : {1e-4, 0.03, 0.1, 0.37, 2.0}) {
    INFO("radius " << radius);
    std::vector<NodePair> brute;
    for (std::size_t i = 0; i < points.size(); ++i)
      for (std::size_t j = i + 1; j < points.size(); ++j) {
        const double dx = points[i][0] - points[j][0], dy = points[i][1] - points[j][1],
                     dz = points[i][2] - points[j][2];
        if (dx * dx + dy * dy + dz * dz < radius * radius)
          brute.emplace_back(static_cast<std::int64_t>(i), static_cast<std::int64_t>(j));
      }
    CHECK(pairs_within(points, radius) == brute);
  }
  CHECK(pairs_within(std::vector<Point3>{{0.1, 0.2, 0.3}}, 0.5).empty());
}

TEST_CASE("Interior points of a random geometric graph have the requested mean degree", "[graph][rgg]") {
  const std::int64_t n = 20000;
  const double k = 6;
  anneal::RandomStream rng(11, 0);
  const GeometricGraph g = random_geometric_graph(n, k, rng);
  CHECK(g.radius == Approx(std::cbrt(3 * k / (4 * std::numbers::pi * n))).epsilon(1e-14));
  std::vector<std::int64_t> degree(n, 0);
  for (const auto& [i, j] : g.pairs) {
    REQUIRE(i < j);
    ++degree[i];
    ++degree[j];
  }
  // Points at least r from every face see a whole ball: expected degree k (n − 1)/n, Poisson.
  double sum = 0;
  std::int64_t interior = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Point3& p = g.positions[i];
    bool inside = true;
    for (const double c : p) inside = inside && c > g.radius && c < 1 - g.radius;
    if (!inside) continue;
    sum += static_cast<double>(degree[i]);
    ++interior;
  }
  const double mean = sum / static_cast<double>(interior);
  // Standard error sqrt(k / interior) ≈ 0.02; 5 of them.
  CHECK(mean == Approx(k * (n - 1) / n).margin(5 * std::sqrt(k / static_cast<double>(interior))));
}

// No wall-time check (timings live in bench/cgs): at the largest size the issue asks for, the mean
// degree stays near its target despite the faces.
TEST_CASE("A random geometric graph of 1e5 nodes keeps its mean degree", "[graph][rgg]") {
  anneal::RandomStream rng(5, 0);
  const GeometricGraph g = random_geometric_graph(100000, 6, rng);
  CHECK(static_cast<double>(g.pairs.size()) > 0.7 * 3 * 100000);  // mean degree > 4.2 despite the faces
}
