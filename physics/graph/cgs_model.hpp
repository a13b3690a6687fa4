#pragma once
// Convergent graph solver (Park, Choo & Park, "Convergent graph solvers", ICLR 2022). An encoder
// GNN reads the graph and writes, per head h, a contracting linear map with the graph's sparsity,
//   x_h ↦ γ A_h(G) x_h + b_h(G),
// whose unique fixed points x*_h (Banach) are found by the sparse solver of
// solvers/implicit/linear_fixed_point.hpp and differentiated implicitly; a decoder reads the fixed
// points and predicts the node targets.
//
// Encoder: node MLP, then `layers` residual message-passing rounds with edge features.
// A_h: from [h_src, h_dst, e] by an edge MLP, made contracting by construction (ModelOptions::
// contraction). b_h: from h by a node MLP. Decoder: an MLP of [x*_1..H] alone. Feeding it the
// encoding h as well lets it fit what a few hops see on small training graphs, which does not carry
// to larger ones: on pore networks (train 50–200 nodes, test 200–500, γ = 1) the test MSE was
// 1.8e-2 with [x*, h] and 7.9e-4 with x* alone, at equal validation error on the training sizes.
#include <memory>

#include "nn/message_passing.hpp"
#include "nn/mlp.hpp"
#include "physics/graph/graph_model.hpp"

namespace anneal::physics::graph {

class CgsModel : public GraphModel {
 public:
  CgsModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng);
  nn::Tensor forward(const GraphInput& input) const override;
  SolveDiagnostics diagnostics() const override;

  // The encoder's maps: A [E, H] (contracting by construction) and b [N, H], and the encoding h.
  struct Maps {
    nn::Tensor a, b, h;
  };
  Maps maps(const GraphInput& input) const;

 private:
  ModelOptions options_;
  std::shared_ptr<nn::Mlp> node_encoder_, edge_map_, bias_map_, decoder_;
  std::vector<std::shared_ptr<nn::MessagePassing>> rounds_;
  std::shared_ptr<solvers::LinearFixedPointReport> report_;
};

}  // namespace anneal::physics::graph
