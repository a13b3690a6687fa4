#include "solvers/implicit/linear_fixed_point.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <Eigen/Sparse>
#include <tbb/parallel_for.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "nn/autograd.hpp"

namespace anneal::solvers {

LinearSolveMethod parse_linear_solve_method(std::string_view name) {
  if (name == "picard") return LinearSolveMethod::picard;
  if (name == "anderson") return LinearSolveMethod::anderson;
  if (name == "direct") return LinearSolveMethod::direct;
  if (name == "auto") return LinearSolveMethod::automatic;
  ANNEAL_CHECK(false, "unknown linear solve method '{}' (use picard, anderson, direct or auto)", name);
  return LinearSolveMethod::picard;
}

std::string to_string(LinearSolveMethod method) {
  switch (method) {
    case LinearSolveMethod::picard: return "picard";
    case LinearSolveMethod::anderson: return "anderson";
    case LinearSolveMethod::direct: return "direct";
    case LinearSolveMethod::automatic: return "auto";
  }
  return "?";
}

namespace {

// The matrix pattern as compressed rows: row i holds the edges whose `row_of` is i, in edge order
// (so sums run in a fixed order and results do not depend on the thread count).
struct CompressedRows {
  std::vector<std::int64_t> start;  // [N+1]
  std::vector<std::int64_t> edge;   // edge ids grouped by row
  const nn::Index* column = nullptr;

  CompressedRows(const nn::Index& row_of, const nn::Index& column_of, std::int64_t rows) : column(&column_of) {
    start.assign(static_cast<std::size_t>(rows) + 1, 0);
    for (std::int64_t r : row_of) ++start[static_cast<std::size_t>(r) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    edge.resize(row_of.size());
    std::vector<std::int64_t> fill(start.begin(), start.end() - 1);
    for (std::size_t e = 0; e < row_of.size(); ++e) edge[static_cast<std::size_t>(fill[row_of[e]]++)] = static_cast<std::int64_t>(e);
  }
};

// out = γ A x + b for one head, A's entries w[e] at (row(e), column(e)).
void apply_map(const CompressedRows& rows, const std::vector<double>& w, double gamma, std::span<const double> b,
               std::span<const double> x, std::span<double> out) {
  const auto n = static_cast<std::int64_t>(rows.start.size()) - 1;
  const nn::Index& column = *rows.column;
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, 2048), [&](const tbb::blocked_range<std::int64_t>& r) {
    for (std::int64_t i = r.begin(); i < r.end(); ++i) {
      double s = 0;
      for (std::int64_t k = rows.start[i]; k < rows.start[i + 1]; ++k) {
        const std::int64_t e = rows.edge[static_cast<std::size_t>(k)];
        s += w[static_cast<std::size_t>(e)] * x[static_cast<std::size_t>(column[e])];
      }
      out[static_cast<std::size_t>(i)] = gamma * s + b[static_cast<std::size_t>(i)];
    }
  });
}

struct HeadSolve {
  FixedPointStatus status;
  double residual = 0;
  double amplification = 0;  // max|x| / max|b|
};

// Solves x = γ A x + b (A given by `rows`) with `method`; x holds the initial guess on entry.
HeadSolve solve_head(const CompressedRows& rows, const std::vector<double>& w, double gamma,
                     const std::vector<double>& b, std::vector<double>& x, LinearSolveMethod method,
                     const FixedPointOptions& iteration) {
  const auto n = static_cast<std::int64_t>(b.size());
  if (method == LinearSolveMethod::automatic)
    method = n <= kAutomaticDirectLimit ? LinearSolveMethod::direct : LinearSolveMethod::anderson;
  HeadSolve result;
  if (method == LinearSolveMethod::direct) {
    std::vector<Eigen::Triplet<double>> entries;
    entries.reserve(rows.edge.size() + static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      entries.emplace_back(i, i, 1.0);
      for (std::int64_t k = rows.start[i]; k < rows.start[i + 1]; ++k) {
        const std::int64_t e = rows.edge[static_cast<std::size_t>(k)];
        entries.emplace_back(i, (*rows.column)[e], -gamma * w[static_cast<std::size_t>(e)]);
      }
    }
    Eigen::SparseMatrix<double> m(n, n);
    m.setFromTriplets(entries.begin(), entries.end());  // repeated edges add
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(m);
    ANNEAL_CHECK(lu.info() == Eigen::Success, "linear fixed point: I − γA is singular ({}); use γ < 1 with a "
                 "contracting A", lu.lastErrorMessage());
    Eigen::Map<const Eigen::VectorXd> bv(b.data(), n);
    Eigen::Map<Eigen::VectorXd>(x.data(), n) = lu.solve(bv);
    result.status.iterations = 1;
    result.status.converged = true;
  } else {
    FixedPointOptions options = iteration;
    options.method = method == LinearSolveMethod::picard ? FixedPointMethod::picard : FixedPointMethod::anderson;
    auto map = [&](std::span<const double> in, std::span<double> out) { apply_map(rows, w, gamma, b, in, out); };
    result.status = iterate_fixed_point(map, x, options);
  }
  // The residual of the equation itself, whatever the method.
  std::vector<double> ax(b.size());
  apply_map(rows, w, gamma, b, x, ax);
  double r2 = 0, x2 = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    r2 += (x[i] - ax[i]) * (x[i] - ax[i]);
    x2 += x[i] * x[i];
  }
  result.residual = std::sqrt(r2) / std::max(std::sqrt(x2), iteration.absolute_floor);
  double x_max = 0, b_max = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    x_max = std::max(x_max, std::abs(x[i]));
    b_max = std::max(b_max, std::abs(b[i]));
  }
  result.amplification = b_max > 0 ? x_max / b_max : 0.0;
  // An iteration judged itself on its last step; a direct solve is judged on this residual.
  if (method == LinearSolveMethod::direct) result.status.converged = result.residual <= std::max(iteration.tolerance, 1e-10);
  return result;
}

std::vector<double> column_of(const std::vector<double>& data, std::int64_t rows, std::int64_t cols, std::int64_t c) {
  std::vector<double> out(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) out[static_cast<std::size_t>(i)] = data[static_cast<std::size_t>(i * cols + c)];
  return out;
}

// Every head's solution ([N, H], row-major) and the worst status over the heads.
struct HeadsSolved {
  std::vector<double> solution;
  std::int64_t iterations = 0;
  double residual = 0, amplification = 0;
  bool converged = true;
};

// Solves every head (in parallel).
HeadsSolved solve_heads(const CompressedRows& rows, const std::vector<double>& weights, const std::vector<double>& rhs,
                        std::int64_t n, std::int64_t e, std::int64_t heads, double gamma, LinearSolveMethod method,
                        const FixedPointOptions& iteration) {
  HeadsSolved out;
  out.solution.resize(static_cast<std::size_t>(n * heads));
  std::vector<HeadSolve> solves(static_cast<std::size_t>(heads));
  tbb::parallel_for(std::int64_t{0}, heads, [&](std::int64_t h) {
    const std::vector<double> w = column_of(weights, e, heads, h);
    const std::vector<double> b = column_of(rhs, n, heads, h);
    std::vector<double> x = b;  // x₀ = b: the first Picard step from 0
    solves[static_cast<std::size_t>(h)] = solve_head(rows, w, gamma, b, x, method, iteration);
    for (std::int64_t i = 0; i < n; ++i) out.solution[static_cast<std::size_t>(i * heads + h)] = x[static_cast<std::size_t>(i)];
  });
  for (const HeadSolve& s : solves) {
    out.iterations = std::max(out.iterations, s.status.iterations);
    out.residual = std::max(out.residual, s.residual);
    out.amplification = std::max(out.amplification, s.amplification);
    out.converged = out.converged && s.status.converged;
  }
  return out;
}

}  // namespace

double max_row_abs_sum(const nn::EdgeIndex& edges, const nn::Tensor& weights, std::int64_t nodes) {
  const std::int64_t heads = weights.size(1);
  const std::vector<double> w = weights.to_vector();
  std::vector<double> sums(static_cast<std::size_t>(nodes * heads), 0.0);
  for (std::int64_t e = 0; e < edges.size(); ++e)
    for (std::int64_t h = 0; h < heads; ++h)
      sums[static_cast<std::size_t>(edges.dst[e] * heads + h)] += std::abs(w[static_cast<std::size_t>(e * heads + h)]);
  return sums.empty() ? 0.0 : *std::max_element(sums.begin(), sums.end());
}

nn::Tensor linear_fixed_point(const nn::EdgeIndex& edges, const nn::Tensor& weights, const nn::Tensor& bias,
                              double gamma, const LinearFixedPointOptions& options,
                              std::shared_ptr<LinearFixedPointReport> report) {
  ANNEAL_CHECK(bias.dim() == 2 && weights.dim() == 2, "linear fixed point: weights [E, H] and bias [N, H] expected, "
               "got {} and {}", nn::to_string(weights.shape()), nn::to_string(bias.shape()));
  const std::int64_t n = bias.size(0), heads = bias.size(1), e = edges.size();
  ANNEAL_CHECK(weights.size(0) == e && weights.size(1) == heads, "linear fixed point: weights of shape {} for {} edges "
               "and {} heads", nn::to_string(weights.shape()), e, heads);
  ANNEAL_CHECK(weights.dtype() == bias.dtype(), "linear fixed point: weights and bias of different dtypes");
  ANNEAL_CHECK(gamma > 0 && std::isfinite(gamma), "linear fixed point: γ must be positive, got {}", gamma);
  for (std::int64_t k = 0; k < e; ++k)
    ANNEAL_CHECK(edges.src[k] >= 0 && edges.src[k] < n && edges.dst[k] >= 0 && edges.dst[k] < n,
                 "linear fixed point: edge {} ({} -> {}) leaves the {} nodes", k, edges.src[k], edges.dst[k], n);
  if (!report) report = std::make_shared<LinearFixedPointReport>();

  auto forward_rows = std::make_shared<CompressedRows>(edges.dst, edges.src, n);
  const std::vector<double> w = weights.to_vector();
  HeadsSolved forward = solve_heads(*forward_rows, w, bias.to_vector(), n, e, heads, gamma, options.forward,
                                    options.iteration);
  report->forward_iterations = forward.iterations;
  report->forward_residual = forward.residual;
  report->forward_converged = forward.converged;
  report->amplification = forward.amplification;
  std::vector<double> x = std::move(forward.solution);
  if (!report->forward_converged)
    log::warn("linear fixed point ({}): stopped after {} iterations at relative residual {:.2e}",
              to_string(options.forward), report->forward_iterations, report->forward_residual);
  nn::Tensor out = nn::Tensor::from_vector(x, {n, heads}, bias.dtype());
  if (!(nn::grad_enabled() && (weights.requires_grad() || bias.requires_grad()))) return out;

  auto edges_copy = std::make_shared<nn::EdgeIndex>(edges);
  auto x_star = std::make_shared<std::vector<double>>(std::move(x));
  return nn::record(
      out, {weights, bias},
      [edges_copy, x_star, w, n, e, heads, gamma, options, report, dtype = bias.dtype()](const nn::Tensor& g) {
        // (I − γA)ᵀ λ = g is the fixed point λ = γAᵀλ + g: Aᵀ has rows by src and columns by dst.
        const CompressedRows transposed(edges_copy->src, edges_copy->dst, n);
        const HeadsSolved adjoint =
            solve_heads(transposed, w, g.to_vector(), n, e, heads, gamma, options.adjoint, options.iteration);
        report->adjoint_iterations = adjoint.iterations;
        report->adjoint_residual = adjoint.residual;
        report->adjoint_converged = adjoint.converged;
        const std::vector<double>& lambda = adjoint.solution;
        report->backward_ran = true;
        if (!report->adjoint_converged)
          log::warn("linear fixed point adjoint ({}): stopped after {} iterations at relative residual {:.2e}",
                    to_string(options.adjoint), report->adjoint_iterations, report->adjoint_residual);
        std::vector<double> dw(static_cast<std::size_t>(e * heads));
        const std::vector<double>& xs = *x_star;
        for (std::int64_t k = 0; k < e; ++k) {
          const std::int64_t s = edges_copy->src[k], d = edges_copy->dst[k];
          for (std::int64_t h = 0; h < heads; ++h)
            dw[static_cast<std::size_t>(k * heads + h)] =
                gamma * lambda[static_cast<std::size_t>(d * heads + h)] * xs[static_cast<std::size_t>(s * heads + h)];
        }
        return std::vector<nn::Tensor>{nn::Tensor::from_vector(dw, {e, heads}, dtype),
                                       nn::Tensor::from_vector(lambda, {n, heads}, dtype)};
      },
      "linear_fixed_point");
}

}  // namespace anneal::solvers
