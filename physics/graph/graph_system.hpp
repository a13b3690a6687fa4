#pragma once
// One generated graph problem with its exact answer, and the batches they make. Generators
// (pore_network, heat_network, centrality, mdp) each return a GraphSystem; a batch of them is an
// io::GraphBatch plus the extras a system needs beyond features and targets.
//
// Extras written beside the batch (DESIGN.md §4 "extra per-node datasets"):
//   /positions [N][3] f64   node positions in the unit cube (pore and heat networks)
//   /policy    [N]    i64   MDPs: per state, the local edge index (within its graph) of its optimal
//                           action; that edge's dst is the state itself
#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/graph_batch.hpp"

namespace anneal::physics::graph {

struct GraphSystem {
  std::int64_t nodes = 0;
  // Directed (src, dst), ids local to this graph; a message flows src → dst. An undirected bond is
  // two edges, (i, j) and (j, i), with the same features.
  std::vector<std::array<std::int64_t, 2>> edges;
  std::vector<std::string> node_feature_names, edge_feature_names, target_names;
  std::vector<double> node_features;  // [nodes][node_feature_names.size()]
  std::vector<double> edge_features;  // [edges][edge_feature_names.size()]
  std::vector<double> targets;        // [nodes][target_names.size()]
  // Extras: empty when the system has none.
  std::vector<double> positions;     // [nodes][3]
  std::vector<std::int64_t> policy;  // [nodes], local edge index
  // How the exact answer was obtained: the relative residual of the solve (the system's own
  // measure, stated by each generator) and the nodes dropped before solving (pore networks).
  double residual = 0;
  std::int64_t dropped_nodes = 0;

  std::int64_t num_edges() const { return static_cast<std::int64_t>(edges.size()); }
};

// The systems as one batch (node-level targets). Throws if their feature or target names differ.
io::GraphBatch to_graph_batch(std::span<const GraphSystem> systems);

// What a batch file holds beyond the io::GraphBatch; empty vectors where absent.
struct GraphExtras {
  std::vector<double> positions;     // [N][3]
  std::vector<std::int64_t> policy;  // [N]
};

// Writes the batch (io::write_graph_batch) and the extras every system has; throws if only some
// systems have an extra.
void write_graph_systems(io::H5File& file, std::span<const GraphSystem> systems);
// Reads /positions and /policy if present, checking their shapes against `batch` and that every
// policy entry is an edge of its own graph that ends at the state it belongs to.
GraphExtras read_graph_extras(const io::H5File& file, const io::GraphBatch& batch);

// Generates graphs g = 0 .. count−1, graph g from make(RandomStream(seed, g)), in parallel with
// oneTBB. The result does not depend on the thread count.
std::vector<GraphSystem> generate_batch(std::int64_t count, std::uint64_t seed,
                                        const std::function<GraphSystem(RandomStream&)>& make);

// Helpers for the generators: the two directed edges of each undirected pair, (i, j) then (j, i),
// so directed edge 2k and 2k+1 come from pair k.
template <class Pairs>
std::vector<std::array<std::int64_t, 2>> both_directions(const Pairs& pairs) {
  std::vector<std::array<std::int64_t, 2>> edges;
  edges.reserve(2 * pairs.size());
  for (const auto& [i, j] : pairs) {
    edges.push_back({static_cast<std::int64_t>(i), static_cast<std::int64_t>(j)});
    edges.push_back({static_cast<std::int64_t>(j), static_cast<std::int64_t>(i)});
  }
  return edges;
}

// The median of `values` (the mean of the middle two for an even count); `fallback` when empty.
double median(std::vector<double> values, double fallback);

}  // namespace anneal::physics::graph
