// PageRank against power iteration (dangling nodes included), Katz against its Neumann series,
// and the random directed graphs they run on.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "physics/graph/centrality.hpp"

using namespace anneal::physics::graph;

namespace {
DirectedGraph graph(std::int64_t n, const CentralityOptions& options, std::uint64_t seed) {
  anneal::RandomStream rng(seed, 0);
  return random_directed_graph(n, options, rng);
}

std::vector<std::int64_t> out_degree(const DirectedGraph& g) {
  std::vector<std::int64_t> d(g.nodes, 0);
  for (const auto& [s, t] : g.links) ++d[s];
  return d;
}

// PageRank by power iteration, the textbook way: dangling rank spread uniformly.
std::vector<double> power_iteration(const DirectedGraph& g, double alpha) {
  const auto n = static_cast<std::size_t>(g.nodes);
  const std::vector<std::int64_t> out = out_degree(g);
  std::vector<double> x(n, 1.0 / static_cast<double>(n)), next(n);
  for (int it = 0; it < 2000; ++it) {
    double dangling = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (out[i] == 0) dangling += x[i];
    std::fill(next.begin(), next.end(), (1 - alpha + alpha * dangling) / static_cast<double>(n));
    for (const auto& [s, t] : g.links) next[t] += alpha * x[s] / static_cast<double>(out[s]);
    double change = 0;
    for (std::size_t i = 0; i < n; ++i) change = std::max(change, std::abs(next[i] - x[i]));
    x.swap(next);
    if (change < 1e-16) break;
  }
  return x;
}
}  // namespace

TEST_CASE("Random directed graphs have distinct links, no self-loops, out-degrees in range", "[graph][centrality]") {
  CentralityOptions options;
  options.min_out_degree = 0;
  const DirectedGraph g = graph(300, options, 1);
  std::set<std::array<std::int64_t, 2>> unique(g.links.begin(), g.links.end());
  CHECK(unique.size() == g.links.size());
  for (const auto& [s, t] : g.links) CHECK(s != t);
  const std::vector<std::int64_t> out = out_degree(g);
  CHECK(*std::min_element(out.begin(), out.end()) == 0);
  CHECK(*std::max_element(out.begin(), out.end()) == 5);
  // Capped at n − 1 for tiny graphs.
  const DirectedGraph two = graph(2, CentralityOptions{}, 3);
  CHECK(two.links == std::vector<std::array<std::int64_t, 2>>{{0, 1}, {1, 0}});
}

TEST_CASE("PageRank equals power iteration and sums to n in target units", "[graph][centrality]") {
  for (const std::int64_t min_degree : {0, 1}) {
    INFO("min out-degree " << min_degree);
    CentralityOptions options;
    options.min_out_degree = min_degree;
    for (std::uint64_t seed = 0; seed < 3; ++seed) {
      const DirectedGraph g = graph(150, options, seed);
      const CentralitySolution s = pagerank(g, 0.85);
      CHECK(s.residual < 1e-13);
      const std::vector<double> reference = power_iteration(g, 0.85);
      for (std::size_t i = 0; i < reference.size(); ++i) CHECK(std::abs(s.x[i] - reference[i]) < 1e-10 * reference[i]);
      const GraphSystem sys = centrality_system(g, Centrality::pagerank, s, 0.85);
      double sum = 0;
      for (const double t : sys.targets) sum += t;
      CHECK(sum == Approx(150).epsilon(1e-12));
      // Edge weight α/outdeg(src): the coefficient of x_src in x_dst's equation.
      const std::vector<std::int64_t> out = out_degree(g);
      for (std::size_t e = 0; e < sys.edges.size(); ++e)
        CHECK(sys.edge_features[e] == Approx(0.85 / static_cast<double>(out[sys.edges[e][0]])));
      double mean_out = 0;
      for (std::int64_t i = 0; i < g.nodes; ++i) mean_out += sys.node_features[2 * i] / static_cast<double>(g.nodes);
      CHECK(mean_out == Approx(1.0));
    }
  }
}

TEST_CASE("Katz centrality equals its Neumann series", "[graph][centrality]") {
  const DirectedGraph g = graph(200, CentralityOptions{}, 4);
  const double beta = katz_beta(g, 0.5);
  const std::vector<std::int64_t> out = out_degree(g);
  std::vector<std::int64_t> in(g.nodes, 0);
  for (const auto& [s, t] : g.links) ++in[t];
  CHECK(beta == Approx(0.5 / static_cast<double>(std::min(*std::max_element(out.begin(), out.end()),
                                                          *std::max_element(in.begin(), in.end())))));
  const CentralitySolution s = katz(g, beta);
  CHECK(s.residual < 1e-13);
  // Σ_k (β Aᵀ)^k 1: term k+1 at node t sums β · term k over its in-links.
  std::vector<double> term(g.nodes, 1.0), sum(g.nodes, 1.0), next(g.nodes);
  for (int k = 0; k < 200; ++k) {
    std::fill(next.begin(), next.end(), 0.0);
    for (const auto& [src, dst] : g.links) next[dst] += beta * term[src];
    term.swap(next);
    for (std::int64_t i = 0; i < g.nodes; ++i) sum[i] += term[i];
  }
  CHECK(*std::max_element(term.begin(), term.end()) < 1e-30);
  for (std::int64_t i = 0; i < g.nodes; ++i) CHECK(s.x[i] == Approx(sum[i]).epsilon(1e-12));
  anneal::RandomStream rng(4, 0);
  const GraphSystem sys = generate_centrality(200, Centrality::katz, CentralityOptions{}, rng);
  for (std::int64_t i = 0; i < g.nodes; ++i) CHECK(sys.targets[i] == Approx(sum[i]).epsilon(1e-12));
  for (const double w : sys.edge_features) CHECK(w == beta);
}
