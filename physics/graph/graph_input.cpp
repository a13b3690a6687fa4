#include "physics/graph/graph_input.hpp"

#include "core/error.hpp"

namespace anneal::physics::graph {

GraphInput make_graph_input(const io::GraphBatch& batch, nn::DType dtype) {
  ANNEAL_CHECK(batch.target_level == io::TargetLevel::node,
               "graph-level targets are not supported by the CGS models yet; give one target row per node");
  GraphInput in;
  in.node_offsets = batch.node_offsets;
  const std::int64_t n = batch.num_nodes(), e = batch.num_edges();
  in.edges.src.resize(static_cast<std::size_t>(e));
  in.edges.dst.resize(static_cast<std::size_t>(e));
  for (std::int64_t g = 0; g < batch.num_graphs(); ++g) {
    const std::int64_t shift = batch.node_offsets[static_cast<std::size_t>(g)];
    for (std::int64_t k = batch.edge_offsets[static_cast<std::size_t>(g)];
         k < batch.edge_offsets[static_cast<std::size_t>(g) + 1]; ++k) {
      in.edges.src[static_cast<std::size_t>(k)] = batch.edge_index[static_cast<std::size_t>(2 * k)] + shift;
      in.edges.dst[static_cast<std::size_t>(k)] = batch.edge_index[static_cast<std::size_t>(2 * k + 1)] + shift;
    }
  }
  in.node_features = nn::Tensor::from_vector(batch.node_features, {n, batch.node_feature_dim()}, dtype);
  if (batch.edge_feature_dim() > 0)
    in.edge_features = nn::Tensor::from_vector(batch.edge_features, {e, batch.edge_feature_dim()}, dtype);
  in.targets = nn::Tensor::from_vector(batch.targets, {n, batch.target_dim()}, dtype);
  return in;
}

}  // namespace anneal::physics::graph
