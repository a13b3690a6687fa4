// The module's own Poisson problems against independent facts: the spectra of the 7-point Laplacian
// with Dirichlet, Neumann and mixed walls in closed form (dense eigensolver), a manufactured solution
// (b from a stencil loop written here, a direct sparse solve recovering u), decoupled obstacles, the
// null space per fluid component, and right-hand sides that are what their definitions say.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>

#include "core/rng.hpp"
#include "physics/poisson/poisson_problems.hpp"
#include "tests/support/csr_eigen.hpp"

using namespace anneal;
using namespace anneal::physics::poisson;
using solvers::Wall;

namespace {

using Walls = std::array<std::array<Wall, 2>, 3>;

// Eigenvalues of the 1-D second-difference matrix on n cells with the given ends (Strang & MacNamara,
// "Functions of difference matrices are Toeplitz plus Hankel", SIAM Review 2014): Dirichlet both
// ends 2 − 2cos(kπ/(n+1)), k = 1..n; Neumann both 2 − 2cos(kπ/n), k = 0..n−1; one of each
// 2 − 2cos((2k−1)π/(2n+1)), k = 1..n.
std::vector<double> spectrum_1d(long n, std::array<Wall, 2> ends) {
  std::vector<double> out;
  const double pi = std::numbers::pi, nd = static_cast<double>(n);
  const int dirichlet = (ends[0] == Wall::dirichlet) + (ends[1] == Wall::dirichlet);
  for (long k = 0; k < n; ++k) {
    const double kd = static_cast<double>(k);
    const double theta = dirichlet == 2   ? (kd + 1) * pi / (nd + 1)
                         : dirichlet == 0 ? kd * pi / nd
                                          : (2 * kd + 1) * pi / (2 * nd + 1);
    out.push_back(2 - 2 * std::cos(theta));
  }
  return out;
}

std::vector<double> spectrum_3d(const std::array<long, 3>& n, const Walls& walls) {
  const auto x = spectrum_1d(n[0], walls[0]), y = spectrum_1d(n[1], walls[1]), z = spectrum_1d(n[2], walls[2]);
  std::vector<double> out;
  for (double a : x)
    for (double b : y)
      for (double c : z) out.push_back(a + b + c);
  std::sort(out.begin(), out.end());
  return out;
}

void check_spectrum(const Walls& walls) {
  GridProblem p;
  p.cells = {5, 4, 3};
  p.walls = walls;
  const PoissonSystem s = build_poisson_problem(p);
  const Eigen::MatrixXd a = test::to_dense(s.matrix);
  REQUIRE((a - a.transpose()).norm() == 0.0);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(a, Eigen::EigenvaluesOnly);
  const std::vector<double> expected = spectrum_3d(p.cells, walls);
  REQUIRE(static_cast<std::size_t>(solver.eigenvalues().size()) == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    CHECK(solver.eigenvalues()(static_cast<Eigen::Index>(i)) == Approx(expected[i]).margin(1e-10));
}

std::size_t index(const std::array<long, 3>& n, long i, long j, long k) {
  return static_cast<std::size_t>((k * n[1] + j) * n[0] + i);
}

// A hollow cube of solid cells [2, 6)³ minus [3, 5)³ in an 8³ grid: a fluid pocket of 8 cells inside.
GridProblem shell_problem(Wall wall) {
  GridProblem p;
  p.cells = {8, 8, 8};
  p.walls = all_walls(wall);
  for (std::size_t a = 0; a < 3; ++a)
    for (double side : {2.0, 5.0}) {
      Box b{{2, 2, 2}, {6, 6, 6}, Units::cells};
      b.lo[a] = side;
      b.hi[a] = side + 1;
      p.boxes.push_back(b);
    }
  return p;
}

double sum_on(const std::vector<double>& v, const std::vector<std::int64_t>& cells) {
  double s = 0;
  for (auto c : cells) s += v[static_cast<std::size_t>(c)];
  return s;
}

}  // namespace

TEST_CASE("poisson problems: the spectra of Dirichlet, Neumann and mixed walls are the closed forms", "[poisson]") {
  check_spectrum(all_walls(Wall::dirichlet));
  check_spectrum(all_walls(Wall::zero_flux));
  Walls mixed = all_walls(Wall::zero_flux);
  mixed[0][0] = Wall::dirichlet;  // x_min Dirichlet, x_max Neumann
  mixed[2][1] = Wall::dirichlet;  // z_max Dirichlet, z_min Neumann
  check_spectrum(mixed);
}

TEST_CASE("poisson problems: a manufactured solution is recovered by a direct solve", "[poisson]") {
  GridProblem p;
  p.cells = {7, 6, 5};
  p.walls = all_walls(Wall::zero_flux);
  p.walls[0][0] = Wall::dirichlet;
  p.walls[1][1] = Wall::dirichlet;
  p.spheres.push_back({{3.0, 3.0, 2.5}, 1.6, Units::cells});
  const PoissonSystem s = build_poisson_problem(p);
  REQUIRE(s.null_space == NullSpace::none);
  const auto& n = p.cells;

  std::vector<double> u(static_cast<std::size_t>(s.size()));
  for (long k = 0; k < n[2]; ++k)
    for (long j = 0; j < n[1]; ++j)
      for (long i = 0; i < n[0]; ++i)
        u[index(n, i, j, k)] =
            std::sin(0.3 * static_cast<double>(i) + 0.7 * static_cast<double>(j)) + 0.1 * static_cast<double>(k * k);
  // b = A u from the stencil written out: the flux (u_p − u_q) through each face to a fluid
  // neighbour, u_p through a Dirichlet wall (u = 0 beyond), nothing through Neumann walls or into
  // solids; a solid cell's row is the identity.
  std::vector<double> b(u.size());
  for (long k = 0; k < n[2]; ++k)
    for (long j = 0; j < n[1]; ++j)
      for (long i = 0; i < n[0]; ++i) {
        const std::size_t c = index(n, i, j, k);
        if (s.cell_type[c]) {
          b[c] = u[c];
          continue;
        }
        double sum = 0;
        const std::array<long, 3> p0{i, j, k};
        for (std::size_t a = 0; a < 3; ++a)
          for (int side = 0; side < 2; ++side) {
            std::array<long, 3> q = p0;
            q[a] += side == 0 ? -1 : 1;
            if (q[a] < 0 || q[a] >= n[a]) {
              if (p.walls[a][static_cast<std::size_t>(side)] == Wall::dirichlet) sum += u[c];
              continue;
            }
            const std::size_t d = index(n, q[0], q[1], q[2]);
            if (!s.cell_type[d]) sum += u[c] - u[d];
          }
        b[c] = sum;
      }
  const auto au = test::multiply(s.matrix, u);
  for (std::size_t c = 0; c < b.size(); ++c) CHECK(au[c] == Approx(b[c]).margin(1e-12));

  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(test::to_sparse(s.matrix));
  REQUIRE(ldlt.info() == Eigen::Success);
  const Eigen::VectorXd x =
      ldlt.solve(Eigen::Map<const Eigen::VectorXd>(b.data(), static_cast<Eigen::Index>(b.size())));
  double worst = 0;
  for (std::size_t c = 0; c < u.size(); ++c) worst = std::max(worst, std::abs(x(static_cast<Eigen::Index>(c)) - u[c]));
  CHECK(worst < 1e-10);
}

TEST_CASE("poisson problems: obstacles are solid cells decoupled as identity rows", "[poisson]") {
  GridProblem p;
  p.cells = {10, 10, 10};
  p.spheres.push_back({{0.5, 0.5, 0.5}, 0.3, Units::unit});
  p.boxes.push_back({{0, 0, 0}, {2, 3, 1}, Units::cells});  // cells i < 2, j < 3, k = 0
  const PoissonSystem s = build_poisson_problem(p);
  const auto& n = p.cells;
  // The mask from the definitions: a sphere of radius 0.3 about the centre of the unit cube, cell
  // centres at (i + ½)/10; the box holds the cells whose centres lie in [0, 2]×[0, 3]×[0, 1].
  long solids = 0;
  for (long k = 0; k < 10; ++k)
    for (long j = 0; j < 10; ++j)
      for (long i = 0; i < 10; ++i) {
        const auto x = [](long v) { return (static_cast<double>(v) + 0.5) / 10 - 0.5; };
        const bool solid = x(i) * x(i) + x(j) * x(j) + x(k) * x(k) <= 0.09 || (i < 2 && j < 3 && k == 0);
        CHECK(s.cell_type[index(n, i, j, k)] == (solid ? 1 : 0));
        solids += solid;
      }
  CHECK(solids > 6);
  CHECK(solids == static_cast<long>(std::count(s.cell_type.begin(), s.cell_type.end(), 1)));

  const Eigen::MatrixXd a = test::to_dense(s.matrix);
  CHECK((a - a.transpose()).norm() == 0.0);
  for (long r = 0; r < s.size(); ++r) {
    if (s.cell_type[static_cast<std::size_t>(r)]) {
      // Identity row and column.
      CHECK(a(r, r) == 1.0);
      CHECK(a.row(r).cwiseAbs().sum() == 1.0);
      CHECK(a.col(r).cwiseAbs().sum() == 1.0);
    } else {
      // All walls Dirichlet (the default): the diagonal counts every face that is not a solid.
      const long i = r % 10, j = (r / 10) % 10, k = r / 100;
      int open = 0;
      const std::array<long, 3> c{i, j, k};
      for (std::size_t ax = 0; ax < 3; ++ax)
        for (long side : {-1L, 1L}) {
          std::array<long, 3> q = c;
          q[ax] += side;
          const bool outside = q[ax] < 0 || q[ax] >= 10;
          open += outside || !s.cell_type[index(n, q[0], q[1], q[2])];
        }
      CHECK(a(r, r) == static_cast<double>(open));
    }
  }
  CHECK(s.grid == n);
  CHECK(s.null_space == NullSpace::none);
}

TEST_CASE("poisson problems: Neumann walls give a constant null space per fluid component", "[poisson]") {
  SECTION("a Neumann box: one component, every cell") {
    GridProblem p;
    p.cells = {4, 4, 4};
    p.walls = all_walls(Wall::zero_flux);
    const PoissonSystem s = build_poisson_problem(p);
    CHECK(s.null_space == NullSpace::constant);
    REQUIRE(s.null_components.size() == 1);
    CHECK(s.null_components[0].size() == 64);
    for (double v : test::multiply(s.matrix, std::vector<double>(64, 1.0))) CHECK(v == 0.0);
  }
  SECTION("one Dirichlet face makes it definite") {
    GridProblem p;
    p.cells = {4, 4, 4};
    p.walls = all_walls(Wall::zero_flux);
    p.walls[2][1] = Wall::dirichlet;
    const PoissonSystem s = build_poisson_problem(p);
    CHECK(s.null_space == NullSpace::none);
    CHECK(s.null_components.empty());
  }
  SECTION("an enclosed pocket is singular even inside Dirichlet walls") {
    for (Wall wall : {Wall::zero_flux, Wall::dirichlet}) {
      const PoissonSystem s = build_poisson_problem(shell_problem(wall));
      CHECK(s.null_space == NullSpace::constant);
      // The pocket: cells [3, 5)³.
      std::vector<std::int64_t> pocket;
      for (long k = 3; k < 5; ++k)
        for (long j = 3; j < 5; ++j)
          for (long i = 3; i < 5; ++i) pocket.push_back(static_cast<std::int64_t>(index({8, 8, 8}, i, j, k)));
      std::sort(pocket.begin(), pocket.end());
      if (wall == Wall::zero_flux) {
        REQUIRE(s.null_components.size() == 2);
        CHECK(s.null_components[0].size() == 512 - 56 - 8);  // outside the shell
        CHECK(s.null_components[1] == pocket);
      } else {
        REQUIRE(s.null_components.size() == 1);
        CHECK(s.null_components[0] == pocket);
      }
      // A·1_C = 0 on each component.
      for (const auto& component : s.null_components) {
        std::vector<double> one(512, 0.0);
        for (auto c : component) one[static_cast<std::size_t>(c)] = 1;
        for (double v : test::multiply(s.matrix, one)) CHECK(std::abs(v) == 0.0);
      }
    }
  }
}

TEST_CASE("poisson problems: projecting out the null space leaves b orthogonal to each component's constant",
          "[poisson]") {
  const PoissonSystem s = build_poisson_problem(shell_problem(Wall::zero_flux));
  REQUIRE(s.null_components.size() == 2);
  std::vector<double> b(512);
  RandomStream rng(3, 0);
  for (double& v : b) v = 1.0 + rng.normal();
  const std::vector<double> before = b;
  project_out_null_space(s, b);
  for (const auto& component : s.null_components) CHECK(std::abs(sum_on(b, component)) < 1e-12);
  // Solid cells belong to no component and keep their values; inside a component only the mean moves.
  for (std::size_t i = 0; i < b.size(); ++i)
    if (s.cell_type[i]) CHECK(b[i] == before[i]);
  const auto& pocket = s.null_components[1];
  const double shift = before[static_cast<std::size_t>(pocket[0])] - b[static_cast<std::size_t>(pocket[0])];
  for (auto c : pocket)
    CHECK(before[static_cast<std::size_t>(c)] - b[static_cast<std::size_t>(c)] == Approx(shift).margin(1e-14));
}

TEST_CASE("poisson problems: random_range_rhs is A·randn, normalised, consistent, reproducible", "[poisson]") {
  GridProblem p;
  p.cells = {6, 5, 4};
  p.spheres.push_back({{3.0, 2.5, 2.0}, 1.2, Units::cells});
  const PoissonSystem s = build_poisson_problem(p);
  const std::vector<double> b = random_range_rhs(s, 42);
  double norm = 0;
  for (double v : b) norm += v * v;
  CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-14));
  CHECK(random_range_rhs(s, 42) == b);
  CHECK(random_range_rhs(s, 43) != b);
  // Solving A x = b gives back z / ‖A z‖ with z the seed's normal draws on the fluid cells.
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(test::to_sparse(s.matrix));
  const Eigen::VectorXd x =
      ldlt.solve(Eigen::Map<const Eigen::VectorXd>(b.data(), static_cast<Eigen::Index>(b.size())));
  std::vector<double> z(b.size(), 0.0);
  for (std::size_t i = 0; i < z.size(); ++i)
    if (!s.cell_type[i]) z[i] = RandomStream(42, i).normal();
  double az = 0;
  for (double v : test::multiply(s.matrix, z)) az += v * v;
  az = std::sqrt(az);
  for (std::size_t i = 0; i < z.size(); ++i) {
    CHECK(x(static_cast<Eigen::Index>(i)) * az == Approx(z[i]).margin(1e-10));
    if (s.cell_type[i]) CHECK(b[i] == 0.0);
  }

  // On a singular system it is orthogonal to every component's constant.
  const PoissonSystem shell = build_poisson_problem(shell_problem(Wall::zero_flux));
  const auto bs = random_range_rhs(shell, 7);
  for (const auto& component : shell.null_components) CHECK(std::abs(sum_on(bs, component)) < 1e-13);
}

TEST_CASE("poisson problems: smooth_rhs samples one smooth f at any resolution, consistently", "[poisson]") {
  // b / h² is f at the cell centres: the mean over a coarse cell's 8 children on the grid twice as
  // fine is f at the coarse centre up to O(h²). All Dirichlet: nothing is projected out.
  GridProblem coarse, fine;
  coarse.cells = {8, 8, 8};
  fine.cells = {16, 16, 16};
  const auto bc = smooth_rhs(build_poisson_problem(coarse), 11);
  const auto bf = smooth_rhs(build_poisson_problem(fine), 11);
  double worst = 0, largest = 0;
  for (long k = 0; k < 8; ++k)
    for (long j = 0; j < 8; ++j)
      for (long i = 0; i < 8; ++i) {
        double mean = 0;
        for (long c = 0; c < 8; ++c)
          mean += bf[index(fine.cells, 2 * i + (c & 1), 2 * j + ((c >> 1) & 1), 2 * k + (c >> 2))] * 256.0 / 8;
        const double f = bc[index(coarse.cells, i, j, k)] * 64.0;
        worst = std::max(worst, std::abs(mean - f));
        largest = std::max(largest, std::abs(f));
      }
  CHECK(largest > 0.1);
  CHECK(worst < 0.05 * largest);
  CHECK(smooth_rhs(build_poisson_problem(coarse), 12) != bc);

  const PoissonSystem shell = build_poisson_problem(shell_problem(Wall::zero_flux));
  const auto bs = smooth_rhs(shell, 5);
  for (const auto& component : shell.null_components) CHECK(std::abs(sum_on(bs, component)) < 1e-13);
  for (std::size_t i = 0; i < bs.size(); ++i)
    if (shell.cell_type[i]) CHECK(bs[i] == 0.0);
}

TEST_CASE("poisson problems: sphere and point sources", "[poisson]") {
  GridProblem p;
  p.cells = {8, 8, 8};
  const PoissonSystem dirichlet = build_poisson_problem(p);
  // A sphere of radius 1.7 cells about a cell corner holds the centres of the 8 cells around the
  // corner and of their 24 face neighbours pointing away from it.
  const Sphere sphere{{4.0, 4.0, 4.0}, 1.7, Units::cells};
  const auto b = sphere_source_rhs(dirichlet, sphere);
  long inside = 0;
  for (long k = 0; k < 8; ++k)
    for (long j = 0; j < 8; ++j)
      for (long i = 0; i < 8; ++i) {
        const auto d = [](long v) { return static_cast<double>(v) + 0.5 - 4.0; };
        inside += d(i) * d(i) + d(j) * d(j) + d(k) * d(k) <= 1.7 * 1.7;
      }
  REQUIRE(inside == 32);
  double total = 0;
  for (double v : b) {
    total += v;
    CHECK((v == 0.0 || v == Approx(1.0 / 32)));
  }
  CHECK(total == Approx(1.0));

  // A point: radius 0 holds no centre, so the cell containing (0.3, 0.55, 0.9) in unit coordinates.
  const auto point = sphere_source_rhs(dirichlet, {{0.3, 0.55, 0.9}, 0.0, Units::unit});
  CHECK(point[index(p.cells, 2, 4, 7)] == 1.0);
  CHECK(std::count(point.begin(), point.end(), 0.0) == 511);

  // Neumann walls: a uniform sink balances the source.
  p.walls = all_walls(Wall::zero_flux);
  const auto bn = sphere_source_rhs(build_poisson_problem(p), sphere);
  double sum = 0;
  for (double v : bn) sum += v;
  CHECK(std::abs(sum) < 1e-14);
  CHECK(bn[index(p.cells, 4, 4, 4)] == Approx(1.0 / 32 - 1.0 / 512));
  CHECK(bn[0] == Approx(-1.0 / 512));
}
