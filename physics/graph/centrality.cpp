#include "physics/graph/centrality.hpp"

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace anneal::physics::graph {
namespace {
using SparseMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

std::vector<std::int64_t> out_degrees(const DirectedGraph& g) {
  std::vector<std::int64_t> d(static_cast<std::size_t>(g.nodes), 0);
  for (const auto& [src, dst] : g.links) ++d[src];
  return d;
}

std::vector<std::int64_t> in_degrees(const DirectedGraph& g) {
  std::vector<std::int64_t> d(static_cast<std::size_t>(g.nodes), 0);
  for (const auto& [src, dst] : g.links) ++d[dst];
  return d;
}

// Solves (I − W) x = b by sparse LU, W_{dst,src} = weight[link].
std::vector<double> solve_fixed_point(const DirectedGraph& g, const std::vector<double>& weight,
                                      const std::vector<double>& b, const char* what) {
  const auto n = static_cast<int>(g.nodes);
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(g.links.size() + b.size());
  for (int i = 0; i < n; ++i) triplets.emplace_back(i, i, 1.0);
  for (std::size_t l = 0; l < g.links.size(); ++l)
    triplets.emplace_back(static_cast<int>(g.links[l][1]), static_cast<int>(g.links[l][0]), -weight[l]);
  SparseMatrix M(n, n);
  M.setFromTriplets(triplets.begin(), triplets.end());
  Eigen::SparseLU<SparseMatrix> lu;
  lu.compute(M);
  ANNEAL_CHECK(lu.info() == Eigen::Success, "{}: the sparse LU factorisation failed ({})", what, lu.lastErrorMessage());
  const Eigen::VectorXd x = lu.solve(Eigen::Map<const Eigen::VectorXd>(b.data(), n));
  return {x.data(), x.data() + n};
}

// max_i |x − (W x + c)| / max |x|, with W from the link weights and c per node.
double fixed_point_residual(const DirectedGraph& g, const std::vector<double>& weight, const std::vector<double>& c,
                            const std::vector<double>& x) {
  std::vector<double> rhs = c;
  for (std::size_t l = 0; l < g.links.size(); ++l) rhs[g.links[l][1]] += weight[l] * x[g.links[l][0]];
  double r = 0, scale = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    r = std::max(r, std::abs(x[i] - rhs[i]));
    scale = std::max(scale, std::abs(x[i]));
  }
  return scale > 0 ? r / scale : r;
}
}  // namespace

void check_options(const CentralityOptions& o) {
  ANNEAL_CHECK(o.min_out_degree >= 0 && o.max_out_degree >= o.min_out_degree,
               "centrality: the out-degree range should satisfy 0 ≤ min ≤ max, got [{}, {}]", o.min_out_degree,
               o.max_out_degree);
  ANNEAL_CHECK(o.damping > 0 && o.damping < 1, "pagerank: the damping should be in (0, 1), got {}", o.damping);
  ANNEAL_CHECK(o.katz_fraction > 0 && o.katz_fraction < 1, "katz: the fraction of 1/Δ should be in (0, 1), got {}",
               o.katz_fraction);
}

DirectedGraph random_directed_graph(std::int64_t nodes, const CentralityOptions& options, RandomStream& rng) {
  check_options(options);
  ANNEAL_CHECK(nodes >= 2, "centrality: a graph needs at least 2 nodes, got {}", nodes);
  DirectedGraph g;
  g.nodes = nodes;
  const std::int64_t lo = std::min(options.min_out_degree, nodes - 1), hi = std::min(options.max_out_degree, nodes - 1);
  std::vector<std::int64_t> targets;
  for (std::int64_t src = 0; src < nodes; ++src) {
    const auto degree = lo + static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(hi - lo + 1)));
    targets.clear();
    while (static_cast<std::int64_t>(targets.size()) < degree) {
      // Uniform over the other n − 1 nodes: skip src by shifting the upper part down.
      auto dst = static_cast<std::int64_t>(rng.uniform_int(static_cast<std::uint64_t>(nodes - 1)));
      if (dst >= src) ++dst;
      if (std::find(targets.begin(), targets.end(), dst) == targets.end()) targets.push_back(dst);
    }
    for (const std::int64_t dst : targets) g.links.push_back({src, dst});
  }
  return g;
}

CentralitySolution pagerank(const DirectedGraph& g, double damping) {
  ANNEAL_CHECK(damping > 0 && damping < 1, "pagerank: the damping should be in (0, 1), got {}", damping);
  const std::vector<std::int64_t> out = out_degrees(g);
  std::vector<double> weight(g.links.size());
  for (std::size_t l = 0; l < g.links.size(); ++l) weight[l] = damping / static_cast<double>(out[g.links[l][0]]);
  CentralitySolution s;
  const auto n = static_cast<std::size_t>(g.nodes);
  s.x = solve_fixed_point(g, weight, std::vector<double>(n, 1.0), "pagerank");
  double sum = 0;
  for (const double v : s.x) sum += v;
  for (double& v : s.x) v /= sum;
  // The residual of the full equation, dangling jumps and teleport included.
  double dangling = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (out[i] == 0) dangling += s.x[i];
  const std::vector<double> c(n, (damping * dangling + 1 - damping) / static_cast<double>(n));
  s.residual = fixed_point_residual(g, weight, c, s.x);
  return s;
}

double katz_beta(const DirectedGraph& g, double fraction) {
  const std::vector<std::int64_t> out = out_degrees(g), in = in_degrees(g);
  const std::int64_t bound =
      std::min(*std::max_element(out.begin(), out.end()), *std::max_element(in.begin(), in.end()));
  // No links: A = 0 and any β works; keep the fraction itself.
  return bound > 0 ? fraction / static_cast<double>(bound) : fraction;
}

CentralitySolution katz(const DirectedGraph& g, double beta) {
  ANNEAL_CHECK(beta > 0 && std::isfinite(beta), "katz: β should be positive, got {}", beta);
  const std::vector<double> weight(g.links.size(), beta), ones(static_cast<std::size_t>(g.nodes), 1.0);
  CentralitySolution s;
  s.beta = beta;
  s.x = solve_fixed_point(g, weight, ones, "katz");
  s.residual = fixed_point_residual(g, weight, ones, s.x);
  return s;
}

GraphSystem centrality_system(const DirectedGraph& g, Centrality kind, const CentralitySolution& solution,
                              double damping) {
  GraphSystem s;
  s.nodes = g.nodes;
  s.node_feature_names = {"out_degree", "in_degree"};
  s.edge_feature_names = {"weight"};
  s.target_names = {kind == Centrality::pagerank ? "pagerank" : "katz"};
  s.residual = solution.residual;
  const std::vector<std::int64_t> out = out_degrees(g), in = in_degrees(g);
  const double mean = g.links.empty() ? 1.0 : static_cast<double>(g.links.size()) / static_cast<double>(g.nodes);
  const double scale = kind == Centrality::pagerank ? static_cast<double>(g.nodes) : 1.0;
  for (std::int64_t i = 0; i < g.nodes; ++i) {
    s.node_features.insert(s.node_features.end(),
                           {static_cast<double>(out[i]) / mean, static_cast<double>(in[i]) / mean});
    s.targets.push_back(scale * solution.x[i]);
  }
  s.edges = g.links;
  for (const auto& link : g.links)
    s.edge_features.push_back(kind == Centrality::pagerank ? damping / static_cast<double>(out[link[0]])
                                                           : solution.beta);
  return s;
}

GraphSystem generate_centrality(std::int64_t nodes, Centrality kind, const CentralityOptions& options,
                                RandomStream& rng) {
  const DirectedGraph g = random_directed_graph(nodes, options, rng);
  const CentralitySolution solution =
      kind == Centrality::pagerank ? pagerank(g, options.damping) : katz(g, katz_beta(g, options.katz_fraction));
  return centrality_system(g, kind, solution, options.damping);
}

}  // namespace anneal::physics::graph
