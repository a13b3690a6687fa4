#include "physics/graph/random_geometric_graph.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace anneal::physics::graph {

double radius_for_mean_degree(std::int64_t nodes, double mean_degree) {
  ANNEAL_CHECK(nodes >= 1, "a random geometric graph needs at least one node, got {}", nodes);
  ANNEAL_CHECK(mean_degree > 0 && std::isfinite(mean_degree),
               "the mean degree of a random geometric graph should be positive, got {}", mean_degree);
  return std::cbrt(3 * mean_degree / (4 * std::numbers::pi * static_cast<double>(nodes)));
}

std::vector<NodePair> pairs_within(std::span<const Point3> positions, double radius) {
  ANNEAL_CHECK(radius > 0 && std::isfinite(radius), "the neighbour radius should be positive, got {}", radius);
  const auto n = static_cast<std::int64_t>(positions.size());
  if (n < 2) return {};
  Point3 lo = positions[0], hi = positions[0];
  for (const Point3& p : positions)
    for (int a = 0; a < 3; ++a) {
      lo[a] = std::min(lo[a], p[a]);
      hi[a] = std::max(hi[a], p[a]);
    }
  // Cells at least `radius` wide, so neighbours lie in the 27 cells around a point's own; no more
  // cells per axis than about n^{1/3}, so a tiny radius does not make an enormous empty grid.
  const auto max_cells = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::cbrt(static_cast<double>(n))) + 1);
  std::array<std::int64_t, 3> cells{};
  std::array<double, 3> inv_width{};
  for (int a = 0; a < 3; ++a) {
    const double extent = hi[a] - lo[a];
    cells[a] = std::clamp<std::int64_t>(static_cast<std::int64_t>(extent / radius), 1, max_cells);
    inv_width[a] = extent > 0 ? static_cast<double>(cells[a]) / extent : 0.0;
  }
  const auto cell_of = [&](const Point3& p, int a) {
    return std::min(static_cast<std::int64_t>((p[a] - lo[a]) * inv_width[a]), cells[a] - 1);
  };
  const auto flat = [&](std::int64_t x, std::int64_t y, std::int64_t z) { return (z * cells[1] + y) * cells[0] + x; };

  // Counting sort of the points by cell: start[c]..start[c+1] indexes `members`.
  std::vector<std::int64_t> cell(n), start(static_cast<std::size_t>(cells[0] * cells[1] * cells[2]) + 1, 0);
  for (std::int64_t i = 0; i < n; ++i) {
    cell[i] = flat(cell_of(positions[i], 0), cell_of(positions[i], 1), cell_of(positions[i], 2));
    ++start[cell[i] + 1];
  }
  for (std::size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
  std::vector<std::int64_t> members(n), fill(start.begin(), start.end() - 1);
  for (std::int64_t i = 0; i < n; ++i) members[fill[cell[i]]++] = i;

  const double r2 = radius * radius;
  std::vector<NodePair> pairs;
  std::vector<std::int64_t> near;
  for (std::int64_t i = 0; i < n; ++i) {
    const Point3& p = positions[i];
    const std::int64_t cx = cell_of(p, 0), cy = cell_of(p, 1), cz = cell_of(p, 2);
    near.clear();
    for (std::int64_t z = std::max<std::int64_t>(cz - 1, 0); z <= std::min(cz + 1, cells[2] - 1); ++z)
      for (std::int64_t y = std::max<std::int64_t>(cy - 1, 0); y <= std::min(cy + 1, cells[1] - 1); ++y)
        for (std::int64_t x = std::max<std::int64_t>(cx - 1, 0); x <= std::min(cx + 1, cells[0] - 1); ++x) {
          const std::int64_t c = flat(x, y, z);
          for (std::int64_t k = start[c]; k < start[c + 1]; ++k) {
            const std::int64_t j = members[k];
            if (j <= i) continue;
            const Point3& q = positions[j];
            const double dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
            if (dx * dx + dy * dy + dz * dz < r2) near.push_back(j);
          }
        }
    // Sorted, so the pair list does not depend on the cell layout.
    std::sort(near.begin(), near.end());
    for (const std::int64_t j : near) pairs.emplace_back(i, j);
  }
  return pairs;
}

GeometricGraph random_geometric_graph(std::int64_t nodes, double mean_degree, RandomStream& rng) {
  GeometricGraph graph;
  graph.radius = radius_for_mean_degree(nodes, mean_degree);
  graph.positions.resize(static_cast<std::size_t>(nodes));
  for (Point3& p : graph.positions)
    for (double& c : p) c = rng.uniform();
  graph.pairs = pairs_within(graph.positions, graph.radius);
  return graph;
}

}  // namespace anneal::physics::graph
