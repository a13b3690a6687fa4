#include "solvers/krylov/conjugate_directions.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <deque>

#include "core/error.hpp"

namespace anneal::solvers {
namespace {

double dot(std::span<const double> a, std::span<const double> b) {
  // Serial and in index order, so a solve is reproducible bit for bit whatever the thread count;
  // the proposer (a CNN) costs orders of magnitude more than these sums.
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

void axpy(double alpha, std::span<const double> x, std::span<double> y) {
  for (std::size_t i = 0; i < x.size(); ++i) y[i] += alpha * x[i];
}

// One kept direction: p and A p, with p·Ap cached.
struct Direction {
  std::vector<double> p, ap;
  double p_ap = 0;
};

}  // namespace

void multiply(const CsrMatrix& a, std::span<const double> x, std::span<double> y) {
  ANNEAL_CHECK(static_cast<long>(x.size()) == a.rows && static_cast<long>(y.size()) == a.rows,
               "sparse product: vector length does not match the matrix ({} rows)", a.rows);
  tbb::parallel_for(tbb::blocked_range<long>(0, a.rows, 4096), [&](const tbb::blocked_range<long>& range) {
    for (long row = range.begin(); row < range.end(); ++row) {
      double s = 0;
      const auto r = static_cast<std::size_t>(row);
      for (auto e = a.indptr[r]; e < a.indptr[r + 1]; ++e)
        s += a.data[static_cast<std::size_t>(e)] * x[static_cast<std::size_t>(a.indices[static_cast<std::size_t>(e)])];
      y[r] = s;
    }
  });
}

ConjugateDirectionReport solve_conjugate_directions(const CsrMatrix& a, std::span<const double> b, std::span<double> x,
                                                    const DirectionProposer& propose,
                                                    const ConjugateDirectionSettings& settings) {
  const auto n = static_cast<std::size_t>(a.rows);
  ANNEAL_CHECK(b.size() == n && x.size() == n, "conjugate directions: b and x need {} entries", n);
  ANNEAL_CHECK(settings.orthogonalize_against >= 1, "conjugate directions: keep at least one previous direction");
  ANNEAL_CHECK(settings.max_iterations >= 0 && settings.rtol >= 0 && settings.atol >= 0,
               "conjugate directions: tolerances and the iteration limit must be non-negative");

  ConjugateDirectionReport report;
  std::vector<double> r(n), q(n), scaled(n);
  multiply(a, x, r);
  for (std::size_t i = 0; i < n; ++i) r[i] = b[i] - r[i];
  const double b_norm = std::sqrt(dot(b, b));
  const double scale = b_norm > 0 ? b_norm : 1.0;  // b = 0: report absolute residuals
  double r_norm = std::sqrt(dot(r, r));

  auto record = [&](int k) {
    report.relative_residual.push_back(r_norm / scale);
    if (settings.monitor) settings.monitor(k, r_norm / scale);
  };
  auto converged = [&] {
    if (r_norm <= settings.rtol * b_norm) return report.reason = "CONVERGED_RTOL", true;
    if (r_norm <= settings.atol) return report.reason = "CONVERGED_ATOL", true;
    return false;
  };

  std::deque<Direction> kept;
  record(0);
  int k = 0;
  while (true) {
    if (!std::isfinite(r_norm)) {
      report.reason = "DIVERGED_NANORINF";
      break;
    }
    if (converged()) {
      report.converged = true;
      break;
    }
    if (k >= settings.max_iterations) {
      report.reason = "DIVERGED_ITS";
      break;
    }
    for (std::size_t i = 0; i < n; ++i) scaled[i] = r[i] / r_norm;
    propose(scaled, q);

    // A-orthogonalise against the kept directions (classical Gram–Schmidt in the A inner product,
    // as FCG does: every coefficient uses the proposal q itself).
    Direction d;
    d.p = q;
    for (const Direction& old : kept) axpy(-dot(q, old.ap) / old.p_ap, old.p, d.p);
    d.ap.resize(n);
    multiply(a, d.p, d.ap);
    d.p_ap = dot(d.p, d.ap);
    if (!(d.p_ap > 0) || !std::isfinite(d.p_ap)) {
      report.reason = std::isfinite(d.p_ap) ? "DIVERGED_BREAKDOWN" : "DIVERGED_NANORINF";
      break;
    }
    const double alpha = dot(d.p, r) / d.p_ap;  // exact line search along p
    axpy(alpha, d.p, x);
    axpy(-alpha, d.ap, r);
    r_norm = std::sqrt(dot(r, r));
    kept.push_back(std::move(d));
    if (static_cast<int>(kept.size()) > settings.orthogonalize_against) kept.pop_front();
    ++k;
    record(k);
  }
  report.iterations = k;

  multiply(a, x, r);
  for (std::size_t i = 0; i < n; ++i) r[i] = b[i] - r[i];
  report.true_relative_residual = std::sqrt(dot(r, r)) / scale;
  return report;
}

}  // namespace anneal::solvers
