#include "nn/message_passing.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {

Aggregation parse_aggregation(std::string_view name) {
  if (name == "sum") return Aggregation::sum;
  if (name == "mean") return Aggregation::mean;
  if (name == "max") return Aggregation::max;
  ANNEAL_THROW("unknown aggregation '{}' (expected sum, mean or max)", name);
}

std::string to_string(Aggregation aggregation) {
  switch (aggregation) {
    case Aggregation::sum:
      return "sum";
    case Aggregation::mean:
      return "mean";
    case Aggregation::max:
      return "max";
  }
  return "?";
}

EdgeIndex EdgeIndex::from_pairs(std::span<const std::int64_t> pairs) {
  ANNEAL_CHECK(pairs.size() % 2 == 0, "edge_index: {} values do not form [E][2] pairs", pairs.size());
  EdgeIndex edges;
  edges.src.reserve(pairs.size() / 2);
  edges.dst.reserve(pairs.size() / 2);
  for (std::size_t i = 0; i < pairs.size(); i += 2) {
    edges.src.push_back(pairs[i]);
    edges.dst.push_back(pairs[i + 1]);
  }
  return edges;
}

namespace {
std::vector<std::int64_t> mlp_sizes(std::int64_t in, const std::vector<std::int64_t>& hidden, std::int64_t out) {
  std::vector<std::int64_t> sizes{in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(out);
  return sizes;
}
}  // namespace

MessagePassing::MessagePassing(const MessagePassingSizes& sizes, Aggregation aggregation, Activation activation,
                               RandomStream& rng, DType dtype, bool residual)
    : sizes_(sizes), aggregation_(aggregation), residual_(residual) {
  ANNEAL_CHECK(sizes.node_in > 0 && sizes.message > 0 && sizes.node_out > 0 && sizes.edge_in >= 0,
               "MessagePassing: sizes node_in {}, edge_in {}, message {}, node_out {} must be positive (edge_in >= 0)",
               sizes.node_in, sizes.edge_in, sizes.message, sizes.node_out);
  ANNEAL_CHECK(!residual || sizes.node_in == sizes.node_out,
               "MessagePassing: a residual connection needs node_out == node_in, got {} and {}", sizes.node_out,
               sizes.node_in);
  edge_mlp_ = register_module(
      "edge_mlp", std::make_shared<Mlp>(mlp_sizes(2 * sizes.node_in + sizes.edge_in, sizes.hidden, sizes.message),
                                        activation, rng, dtype));
  node_mlp_ = register_module(
      "node_mlp", std::make_shared<Mlp>(mlp_sizes(sizes.node_in + sizes.message, sizes.hidden, sizes.node_out),
                                        activation, rng, dtype));
}

Tensor MessagePassing::forward(const Tensor& h, const EdgeIndex& edges, const Tensor& edge_features) const {
  ANNEAL_CHECK(h.defined() && h.dim() == 2 && h.size(1) == sizes_.node_in,
               "MessagePassing: node features of shape {}, expected [N, {}]",
               h.defined() ? to_string(h.shape()) : "(undefined)", sizes_.node_in);
  ANNEAL_CHECK(edges.src.size() == edges.dst.size(), "MessagePassing: edge index with {} sources but {} destinations",
               edges.src.size(), edges.dst.size());
  const std::int64_t n = h.size(0), e = edges.size();
  std::vector<Tensor> edge_input{index_select(h, 0, edges.src), index_select(h, 0, edges.dst)};
  if (sizes_.edge_in > 0) {
    ANNEAL_CHECK(edge_features.defined() && edge_features.dim() == 2 && edge_features.size(0) == e &&
                     edge_features.size(1) == sizes_.edge_in,
                 "MessagePassing: edge features of shape {}, expected [{}, {}] ([E, F_e])",
                 edge_features.defined() ? to_string(edge_features.shape()) : "(none)", e, sizes_.edge_in);
    edge_input.push_back(edge_features);
  } else {
    ANNEAL_CHECK(!edge_features.defined(),
                 "MessagePassing: edge features of shape {} given to a layer built "
                 "with edge_in = 0",
                 to_string(edge_features.shape()));
  }
  const Tensor messages = edge_mlp_->forward(concat(edge_input, 1));  // [E, message]
  Tensor aggregated;
  switch (aggregation_) {
    case Aggregation::sum:
      aggregated = segment_sum(messages, edges.dst, n);
      break;
    case Aggregation::mean:
      aggregated = segment_mean(messages, edges.dst, n);
      break;
    case Aggregation::max:
      aggregated = segment_max(messages, edges.dst, n);
      break;
  }
  const Tensor out = node_mlp_->forward(concat({h, aggregated}, 1));
  return residual_ ? add(h, out) : out;
}

}  // namespace anneal::nn
