#include "physics/graph/spd_solve.hpp"

#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include "core/error.hpp"

namespace anneal::physics::graph {
namespace {
using SparseMatrix = Eigen::SparseMatrix<double, Eigen::ColMajor, int>;

Eigen::VectorXd factorised(const SparseMatrix& A, const Eigen::VectorXd& b, const char* what) {
  Eigen::SimplicialLDLT<SparseMatrix> ldlt(A);
  ANNEAL_CHECK(ldlt.info() == Eigen::Success, "{}: the sparse LDLT factorisation failed (singular matrix?)", what);
  ANNEAL_CHECK(ldlt.vectorD().minCoeff() > 0, "{}: the system matrix is not positive definite", what);
  return ldlt.solve(b);
}
}  // namespace

SpdSolution solve_spd(std::int64_t n, std::span<const MatrixEntry> entries, std::span<const double> rhs,
                      const char* what) {
  ANNEAL_CHECK(static_cast<std::int64_t>(rhs.size()) == n, "{}: {} right-hand-side values for {} unknowns", what,
               rhs.size(), n);
  SpdSolution out;
  if (n == 0) return out;
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(entries.size());
  for (const MatrixEntry& e : entries) triplets.emplace_back(static_cast<int>(e.row), static_cast<int>(e.col), e.value);
  SparseMatrix A(n, n);
  A.setFromTriplets(triplets.begin(), triplets.end());
  const Eigen::Map<const Eigen::VectorXd> b(rhs.data(), n);

  Eigen::VectorXd x;
  bool solved = false;
  if (n > kDirectSolveLimit) {
    Eigen::ConjugateGradient<SparseMatrix, Eigen::Lower | Eigen::Upper, Eigen::IncompleteCholesky<double>> cg;
    cg.setTolerance(1e-13);
    cg.setMaxIterations(10 * n);
    cg.compute(A);
    if (cg.info() == Eigen::Success) {
      x = cg.solve(b);
      out.iterations = cg.iterations();
      solved = cg.info() == Eigen::Success;
      out.iterative = solved;
    }
  }
  if (!solved) x = factorised(A, b, what);

  const double b_norm = b.norm();
  const double r_norm = (A * x - b).norm();
  out.relative_residual = b_norm > 0 ? r_norm / b_norm : r_norm;
  out.x.assign(x.data(), x.data() + n);
  return out;
}

}  // namespace anneal::physics::graph
