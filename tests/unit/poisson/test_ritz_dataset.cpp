// The DCDM training right-hand sides against what the recipe implies, computed independently: unit
// norm; membership of the span of the kept Ritz vectors (formed one by one and projected on); the
// mean Rayleigh quotient bᵀAb and the share of b in the low Ritz vectors against their exact
// expectations for Gaussian coefficients with the recipe's weights (a 1-D integral, below); and
// reproducibility: the same bits for a seed, whatever range or thread count, different for
// another seed. Then the file: round trip, attributes, provenance and validation errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <vector>

#include "core/error.hpp"
#include "core/threads.hpp"
#include "io/hdf5_file.hpp"
#include "physics/poisson/poisson_problems.hpp"
#include "physics/poisson/ritz_dataset.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "solvers/krylov/lanczos.hpp"
#include "solvers/structured/cell_laplacian.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::physics::poisson;

namespace {

solvers::CsrMatrix neumann_laplacian(long nx, long ny, long nz) {
  solvers::CellLattice lattice;
  lattice.cells = {nx, ny, nz};
  return solvers::assemble_laplacian(
      lattice, std::vector<solvers::CellType>(static_cast<std::size_t>(lattice.count()), solvers::CellType::fluid));
}

std::vector<std::vector<double>> generate(const RitzSpace& space, const RitzDatasetOptions& options, long first,
                                          long count) {
  std::vector<std::vector<double>> out;
  generate_ritz_rhs(space, options, first, count, [&](long index, std::span<const double> b) {
    CHECK(index == first + static_cast<long>(out.size()));
    out.emplace_back(b.begin(), b.end());
  });
  return out;
}

double dot(const std::vector<double>& x, const std::vector<double>& y) {
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// E[Σ_j a_j g_j² / Σ_j d_j g_j²] for independent g_j ~ N(0, 1): with 1/D = ∫₀^∞ e^{−tD} dt and
// E[g² e^{−t d g²}] = (1 + 2td)^{−3/2},
//   E = ∫₀^∞ Σ_j a_j / (1 + 2t d_j) · Π_i (1 + 2t d_i)^{−1/2} dt,
// integrated over t = e^s by the trapezoidal rule (exponentially accurate for this smooth,
// doubly decaying integrand).
double ratio_expectation(const std::vector<double>& a, const std::vector<double>& d) {
  const double s0 = -40, s1 = 20;
  const int steps = 20000;
  const double h = (s1 - s0) / steps;
  double sum = 0;
  for (int k = 0; k <= steps; ++k) {
    const double t = std::exp(s0 + h * k);
    double log_product = 0, numerator = 0;
    for (std::size_t j = 0; j < d.size(); ++j) {
      log_product += -0.5 * std::log1p(2 * t * d[j]);
      numerator += a[j] / (1 + 2 * t * d[j]);
    }
    sum += (k == 0 || k == steps ? 0.5 : 1.0) * t * numerator * std::exp(log_product);
  }
  return sum * h;
}

}  // namespace

TEST_CASE("Ritz dataset: the expectation integral is right where the answer is known", "[poisson][ritz]") {
  // Equal weights: E[Σ θ_j g_j² / Σ g_j²] = mean θ by symmetry.
  const std::vector<double> theta{0.5, 1, 2, 3.5, 7};
  CHECK(ratio_expectation(theta, std::vector<double>(5, 1.0)) == Approx(2.8).epsilon(1e-10));
  // One weighted term of two: E[w g₁² / (w g₁² + g₂²)] = √w / (1 + √w) (a Cauchy-type integral).
  CHECK(ratio_expectation({81, 0}, {81, 1}) == Approx(0.9).epsilon(1e-10));
}

TEST_CASE("Ritz dataset: vectors have unit norm and lie in the span of the kept Ritz vectors", "[poisson][ritz]") {
  const solvers::CsrMatrix a = neumann_laplacian(8, 8, 8);
  const auto n = static_cast<std::size_t>(a.rows);
  RitzDatasetOptions options;
  options.lanczos_steps = 60;
  options.seed = 5;
  const RitzSpace space = build_ritz_space(a, options);
  REQUIRE(space.lanczos.steps() == 60);
  CHECK(space.ritz.size() + space.ritz.dropped == 60);
  CHECK(space.low_count == std::min(30, space.ritz.size()));
  for (double theta : space.ritz.values) CHECK(theta >= 1e-8);

  std::vector<std::vector<double>> y(static_cast<std::size_t>(space.ritz.size()), std::vector<double>(n));
  for (int i = 0; i < space.ritz.size(); ++i)
    solvers::ritz_vector(space.lanczos, space.ritz, i, y[static_cast<std::size_t>(i)]);
  for (const auto& b : generate(space, options, 0, 40)) {
    CHECK(std::sqrt(dot(b, b)) == Approx(1).margin(1e-13));
    std::vector<double> rest = b;
    for (const auto& yi : y) {
      const double c = dot(yi, b);
      for (std::size_t r = 0; r < n; ++r) rest[r] -= c * yi[r];
    }
    CHECK(std::sqrt(dot(rest, rest)) < 1e-10);
    // Nothing along the null space (the constants) of the singular Neumann Laplacian.
    double mean = 0;
    for (double v : b) mean += v;
    CHECK(std::abs(mean) / std::sqrt(static_cast<double>(n)) < 1e-12);
  }
}

TEST_CASE("Ritz dataset: the 9x weight pulls the spectrum down as the recipe's statistics predict", "[poisson][ritz]") {
  const solvers::CsrMatrix a = neumann_laplacian(8, 8, 8);
  const auto n = static_cast<std::size_t>(a.rows);
  RitzDatasetOptions options;
  options.lanczos_steps = 80;
  options.seed = 21;
  const RitzSpace space = build_ritz_space(a, options);
  const std::vector<double> w = ritz_weights(space, options);
  const auto kept = space.ritz.values.size();
  REQUIRE(space.low_count == 40);
  for (std::size_t j = 0; j < kept; ++j) CHECK(w[j] == (static_cast<int>(j) < space.low_count ? 9.0 : 1.0));

  std::vector<double> rq_num(kept), low_num(kept), d(kept);
  for (std::size_t j = 0; j < kept; ++j) {
    d[j] = w[j] * w[j];
    rq_num[j] = d[j] * space.ritz.values[j];
    low_num[j] = static_cast<int>(j) < space.low_count ? d[j] : 0.0;
  }
  const double expected_rq = ratio_expectation(rq_num, d);
  const double expected_low = ratio_expectation(low_num, d);
  double uniform_rq = 0;  // unweighted combinations: E = the mean Ritz value
  for (double theta : space.ritz.values) uniform_rq += theta / static_cast<double>(kept);
  CHECK(expected_rq < 0.5 * uniform_rq);

  std::vector<std::vector<double>> y(kept, std::vector<double>(n));
  for (std::size_t i = 0; i < kept; ++i) solvers::ritz_vector(space.lanczos, space.ritz, static_cast<int>(i), y[i]);
  const long count = 400;
  std::vector<double> rq, low;
  std::vector<double> ab(n);
  generate_ritz_rhs(space, options, 0, count, [&](long, std::span<const double> b) {
    const std::vector<double> v(b.begin(), b.end());
    solvers::multiply(a, v, ab);
    rq.push_back(dot(v, ab));  // bᵀAb with the matrix itself, not the Ritz values
    double share = 0;
    for (int i = 0; i < space.low_count; ++i) share += std::pow(dot(y[static_cast<std::size_t>(i)], v), 2);
    low.push_back(share);
  });
  auto mean_and_error = [](const std::vector<double>& x) {
    double m = 0, s2 = 0;
    for (double v : x) m += v / static_cast<double>(x.size());
    for (double v : x) s2 += (v - m) * (v - m) / static_cast<double>(x.size() - 1);
    return std::make_pair(m, std::sqrt(s2 / static_cast<double>(x.size())));
  };
  const auto [rq_mean, rq_error] = mean_and_error(rq);
  const auto [low_mean, low_error] = mean_and_error(low);
  INFO("mean bᵀAb " << rq_mean << " ± " << rq_error << ", expected " << expected_rq << ", unweighted " << uniform_rq);
  INFO("low share " << low_mean << " ± " << low_error << ", expected " << expected_low);
  CHECK(std::abs(rq_mean - expected_rq) < 5 * rq_error);
  CHECK(std::abs(low_mean - expected_low) < 5 * low_error);
  CHECK(rq_mean < 0.5 * uniform_rq);
}

TEST_CASE("Ritz dataset: vector i depends only on the seed and i", "[poisson][ritz]") {
  const solvers::CsrMatrix a = neumann_laplacian(16, 16, 16);  // several row blocks in the kernels
  RitzDatasetOptions options;
  options.lanczos_steps = 40;
  options.seed = 3;
  auto make = [&](int threads, long first, long count) {
    ThreadLimit limit(threads);
    return generate(build_ritz_space(a, options), options, first, count);
  };
  const auto all = make(2, 0, 40);
  REQUIRE(all.size() == 40);
  CHECK(make(1, 0, 40) == all);
  const auto part = make(1, 29, 6);  // straddles a batch boundary
  REQUIRE(part.size() == 6);
  for (std::size_t i = 0; i < part.size(); ++i) CHECK(part[i] == all[29 + i]);
  options.seed = 4;
  const auto other = make(2, 0, 2);
  CHECK(other[0] != all[0]);
  CHECK(std::abs(dot(other[0], all[0])) < 0.5);
}

TEST_CASE("Ritz dataset: the file holds the vectors, the Ritz values, the recipe and provenance", "[poisson][ritz]") {
  test::TempDir dir;
  const solvers::CsrMatrix a = neumann_laplacian(6, 5, 4);
  RitzDatasetOptions options;
  options.lanczos_steps = 40;
  options.count = 37;  // two batches, the second partial
  options.seed = 2;
  options.low_extra = 3;
  std::vector<long> progress;
  options.vector_progress = [&](long done, long total) {
    CHECK(total == 37);
    progress.push_back(done);
  };
  io::Provenance provenance;
  provenance.command = "anneal poisson dataset (test)";
  const auto path = dir / "train.h5";
  const RitzDatasetSummary summary = write_ritz_dataset(path, a, {6, 5, 4}, options, provenance);
  CHECK(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(dir / "train.h5.tmp"));
  CHECK(summary.count == 37);
  CHECK(summary.lanczos_steps == 40);
  CHECK(summary.low_count == 23);
  CHECK(progress == std::vector<long>{32, 37});

  const RitzSpace space = build_ritz_space(a, options);
  const auto expected = generate(space, options, 0, 37);
  const DatasetHeader header = read_dataset_header(path);
  CHECK(header.count == 37);
  CHECK(header.grid == std::array<long, 3>{6, 5, 4});
  const auto f32 = read_dataset_vectors<float>(path, 0, 37);
  REQUIRE(f32.values.size() == 37u * 120u);
  for (long i = 0; i < 37; ++i)
    for (std::size_t r = 0; r < 120; ++r)
      CHECK(f32.vector(i)[r] == static_cast<float>(expected[static_cast<std::size_t>(i)][r]));
  const auto f64 = read_dataset_vectors<double>(path, 30, 7);
  CHECK(f64.first == 30);
  CHECK(f64.count == 7);
  for (long i = 0; i < 7; ++i)
    for (std::size_t r = 0; r < 120; ++r) CHECK(f64.vector(i)[r] == static_cast<double>(f32.vector(30 + i)[r]));

  const auto file = io::H5File::open_read(path);
  const auto info = file.dataset_info("/b");
  CHECK(info.dtype == io::DType::f32);
  CHECK(info.shape == io::Shape{37, 4, 5, 6});
  CHECK(file.read<double>("/ritz_values").data == space.ritz.values);
  CHECK(std::get<std::int64_t>(file.attribute("/", "lanczos_steps")) == 40);
  CHECK(std::get<std::int64_t>(file.attribute("/", "seed")) == 2);
  CHECK(std::get<std::int64_t>(file.attribute("/", "low_count")) == 23);
  CHECK(std::get<double>(file.attribute("/", "low_weight")) == 9.0);
  CHECK(std::get<double>(file.attribute("/", "high_weight")) == 1.0);
  CHECK(std::get<std::vector<std::int64_t>>(file.attribute("/", "grid_size")) == std::vector<std::int64_t>{6, 5, 4});
  CHECK(file.string_attribute("/meta", "command") == provenance.command);
  CHECK_THAT(file.string_attribute("/meta", "config"), Catch::Contains("\"lanczos_steps\":40"));

  CHECK_THROWS_WITH(read_dataset_vectors<float>(path, 30, 8),
                    Catch::Contains("train.h5") && Catch::Contains("'/b'") && Catch::Contains("holds 37"));
}

TEST_CASE("Ritz dataset: bad files and options get clear errors", "[poisson][ritz]") {
  test::TempDir dir;
  const solvers::CsrMatrix a = neumann_laplacian(6, 5, 4);
  RitzDatasetOptions options;
  options.lanczos_steps = 10;
  options.count = 2;
  CHECK_THROWS_WITH(write_ritz_dataset(dir / "x.h5", a, {6, 5, 5}, options, {}), Catch::Contains("6×5×5"));
  CHECK_THROWS_WITH(write_ritz_dataset(dir / "missing" / "x.h5", a, {6, 5, 4}, options, {}),
                    Catch::Contains("missing"));
  CHECK_FALSE(std::filesystem::exists(dir / "x.h5"));
  options.low_fraction = 1.5;
  CHECK_THROWS_WITH(build_ritz_space(a, options), Catch::Contains("low_fraction"));
  options.low_fraction = 0.5;
  options.count = 0;
  CHECK_THROWS_WITH(write_ritz_dataset(dir / "x.h5", a, {6, 5, 4}, options, {}), Catch::Contains("count"));

  {
    auto f = io::H5File::create(dir / "no_b.h5");
    f.write<float>("/other", std::vector<float>(120, 0.0f), {120});
    f.close();
  }
  CHECK_THROWS_WITH(read_dataset_header(dir / "no_b.h5"), Catch::Contains("no_b.h5") && Catch::Contains("/b"));
  {
    auto f = io::H5File::create(dir / "flat.h5");
    f.write<float>("/b", std::vector<float>(240, 0.0f), {2, 120});
    f.set_attribute("/", "grid_size", std::vector<std::int64_t>{6, 5, 4});
    f.close();
  }
  CHECK_THROWS_WITH(read_dataset_vectors<float>(dir / "flat.h5", 0, 1),
                    Catch::Contains("flat.h5") && Catch::Contains("'/b'") && Catch::Contains("[2, 120]"));
  {
    auto f = io::H5File::create(dir / "grid.h5");
    f.write<float>("/b", std::vector<float>(240, 0.0f), {2, 4, 5, 6});
    f.set_attribute("/", "grid_size", std::vector<std::int64_t>{4, 5, 6});
    f.close();
  }
  CHECK_THROWS_WITH(read_dataset_header(dir / "grid.h5"), Catch::Contains("grid.h5") && Catch::Contains("grid_size"));
  {
    auto f = io::H5File::create(dir / "nogrid.h5");
    f.write<float>("/b", std::vector<float>(240, 0.0f), {2, 4, 5, 6});
    f.close();
  }
  CHECK_THROWS_WITH(read_dataset_header(dir / "nogrid.h5"),
                    Catch::Contains("nogrid.h5") && Catch::Contains("grid_size"));
  {
    std::vector<float> values(240, 0.0f);
    values[130] = NAN;
    auto f = io::H5File::create(dir / "nan.h5");
    f.write<float>("/b", values, {2, 4, 5, 6});
    f.set_attribute("/", "grid_size", std::vector<std::int64_t>{6, 5, 4});
    f.close();
  }
  CHECK_NOTHROW(read_dataset_vectors<float>(dir / "nan.h5", 0, 1));
  CHECK_THROWS_WITH(read_dataset_vectors<float>(dir / "nan.h5", 1, 1),
                    Catch::Contains("nan.h5") && Catch::Contains("non-finite"));
}

TEST_CASE("Ritz dataset: vectors vanish on solid cells, where DCDM never moves the solution", "[poisson][ritz]") {
  GridProblem problem;
  problem.cells = {10, 8, 6};
  problem.walls = all_walls(solvers::Wall::zero_flux);
  problem.spheres.push_back(Sphere{{0.5, 0.4, 0.3}, 0.2, Units::unit});
  const PoissonSystem system = build_poisson_problem(problem);
  long solids = 0;
  for (auto t : system.cell_type) solids += t != 0;
  REQUIRE(solids > 10);
  RitzDatasetOptions options;
  options.lanczos_steps = 80;
  options.count = 12;
  const RitzSpace space = build_ritz_space(system.matrix, options);
  // An identity row has the eigenvalue 1: had solid cells entered the Krylov space, Ritz vectors
  // supported on them would be among the kept ones.
  generate_ritz_rhs(space, options, 0, options.count, [&](long, std::span<const double> b) {
    double solid_part = 0, norm = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      norm += b[i] * b[i];
      if (system.cell_type[i] != 0) solid_part += b[i] * b[i];
    }
    CHECK(norm == Approx(1.0));
    CHECK(solid_part == 0.0);
  });
}
