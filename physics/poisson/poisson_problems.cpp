#include "physics/poisson/poisson_problems.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace anneal::physics::poisson {
namespace {

std::size_t at(long i) { return static_cast<std::size_t>(i); }

// The length of one cell in unit coordinates.
double unit_cell(const std::array<long, 3>& cells) {
  return 1.0 / static_cast<double>(std::max({cells[0], cells[1], cells[2]}));
}

// Cell (i, j, k)'s centre in the given units.
std::array<double, 3> centre(const std::array<long, 3>& cells, long i, long j, long k, Units units) {
  const double h = units == Units::unit ? unit_cell(cells) : 1.0;
  return {(static_cast<double>(i) + 0.5) * h, (static_cast<double>(j) + 0.5) * h, (static_cast<double>(k) + 0.5) * h};
}

bool inside(const Sphere& s, const std::array<double, 3>& x) {
  double d2 = 0;
  for (std::size_t a = 0; a < 3; ++a) d2 += (x[a] - s.centre[a]) * (x[a] - s.centre[a]);
  return d2 <= s.radius * s.radius;
}

bool inside(const Box& b, const std::array<double, 3>& x) {
  for (std::size_t a = 0; a < 3; ++a)
    if (x[a] < b.lo[a] || x[a] > b.hi[a]) return false;
  return true;
}

const char* wall_name(solvers::Wall w) { return w == solvers::Wall::dirichlet ? "Dirichlet" : "Neumann"; }

bool fluid(const PoissonSystem& s, std::size_t i) { return s.cell_type.empty() || s.cell_type[i] == 0; }

std::vector<double> multiply(const solvers::CsrMatrix& m, const std::vector<double>& x) {
  std::vector<double> y(at(m.rows), 0.0);
  for (std::size_t r = 0; r < y.size(); ++r)
    for (auto e = m.indptr[r]; e < m.indptr[r + 1]; ++e)
      y[r] += m.data[static_cast<std::size_t>(e)] * x[static_cast<std::size_t>(m.indices[static_cast<std::size_t>(e)])];
  return y;
}

// Zero on solid cells, consistent with the null space.
void finish(const PoissonSystem& s, std::vector<double>& b) {
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!fluid(s, i)) b[i] = 0;
  project_out_null_space(s, b);
}

}  // namespace

std::array<std::array<solvers::Wall, 2>, 3> all_walls(solvers::Wall wall) {
  return {{{wall, wall}, {wall, wall}, {wall, wall}}};
}

std::vector<std::uint8_t> obstacle_mask(const GridProblem& p) {
  for (long n : p.cells) ANNEAL_CHECK(n >= 1, "a Poisson grid needs at least one cell per axis, not {}", n);
  for (const Sphere& s : p.spheres)
    ANNEAL_CHECK(s.radius >= 0, "a sphere obstacle has a negative radius ({})", s.radius);
  std::vector<std::uint8_t> mask(at(p.cells[0] * p.cells[1] * p.cells[2]), 0);
  std::size_t index = 0;
  for (long k = 0; k < p.cells[2]; ++k)
    for (long j = 0; j < p.cells[1]; ++j)
      for (long i = 0; i < p.cells[0]; ++i, ++index) {
        bool solid = false;
        for (const Sphere& s : p.spheres) solid = solid || inside(s, centre(p.cells, i, j, k, s.units));
        for (const Box& b : p.boxes) solid = solid || inside(b, centre(p.cells, i, j, k, b.units));
        mask[index] = solid ? 1 : 0;
      }
  return mask;
}

PoissonSystem build_poisson_problem(const GridProblem& p) {
  PoissonSystem s;
  s.cell_type = obstacle_mask(p);
  ANNEAL_CHECK(std::count(s.cell_type.begin(), s.cell_type.end(), 0) > 0,
               "the obstacles fill the whole {}×{}×{} grid: there is no fluid cell left", p.cells[0], p.cells[1],
               p.cells[2]);
  solvers::CellLattice lattice;
  lattice.cells = p.cells;
  lattice.walls = p.walls;
  std::vector<solvers::CellType> types;
  types.reserve(s.cell_type.size());
  for (std::uint8_t t : s.cell_type) types.push_back(t ? solvers::CellType::solid : solvers::CellType::fluid);
  s.matrix = solvers::assemble_laplacian(lattice, types);
  s.rhs.assign(s.cell_type.size(), 0.0);
  s.grid = p.cells;
  s.dim = 3;
  s.null_components = find_constant_null_space(s.matrix);
  s.null_space = s.null_components.empty() ? NullSpace::none : NullSpace::constant;
  s.description = fmt::format(
      "7-point Laplacian on unit cells, natural order (k·ny + j)·nx + i: −1 per open face, the count of open faces "
      "(Dirichlet walls included) on the diagonal; solid rows identity rows; walls x {}/{}, y {}/{}, z {}/{}",
      wall_name(p.walls[0][0]), wall_name(p.walls[0][1]), wall_name(p.walls[1][0]), wall_name(p.walls[1][1]),
      wall_name(p.walls[2][0]), wall_name(p.walls[2][1]));
  return s;
}

std::vector<double> random_range_rhs(const PoissonSystem& s, std::uint64_t seed) {
  std::vector<double> z(at(s.size()), 0.0);
  for (std::size_t i = 0; i < z.size(); ++i)
    if (fluid(s, i)) z[i] = RandomStream(seed, i).normal();
  std::vector<double> b = multiply(s.matrix, z);
  finish(s, b);  // removes only round-off: A z is in the range already
  double norm = 0;
  for (double v : b) norm += v * v;
  norm = std::sqrt(norm);
  ANNEAL_CHECK(norm > 0, "random_range_rhs: A z = 0 (the system has no fluid cell)");
  for (double& v : b) v /= norm;
  return b;
}

std::vector<double> smooth_rhs(const PoissonSystem& s, std::uint64_t seed, int modes) {
  const std::array<long, 3> g = require_grid(s, "a smooth source");
  ANNEAL_CHECK(modes >= 1, "smooth_rhs: {} modes; at least 1 needed", modes);
  struct Mode {
    double amplitude;
    std::array<double, 3> wave, phase;
  };
  RandomStream rng(seed, 0);
  std::vector<Mode> m(static_cast<std::size_t>(modes));
  for (Mode& mode : m) {
    mode.amplitude = rng.normal();
    for (std::size_t a = 0; a < 3; ++a) {
      mode.wave[a] = std::numbers::pi * static_cast<double>(rng.uniform_int(4));
      mode.phase[a] = 2 * std::numbers::pi * rng.uniform();
    }
  }
  const double h = unit_cell(g);
  std::vector<double> b(at(s.size()), 0.0);
  std::size_t index = 0;
  for (long k = 0; k < g[2]; ++k)
    for (long j = 0; j < g[1]; ++j)
      for (long i = 0; i < g[0]; ++i, ++index) {
        const auto x = centre(g, i, j, k, Units::unit);
        double f = 0;
        for (const Mode& mode : m)
          f += mode.amplitude * std::cos(mode.wave[0] * x[0] + mode.phase[0]) *
               std::cos(mode.wave[1] * x[1] + mode.phase[1]) * std::cos(mode.wave[2] * x[2] + mode.phase[2]);
        b[index] = h * h * f;
      }
  finish(s, b);
  return b;
}

std::vector<double> sphere_source_rhs(const PoissonSystem& s, const Sphere& source) {
  const std::array<long, 3> g = require_grid(s, "a sphere source");
  std::vector<double> b(at(s.size()), 0.0);
  std::vector<std::size_t> cells;
  std::size_t index = 0;
  for (long k = 0; k < g[2]; ++k)
    for (long j = 0; j < g[1]; ++j)
      for (long i = 0; i < g[0]; ++i, ++index)
        if (fluid(s, index) && inside(source, centre(g, i, j, k, source.units))) cells.push_back(index);
  if (cells.empty()) {
    // A point source: the cell holding the centre.
    const double h = source.units == Units::unit ? unit_cell(g) : 1.0;
    std::array<long, 3> c{};
    for (std::size_t a = 0; a < 3; ++a) c[a] = static_cast<long>(std::floor(source.centre[a] / h));
    ANNEAL_CHECK(c[0] >= 0 && c[0] < g[0] && c[1] >= 0 && c[1] < g[1] && c[2] >= 0 && c[2] < g[2],
                 "the source's centre ({}, {}, {}) lies outside the {}×{}×{} grid", source.centre[0], source.centre[1],
                 source.centre[2], g[0], g[1], g[2]);
    const auto cell = at((c[2] * g[1] + c[1]) * g[0] + c[0]);
    ANNEAL_CHECK(fluid(s, cell), "the source at ({}, {}, {}) lies in a solid cell", source.centre[0], source.centre[1],
                 source.centre[2]);
    cells.push_back(cell);
  }
  for (std::size_t c : cells) b[c] = 1.0 / static_cast<double>(cells.size());
  finish(s, b);
  return b;
}

}  // namespace anneal::physics::poisson
