#pragma once
// The DCDM training data (Kaneda et al., ICML 2023, §4 and the authors' src/datasetcreate.py):
// right-hand sides b built from Ritz vectors of the training matrix A, so that the network sees
// residuals rich in the low-frequency modes that dominate late CG iterations.
//
// The recipe:
//   1. Lanczos with full reorthogonalisation, m steps from A·x, x ~ N(0, I) (A·x has no component
//      along A's null space, so the Krylov space starts in range(A); by default it is also kept
//      there, see deflate_null_space);
//   2. the Ritz pairs (θ_j, y_j) of T_m, ascending; those with θ_j < 1e-8 are dropped (null space
//      and the rounding noise that lets it in);
//   3. b = Σ_j c_j y_j with c_j = w_j·g_j, g_j ~ N(0, 1), over the kept Ritz vectors in ascending
//      order: w_j = 9 for the first ⌊m/2⌋ + θ kept vectors, 1 for the rest (m the Lanczos steps
//      run; the authors use θ = 500 at m = 10 000); then b /= ‖b‖₂.
// The 9× weight makes the low half of the spectrum carry 81/82 of the expected energy.
//
// Vector i is a pure function of (A, options, i): the Lanczos start vector uses the Philox stream
// (seed, 0), vector i's coefficients the stream (seed, 1 + i), and vectors are formed in fixed,
// aligned batches; so any subset, any thread count and any number of MPI ranks give the same bits.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "io/provenance.hpp"
#include "solvers/krylov/lanczos.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::poisson {

struct RitzDatasetOptions {
  int lanczos_steps = 200;  // m (the paper: 10 000; memory n·m·8 bytes, see lanczos_memory_bytes)
  long count = 1000;        // right-hand sides to make (the paper: 20 000)
  std::uint64_t seed = 0;
  double low_fraction = 0.5;  // the first ⌊low_fraction·m⌋ + low_extra kept Ritz vectors ...
  int low_extra = 0;          // ... (low_extra is the paper's θ: 500 with m = 10 000) ...
  double low_weight = 9;      // ... get coefficients low_weight·N(0, 1); the others N(0, 1)
  double ritz_cutoff = 1e-8;  // Ritz values below this are dropped
  // Keep the Lanczos vectors orthogonal to A's constant null space (find_constant_null_space). The
  // paper relies on the cutoff alone; but rounding feeds the null space into the Krylov space and
  // the iteration amplifies it (solvers::LanczosSettings::deflation), so that, until it converges
  // into a Ritz value below the cutoff, it contaminates the low Ritz vectors (1e-5 of a unit b at
  // 8³ with m = 60). Same recipe in exact arithmetic.
  bool deflate_null_space = true;
  solvers::BasisPrecision basis = solvers::BasisPrecision::f64;
  std::function<void(int step, int total)> lanczos_progress;
  std::function<void(long done, long total)> vector_progress;  // vectors this rank has made
};

// Throws on options that make no dataset (no steps, negative counts or weights, ...).
void check_ritz_dataset_options(const RitzDatasetOptions& options);

// What the right-hand sides are drawn from: the Lanczos run and its kept Ritz pairs.
struct RitzSpace {
  solvers::LanczosResult lanczos;
  solvers::RitzPairs ritz;  // kept pairs, ascending
  int low_count = 0;        // kept Ritz vectors weighted low_weight (the first ones)
  int null_components = 0;  // constant null-space vectors deflated (0 unless deflate_null_space)
  long rows() const { return lanczos.basis.rows(); }
};

// Runs step 1 and 2 of the recipe on the symmetric positive semi-definite `a`.
RitzSpace build_ritz_space(const solvers::CsrMatrix& a, const RitzDatasetOptions& options);

// w_j for each kept Ritz vector: low_weight for the first space.low_count, 1 for the rest.
std::vector<double> ritz_weights(const RitzSpace& space, const RitzDatasetOptions& options);

// Receives right-hand side `index` (unit 2-norm, length space.rows()); the span is valid only
// during the call.
using VectorSink = std::function<void(long index, std::span<const double> b)>;

// Makes vectors [first, first + count) and hands them to `sink` in index order, holding one batch
// of 32 in memory at a time.
void generate_ritz_rhs(const RitzSpace& space, const RitzDatasetOptions& options, long first, long count,
                       const VectorSink& sink);

struct RitzDatasetSummary {
  long count = 0;
  int lanczos_steps = 0;  // run (fewer than requested after a breakdown)
  bool breakdown = false;
  int ritz_kept = 0, ritz_dropped = 0, low_count = 0;
  double ritz_min = 0, ritz_max = 0;  // of the kept values
};

// Writes a dataset file (atomically, with /meta from `provenance`; collective under MPI, where the
// ranks share the vectors):
//   /b            f32 [count][nz][ny][nx], one vector per chunk
//   /ritz_values  f64 [kept], ascending
//   root attributes: lanczos_steps (requested), lanczos_steps_run, lanczos_breakdown, seed,
//     grid_size [nx, ny, nz], count, low_fraction, low_extra, low_count, low_weight, high_weight,
//     ritz_cutoff, ritz_dropped, basis_precision, deflate_null_space, null_space_components,
//     recipe (in words).
// `grid` {nx, ny, nz} must have as many cells as `a` has rows.
RitzDatasetSummary write_ritz_dataset(const std::filesystem::path& path, const solvers::CsrMatrix& a,
                                      const std::array<long, 3>& grid, const RitzDatasetOptions& options,
                                      const io::Provenance& provenance);

// Vectors read back from a dataset file, converted to T (float or double).
template <class T>
struct DatasetVectors {
  std::array<long, 3> grid{0, 0, 0};  // nx, ny, nz
  long first = 0, count = 0;
  std::vector<T> values;  // count × (nx·ny·nz), C order [count][nz][ny][nx]

  long size() const { return grid[0] * grid[1] * grid[2]; }
  std::span<const T> vector(long i) const {
    return std::span<const T>(values).subspan(static_cast<std::size_t>(i * size()), static_cast<std::size_t>(size()));
  }
};

// The number of vectors and the grid of a dataset file, validated (missing /b, wrong rank or type,
// grid_size not matching /b: errors naming the file and the dataset).
struct DatasetHeader {
  long count = 0;
  std::array<long, 3> grid{0, 0, 0};
};
DatasetHeader read_dataset_header(const std::filesystem::path& path);

// Vectors [first, first + count) of a dataset file, validated as above, the range checked, and the
// values checked finite.
template <class T>
DatasetVectors<T> read_dataset_vectors(const std::filesystem::path& path, long first, long count);

extern template DatasetVectors<float> read_dataset_vectors<float>(const std::filesystem::path&, long, long);
extern template DatasetVectors<double> read_dataset_vectors<double>(const std::filesystem::path&, long, long);

}  // namespace anneal::physics::poisson
