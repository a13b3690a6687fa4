#include "physics/poisson/poisson_system.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "core/error.hpp"

namespace anneal::physics::poisson {
namespace {

// Relative tolerances of the symmetry and zero-row-sum tests: round-off of a few additions of
// stencil weights, far below any real asymmetry or leak.
constexpr double kSymmetryTolerance = 1e-12;
constexpr double kRowSumTolerance = 1e-12;

std::string source_name(const PoissonSystem& s) { return s.source.empty() ? "(in memory)" : s.source.string(); }

std::size_t at(std::int64_t i) { return static_cast<std::size_t>(i); }

// indptr of length n + 1 starting at 0, non-decreasing, ending at the entry count; columns in range.
void check_structure(const PoissonSystem& s, const std::string& name) {
  const solvers::CsrMatrix& m = s.matrix;
  const auto n = static_cast<std::size_t>(m.rows);
  ANNEAL_CHECK(m.indptr.size() == n + 1, "'{}': dataset '/A/indptr' has {} entries; a {}×{} matrix needs {}", name,
               m.indptr.size(), n, n, n + 1);
  ANNEAL_CHECK(m.indptr.front() == 0, "'{}': dataset '/A/indptr' starts at {}, not 0", name, m.indptr.front());
  for (std::size_t r = 0; r < n; ++r)
    ANNEAL_CHECK(m.indptr[r] <= m.indptr[r + 1],
                 "'{}': dataset '/A/indptr' is not monotone: {} at row {} > {} at row {}", name, m.indptr[r], r,
                 m.indptr[r + 1], r + 1);
  ANNEAL_CHECK(m.indices.size() == m.data.size(),
               "'{}': datasets '/A/indices' ({} entries) and '/A/data' ({}) differ in length", name, m.indices.size(),
               m.data.size());
  ANNEAL_CHECK(at(m.indptr.back()) == m.indices.size(),
               "'{}': dataset '/A/indptr' ends at {} but '/A/indices' has {} entries", name, m.indptr.back(),
               m.indices.size());
  for (std::size_t e = 0; e < m.indices.size(); ++e)
    ANNEAL_CHECK(m.indices[e] >= 0 && m.indices[e] < m.rows,
                 "'{}': dataset '/A/indices' holds column {} at entry {}, out of range for a {}×{} matrix", name,
                 m.indices[e], e, n, n);
}

void check_finite(std::span<const double> values, const std::string& name, std::string_view dataset) {
  for (std::size_t i = 0; i < values.size(); ++i)
    ANNEAL_CHECK(std::isfinite(values[i]), "'{}': dataset '{}' holds a non-finite value ({}) at index {}", name,
                 dataset, values[i], i);
}

// Sorts the columns of each row and sums duplicates, so that rows can be searched.
void canonicalize(solvers::CsrMatrix& m) {
  std::vector<std::pair<std::int64_t, double>> row;
  std::size_t out = 0;
  std::int64_t begin = 0;
  for (std::size_t r = 0; r < at(m.rows); ++r) {
    const std::int64_t end = m.indptr[r + 1];
    row.clear();
    for (std::int64_t e = begin; e < end; ++e) row.emplace_back(m.indices[at(e)], m.data[at(e)]);
    std::sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::size_t row_start = out;
    for (const auto& [c, v] : row) {
      if (out > row_start && m.indices[out - 1] == c) {
        m.data[out - 1] += v;
        continue;
      }
      m.indices[out] = c;
      m.data[out] = v;
      ++out;
    }
    begin = end;
    m.indptr[r + 1] = static_cast<std::int64_t>(out);
  }
  m.indices.resize(out);
  m.data.resize(out);
}

// A(r, c) in a canonical matrix (0 if not stored).
double entry(const solvers::CsrMatrix& m, std::int64_t r, std::int64_t c) {
  const auto first = m.indices.begin() + m.indptr[at(r)], last = m.indices.begin() + m.indptr[at(r) + 1];
  const auto it = std::lower_bound(first, last, c);
  return it != last && *it == c ? m.data[at(it - m.indices.begin())] : 0.0;
}

void check_spd(const solvers::CsrMatrix& m, const std::string& name) {
  double largest = 0;
  for (double v : m.data) largest = std::max(largest, std::abs(v));
  // Every off-diagonal entry against its transpose (0 when not stored), so an entry missing on one
  // side counts in full.
  double worst = 0;
  std::int64_t worst_r = 0, worst_c = 0;
  for (std::int64_t r = 0; r < m.rows; ++r)
    for (std::int64_t e = m.indptr[at(r)]; e < m.indptr[at(r) + 1]; ++e) {
      const std::int64_t c = m.indices[at(e)];
      const double d = c == r ? 0.0 : std::abs(m.data[at(e)] - entry(m, c, r));
      if (d > worst) {
        worst = d;
        worst_r = r;
        worst_c = c;
      }
    }
  ANNEAL_CHECK(worst <= kSymmetryTolerance * largest,
               "'{}': the matrix '/A' is not symmetric (|A − Aᵀ| = {:.3g} at row {}, column {}; max|A| = {:.3g}): "
               "DCDM needs an SPD matrix",
               name, worst, worst_r, worst_c, largest);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    const double d = entry(m, r, r);
    ANNEAL_CHECK(d > 0, "'{}': the matrix '/A' is not SPD: its diagonal entry at row {} is {} (must be > 0)", name, r,
                 d);
  }
}

long product(const std::array<long, 3>& g) { return g[0] * g[1] * g[2]; }

void check_grid(const PoissonSystem& s, const std::string& name) {
  const long n = s.matrix.rows;
  if (has_grid(s)) {
    for (long e : s.grid)
      ANNEAL_CHECK(e >= 1, "'{}': attribute 'grid_size' of '/' is [{}, {}, {}]; extents must be ≥ 1", name, s.grid[0],
                   s.grid[1], s.grid[2]);
    ANNEAL_CHECK(product(s.grid) == n,
                 "'{}': attribute 'grid_size' of '/' is [{}, {}, {}] ({} cells) but '/A' has {} rows", name, s.grid[0],
                 s.grid[1], s.grid[2], product(s.grid), n);
    ANNEAL_CHECK(s.dim == 2 || s.dim == 3, "'{}': attribute 'dim' of '/' is {}; 2 or 3 expected", name, s.dim);
    ANNEAL_CHECK(s.dim == 3 || s.grid[2] == 1,
                 "'{}': a 2-D grid (attribute 'dim' of '/') needs nz = 1 in 'grid_size', not {}", name, s.grid[2]);
  }
  if (!s.cell_type.empty()) {
    ANNEAL_CHECK(static_cast<long>(s.cell_type.size()) == n,
                 "'{}': dataset '/cell_type' has {} cells but '/A' has {} rows", name, s.cell_type.size(), n);
    ANNEAL_CHECK(has_grid(s), "'{}': dataset '/cell_type' is given without a grid (attribute 'grid_size' of '/')",
                 name);
    for (std::size_t i = 0; i < s.cell_type.size(); ++i)
      ANNEAL_CHECK(s.cell_type[i] <= 1,
                   "'{}': dataset '/cell_type' holds {} at flat index {}; 0 (fluid) or 1 (solid) expected", name,
                   s.cell_type[i], i);
  }
}

// Union-find over the rows, joined by non-zero off-diagonal entries.
class Components {
 public:
  explicit Components(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), std::int64_t{0}); }
  std::int64_t find(std::int64_t i) {
    while (parent_[at(i)] != i) {
      parent_[at(i)] = parent_[at(parent_[at(i)])];  // path halving
      i = parent_[at(i)];
    }
    return i;
  }
  void join(std::int64_t a, std::int64_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[at(std::max(a, b))] = std::min(a, b);  // the root is the smallest cell
  }

 private:
  std::vector<std::int64_t> parent_;
};

}  // namespace

std::vector<std::vector<std::int64_t>> find_constant_null_space(const solvers::CsrMatrix& m) {
  const auto n = static_cast<std::size_t>(m.rows);
  Components components(n);
  std::vector<char> zero_sum(n);
  for (std::size_t r = 0; r < n; ++r) {
    double sum = 0, diagonal = 0;
    for (std::int64_t e = m.indptr[r]; e < m.indptr[r + 1]; ++e) {
      const std::int64_t c = m.indices[at(e)];
      sum += m.data[at(e)];
      if (at(c) == r)
        diagonal += m.data[at(e)];
      else if (m.data[at(e)] != 0)
        components.join(static_cast<std::int64_t>(r), c);
    }
    zero_sum[r] = std::abs(sum) <= kRowSumTolerance * std::abs(diagonal);
  }
  // A component is singular when every one of its rows sums to zero.
  std::vector<char> singular(n, 1);
  for (std::size_t r = 0; r < n; ++r)
    if (!zero_sum[r]) singular[at(components.find(static_cast<std::int64_t>(r)))] = 0;
  std::vector<std::vector<std::int64_t>> out;
  std::vector<std::int64_t> slot(n, -1);  // root -> index in out
  for (std::size_t r = 0; r < n; ++r) {
    const auto root = at(components.find(static_cast<std::int64_t>(r)));
    if (!singular[root]) continue;
    if (slot[root] < 0) {
      slot[root] = static_cast<std::int64_t>(out.size());
      out.emplace_back();
    }
    out[at(slot[root])].push_back(static_cast<std::int64_t>(r));
  }
  return out;
}

void validate_poisson_system(PoissonSystem& s) {
  const std::string name = source_name(s);
  const auto n = static_cast<std::size_t>(s.matrix.rows);
  check_structure(s, name);
  ANNEAL_CHECK(s.rhs.size() == n, "'{}': dataset '/b' has {} entries but '/A' is {}×{}", name, s.rhs.size(), n, n);
  ANNEAL_CHECK(s.solution.empty() || s.solution.size() == n, "'{}': dataset '/x' has {} entries but '/A' is {}×{}",
               name, s.solution.size(), n, n);
  check_finite(s.matrix.data, name, "/A/data");
  check_finite(s.rhs, name, "/b");
  check_finite(s.solution, name, "/x");
  check_grid(s, name);
  canonicalize(s.matrix);
  check_spd(s.matrix, name);
  s.null_components = find_constant_null_space(s.matrix);
  std::size_t cells = 0;
  for (const auto& c : s.null_components) cells += c.size();
  ANNEAL_CHECK(cells == 0 || s.null_space == NullSpace::constant,
               "'{}': the matrix '/A' is a singular system (a constant null space on {} cells, in {} "
               "component(s)) without a declared null space: add attribute null_space = 'constant' or fix the matrix",
               name, cells, s.null_components.size());
}

void project_out_null_space(const PoissonSystem& s, std::span<double> b) {
  ANNEAL_CHECK(static_cast<long>(b.size()) == s.size(),
               "project_out_null_space: a vector of {} entries for a system of {}", b.size(), s.size());
  for (const auto& component : s.null_components) {
    double sum = 0;
    for (std::int64_t i : component) sum += b[at(i)];
    const double mean = sum / static_cast<double>(component.size());
    for (std::int64_t i : component) b[at(i)] -= mean;
  }
}

bool has_grid(const PoissonSystem& s) { return s.grid != std::array<long, 3>{0, 0, 0}; }

std::array<long, 3> require_grid(const PoissonSystem& s, std::string_view purpose) {
  ANNEAL_CHECK(
      has_grid(s),
      "'{}': the system is not on a grid (no attribute 'grid_size' or dataset '/cell_type'), but {} needs one; "
      "add grid_size = [nx, ny, nz] to the file",
      source_name(s), purpose);
  return s.grid;
}

}  // namespace anneal::physics::poisson
