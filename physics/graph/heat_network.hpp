#pragma once
// Steady heat conduction on a network with convective loss: node i exchanges heat with its
// neighbours through conductances k_ij and loses h_i T_i to an ambient at T = 0, with sources q_i:
//   Σ_j k_ij (T_i − T_j) + h_i T_i = q_i,   i.e. (L + diag h) T = q,
// L the weighted graph Laplacian. h > 0 makes the matrix SPD on every component, connected to the
// rest or not, so nothing is dropped. Summing the rows gives the global balance Σ h_i T_i = Σ q_i.
#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "physics/graph/graph_system.hpp"
#include "physics/graph/random_geometric_graph.hpp"

namespace anneal::physics::graph {

struct HeatNetworkOptions {
  double mean_degree = 6;
  double median_conductance = 1.0;  // k_ij log-normal: ln k ~ N(ln median, sigma²)
  double sigma_ln_conductance = 0.5;
  double min_loss = 0.01;  // h_i uniform in [min_loss, max_loss] · median_conductance
  double max_loss = 0.1;
  double heated_fraction = 0.1;  // nodes with a source q_i ~ U(0, 1] (at least one node); q = 0 elsewhere
};

struct HeatNetwork {
  std::vector<Point3> positions;
  std::vector<NodePair> links;       // i < j
  std::vector<double> conductance;   // per link
  std::vector<double> loss, source;  // h, q per node
  std::vector<double> temperature;   // solved
  double residual = 0;               // relative residual of (L + diag h) T = q

  std::int64_t nodes() const { return static_cast<std::int64_t>(positions.size()); }
};

void check_options(const HeatNetworkOptions& options);

// Draws (in this order) 3n position uniforms, one log-normal per link, n uniforms for h, then n
// uniforms choosing heated nodes (node i heated if u < heated_fraction) and one per heated node for
// q; if no node is heated, node uniform_int(n) gets q from one more draw. Then solves for T.
HeatNetwork make_heat_network(std::int64_t nodes, const HeatNetworkOptions& options, RandomStream& rng);

void solve_heat_network(HeatNetwork& network);

// Scale-free example with k̄ = the network's median conductance (median_conductance when it has no
// links) and q̄ = max q: node features [h / k̄, q / q̄], edge features [k / k̄] per directed link,
// target [T k̄ / q̄] (scaling k and h together, or q, leaves every value unchanged). Extra: positions.
GraphSystem heat_network_system(const HeatNetwork& network, const HeatNetworkOptions& options);

inline GraphSystem generate_heat_network(std::int64_t nodes, const HeatNetworkOptions& options, RandomStream& rng) {
  return heat_network_system(make_heat_network(nodes, options, rng), options);
}

}  // namespace anneal::physics::graph
