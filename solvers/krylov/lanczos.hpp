#pragma once
// Lanczos tridiagonalisation of a symmetric sparse operator with full reorthogonalisation, and its
// Ritz pairs. k steps from a start vector v give an orthonormal basis Q_k of the Krylov space
// span{v, Av, …, A^{k−1}v} and the tridiagonal T_k = Q_kᵀ A Q_k; the eigenpairs (θ_i, s_i) of T_k
// give the Ritz pairs (θ_i, y_i = Q_k s_i), which approximate A's extreme eigenpairs first.
//
// Plain Lanczos loses orthogonality as soon as a Ritz pair converges (Paige) and then produces
// copies of converged eigenvalues; every new vector here is therefore orthogonalised against all
// previous ones, with two passes of classical Gram–Schmidt ("twice is enough": Giraud, Langou,
// Rozložník 2005), which keeps QᵀQ = I to rounding at the cost of O(n·k²) work over the run.
//
// Memory: the basis dominates, n·k·8 bytes in f64 (n·k·4 in f32): 262 144 × 1 000 steps (64³) is
// 2.1 GB in f64, 1.05 GB in f32. Use `lanczos_memory_bytes` to size a run before starting it. The f32
// basis keeps all arithmetic in f64 but stores the vectors rounded to f32, so orthogonality and the
// Ritz values are then accurate to about 1e-7 instead of 1e-15 — enough for training data.
//
// Results do not depend on the thread count: the sparse product sums each row in a fixed order, and
// the Gram–Schmidt projections split the rows into fixed blocks whose partial sums are added in
// block order.
#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::solvers {

enum class BasisPrecision { f64, f32 };

// n × k orthonormal columns, each stored contiguously (column-major), in f64 or f32.
class LanczosBasis {
 public:
  LanczosBasis() = default;
  // Reserves address space for `capacity` columns; memory is touched only as columns are added.
  LanczosBasis(long rows, int capacity, BasisPrecision precision);

  long rows() const { return rows_; }
  int columns() const { return columns_; }
  BasisPrecision precision() const { return precision_; }
  std::size_t bytes() const;  // held by the stored columns

  // Stores v (length rows()) as the next column, rounded to the basis precision.
  void append(std::span<const double> v);
  // Drops the reserve beyond the stored columns (after an early stop).
  void shrink_to_fit();

  void column(int j, std::span<double> out) const;
  // h[j] = q_jᵀ v for j < h.size() ≤ columns().
  void project(std::span<const double> v, std::span<double> h) const;
  // v −= Σ_j h[j] q_j for j < h.size() ≤ columns().
  void subtract(std::span<const double> h, std::span<double> v) const;
  // out = Q z for `batch` vectors at once: z is columns() × batch and out rows() × batch, both
  // column-major. This is how Ritz vectors and combinations of them are formed without storing
  // them: y_i = Q s_i.
  void combine(std::span<const double> z, int batch, std::span<double> out) const;

 private:
  long rows_ = 0;
  int columns_ = 0;
  BasisPrecision precision_ = BasisPrecision::f64;
  std::vector<double> f64_;
  std::vector<float> f32_;
};

struct LanczosSettings {
  int steps = 100;  // k, at most n (more is reduced to n)
  BasisPrecision basis = BasisPrecision::f64;
  // Breakdown: the run stops early when the new vector's norm β_j falls to
  // breakdown_tolerance · max_i ‖A q_i‖ — the Krylov space is then invariant under A (to rounding),
  // its Ritz pairs are exact eigenpairs, and no further direction exists.
  double breakdown_tolerance = 1e-10;
  // Vectors the Krylov space is kept orthogonal to (each of length n; orthonormalised here), typically
  // a singular A's known null space. In exact arithmetic a start vector in range(A) never leaves it,
  // but rounding seeds the null space at 1e-16 and every step amplifies that component by about
  // |p_j(0)|, growing exponentially once Ritz values approach A's smallest nonzero eigenvalue (e.g.
  // 1e-18 in q_0 to 3e-4 in q_59 on an 8³ Neumann Laplacian). Projecting it out in each pass stops that.
  std::vector<std::vector<double>> deflation;
  // Called after each step with (steps done, steps requested).
  std::function<void(int step, int total)> progress;
};

struct LanczosResult {
  std::vector<double> alpha;  // T's diagonal, k entries
  std::vector<double> beta;   // T's off-diagonal, k − 1 entries (beta[j] couples q_j and q_{j+1})
  // β_k, the norm of the next (unnormalised) Lanczos vector: A Q_k − Q_k T_k = β_k q_{k+1} e_kᵀ, so
  // a Ritz pair's residual is ‖A y_i − θ_i y_i‖ = β_k |e_kᵀ s_i|. Tiny after a breakdown.
  double residual_norm = 0;
  bool breakdown = false;  // stopped before the requested steps (invariant subspace)
  int requested_steps = 0;
  LanczosBasis basis;  // Q_k, n × k

  int steps() const { return static_cast<int>(alpha.size()); }
};

// The checks lanczos() makes on its matrix, for callers that use `a` before: a well-formed square
// CSR matrix, finite, symmetric to 1e-12·max|a_ij|.
void check_lanczos_matrix(const CsrMatrix& a);

// k Lanczos steps on the symmetric matrix `a` from `start` (any nonzero vector; it is normalised).
// Checks that `a` is square and symmetric and `start` finite and nonzero.
LanczosResult lanczos(const CsrMatrix& a, std::span<const double> start, const LanczosSettings& settings);

// Bytes a run of `steps` steps on n unknowns holds at its end: the basis plus O(n) work vectors
// and the k × k tridiagonal eigenvectors the Ritz step needs.
std::size_t lanczos_memory_bytes(long n, int steps, BasisPrecision basis);

struct RitzPairs {
  std::vector<double> values;  // θ_i ascending, only those ≥ the cutoff
  // s_i, the eigenvectors of T_k for the kept values: k × values.size(), column-major.
  std::vector<double> coefficients;
  // β_k |e_kᵀ s_i|: ‖A y_i − θ_i y_i‖ in exact arithmetic, the usual convergence measure.
  std::vector<double> residual_bounds;
  int dropped = 0;  // Ritz values below the cutoff (null space of a singular A, rounding noise)
  int steps = 0;    // k

  int size() const { return static_cast<int>(values.size()); }
  std::span<const double> coefficient(int i) const {
    return std::span<const double>(coefficients)
        .subspan(static_cast<std::size_t>(i) * static_cast<std::size_t>(steps), static_cast<std::size_t>(steps));
  }
};

// The Ritz pairs of a Lanczos run (Eigen's SelfAdjointEigenSolver::computeFromTridiagonal on T_k),
// dropping values below `cutoff` (the DCDM paper's 1e-8: on a singular Laplacian these belong to
// the constant null space that rounding lets into the Krylov space).
RitzPairs ritz_pairs(const LanczosResult& lanczos, double cutoff = 1e-8);

// y = Q_k s_i, the i-th kept Ritz vector (unit norm up to the basis's orthogonality).
void ritz_vector(const LanczosResult& lanczos, const RitzPairs& ritz, int i, std::span<double> y);

// Combinations Σ_i c_i y_i of the kept Ritz vectors for `batch` coefficient vectors at once, as
// Q_k (S c) without forming the Ritz vectors: c is ritz.size() × batch and out rows × batch, both
// column-major. A column's bits depend on its position within the batch (the GEMM kernels), so
// callers that need reproducible columns use fixed, aligned batches.
void combine_ritz_vectors(const LanczosResult& lanczos, const RitzPairs& ritz, std::span<const double> c, int batch,
                          std::span<double> out);

}  // namespace anneal::solvers
