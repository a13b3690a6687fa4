#pragma once
// A batch of graphs as a model sees it: one disjoint graph with global node ids (a message never
// crosses graphs), features and targets as tensors. Built from the ragged HDF5 batch of
// io/graph_batch.hpp, whose edge ids are local to each graph.
#include <cstdint>
#include <vector>

#include "io/graph_batch.hpp"
#include "nn/message_passing.hpp"
#include "nn/tensor.hpp"

namespace anneal::physics::graph {

struct GraphInput {
  nn::EdgeIndex edges;                     // global ids, src -> dst
  nn::Tensor node_features;                // [N, F]
  nn::Tensor edge_features;                // [E, F'], undefined when F' = 0
  nn::Tensor targets;                      // [N, T] (node-level targets)
  std::vector<std::int64_t> node_offsets;  // [G+1]: graph g owns rows [node_offsets[g], node_offsets[g+1])
  std::int64_t nodes() const { return node_offsets.back(); }
};

// Node-level targets only; a graph-level batch is rejected with a clear error.
GraphInput make_graph_input(const io::GraphBatch& batch, nn::DType dtype);

}  // namespace anneal::physics::graph
