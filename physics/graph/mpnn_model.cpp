#include "physics/graph/mpnn_model.hpp"

#include "core/error.hpp"

namespace anneal::physics::graph {

MpnnModel::MpnnModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng) {
  ANNEAL_CHECK(options.layers >= 1 && options.hidden >= 1, "mpnn: layers and hidden must be at least 1");
  const std::int64_t w = options.hidden;
  encoder_ = register_module("encoder", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{sizes.node_in, w, w},
                                                                  options.activation, rng, options.dtype));
  for (std::int64_t r = 0; r < options.layers; ++r) {
    nn::MessagePassingSizes mp{.node_in = w, .edge_in = sizes.edge_in, .message = w, .node_out = w, .hidden = {w}};
    rounds_.push_back(register_module("rounds." + std::to_string(r),
                                      std::make_shared<nn::MessagePassing>(mp, nn::Aggregation::sum, options.activation,
                                                                           rng, options.dtype, /*residual=*/true)));
  }
  decoder_ = register_module("decoder", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{w, w, sizes.target},
                                                                  options.activation, rng, options.dtype));
}

nn::Tensor MpnnModel::forward(const GraphInput& input) const {
  nn::Tensor h = encoder_->forward(input.node_features);
  for (const auto& round : rounds_) h = round->forward(h, input.edges, input.edge_features);
  return decoder_->forward(h);
}

}  // namespace anneal::physics::graph
