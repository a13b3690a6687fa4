#pragma once
// One round of message passing on a graph (Gilmer et al. 2017, "Neural message passing for quantum
// chemistry"; the edge-conditioned form of Battaglia et al. 2018):
//   m_ij  = φ_e([h_i, h_j, e_ij])            for each edge i -> j (i = src, j = dst)
//   a_j   = ⊕_{i : i -> j} m_ij              sum, mean or max over the incoming edges of j
//   h_j'  = φ_h([h_j, a_j])   (+ h_j with a residual connection)
// φ_e and φ_h are MLPs (nn/mlp.hpp): no activation after their last layer, so messages are signed
// (which max aggregation needs to be more than a ReLU). A node without incoming edges aggregates
// the zero message (nn/ops_index.hpp).
//
// A batch of graphs is one disjoint graph: node ids are global (shifted by node_offsets, §4), so a
// message never crosses graphs. Edge features are optional; for periodic crystals they carry what
// the node features cannot, e.g. the image displacement vector and its length of each edge.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/activation.hpp"
#include "nn/mlp.hpp"
#include "nn/module.hpp"
#include "nn/ops_index.hpp"

namespace anneal::nn {

enum class Aggregation { sum, mean, max };
Aggregation parse_aggregation(std::string_view name);  // "sum", "mean" or "max"
std::string to_string(Aggregation aggregation);

// Directed edges: edge e carries a message from node src[e] to node dst[e]. An undirected bond is
// two edges.
struct EdgeIndex {
  Index src, dst;

  std::int64_t size() const { return static_cast<std::int64_t>(src.size()); }
  // From the HDF5 layout edge_index [E][2] (§4), row-major: pairs = {src0, dst0, src1, dst1, ...}.
  static EdgeIndex from_pairs(std::span<const std::int64_t> pairs);
};

struct MessagePassingSizes {
  std::int64_t node_in = 0;               // F: features per node in
  std::int64_t edge_in = 0;               // F_e: features per edge; 0 = the layer takes no edge features
  std::int64_t message = 0;               // width of m_ij
  std::int64_t node_out = 0;              // F_out
  std::vector<std::int64_t> hidden = {};  // hidden widths of both φ_e and φ_h (empty: each is one Linear)
};

class MessagePassing : public Module {
 public:
  // residual = true adds h to φ_h's output and needs node_out == node_in.
  MessagePassing(const MessagePassingSizes& sizes, Aggregation aggregation, Activation activation, RandomStream& rng,
                 DType dtype = DType::f32, bool residual = false);

  // h [N, F], edges with ids in [0, N), edge_features [E, F_e] (undefined iff edge_in == 0)
  // -> [N, F_out].
  Tensor forward(const Tensor& h, const EdgeIndex& edges, const Tensor& edge_features = Tensor()) const;

  const MessagePassingSizes& sizes() const { return sizes_; }
  Aggregation aggregation() const { return aggregation_; }
  bool residual() const { return residual_; }
  const Mlp& edge_mlp() const { return *edge_mlp_; }
  const Mlp& node_mlp() const { return *node_mlp_; }

 private:
  MessagePassingSizes sizes_;
  Aggregation aggregation_;
  bool residual_;
  std::shared_ptr<Mlp> edge_mlp_, node_mlp_;
};

}  // namespace anneal::nn
