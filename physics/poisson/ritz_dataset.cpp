#include "physics/poisson/ritz_dataset.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "core/error.hpp"
#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "core/rng.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"
#include "physics/poisson/poisson_system.hpp"
#include "solvers/krylov/conjugate_directions.hpp"

namespace anneal::physics::poisson {
namespace {

// Vectors are formed in aligned batches [32t, 32t + 32): a column's bits depend on its place in
// the GEMM, so fixing the batches makes vector i the same whichever range a caller asks for.
constexpr long kBatch = 32;

const char* precision_name(solvers::BasisPrecision p) { return p == solvers::BasisPrecision::f64 ? "f64" : "f32"; }

nlohmann::json to_json(const RitzDatasetOptions& o) {
  return {{"lanczos_steps", o.lanczos_steps},
          {"count", o.count},
          {"seed", o.seed},
          {"low_fraction", o.low_fraction},
          {"low_extra", o.low_extra},
          {"low_weight", o.low_weight},
          {"ritz_cutoff", o.ritz_cutoff},
          {"basis", precision_name(o.basis)},
          {"deflate_null_space", o.deflate_null_space}};
}

const std::string kRecipe =
    "Kaneda et al. (ICML 2023): Lanczos with full reorthogonalisation from A*x, x ~ N(0, I) (kept orthogonal to "
    "A's constant null space if deflate_null_space); Ritz values below "
    "ritz_cutoff dropped; b = sum_j w_j g_j y_j over the kept Ritz vectors in ascending order, g_j ~ N(0, 1), "
    "w_j = low_weight for the first low_count (= floor(low_fraction * lanczos_steps_run) + low_extra), high_weight "
    "otherwise; b normalised to unit 2-norm";

}  // namespace

void check_ritz_dataset_options(const RitzDatasetOptions& o) {
  ANNEAL_CHECK(o.lanczos_steps >= 1, "Ritz dataset: lanczos_steps must be at least 1, got {}", o.lanczos_steps);
  ANNEAL_CHECK(o.count >= 0, "Ritz dataset: count must be non-negative, got {}", o.count);
  ANNEAL_CHECK(o.low_fraction >= 0 && o.low_fraction <= 1, "Ritz dataset: low_fraction must lie in [0, 1], got {}",
               o.low_fraction);
  ANNEAL_CHECK(o.low_extra >= 0, "Ritz dataset: low_extra (the paper's θ) must be non-negative, got {}", o.low_extra);
  ANNEAL_CHECK(std::isfinite(o.low_weight) && o.low_weight > 0, "Ritz dataset: low_weight must be positive, got {}",
               o.low_weight);
  ANNEAL_CHECK(std::isfinite(o.ritz_cutoff), "Ritz dataset: ritz_cutoff must be finite");
}

RitzSpace build_ritz_space(const solvers::CsrMatrix& a, const RitzDatasetOptions& options) {
  check_ritz_dataset_options(options);
  solvers::check_lanczos_matrix(a);
  const auto n = static_cast<std::size_t>(a.rows);
  // A·x rather than x: no component along the null space of a singular A (in exact arithmetic).
  RandomStream rng(options.seed, 0);
  std::vector<double> x(n), start(n);
  for (double& v : x) v = rng.normal();
  solvers::multiply(a, x, start);
  // Decoupled cells (a row with the diagonal alone: solids, which the solver never moves) are left
  // out: A maps vectors that vanish there to vectors that vanish there, so the whole Krylov space
  // does. Otherwise their eigenvectors (unit vectors with eigenvalue a_ii) enter the Ritz vectors and
  // every training b has residual on cells where DCDM's directions are zero.
  for (std::size_t row = 0; row < n; ++row) {
    bool coupled = false;
    for (auto e = a.indptr[row]; e < a.indptr[row + 1]; ++e)
      coupled |= static_cast<std::size_t>(a.indices[static_cast<std::size_t>(e)]) != row && a.data[static_cast<std::size_t>(e)] != 0;
    if (!coupled) start[row] = 0;
  }

  solvers::LanczosSettings settings;
  settings.steps = options.lanczos_steps;
  settings.basis = options.basis;
  settings.progress = options.lanczos_progress;
  if (options.deflate_null_space)
    for (const auto& component : find_constant_null_space(a)) {
      std::vector<double> ones(n, 0.0);
      for (std::int64_t i : component) ones[static_cast<std::size_t>(i)] = 1;
      settings.deflation.push_back(std::move(ones));
    }
  RitzSpace space;
  space.null_components = static_cast<int>(settings.deflation.size());
  space.lanczos = solvers::lanczos(a, start, settings);
  space.ritz = solvers::ritz_pairs(space.lanczos, options.ritz_cutoff);
  ANNEAL_CHECK(space.ritz.size() > 0,
               "Ritz dataset: no Ritz value of the {} Lanczos steps is above the cutoff {} (is A zero or negative?)",
               space.lanczos.steps(), options.ritz_cutoff);
  const auto low = static_cast<long>(std::floor(options.low_fraction * space.lanczos.steps())) + options.low_extra;
  space.low_count = static_cast<int>(std::min<long>(low, space.ritz.size()));
  return space;
}

std::vector<double> ritz_weights(const RitzSpace& space, const RitzDatasetOptions& options) {
  std::vector<double> w(static_cast<std::size_t>(space.ritz.size()), 1.0);
  std::fill_n(w.begin(), space.low_count, options.low_weight);
  return w;
}

void generate_ritz_rhs(const RitzSpace& space, const RitzDatasetOptions& options, long first, long count,
                       const VectorSink& sink) {
  check_ritz_dataset_options(options);
  ANNEAL_CHECK(first >= 0 && count >= 0, "Ritz dataset: vectors [{}, {} + {}) requested", first, first, count);
  ANNEAL_CHECK(space.ritz.size() > 0, "Ritz dataset: the Ritz space is empty");
  const auto n = static_cast<std::size_t>(space.rows());
  const auto kept = static_cast<std::size_t>(space.ritz.size());
  const std::vector<double> weights = ritz_weights(space, options);
  std::vector<double> c(kept * kBatch), b(n * kBatch);
  long done = 0;
  for (long start = first / kBatch * kBatch; start < first + count; start += kBatch) {
    for (long s = 0; s < kBatch; ++s) {
      RandomStream rng(options.seed, static_cast<std::uint64_t>(start + s) + 1);
      double* column = c.data() + static_cast<std::size_t>(s) * kept;
      for (std::size_t j = 0; j < kept; ++j) column[j] = weights[j] * rng.normal();
    }
    solvers::combine_ritz_vectors(space.lanczos, space.ritz, c, static_cast<int>(kBatch), b);
    for (long s = 0; s < kBatch; ++s) {
      const long index = start + s;
      if (index < first || index >= first + count) continue;
      const std::span<double> v(b.data() + static_cast<std::size_t>(s) * n, n);
      double norm2 = 0;
      for (double x : v) norm2 += x * x;
      const double norm = std::sqrt(norm2);
      ANNEAL_CHECK(norm > 0 && std::isfinite(norm), "Ritz dataset: right-hand side {} has norm {}", index, norm);
      for (double& x : v) x /= norm;
      sink(index, v);
      ++done;
      if (options.vector_progress) options.vector_progress(done, count);
    }
  }
}

RitzDatasetSummary write_ritz_dataset(const std::filesystem::path& path, const solvers::CsrMatrix& a,
                                      const std::array<long, 3>& grid, const RitzDatasetOptions& options,
                                      const io::Provenance& provenance) {
  check_ritz_dataset_options(options);
  ANNEAL_CHECK(options.count >= 1, "Ritz dataset '{}': count must be at least 1", path.string());
  ANNEAL_CHECK(grid[0] > 0 && grid[1] > 0 && grid[2] > 0 && grid[0] * grid[1] * grid[2] == a.rows,
               "Ritz dataset '{}': a grid of {}×{}×{} cells for a matrix of {} rows", path.string(), grid[0], grid[1],
               grid[2], a.rows);
  // Checked before the work: the output may not replace an input, and its directory must exist.
  io::AtomicOutput output(path, provenance.source_files);
  const RitzSpace space = build_ritz_space(a, options);

  RitzDatasetSummary summary;
  summary.count = options.count;
  summary.lanczos_steps = space.lanczos.steps();
  summary.breakdown = space.lanczos.breakdown;
  summary.ritz_kept = space.ritz.size();
  summary.ritz_dropped = space.ritz.dropped;
  summary.low_count = space.low_count;
  summary.ritz_min = space.ritz.values.front();
  summary.ritz_max = space.ritz.values.back();

  io::Provenance meta = provenance;
  if (meta.config_json.empty()) meta.config_json = to_json(options).dump();
  {
    auto file = io::H5File::create(output.temp_path());
    const auto n = static_cast<std::size_t>(a.rows);
    const auto nx = static_cast<std::size_t>(grid[0]), ny = static_cast<std::size_t>(grid[1]),
               nz = static_cast<std::size_t>(grid[2]);
    io::WriteOptions chunking;
    chunking.chunk = {1, nz, ny, nx};  // one vector per chunk: a training batch reads whole chunks
    file.create_dataset("/b", io::DType::f32, {static_cast<std::size_t>(options.count), nz, ny, nx}, chunking);

    // Ranks share the aligned batches; the collective writes go in rounds, a rank with nothing left
    // writing an empty block.
    const long batches = (options.count + kBatch - 1) / kBatch;
    const int ranks = mpi::size();
    const BlockRange mine = block_range(static_cast<std::size_t>(batches), ranks, mpi::rank());
    const long rounds = (batches + ranks - 1) / ranks;
    RitzDatasetOptions quiet = options;
    quiet.vector_progress = nullptr;
    std::vector<float> buffer(static_cast<std::size_t>(kBatch) * n);
    long made = 0;
    const long local_total = std::min<long>(options.count, static_cast<long>(mine.end) * kBatch) -
                             std::min<long>(options.count, static_cast<long>(mine.begin) * kBatch);
    for (long round = 0; round < rounds; ++round) {
      long begin = 0, count = 0;
      if (static_cast<std::size_t>(round) < mine.size()) {
        begin = (static_cast<long>(mine.begin) + round) * kBatch;
        count = std::min(kBatch, options.count - begin);
        generate_ritz_rhs(space, quiet, begin, count, [&](long index, std::span<const double> b) {
          std::transform(b.begin(), b.end(),
                         buffer.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(index - begin) * n),
                         [](double x) { return static_cast<float>(x); });
        });
      }
      const auto c = static_cast<std::size_t>(count);
      const io::Shape offset{static_cast<std::size_t>(begin), 0, 0, 0};
      const io::Shape extent = c > 0 ? io::Shape{c, nz, ny, nx} : io::Shape{0, 0, 0, 0};
      file.write_block<float>("/b", std::span<const float>(buffer.data(), c * n), offset, extent);
      made += count;
      if (count > 0 && options.vector_progress) options.vector_progress(made, local_total);
    }

    file.write<double>("/ritz_values", space.ritz.values, {space.ritz.values.size()});
    file.set_attribute("/ritz_values", "description",
                       std::string("kept Ritz values (>= ritz_cutoff) of the Lanczos tridiagonal, ascending"));
    file.set_attribute("/", "lanczos_steps", static_cast<std::int64_t>(options.lanczos_steps));
    file.set_attribute("/", "lanczos_steps_run", static_cast<std::int64_t>(space.lanczos.steps()));
    file.set_attribute("/", "lanczos_breakdown", static_cast<std::int64_t>(space.lanczos.breakdown));
    file.set_attribute("/", "seed", static_cast<std::int64_t>(options.seed));
    file.set_attribute("/", "grid_size", std::vector<std::int64_t>{grid[0], grid[1], grid[2]});
    file.set_attribute("/", "count", static_cast<std::int64_t>(options.count));
    file.set_attribute("/", "low_fraction", options.low_fraction);
    file.set_attribute("/", "low_extra", static_cast<std::int64_t>(options.low_extra));
    file.set_attribute("/", "low_count", static_cast<std::int64_t>(space.low_count));
    file.set_attribute("/", "low_weight", options.low_weight);
    file.set_attribute("/", "high_weight", 1.0);
    file.set_attribute("/", "ritz_cutoff", options.ritz_cutoff);
    file.set_attribute("/", "ritz_dropped", static_cast<std::int64_t>(space.ritz.dropped));
    file.set_attribute("/", "basis_precision", std::string(precision_name(options.basis)));
    file.set_attribute("/", "deflate_null_space", static_cast<std::int64_t>(options.deflate_null_space));
    file.set_attribute("/", "null_space_components", static_cast<std::int64_t>(space.null_components));
    file.set_attribute("/", "recipe", kRecipe);
    io::write_provenance(file, meta);
    file.close();
  }
  output.commit();
  return summary;
}

namespace {

DatasetHeader read_header(const io::H5File& file) {
  const std::string name = file.path().string();
  const io::DatasetInfo info =
      io::require_dataset(file, "/b", {io::DType::f32, io::DType::f64}, {io::kAny, io::kAny, io::kAny, io::kAny});
  ANNEAL_CHECK(file.has_attribute("/", "grid_size"),
               "'{}': no root attribute 'grid_size' giving the grid of dataset '/b' (not an anneal Poisson dataset?)",
               name);
  const io::AttrValue value = file.attribute("/", "grid_size");
  const auto* g = std::get_if<std::vector<std::int64_t>>(&value);
  ANNEAL_CHECK(g && g->size() == 3, "'{}': root attribute 'grid_size' should be 3 integers [nx, ny, nz]", name);
  DatasetHeader h;
  h.count = static_cast<long>(info.shape[0]);
  h.grid = {static_cast<long>((*g)[0]), static_cast<long>((*g)[1]), static_cast<long>((*g)[2])};
  ANNEAL_CHECK(info.shape[1] == static_cast<std::size_t>(h.grid[2]) &&
                   info.shape[2] == static_cast<std::size_t>(h.grid[1]) &&
                   info.shape[3] == static_cast<std::size_t>(h.grid[0]),
               "'{}': dataset '/b' has shape {} but grid_size [{}, {}, {}] needs [count, {}, {}, {}]", name,
               io::to_string(info.shape), h.grid[0], h.grid[1], h.grid[2], h.grid[2], h.grid[1], h.grid[0]);
  return h;
}

}  // namespace

DatasetHeader read_dataset_header(const std::filesystem::path& path) {
  return read_header(io::H5File::open_read(path));
}

template <class T>
DatasetVectors<T> read_dataset_vectors(const std::filesystem::path& path, long first, long count) {
  const auto file = io::H5File::open_read(path);
  const DatasetHeader h = read_header(file);
  ANNEAL_CHECK(first >= 0 && count >= 0 && first + count <= h.count,
               "'{}': vectors [{}, {}) requested from dataset '/b', which holds {}", path.string(), first,
               first + count, h.count);
  DatasetVectors<T> out;
  out.grid = h.grid;
  out.first = first;
  out.count = count;
  if (count == 0) return out;
  out.values = file.read_block<T>("/b", {static_cast<std::size_t>(first), 0, 0, 0},
                                  {static_cast<std::size_t>(count), static_cast<std::size_t>(h.grid[2]),
                                   static_cast<std::size_t>(h.grid[1]), static_cast<std::size_t>(h.grid[0])})
                   .data;
  io::require_finite<T>(file, "/b", out.values);
  return out;
}

template DatasetVectors<float> read_dataset_vectors<float>(const std::filesystem::path&, long, long);
template DatasetVectors<double> read_dataset_vectors<double>(const std::filesystem::path&, long, long);

}  // namespace anneal::physics::poisson
