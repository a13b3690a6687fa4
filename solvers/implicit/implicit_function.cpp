#include "solvers/implicit/implicit_function.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/log.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"

namespace anneal::solvers {
namespace {

std::vector<double> as_doubles(const nn::Tensor& t) { return t.to_vector(); }

nn::Tensor from_doubles(const std::vector<double>& values, const nn::Tensor& like) {
  return nn::Tensor::from_vector(values, like.shape(), like.dtype());
}

// The condition's graph at (x*, θ), rebuilt inside backward on detached copies so that its
// vector-Jacobian products are independent of the outer tape.
struct LocalGraph {
  nn::Tensor x;
  std::vector<nn::Tensor> params;
  std::vector<nn::Tensor> differentiable;  // the params that need gradients
  std::vector<std::size_t> differentiable_index;
  nn::Tensor value;

  LocalGraph(const ImplicitCondition& condition, const nn::Tensor& x_star, const std::vector<nn::Tensor>& outer) {
    nn::EnableGrad recording;
    x = x_star.detach();
    x.set_requires_grad();
    for (std::size_t i = 0; i < outer.size(); ++i) {
      nn::Tensor p = outer[i].defined() ? outer[i].detach() : outer[i];
      if (outer[i].defined() && outer[i].requires_grad()) {
        p.set_requires_grad();
        differentiable.push_back(p);
        differentiable_index.push_back(i);
      }
      params.push_back(p);
    }
    value = condition(x, params);
    ANNEAL_CHECK(value.shape() == x.shape(), "implicit layer: the condition maps x of shape {} to shape {}",
                 nn::to_string(x.shape()), nn::to_string(value.shape()));
  }

  // (∂value/∂x)ᵀ v
  std::vector<double> vjp_x(std::span<const double> v) const {
    const nn::Tensor vt = from_doubles(std::vector<double>(v.begin(), v.end()), x);
    return nn::grad(value, {x}, vt)[0].to_vector();
  }

  // (∂value/∂θ)ᵀ v, scaled, in the layout of the outer params (undefined where none is needed).
  std::vector<nn::Tensor> vjp_params(const std::vector<double>& v, double scale, std::size_t count) const {
    std::vector<nn::Tensor> out(count);
    if (differentiable.empty()) return out;
    const nn::Tensor vt = from_doubles(v, x);
    const std::vector<nn::Tensor> grads = nn::grad(value, differentiable, vt);
    for (std::size_t k = 0; k < grads.size(); ++k) {
      out[differentiable_index[k]] = scale == 1.0 ? grads[k] : nn::mul(grads[k], scale);
    }
    return out;
  }
};

// Records how the adjoint solve went, and warns when it missed its tolerance.
template <class Status>
void record_adjoint(ImplicitReport& report, const Status& s, const char* what) {
  report.adjoint_iterations = s.iterations;
  report.adjoint_residual = s.residual;
  report.adjoint_converged = s.converged;
  report.backward_ran = true;
  if (!s.converged)
    log::warn("{}: the adjoint solve stopped after {} iterations at relative residual {:.2e}; gradients are "
              "approximate",
              what, s.iterations, s.residual);
}

}  // namespace

nn::Tensor custom_fixed_point(const ImplicitCondition& map, const nn::Tensor& x_init,
                              const std::vector<nn::Tensor>& params, const ImplicitOptions& options,
                              std::shared_ptr<ImplicitReport> report) {
  if (!report) report = std::make_shared<ImplicitReport>();
  std::vector<double> x = as_doubles(x_init);
  {
    nn::NoGrad no_record;
    auto apply = [&](std::span<const double> in, std::span<double> out) {
      const nn::Tensor y = map(from_doubles(std::vector<double>(in.begin(), in.end()), x_init), params);
      const std::vector<double> values = y.to_vector();
      std::copy(values.begin(), values.end(), out.begin());
    };
    report->forward = iterate_fixed_point(apply, x, options.forward);
  }
  if (!report->forward.converged)
    log::warn("implicit layer: the fixed-point iteration stopped after {} iterations at relative residual {:.2e}",
              report->forward.iterations, report->forward.residual);
  nn::Tensor x_star = from_doubles(x, x_init);
  return nn::record(
      x_star, params,
      // The closure keeps a detached view of x*: the output itself would own the node that owns the
      // closure, a reference cycle that would keep every batch's graph alive.
      [map, x_saved = x_star.detach(), params, options, report](const nn::Tensor& g) {
        const LocalGraph graph(map, x_saved, params);
        const std::vector<double> rhs = g.to_vector();
        std::vector<double> lambda = rhs;
        if (options.adjoint == AdjointMethod::fixed_point) {
          // λ = g + (∂T/∂x)ᵀ λ
          auto step = [&](std::span<const double> in, std::span<double> out) {
            const std::vector<double> jt = graph.vjp_x(in);
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = rhs[i] + jt[i];
          };
          record_adjoint(*report, iterate_fixed_point(step, lambda, options.adjoint_iteration), "custom_fixed_point");
        } else {
          // (I − ∂T/∂x)ᵀ λ = g
          auto apply = [&](std::span<const double> in, std::span<double> out) {
            const std::vector<double> jt = graph.vjp_x(in);
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = in[i] - jt[i];
          };
          record_adjoint(*report, gmres(apply, rhs, lambda, options.adjoint_gmres), "custom_fixed_point");
        }
        return graph.vjp_params(lambda, 1.0, params.size());
      },
      "custom_fixed_point");
}

nn::Tensor custom_root(const ImplicitCondition& condition, const RootSolver& solver, const nn::Tensor& x_init,
                       const std::vector<nn::Tensor>& params, const ImplicitOptions& options,
                       std::shared_ptr<ImplicitReport> report) {
  if (!report) report = std::make_shared<ImplicitReport>();
  nn::Tensor x_star;
  {
    nn::NoGrad no_record;
    x_star = solver(x_init, params).detach();
  }
  ANNEAL_CHECK(x_star.shape() == x_init.shape(), "custom_root: the solver returned shape {} for x of shape {}",
               nn::to_string(x_star.shape()), nn::to_string(x_init.shape()));
  return nn::record(
      x_star, params,
      [condition, x_saved = x_star.detach(), params, options, report](const nn::Tensor& g) {  // no cycle, as above
        const LocalGraph graph(condition, x_saved, params);
        const std::vector<double> rhs = g.to_vector();
        std::vector<double> mu(rhs.size(), 0.0);
        // (∂F/∂x)ᵀ μ = g
        auto apply = [&](std::span<const double> in, std::span<double> out) {
          const std::vector<double> jt = graph.vjp_x(in);
          std::copy(jt.begin(), jt.end(), out.begin());
        };
        record_adjoint(*report, gmres(apply, rhs, mu, options.adjoint_gmres), "custom_root");
        return graph.vjp_params(mu, -1.0, params.size());
      },
      "custom_root");
}

}  // namespace anneal::solvers
