#pragma once
// Random geometric graphs in the unit cube: the geometry under the pore and heat networks. Points
// are uniform in [0, 1)³ and every pair closer than a radius r is joined. The radius is chosen for
// an expected mean degree k in an unbounded domain, n · (4/3)π r³ = k; points near the faces have
// fewer neighbours, so the realised mean degree is below k: about 0.7 k at n = 50, 0.87 k at n = 1000
// and 0.93 k at n = 5000 (k = 6).
#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/rng.hpp"

namespace anneal::physics::graph {

using Point3 = std::array<double, 3>;
using NodePair = std::pair<std::int64_t, std::int64_t>;

struct GeometricGraph {
  std::vector<Point3> positions;
  std::vector<NodePair> pairs;  // undirected, i < j, sorted lexicographically
  double radius = 0;
  std::int64_t nodes() const { return static_cast<std::int64_t>(positions.size()); }
};

// r = (3k / (4πn))^{1/3}. Throws for n < 1 or k ≤ 0.
double radius_for_mean_degree(std::int64_t nodes, double mean_degree);

// Every pair of points closer than `radius` (strictly), found with a cell list of cells no smaller
// than the radius: O(n + pairs) for the radii above.
std::vector<NodePair> pairs_within(std::span<const Point3> positions, double radius);

// n points from 3n draws of rng.uniform() (x, y, z of point 0 first), joined within
// radius_for_mean_degree(n, mean_degree).
GeometricGraph random_geometric_graph(std::int64_t nodes, double mean_degree, RandomStream& rng);

}  // namespace anneal::physics::graph
