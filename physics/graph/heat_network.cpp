#include "physics/graph/heat_network.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "physics/graph/spd_solve.hpp"

namespace anneal::physics::graph {

void check_options(const HeatNetworkOptions& o) {
  ANNEAL_CHECK(o.mean_degree > 0, "heat network: the mean degree should be positive, got {}", o.mean_degree);
  ANNEAL_CHECK(o.median_conductance > 0 && std::isfinite(o.median_conductance),
               "heat network: the median conductance should be positive, got {}", o.median_conductance);
  ANNEAL_CHECK(o.sigma_ln_conductance >= 0 && std::isfinite(o.sigma_ln_conductance),
               "heat network: sigma of ln(conductance) should be ≥ 0, got {}", o.sigma_ln_conductance);
  ANNEAL_CHECK(o.min_loss > 0 && o.max_loss >= o.min_loss && std::isfinite(o.max_loss),
               "heat network: the loss range should satisfy 0 < min ≤ max, got [{}, {}]", o.min_loss, o.max_loss);
  ANNEAL_CHECK(o.heated_fraction >= 0 && o.heated_fraction <= 1,
               "heat network: the heated fraction should be in [0, 1], got {}", o.heated_fraction);
}

HeatNetwork make_heat_network(std::int64_t nodes, const HeatNetworkOptions& options, RandomStream& rng) {
  check_options(options);
  ANNEAL_CHECK(nodes >= 1, "heat network: needs at least one node, got {}", nodes);
  GeometricGraph geometry = random_geometric_graph(nodes, options.mean_degree, rng);
  HeatNetwork net;
  net.positions = std::move(geometry.positions);
  net.links = std::move(geometry.pairs);
  net.conductance.reserve(net.links.size());
  for (std::size_t l = 0; l < net.links.size(); ++l)
    net.conductance.push_back(options.median_conductance * std::exp(options.sigma_ln_conductance * rng.normal()));
  const auto n = static_cast<std::size_t>(nodes);
  net.loss.resize(n);
  for (double& h : net.loss)
    h = options.median_conductance * (options.min_loss + (options.max_loss - options.min_loss) * rng.uniform());
  net.source.assign(n, 0.0);
  std::vector<std::size_t> heated;
  for (std::size_t i = 0; i < n; ++i)
    if (rng.uniform() < options.heated_fraction) heated.push_back(i);
  if (heated.empty()) heated.push_back(static_cast<std::size_t>(rng.uniform_int(n)));
  // 1 − u lies in (0, 1]: a heated node always has a source.
  for (const std::size_t i : heated) net.source[i] = 1.0 - rng.uniform();
  solve_heat_network(net);
  return net;
}

void solve_heat_network(HeatNetwork& net) {
  const std::int64_t n = net.nodes();
  std::vector<MatrixEntry> entries;
  entries.reserve(4 * net.links.size() + static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) entries.push_back({i, i, net.loss[i]});
  for (std::size_t l = 0; l < net.links.size(); ++l) {
    const auto [i, j] = net.links[l];
    const double k = net.conductance[l];
    entries.push_back({i, i, k});
    entries.push_back({j, j, k});
    entries.push_back({i, j, -k});
    entries.push_back({j, i, -k});
  }
  const SpdSolution solution = solve_spd(n, entries, net.source, "heat network temperature solve");
  net.temperature = solution.x;
  net.residual = solution.relative_residual;
}

GraphSystem heat_network_system(const HeatNetwork& net, const HeatNetworkOptions& options) {
  GraphSystem s;
  s.nodes = net.nodes();
  s.node_feature_names = {"loss", "source"};
  s.edge_feature_names = {"conductance", "log_conductance"};  // the log, as for pore networks
  s.target_names = {"temperature"};
  s.residual = net.residual;
  const double k_bar = median(net.conductance, options.median_conductance);
  const double q_bar = *std::max_element(net.source.begin(), net.source.end());
  for (std::int64_t i = 0; i < s.nodes; ++i) {
    s.node_features.insert(s.node_features.end(), {net.loss[i] / k_bar, net.source[i] / q_bar});
    s.targets.push_back(net.temperature[i] * k_bar / q_bar);
    s.positions.insert(s.positions.end(), net.positions[i].begin(), net.positions[i].end());
  }
  s.edges = both_directions(net.links);
  for (const double k : net.conductance) {
    const double r = k / k_bar;
    s.edge_features.insert(s.edge_features.end(), {r, std::log(r), r, std::log(r)});
  }
  return s;
}

}  // namespace anneal::physics::graph
