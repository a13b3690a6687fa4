#include "physics/graph/graph_system.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>

#include "core/error.hpp"
#include "io/schema.hpp"

namespace anneal::physics::graph {

io::GraphBatch to_graph_batch(std::span<const GraphSystem> systems) {
  io::GraphBatch batch;
  if (systems.empty()) return batch;
  batch.node_feature_names = systems.front().node_feature_names;
  batch.edge_feature_names = systems.front().edge_feature_names;
  batch.target_names = systems.front().target_names;
  batch.target_level = io::TargetLevel::node;
  std::size_t edges = 0, nodes = 0;
  for (const GraphSystem& s : systems) {
    nodes += static_cast<std::size_t>(s.nodes);
    edges += s.edges.size();
  }
  batch.edge_index.reserve(2 * edges);
  batch.node_features.reserve(nodes * batch.node_feature_names.size());
  batch.edge_features.reserve(edges * batch.edge_feature_names.size());
  batch.targets.reserve(nodes * batch.target_names.size());
  for (std::size_t g = 0; g < systems.size(); ++g) {
    const GraphSystem& s = systems[g];
    ANNEAL_CHECK(s.node_feature_names == batch.node_feature_names && s.edge_feature_names == batch.edge_feature_names &&
                     s.target_names == batch.target_names,
                 "graph {} of a generated batch has other feature or target names than graph 0", g);
    batch.node_offsets.push_back(batch.num_nodes() + s.nodes);
    batch.edge_offsets.push_back(batch.num_edges() + s.num_edges());
    for (const auto& [src, dst] : s.edges) {
      batch.edge_index.push_back(src);
      batch.edge_index.push_back(dst);
    }
    batch.node_features.insert(batch.node_features.end(), s.node_features.begin(), s.node_features.end());
    batch.edge_features.insert(batch.edge_features.end(), s.edge_features.begin(), s.edge_features.end());
    batch.targets.insert(batch.targets.end(), s.targets.begin(), s.targets.end());
  }
  return batch;
}

namespace {
// Concatenates one extra over all systems: every system has it (with `width` values per node) or
// none does.
template <class T>
std::vector<T> gather_extra(std::span<const GraphSystem> systems, std::vector<T> GraphSystem::*member,
                            std::size_t width, const char* name) {
  std::size_t with = 0;
  for (const GraphSystem& s : systems) with += (s.*member).empty() ? 0 : 1;
  std::vector<T> all;
  if (with == 0) return all;
  for (std::size_t g = 0; g < systems.size(); ++g) {
    const auto& v = systems[g].*member;
    ANNEAL_CHECK(v.size() == static_cast<std::size_t>(systems[g].nodes) * width,
                 "graph {} of a generated batch has {} '{}' values for {} nodes ({} per node expected; {} of {} graphs "
                 "have them)",
                 g, v.size(), name, systems[g].nodes, width, with, systems.size());
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}
}  // namespace

void write_graph_systems(io::H5File& file, std::span<const GraphSystem> systems) {
  const io::GraphBatch batch = to_graph_batch(systems);
  io::write_graph_batch(file, batch);
  const auto N = static_cast<std::size_t>(batch.num_nodes());
  const std::vector<double> positions = gather_extra(systems, &GraphSystem::positions, 3, "positions");
  if (!positions.empty()) file.write<double>("/positions", positions, {N, 3});
  const std::vector<std::int64_t> policy = gather_extra(systems, &GraphSystem::policy, 1, "policy");
  if (!policy.empty()) file.write<std::int64_t>("/policy", policy, {N});
}

GraphExtras read_graph_extras(const io::H5File& file, const io::GraphBatch& batch) {
  GraphExtras extras;
  const auto N = static_cast<std::size_t>(batch.num_nodes());
  if (file.exists("/positions")) {
    io::require_dataset(file, "/positions", {io::DType::f64, io::DType::f32}, {N, 3});
    extras.positions = file.read<double>("/positions").data;
    io::require_finite<double>(file, "/positions", extras.positions);
  }
  if (file.exists("/policy")) {
    io::require_dataset(file, "/policy", {io::DType::i64, io::DType::i32}, {N});
    extras.policy = file.read<std::int64_t>("/policy").data;
    for (std::int64_t g = 0; g < batch.num_graphs(); ++g) {
      for (std::int64_t v = batch.node_offsets[g]; v < batch.node_offsets[g + 1]; ++v) {
        const std::int64_t e = extras.policy[v], local = v - batch.node_offsets[g];
        ANNEAL_CHECK(
            e >= 0 && e < batch.graph_edges(g) && batch.edge_index[2 * (batch.edge_offsets[g] + e) + 1] == local,
            "'{}': policy row {} (graph {}, state {}) names edge {}, which is not an edge of that graph "
            "ending at that state",
            file.path().string(), v, g, local, e);
      }
    }
  }
  return extras;
}

std::vector<GraphSystem> generate_batch(std::int64_t count, std::uint64_t seed,
                                        const std::function<GraphSystem(RandomStream&)>& make) {
  ANNEAL_CHECK(count >= 1, "a batch needs at least one graph, got {}", count);
  std::vector<GraphSystem> systems(static_cast<std::size_t>(count));
  // One graph per task: graphs are small and their costs vary (sizes, retries).
  tbb::parallel_for(std::int64_t{0}, count, [&](std::int64_t g) {
    RandomStream rng(seed, static_cast<std::uint64_t>(g));
    systems[static_cast<std::size_t>(g)] = make(rng);
  });
  return systems;
}

double median(std::vector<double> values, double fallback) {
  if (values.empty()) return fallback;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

}  // namespace anneal::physics::graph
