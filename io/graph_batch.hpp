#pragma once
// Batches of graphs in HDF5 (DESIGN.md §4): ragged arrays with offsets, so one file holds graphs of
// different sizes and a graph is a contiguous slice of every array.
//
//   <root>/node_offsets   [G+1] int64   graph g owns nodes [node_offsets[g], node_offsets[g+1])
//   <root>/edge_offsets   [G+1] int64   and edges [edge_offsets[g], edge_offsets[g+1])
//   <root>/edge_index     [E][2] int64  (src, dst) per directed edge, numbered *within its graph*
//                                        (0 ≤ id < its graph's node count): a message flows src → dst
//   <root>/node_features  [N][F]  f64   attribute `names`: one name per column (JSON list)
//   <root>/edge_features  [E][F'] f64   F' may be 0 (then the dataset is absent)
//   <root>/targets        [N][T] or [G][T] f64, attribute `level` = "node" or "graph"
//   extra per-node / per-edge / per-graph datasets a system needs (positions, policies) live beside
//   them and are read by the code that knows them.
//
// Reading checks everything a model would otherwise trip over later: offsets that start at 0, never
// decrease and end at N and E; edge ids inside their graph; finite features and targets. Errors name
// the file, the dataset, the graph and the row.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/hdf5_file.hpp"

namespace anneal::io {

enum class TargetLevel { node, graph };

struct GraphBatch {
  std::vector<std::int64_t> node_offsets{0};  // [G+1]
  std::vector<std::int64_t> edge_offsets{0};  // [G+1]
  std::vector<std::int64_t> edge_index;       // [E][2] row-major (src, dst), local ids
  std::vector<std::string> node_feature_names, edge_feature_names, target_names;
  std::vector<double> node_features;  // [N][F], F = node_feature_names.size()
  std::vector<double> edge_features;  // [E][F']
  std::vector<double> targets;        // [N][T] or [G][T]
  TargetLevel target_level = TargetLevel::node;

  std::int64_t num_graphs() const { return static_cast<std::int64_t>(node_offsets.size()) - 1; }
  std::int64_t num_nodes() const { return node_offsets.back(); }
  std::int64_t num_edges() const { return edge_offsets.back(); }
  std::int64_t node_feature_dim() const { return static_cast<std::int64_t>(node_feature_names.size()); }
  std::int64_t edge_feature_dim() const { return static_cast<std::int64_t>(edge_feature_names.size()); }
  std::int64_t target_dim() const { return static_cast<std::int64_t>(target_names.size()); }
  std::int64_t graph_nodes(std::int64_t g) const { return node_offsets[g + 1] - node_offsets[g]; }
  std::int64_t graph_edges(std::int64_t g) const { return edge_offsets[g + 1] - edge_offsets[g]; }

  // Appends `other` (same feature and target names and level) as further graphs.
  void append(const GraphBatch& other);
  // Graphs [first, first + count) as a batch of their own (offsets rebased to 0).
  GraphBatch slice(std::int64_t first, std::int64_t count) const;
  // Throws on inconsistent sizes, offsets, out-of-graph edge ids or non-finite values; `where`
  // names the source in the message (a file path, "generated batch").
  void validate(std::string_view where) const;
};

void write_graph_batch(H5File& file, const GraphBatch& batch, std::string_view root = "/");
// Reads and validates (GraphBatch::validate), naming `file` in every error.
GraphBatch read_graph_batch(const H5File& file, std::string_view root = "/");

}  // namespace anneal::io
