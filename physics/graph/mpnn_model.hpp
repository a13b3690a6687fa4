#pragma once
// The explicit baseline: node MLP, `layers` residual message-passing rounds with edge features
// (nn/message_passing.hpp), node MLP decoder. Its receptive field is `layers` hops, which is what
// an implicit model's fixed point escapes.
#include <memory>
#include <vector>

#include "nn/message_passing.hpp"
#include "nn/mlp.hpp"
#include "physics/graph/graph_model.hpp"

namespace anneal::physics::graph {

class MpnnModel : public GraphModel {
 public:
  MpnnModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng);
  nn::Tensor forward(const GraphInput& input) const override;

 private:
  std::shared_ptr<nn::Mlp> encoder_, decoder_;
  std::vector<std::shared_ptr<nn::MessagePassing>> rounds_;
};

}  // namespace anneal::physics::graph
