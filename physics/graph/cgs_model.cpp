#include "physics/graph/cgs_model.hpp"

#include "core/error.hpp"
#include "nn/ops.hpp"
#include "nn/ops_index.hpp"

namespace anneal::physics::graph {

namespace {
constexpr double kGateMargin = 1e-6;  // δ
}  // namespace

CgsModel::CgsModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng)
    : options_(options), report_(std::make_shared<solvers::LinearFixedPointReport>()) {
  ANNEAL_CHECK(options.heads >= 1 && options.hidden >= 1, "cgs: heads and hidden must be at least 1");
  ANNEAL_CHECK(options.gamma > 0 && options.gamma <= 1, "cgs: γ must lie in (0, 1], got {}", options.gamma);
  const std::int64_t w = options.hidden, heads = options.heads;
  const auto act = options.activation;
  node_encoder_ = register_module(
      "node_encoder",
      std::make_shared<nn::Mlp>(std::vector<std::int64_t>{sizes.node_in, w, w}, act, rng, options.dtype));
  for (std::int64_t r = 0; r < options.layers; ++r) {
    nn::MessagePassingSizes mp{.node_in = w, .edge_in = sizes.edge_in, .message = w, .node_out = w, .hidden = {w}};
    rounds_.push_back(register_module(
        "rounds." + std::to_string(r),
        std::make_shared<nn::MessagePassing>(mp, nn::Aggregation::sum, act, rng, options.dtype, /*residual=*/true)));
  }
  edge_map_ = register_module(
      "edge_map", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{2 * w + sizes.edge_in, w, 2 * heads}, act, rng,
                                            options.dtype));
  bias_map_ = register_module(
      "bias_map", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{w, w, heads}, act, rng, options.dtype));
  decoder_ = register_module("decoder", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{heads, w, sizes.target},
                                                                  act, rng, options.dtype));
}

CgsModel::Maps CgsModel::maps(const GraphInput& input) const {
  const std::int64_t n = input.nodes(), heads = options_.heads;
  nn::Tensor h = node_encoder_->forward(input.node_features);
  for (const auto& round : rounds_) h = round->forward(h, input.edges, input.edge_features);
  std::vector<nn::Tensor> edge_in{nn::index_select(h, 0, input.edges.src), nn::index_select(h, 0, input.edges.dst)};
  if (input.edge_features.defined()) edge_in.push_back(input.edge_features);
  const nn::Tensor logits = edge_map_->forward(nn::concat(edge_in, 1));
  const nn::Tensor a = nn::slice(logits, 1, 0, heads), c = nn::slice(logits, 1, heads, 2 * heads);
  nn::Tensor weights;
  if (options_.contraction == Contraction::softmax) {
    // Each row of A is a softmax (sums to 1) scaled edge by edge by a gate (1 − δ) tanh(c) ∈ (−1, 1), so
    // ‖A‖_∞ ≤ 1 − δ < 1 for any parameters, in floating point too (tanh rounds to ±1 once |c| > 19;
    // the factor keeps the bound strict), and γ = 1 still contracts. δ = 1e-6 lets a gate come as
    // close to 1 as the steady states of conservation laws need (a weighted average, x_i = Σ A_ij x_j).
    const nn::Tensor gate = nn::mul(nn::tanh(c), 1.0 - kGateMargin);
    weights = nn::mul(gate, nn::segment_softmax(a, input.edges.dst, n));
  } else {
    // clip(a, 0, 1) = relu(a) − relu(a − 1), divided by the row's edge count: ‖A‖_∞ ≤ 1.
    const nn::Tensor clipped = nn::sub(nn::relu(a), nn::relu(nn::add(a, -1.0)));
    std::vector<double> count(static_cast<std::size_t>(n), 0.0);
    for (std::int64_t d : input.edges.dst) count[static_cast<std::size_t>(d)] += 1;
    std::vector<double> inverse(input.edges.dst.size());
    for (std::size_t e = 0; e < inverse.size(); ++e)
      inverse[e] = 1.0 / count[static_cast<std::size_t>(input.edges.dst[e])];
    weights = nn::mul(clipped, nn::Tensor::from_vector(inverse, {input.edges.size(), 1}, options_.dtype));
  }
  return {weights, bias_map_->forward(h), h};
}

nn::Tensor CgsModel::forward(const GraphInput& input) const {
  const Maps m = maps(input);
  const nn::Tensor x = solvers::linear_fixed_point(input.edges, m.a, m.b, options_.gamma, options_.solver, report_);
  return decoder_->forward(x);
}

SolveDiagnostics CgsModel::diagnostics() const {
  SolveDiagnostics d{report_->forward_iterations, report_->adjoint_iterations, report_->forward_residual,
                     report_->adjoint_residual, report_->forward_converged && report_->adjoint_converged};
  d.amplification = report_->amplification;
  return d;
}

}  // namespace anneal::physics::graph
