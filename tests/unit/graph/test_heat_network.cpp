// Heat networks: the residual of (L + diag h) T = q recomputed from the links, the global energy
// balance Σ h T = Σ q, a dense solve, and scale-free features.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "physics/graph/heat_network.hpp"
#include "tests/unit/graph/dense_solve.hpp"

using namespace anneal::physics::graph;

namespace {
HeatNetwork network(std::int64_t nodes, const HeatNetworkOptions& options, std::uint64_t seed) {
  anneal::RandomStream rng(seed, 0);
  return make_heat_network(nodes, options, rng);
}
}  // namespace

TEST_CASE("Heat-network temperatures solve the balance at every node and globally", "[graph][heat]") {
  const HeatNetworkOptions options;
  const HeatNetwork net = network(500, options, 2);
  CHECK(net.residual < 1e-12);
  std::vector<double> balance(net.nodes(), 0.0);
  for (std::int64_t i = 0; i < net.nodes(); ++i) balance[i] = net.loss[i] * net.temperature[i] - net.source[i];
  for (std::size_t l = 0; l < net.links.size(); ++l) {
    const auto [i, j] = net.links[l];
    const double flux = net.conductance[l] * (net.temperature[i] - net.temperature[j]);
    balance[i] += flux;
    balance[j] -= flux;
  }
  const double q_max = *std::max_element(net.source.begin(), net.source.end());
  for (const double b : balance) CHECK(std::abs(b) < 1e-10 * q_max);
  double lost = 0, supplied = 0;
  for (std::int64_t i = 0; i < net.nodes(); ++i) {
    lost += net.loss[i] * net.temperature[i];
    supplied += net.source[i];
    CHECK(net.temperature[i] >= 0);  // an M-matrix and a non-negative source (0 where nothing is heated)
    CHECK(net.loss[i] >= 0.01 * options.median_conductance);
    CHECK(net.loss[i] <= 0.1 * options.median_conductance);
  }
  CHECK(lost == Approx(supplied).epsilon(1e-10));
  const auto heated = std::count_if(net.source.begin(), net.source.end(), [](double q) { return q > 0; });
  CHECK(heated > 25);
  CHECK(heated < 80);
}

TEST_CASE("Heat-network temperatures equal a dense solve", "[graph][heat]") {
  const HeatNetwork net = network(60, HeatNetworkOptions{}, 5);
  const auto n = static_cast<std::size_t>(net.nodes());
  std::vector<double> A(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) A[i * n + i] = net.loss[i];
  for (std::size_t l = 0; l < net.links.size(); ++l) {
    const auto i = static_cast<std::size_t>(net.links[l].first), j = static_cast<std::size_t>(net.links[l].second);
    const double k = net.conductance[l];
    A[i * n + i] += k;
    A[j * n + j] += k;
    A[i * n + j] -= k;
    A[j * n + i] -= k;
  }
  const std::vector<double> T = anneal::test::dense_solve(A, net.source);
  for (std::size_t i = 0; i < n; ++i) CHECK(net.temperature[i] == Approx(T[i]).epsilon(1e-10));
}

TEST_CASE("Heat-network features and targets are scale-free", "[graph][heat]") {
  HeatNetworkOptions scaled;
  scaled.median_conductance = 250;  // k and h scale together
  anneal::RandomStream r1(6, 1), r2(6, 1);
  const GraphSystem a = generate_heat_network(300, HeatNetworkOptions{}, r1);
  const GraphSystem b = generate_heat_network(300, scaled, r2);
  REQUIRE(a.edges == b.edges);
  for (std::size_t i = 0; i < a.node_features.size(); ++i)
    CHECK(a.node_features[i] == Approx(b.node_features[i]).epsilon(1e-12));
  for (std::size_t i = 0; i < a.edge_features.size(); ++i)
    CHECK(a.edge_features[i] == Approx(b.edge_features[i]).epsilon(1e-12).margin(1e-13));  // logs near 0
  for (std::size_t i = 0; i < a.targets.size(); ++i) CHECK(a.targets[i] == Approx(b.targets[i]).epsilon(1e-10));
  // Target = T k̄ / q̄ with k̄ the median conductance and q̄ the largest source.
  anneal::RandomStream r3(6, 1);
  const HeatNetwork net = make_heat_network(300, HeatNetworkOptions{}, r3);
  std::vector<double> k = net.conductance;
  std::sort(k.begin(), k.end());
  const double k_bar = k.size() % 2 ? k[k.size() / 2] : 0.5 * (k[k.size() / 2 - 1] + k[k.size() / 2]);
  const double q_bar = *std::max_element(net.source.begin(), net.source.end());
  for (std::int64_t i = 0; i < net.nodes(); ++i) {
    CHECK(a.targets[i] == Approx(net.temperature[i] * k_bar / q_bar));
    CHECK(a.node_features[2 * i] == Approx(net.loss[i] / k_bar));
    CHECK(a.node_features[2 * i + 1] == Approx(net.source[i] / q_bar));
  }
}
