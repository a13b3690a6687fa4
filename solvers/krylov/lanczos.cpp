#include "solvers/krylov/lanczos.hpp"

#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <new>

#include "core/error.hpp"
#include "solvers/krylov/conjugate_directions.hpp"

namespace anneal::solvers {
namespace {

// Rows per block of the basis kernels. Fixed, not derived from the thread count: each block's
// partial sums are formed by the same Eigen kernel on the same sizes and added in block order, so
// every thread count gives the same bits.
constexpr long kRowBlock = 2048;
// Columns of an f32 basis widened to f64 at a time (a block of 2048 × 64 doubles is 1 MiB).
constexpr int kPanel = 64;

using ConstVectorMap = Eigen::Map<const Eigen::VectorXd>;
using VectorMap = Eigen::Map<Eigen::VectorXd>;

long block_count(long n) { return (n + kRowBlock - 1) / kRowBlock; }

double dot(std::span<const double> x, std::span<const double> y) {
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// The stored entry a(row, col), 0 if absent; binary search when the row's columns are sorted.
double entry(const CsrMatrix& a, std::int64_t row, std::int64_t col) {
  const auto* first = a.indices.data() + a.indptr[static_cast<std::size_t>(row)];
  const auto* last = a.indices.data() + a.indptr[static_cast<std::size_t>(row) + 1];
  const auto* at = std::is_sorted(first, last) ? std::lower_bound(first, last, col) : std::find(first, last, col);
  if (at == last || *at != col) return 0;
  return a.data[static_cast<std::size_t>(at - a.indices.data())];
}

}  // namespace

// Lanczos needs A = Aᵀ: on a nonsymmetric matrix T is not AQ's projection and the Ritz values
// mean nothing, so say so instead.
void check_lanczos_matrix(const CsrMatrix& a) {
  const auto n = static_cast<std::size_t>(a.rows);
  ANNEAL_CHECK(a.rows > 0 && a.indptr.size() == n + 1 && a.indptr.front() == 0 &&
                   a.indptr.back() == static_cast<std::int64_t>(a.indices.size()) && a.data.size() == a.indices.size(),
               "Lanczos: the CSR matrix is malformed ({} rows, {} row pointers, {} column indices, {} values)", a.rows,
               a.indptr.size(), a.indices.size(), a.data.size());
  double largest = 0;
  for (std::size_t r = 0; r < n; ++r) {
    ANNEAL_CHECK(a.indptr[r] <= a.indptr[r + 1], "Lanczos: CSR row pointers decrease at row {}", r);
    for (auto e = a.indptr[r]; e < a.indptr[r + 1]; ++e) {
      const auto c = a.indices[static_cast<std::size_t>(e)];
      ANNEAL_CHECK(c >= 0 && c < a.rows, "Lanczos: column index {} in row {} is outside [0, {})", c, r, a.rows);
      const double v = a.data[static_cast<std::size_t>(e)];
      ANNEAL_CHECK(std::isfinite(v), "Lanczos: the matrix holds a non-finite value at ({}, {})", r, c);
      largest = std::max(largest, std::abs(v));
    }
  }
  for (std::size_t r = 0; r < n; ++r)
    for (auto e = a.indptr[r]; e < a.indptr[r + 1]; ++e) {
      const auto c = a.indices[static_cast<std::size_t>(e)];
      const double v = a.data[static_cast<std::size_t>(e)];
      const double t = entry(a, c, static_cast<std::int64_t>(r));
      ANNEAL_CHECK(std::abs(v - t) <= 1e-12 * largest,
                   "Lanczos needs a symmetric matrix: a({}, {}) = {} but a({}, {}) = {}", r, c, v, c, r, t);
    }
}

namespace {

// The deflation vectors, orthonormalised by two passes of modified Gram–Schmidt.
std::vector<std::vector<double>> orthonormal_deflation(const std::vector<std::vector<double>>& given, std::size_t n) {
  std::vector<std::vector<double>> d;
  for (std::size_t i = 0; i < given.size(); ++i) {
    std::vector<double> v = given[i];
    ANNEAL_CHECK(v.size() == n, "Lanczos: deflation vector {} has {} entries for a matrix of {} rows", i, v.size(), n);
    for (std::size_t r = 0; r < n; ++r)
      ANNEAL_CHECK(std::isfinite(v[r]), "Lanczos: deflation vector {} holds a non-finite value at index {}", i, r);
    const double original = std::sqrt(dot(v, v));
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& u : d) {
        const double c = dot(u, v);
        for (std::size_t r = 0; r < n; ++r) v[r] -= c * u[r];
      }
    const double norm = std::sqrt(dot(v, v));
    ANNEAL_CHECK(original > 0 && norm > 1e-8 * original,
                 "Lanczos: deflation vector {} is zero or a combination of the ones before it", i);
    for (double& x : v) x /= norm;
    d.push_back(std::move(v));
  }
  return d;
}

void deflate(const std::vector<std::vector<double>>& d, std::span<double> v) {
  for (const auto& u : d) {
    const double c = dot(u, v);
    for (std::size_t r = 0; r < v.size(); ++r) v[r] -= c * u[r];
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The basis

LanczosBasis::LanczosBasis(long rows, int capacity, BasisPrecision precision) : rows_(rows), precision_(precision) {
  ANNEAL_CHECK(rows > 0 && capacity > 0, "Lanczos basis: {} rows × {} columns is empty", rows, capacity);
  const auto size = static_cast<std::size_t>(rows) * static_cast<std::size_t>(capacity);
  try {
    if (precision == BasisPrecision::f64)
      f64_.reserve(size);
    else
      f32_.reserve(size);
  } catch (const std::bad_alloc&) {
    ANNEAL_THROW(
        "Lanczos basis: {} vectors of {} entries need {:.2f} GiB, which cannot be allocated; use fewer steps{}",
        capacity, rows, static_cast<double>(lanczos_memory_bytes(rows, capacity, precision)) / (1 << 30),
        precision == BasisPrecision::f64 ? " or an f32 basis" : "");
  }
}

std::size_t LanczosBasis::bytes() const { return f64_.size() * sizeof(double) + f32_.size() * sizeof(float); }

void LanczosBasis::append(std::span<const double> v) {
  ANNEAL_CHECK(static_cast<long>(v.size()) == rows_, "Lanczos basis: a vector of {} entries for {} rows", v.size(),
               rows_);
  if (precision_ == BasisPrecision::f64)
    f64_.insert(f64_.end(), v.begin(), v.end());
  else
    std::transform(v.begin(), v.end(), std::back_inserter(f32_), [](double x) { return static_cast<float>(x); });
  ++columns_;
}

void LanczosBasis::shrink_to_fit() {
  f64_.shrink_to_fit();
  f32_.shrink_to_fit();
}

void LanczosBasis::column(int j, std::span<double> out) const {
  ANNEAL_CHECK(j >= 0 && j < columns_ && static_cast<long>(out.size()) == rows_,
               "Lanczos basis: column {} of {} into a vector of {} entries", j, columns_, out.size());
  const auto offset = static_cast<std::size_t>(j) * static_cast<std::size_t>(rows_);
  if (precision_ == BasisPrecision::f64)
    std::copy_n(f64_.begin() + static_cast<std::ptrdiff_t>(offset), rows_, out.begin());
  else
    std::copy_n(f32_.begin() + static_cast<std::ptrdiff_t>(offset), rows_, out.begin());
}

namespace {

// Calls f(panel, first_column) with rows [r0, r0 + rows) of columns [0, cols) as f64 matrices:
// the stored columns themselves for an f64 basis, widened copies of kPanel columns for f32.
template <class F>
void for_each_panel(const std::vector<double>& f64, const std::vector<float>& f32, BasisPrecision precision, long n,
                    long r0, long rows, int cols, F&& f) {
  using Stride = Eigen::OuterStride<>;
  if (precision == BasisPrecision::f64) {
    f(Eigen::Map<const Eigen::MatrixXd, 0, Stride>(f64.data() + r0, rows, cols, Stride(n)), 0);
    return;
  }
  Eigen::MatrixXd wide(rows, std::min(cols, kPanel));
  for (int c0 = 0; c0 < cols; c0 += kPanel) {
    const int pc = std::min(kPanel, cols - c0);
    wide.leftCols(pc) = Eigen::Map<const Eigen::MatrixXf, 0, Stride>(
                            f32.data() + static_cast<std::ptrdiff_t>(c0) * n + r0, rows, pc, Stride(n))
                            .cast<double>();
    f(wide.leftCols(pc), c0);
  }
}

}  // namespace

void LanczosBasis::project(std::span<const double> v, std::span<double> h) const {
  const int cols = static_cast<int>(h.size());
  ANNEAL_CHECK(static_cast<long>(v.size()) == rows_ && cols <= columns_, "Lanczos basis: projection sizes");
  if (cols == 0) return;
  const long blocks = block_count(rows_);
  std::vector<double> partial(static_cast<std::size_t>(blocks) * static_cast<std::size_t>(cols));
  tbb::parallel_for(0L, blocks, [&](long b) {
    const long r0 = b * kRowBlock, rows = std::min(kRowBlock, rows_ - r0);
    const ConstVectorMap vb(v.data() + r0, rows);
    double* out = partial.data() + b * cols;
    for_each_panel(f64_, f32_, precision_, rows_, r0, rows, cols, [&](const auto& panel, int c0) {
      if (panel.cols() == 1) {
        // Eigen turns a one-column product into a dot product whose vectorised head depends on the
        // address alignment; a plain loop keeps the bits fixed.
        double s = 0;
        for (long r = 0; r < rows; ++r) s += panel(r, 0) * vb[r];
        out[c0] = s;
        return;
      }
      VectorMap(out + c0, panel.cols()).noalias() = panel.transpose() * vb;
    });
  });
  std::fill(h.begin(), h.end(), 0.0);
  for (long b = 0; b < blocks; ++b)  // block order: the same sum for any thread count
    for (int j = 0; j < cols; ++j) h[static_cast<std::size_t>(j)] += partial[static_cast<std::size_t>(b * cols + j)];
}

void LanczosBasis::subtract(std::span<const double> h, std::span<double> v) const {
  const int cols = static_cast<int>(h.size());
  ANNEAL_CHECK(static_cast<long>(v.size()) == rows_ && cols <= columns_, "Lanczos basis: update sizes");
  if (cols == 0) return;
  tbb::parallel_for(0L, block_count(rows_), [&](long b) {
    const long r0 = b * kRowBlock, rows = std::min(kRowBlock, rows_ - r0);
    VectorMap vb(v.data() + r0, rows);
    for_each_panel(f64_, f32_, precision_, rows_, r0, rows, cols, [&](const auto& panel, int c0) {
      vb.noalias() -= panel * ConstVectorMap(h.data() + c0, panel.cols());
    });
  });
}

void LanczosBasis::combine(std::span<const double> z, int batch, std::span<double> out) const {
  ANNEAL_CHECK(
      batch >= 0 && z.size() == static_cast<std::size_t>(columns_) * static_cast<std::size_t>(batch) &&
          out.size() == static_cast<std::size_t>(rows_) * static_cast<std::size_t>(batch),
      "Lanczos basis: combining {} columns into {} vectors needs {} coefficients and {} outputs (got {} and {})",
      columns_, batch, static_cast<std::size_t>(columns_) * static_cast<std::size_t>(batch),
      static_cast<std::size_t>(rows_) * static_cast<std::size_t>(batch), z.size(), out.size());
  if (batch == 0) return;
  const Eigen::Map<const Eigen::MatrixXd> zm(z.data(), columns_, batch);
  tbb::parallel_for(0L, block_count(rows_), [&](long b) {
    const long r0 = b * kRowBlock, rows = std::min(kRowBlock, rows_ - r0);
    Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> ob(out.data() + r0, rows, batch, Eigen::OuterStride<>(rows_));
    ob.setZero();
    if (columns_ == 0) return;
    for_each_panel(f64_, f32_, precision_, rows_, r0, rows, columns_,
                   [&](const auto& panel, int c0) { ob.noalias() += panel * zm.middleRows(c0, panel.cols()); });
  });
}

// ---------------------------------------------------------------------------------------------
// The iteration

std::size_t lanczos_memory_bytes(long n, int steps, BasisPrecision basis) {
  const auto un = static_cast<std::size_t>(n), k = static_cast<std::size_t>(steps);
  const std::size_t word = basis == BasisPrecision::f64 ? sizeof(double) : sizeof(float);
  const std::size_t blocks = static_cast<std::size_t>(block_count(n));
  return un * k * word                        // the basis
         + 4 * un * sizeof(double)            // q_j, q_{j−1}, w and the sparse product's input
         + (blocks + 2) * k * sizeof(double)  // projection partials and coefficients
         + k * k * sizeof(double);            // T's eigenvectors (Ritz step)
}

LanczosResult lanczos(const CsrMatrix& a, std::span<const double> start, const LanczosSettings& settings) {
  check_lanczos_matrix(a);
  const auto n = static_cast<std::size_t>(a.rows);
  ANNEAL_CHECK(start.size() == n, "Lanczos: the start vector has {} entries for a matrix of {} rows", start.size(), n);
  ANNEAL_CHECK(settings.steps >= 1, "Lanczos: steps must be at least 1, got {}", settings.steps);
  ANNEAL_CHECK(settings.breakdown_tolerance >= 0, "Lanczos: the breakdown tolerance must be non-negative");
  for (std::size_t i = 0; i < n; ++i)
    ANNEAL_CHECK(std::isfinite(start[i]), "Lanczos: the start vector holds a non-finite value at index {}", i);
  const double start_norm = std::sqrt(dot(start, start));
  ANNEAL_CHECK(start_norm > 0, "Lanczos: the start vector is zero");

  // No more than n orthonormal vectors exist.
  const int steps = static_cast<int>(std::min<long>(settings.steps, a.rows));
  LanczosResult result;
  result.requested_steps = settings.steps;
  result.basis = LanczosBasis(a.rows, steps, settings.basis);
  result.alpha.reserve(static_cast<std::size_t>(steps));
  result.beta.reserve(static_cast<std::size_t>(steps));

  const std::vector<std::vector<double>> deflation = orthonormal_deflation(settings.deflation, n);
  std::vector<double> q(n), previous(n, 0.0), w(n), h(static_cast<std::size_t>(steps));
  for (std::size_t i = 0; i < n; ++i) q[i] = start[i] / start_norm;
  if (!deflation.empty()) {
    for (int pass = 0; pass < 2; ++pass) deflate(deflation, q);
    const double left = std::sqrt(dot(q, q));
    ANNEAL_CHECK(left > 1e-8, "Lanczos: the start vector lies in the span of the deflation vectors");
    for (double& x : q) x /= left;
  }
  const bool rounded = settings.basis == BasisPrecision::f32;
  result.basis.append(q);
  // Work with the stored vector, so that T describes the basis actually kept.
  if (rounded) result.basis.column(0, q);

  double scale = 0;  // max ‖A q_j‖, a lower bound on ‖A‖ for the breakdown test
  for (int j = 0; j < steps; ++j) {
    multiply(a, q, w);
    scale = std::max(scale, std::sqrt(dot(w, w)));
    if (j > 0) {
      const double b = result.beta.back();
      for (std::size_t i = 0; i < n; ++i) w[i] -= b * previous[i];
    }
    double alpha = dot(q, w);
    for (std::size_t i = 0; i < n; ++i) w[i] -= alpha * q[i];
    // Full reorthogonalisation, two classical Gram–Schmidt passes against q_0 … q_j. The q_j
    // components removed are corrections to α_j (T = QᵀAQ); the others are rounding errors.
    const auto hj = std::span<double>(h).first(static_cast<std::size_t>(j) + 1);
    for (int pass = 0; pass < 2; ++pass) {
      deflate(deflation, w);
      result.basis.project(w, hj);
      result.basis.subtract(hj, w);
      alpha += hj[static_cast<std::size_t>(j)];
    }
    const double beta = std::sqrt(dot(w, w));
    result.alpha.push_back(alpha);
    if (settings.progress) settings.progress(j + 1, steps);
    result.residual_norm = beta;
    ANNEAL_CHECK(std::isfinite(beta) && std::isfinite(alpha), "Lanczos: step {} produced a non-finite vector", j + 1);
    if (j + 1 == steps) break;
    if (beta <= settings.breakdown_tolerance * scale) {
      result.breakdown = true;
      break;
    }
    result.beta.push_back(beta);
    previous.swap(q);
    for (std::size_t i = 0; i < n; ++i) q[i] = w[i] / beta;
    result.basis.append(q);
    if (rounded) result.basis.column(j + 1, q);
  }
  result.basis.shrink_to_fit();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Ritz pairs

RitzPairs ritz_pairs(const LanczosResult& lanczos, double cutoff) {
  const int k = lanczos.steps();
  ANNEAL_CHECK(k >= 1 && lanczos.beta.size() == static_cast<std::size_t>(k) - 1,
               "Ritz pairs: a Lanczos result with {} diagonal and {} off-diagonal entries", k, lanczos.beta.size());
  const Eigen::VectorXd diagonal = ConstVectorMap(lanczos.alpha.data(), k);
  const Eigen::VectorXd sub = ConstVectorMap(lanczos.beta.data(), k - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diagonal, sub, Eigen::ComputeEigenvectors);
  ANNEAL_CHECK(solver.info() == Eigen::Success, "Ritz pairs: the {}×{} tridiagonal eigenproblem did not converge", k,
               k);

  RitzPairs ritz;
  ritz.steps = k;
  const Eigen::VectorXd& theta = solver.eigenvalues();  // ascending
  const Eigen::MatrixXd& s = solver.eigenvectors();
  for (int i = 0; i < k; ++i) {
    if (theta[i] < cutoff) {
      ++ritz.dropped;
      continue;
    }
    ritz.values.push_back(theta[i]);
    ritz.coefficients.insert(ritz.coefficients.end(), s.col(i).data(), s.col(i).data() + k);
    ritz.residual_bounds.push_back(lanczos.residual_norm * std::abs(s(k - 1, i)));
  }
  return ritz;
}

void ritz_vector(const LanczosResult& lanczos, const RitzPairs& ritz, int i, std::span<double> y) {
  ANNEAL_CHECK(i >= 0 && i < ritz.size(), "Ritz vector {} requested; {} kept", i, ritz.size());
  ANNEAL_CHECK(ritz.steps == lanczos.basis.columns(), "Ritz pairs from another Lanczos run ({} steps, basis of {})",
               ritz.steps, lanczos.basis.columns());
  lanczos.basis.combine(ritz.coefficient(i), 1, y);
}

void combine_ritz_vectors(const LanczosResult& lanczos, const RitzPairs& ritz, std::span<const double> c, int batch,
                          std::span<double> out) {
  ANNEAL_CHECK(ritz.steps == lanczos.basis.columns(), "Ritz pairs from another Lanczos run ({} steps, basis of {})",
               ritz.steps, lanczos.basis.columns());
  ANNEAL_CHECK(batch >= 0 && c.size() == static_cast<std::size_t>(ritz.size()) * static_cast<std::size_t>(batch),
               "Ritz combination: {} coefficients for {} Ritz vectors × {} combinations", c.size(), ritz.size(), batch);
  const Eigen::Map<const Eigen::MatrixXd> s(ritz.coefficients.data(), ritz.steps, ritz.size());
  const Eigen::Map<const Eigen::MatrixXd> cm(c.data(), ritz.size(), batch);
  Eigen::MatrixXd z(ritz.steps, batch);
  z.noalias() = s * cm;
  lanczos.basis.combine(std::span<const double>(z.data(), static_cast<std::size_t>(z.size())), batch, out);
}

}  // namespace anneal::solvers
