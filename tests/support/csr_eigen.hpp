#pragma once
// CSR matrices as Eigen matrices, for the dense and direct-solver references of the Poisson tests.
#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <vector>

#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::test {

inline Eigen::MatrixXd to_dense(const solvers::CsrMatrix& m) {
  Eigen::MatrixXd d = Eigen::MatrixXd::Zero(m.rows, m.rows);
  for (long r = 0; r < m.rows; ++r)
    for (auto e = m.indptr[static_cast<std::size_t>(r)]; e < m.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      d(r, m.indices[static_cast<std::size_t>(e)]) += m.data[static_cast<std::size_t>(e)];
  return d;
}

inline Eigen::SparseMatrix<double> to_sparse(const solvers::CsrMatrix& m) {
  std::vector<Eigen::Triplet<double>> t;
  for (long r = 0; r < m.rows; ++r)
    for (auto e = m.indptr[static_cast<std::size_t>(r)]; e < m.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      t.emplace_back(r, m.indices[static_cast<std::size_t>(e)], m.data[static_cast<std::size_t>(e)]);
  Eigen::SparseMatrix<double> s(m.rows, m.rows);
  s.setFromTriplets(t.begin(), t.end());
  return s;
}

inline std::vector<double> multiply(const solvers::CsrMatrix& m, const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(m.rows), 0.0);
  for (std::size_t r = 0; r < y.size(); ++r)
    for (auto e = m.indptr[r]; e < m.indptr[r + 1]; ++e)
      y[r] += m.data[static_cast<std::size_t>(e)] * x[static_cast<std::size_t>(m.indices[static_cast<std::size_t>(e)])];
  return y;
}

}  // namespace anneal::test
