#include "solvers/implicit/gmres.hpp"

#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "core/error.hpp"

namespace anneal::solvers {

GmresStatus gmres(const LinearOperator& apply, std::span<const double> b, std::span<double> x,
                  const GmresOptions& options) {
  ANNEAL_CHECK(b.size() == x.size(), "gmres: right-hand side of {} entries for {} unknowns", b.size(), x.size());
  ANNEAL_CHECK(options.restart >= 1 && options.tolerance > 0, "gmres: restart ≥ 1 and a positive tolerance");
  using Vector = Eigen::VectorXd;
  const auto n = static_cast<Eigen::Index>(b.size());
  const Eigen::Map<const Vector> bv(b.data(), n);
  Eigen::Map<Vector> xv(x.data(), n);
  Vector r(n), w(n);
  auto residual = [&] {
    apply(std::span<const double>(x.data(), x.size()), std::span<double>(w.data(), x.size()));
    r = bv - w;
  };
  GmresStatus status;
  const double b_norm = bv.norm();
  if (b_norm == 0) {
    xv.setZero();
    status.converged = true;
    return status;
  }
  const int m = options.restart;
  Eigen::MatrixXd basis(n, m + 1), hessenberg = Eigen::MatrixXd::Zero(m + 1, m);
  Vector cs(m), sn(m), g(m + 1);
  residual();
  while (true) {
    double beta = r.norm();
    status.residual = beta / b_norm;
    if (status.residual <= options.tolerance || status.iterations >= options.max_iterations) break;
    basis.col(0) = r / beta;
    g.setZero();
    g(0) = beta;
    int k = 0;
    for (; k < m && status.iterations < options.max_iterations; ++k) {
      apply(std::span<const double>(basis.col(k).data(), x.size()), std::span<double>(w.data(), x.size()));
      ++status.iterations;
      for (int i = 0; i <= k; ++i) {  // modified Gram–Schmidt
        hessenberg(i, k) = basis.col(i).dot(w);
        w -= hessenberg(i, k) * basis.col(i);
      }
      hessenberg(k + 1, k) = w.norm();
      if (hessenberg(k + 1, k) > 0) basis.col(k + 1) = w / hessenberg(k + 1, k);
      for (int i = 0; i < k; ++i) {  // earlier rotations on the new column
        const double t = cs(i) * hessenberg(i, k) + sn(i) * hessenberg(i + 1, k);
        hessenberg(i + 1, k) = -sn(i) * hessenberg(i, k) + cs(i) * hessenberg(i + 1, k);
        hessenberg(i, k) = t;
      }
      const double h = std::hypot(hessenberg(k, k), hessenberg(k + 1, k));
      cs(k) = h == 0 ? 1 : hessenberg(k, k) / h;
      sn(k) = h == 0 ? 0 : hessenberg(k + 1, k) / h;
      hessenberg(k, k) = h;
      hessenberg(k + 1, k) = 0;
      g(k + 1) = -sn(k) * g(k);
      g(k) = cs(k) * g(k);
      if (std::abs(g(k + 1)) / b_norm <= options.tolerance || hessenberg(k, k) == 0) {
        ++k;
        break;
      }
    }
    // x += V y with H y = g on the k columns built.
    const Vector y = hessenberg.topLeftCorner(k, k).triangularView<Eigen::Upper>().solve(g.head(k));
    xv += basis.leftCols(k) * y;
    residual();  // the true residual, not the recurrence's estimate
  }
  status.converged = status.residual <= options.tolerance;
  return status;
}

}  // namespace anneal::solvers
