#pragma once
// `anneal cgs generate`: a batch of graph systems with exact answers, written to one HDF5 file.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/provenance.hpp"
#include "physics/graph/centrality.hpp"
#include "physics/graph/graph_system.hpp"
#include "physics/graph/heat_network.hpp"
#include "physics/graph/mdp.hpp"
#include "physics/graph/pore_network.hpp"

namespace anneal::physics::graph {

struct GenerateOptions {
  std::string system = "pore";  // "pore", "heat", "pagerank", "katz", "mdp"
  std::int64_t graphs = 100;
  std::int64_t min_nodes = 50, max_nodes = 200;  // node count uniform in [min, max]; mdp uses mdp.*_states
  std::uint64_t seed = 0;
  double mean_degree = 6;  // pore and heat networks (copied into their options)
  PoreNetworkOptions pore{};
  HeatNetworkOptions heat{};
  CentralityOptions centrality{};
  MdpOptions mdp{};
};

// The names `system` accepts.
const std::vector<std::string>& system_names();

// Throws a one-sentence anneal::Error for an unknown system, graphs < 1, min_nodes < 2,
// min_nodes > max_nodes, or bad per-system options.
void check_options(const GenerateOptions& options);

// Every option, system-specific ones included (stored as /meta/config).
nlohmann::json to_json(const GenerateOptions& options);

// Graph g is drawn from RandomStream(seed, g): its node count first (uniform_int), then the system.
// In parallel (oneTBB); the result does not depend on the thread count.
std::vector<GraphSystem> generate_systems(const GenerateOptions& options);

struct GenerateSummary {
  std::int64_t graphs = 0, nodes = 0, edges = 0;
  double max_residual = 0;  // largest relative residual of the exact solves (see each system)
  std::int64_t dropped_nodes = 0;
};

GenerateSummary summarize(const std::vector<GraphSystem>& systems);

// Generates and writes atomically (io::AtomicOutput; refusing to overwrite provenance.source_files):
// the batch and extras (write_graph_systems), attributes `system`, `seed`, `max_residual` and
// `dropped_nodes` on "/", and /meta (config = to_json(options) when provenance.config_json is empty).
GenerateSummary generate_dataset(const GenerateOptions& options, const std::filesystem::path& output,
                                 const io::Provenance& provenance);

}  // namespace anneal::physics::graph
