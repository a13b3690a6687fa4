#pragma once
// The implicit baseline, after IGNN (Gu, Chang, Zhu, Sojoudi & El Ghaoui, "Implicit graph neural
// networks", NeurIPS 2020): node states are the fixed point of one nonlinear layer,
//   X = relu(Â X Wᵀ + B(U)),
// Â the mean over a node's incoming edges (row-stochastic, so its Perron–Frobenius eigenvalue is at
// most 1) and B an MLP of the node features and the mean of the incoming edge features. Well-posed
// because W is kept inside ‖W‖_∞ ≤ κ < 1 (each row rescaled onto the ℓ₁ ball of radius κ when it
// leaves it), which makes the map a κ-contraction in the max norm. Solved and differentiated by the
// generic custom_fixed_point of solvers/implicit/implicit_function.hpp — the tape-based adjoint, where
// CGS uses its hand-written sparse one. Decoder: an MLP of X*.
#include <memory>

#include "nn/mlp.hpp"
#include "physics/graph/graph_model.hpp"
#include "solvers/implicit/implicit_function.hpp"

namespace anneal::physics::graph {

class IgnnModel : public GraphModel {
 public:
  IgnnModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng);
  nn::Tensor forward(const GraphInput& input) const override;
  SolveDiagnostics diagnostics() const override;
  // W with every row inside the ℓ₁ ball of radius κ.
  nn::Tensor contracted_weight() const;

 private:
  ModelOptions options_;
  std::int64_t edge_in_ = 0;
  nn::Tensor weight_;
  std::shared_ptr<nn::Mlp> injection_, decoder_;
  std::shared_ptr<solvers::ImplicitReport> report_;
};

}  // namespace anneal::physics::graph
