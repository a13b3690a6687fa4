#include "physics/graph/ignn_model.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/ops.hpp"
#include "nn/ops_index.hpp"

namespace anneal::physics::graph {

namespace {
constexpr double kF32Tolerance = 1e-5;
}  // namespace

IgnnModel::IgnnModel(const ModelOptions& options, const ModelSizes& sizes, RandomStream& rng)
    : options_(options), edge_in_(sizes.edge_in), report_(std::make_shared<solvers::ImplicitReport>()) {
  ANNEAL_CHECK(options.kappa > 0 && options.kappa < 1, "ignn: κ must lie in (0, 1), got {}", options.kappa);
  const std::int64_t w = options.hidden;
  const double bound = 1.0 / std::sqrt(static_cast<double>(w));
  weight_ = register_parameter("weight", nn::Tensor::uniform({w, w}, -bound, bound, rng, options.dtype));
  injection_ = register_module("injection",
                               std::make_shared<nn::Mlp>(std::vector<std::int64_t>{sizes.node_in + sizes.edge_in, w, w},
                                                         options.activation, rng, options.dtype));
  decoder_ = register_module("decoder", std::make_shared<nn::Mlp>(std::vector<std::int64_t>{w, w, sizes.target},
                                                                  options.activation, rng, options.dtype));
}

nn::Tensor IgnnModel::contracted_weight() const {
  const nn::Tensor row_l1 = nn::sum(nn::abs(weight_), {1}, /*keepdim=*/true);
  const nn::Tensor kappa = nn::Tensor::full({1, 1}, options_.kappa, options_.dtype);
  return nn::mul(weight_, nn::div(kappa, nn::maximum(row_l1, kappa)));
}

nn::Tensor IgnnModel::forward(const GraphInput& input) const {
  const std::int64_t n = input.nodes();
  nn::Tensor u = input.node_features;
  if (edge_in_ > 0) u = nn::concat({u, nn::segment_mean(input.edge_features, input.edges.dst, n)}, 1);
  const nn::Tensor b = injection_->forward(u);
  const nn::Tensor w = contracted_weight();
  // The backward pass calls the layer again, so it owns its copy of the edges.
  auto edges = std::make_shared<const nn::EdgeIndex>(input.edges);
  auto layer = [edges, n](const nn::Tensor& x, const std::vector<nn::Tensor>& p) {
    const nn::Tensor ax = nn::segment_mean(nn::index_select(x, 0, edges->src), edges->dst, n);
    return nn::relu(nn::add(nn::matmul(ax, nn::transpose(p[0])), p[1]));
  };
  solvers::ImplicitOptions implicit;
  implicit.forward = options_.ignn_iteration;
  // The map runs in the model's dtype: in f32 its rounding (~1e-7 relative) is a floor no iteration
  // gets below, so a tighter tolerance would only run into the iteration cap.
  if (options_.dtype == nn::DType::f32) implicit.forward.tolerance = std::max(implicit.forward.tolerance, kF32Tolerance);
  implicit.adjoint_iteration = implicit.forward;
  const nn::Tensor x =
      solvers::custom_fixed_point(layer, nn::Tensor::zeros(b.shape(), options_.dtype), {w, b}, implicit, report_);
  return decoder_->forward(x);
}

SolveDiagnostics IgnnModel::diagnostics() const {
  return {report_->forward.iterations, report_->adjoint_iterations, report_->forward.residual,
          report_->adjoint_residual, report_->forward.converged && report_->adjoint_converged};
}

}  // namespace anneal::physics::graph
