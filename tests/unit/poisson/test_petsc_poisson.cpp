// The PETSc form of a Poisson system on one rank against the CSR system it came from (A·x in
// natural order, the null space), and the block form of the DCDM network against the serial
// proposer: cut a grid into blocks as ranks would, run the network on each ghosted box, and the
// owned cells equal the whole-grid direction when the halo is the receptive radius, and not when
// it is one even step short (so the radius is what the halo must be, not a loose bound).
#include <petscksp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "core/rng.hpp"
#include "core/status_check.hpp"
#include "physics/poisson/dcdm_block.hpp"
#include "physics/poisson/dcdm_proposer.hpp"
#include "physics/poisson/petsc_poisson.hpp"
#include "physics/poisson/poisson_problems.hpp"
#include "tests/support/csr_eigen.hpp"
#include "tests/support/vector_compare.hpp"

using namespace anneal;
using namespace anneal::physics::poisson;
using solvers::Wall;

using anneal::test::max_abs;
using anneal::test::max_difference;

namespace {

std::vector<double> random_vector(long n, std::uint64_t seed) {
  RandomStream rng(seed, 0);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = rng.normal();
  return v;
}



// y = A x through PETSc, both in natural order.
std::vector<double> petsc_product(const PetscPoissonSystem& p, const std::vector<double>& x) {
  Vec in, out;
  ANNEAL_PETSC_CHECK(VecDuplicate(p.rhs(), &in));
  ANNEAL_PETSC_CHECK(VecDuplicate(p.rhs(), &out));
  p.from_natural(x, in);
  ANNEAL_PETSC_CHECK(MatMult(p.matrix(), in, out));
  auto y = p.to_natural(out);
  VecDestroy(&in);
  VecDestroy(&out);
  return y;
}

GridProblem sphere_problem(std::array<long, 3> cells) {
  GridProblem problem;
  problem.cells = cells;
  problem.spheres.push_back(Sphere{{0.45, 0.4, 0.5}, 0.22, Units::unit});
  return problem;
}

std::shared_ptr<const DcdmNetwork> small_network(int in_channels, int full, int coarse, int post, std::uint64_t seed) {
  DcdmArchitecture arch;
  arch.in_channels = in_channels;
  arch.channels = 4;
  arch.full_units = full;
  arch.coarse_units = coarse;
  arch.post_units = post;
  RandomStream rng(seed, 0);
  return std::make_shared<const DcdmNetwork>(arch, rng, nn::DType::f64);
}

// The grid cut into blocks along z (the split a rank grid of {1, 1, blocks.size()} makes), each
// run through the block proposer with `halo`; the owned parts put together in natural order.
std::vector<double> blockwise_direction(const std::shared_ptr<const DcdmNetwork>& net, const PoissonSystem& system,
                                        const std::vector<double>& residual, const std::vector<long>& z_blocks,
                                        long halo) {
  const auto grid = system.grid;
  std::vector<double> out(residual.size(), 0.0);
  long lo = 0;
  for (const long size : z_blocks) {
    CellBox owned{{0, 0, lo}, {grid[0], grid[1], lo + size}};
    CellBox ghosted{{0, 0, std::max(0L, lo - halo)}, {grid[0], grid[1], std::min(grid[2], lo + size + halo)}};
    const DcdmBlockProposer block(net, grid, owned, ghosted, system.cell_type);
    std::vector<double> box;  // the ghosted box, cut from the whole residual
    for (long k = ghosted.lo[2]; k < ghosted.hi[2]; ++k)
      for (long j = 0; j < grid[1]; ++j)
        for (long i = 0; i < grid[0]; ++i)
          box.push_back(residual[static_cast<std::size_t>((k * grid[1] + j) * grid[0] + i)]);
    std::vector<double> part(static_cast<std::size_t>(owned.count()));
    block(box, part);
    std::copy(part.begin(), part.end(), out.begin() + lo * grid[0] * grid[1]);
    lo += size;
  }
  return out;
}

}  // namespace

TEST_CASE("PETSc Poisson system on one rank: A·x in natural order is the CSR product", "[poisson][petsc]") {
  const PoissonSystem system = build_poisson_problem(sphere_problem({10, 8, 6}));
  const auto x = random_vector(system.size(), 1);
  const auto expected = anneal::test::multiply(system.matrix, x);
  // Halo 0 is the baselines'; 23 (rounded to 24) is wider than the grid, which one rank allows.
  const int halo = GENERATE(0, 23);
  const PetscPoissonSystem p(system, halo);
  CHECK(p.halo() == halo + halo % 2);
  REQUIRE(p.dm() != nullptr);
  CHECK(p.rank_grid() == std::array<int, 3>{1, 1, 1});
  CHECK(p.owned_box().count() == system.size());
  CHECK(p.null_space() == nullptr);  // Dirichlet walls: definite
  const auto y = petsc_product(p, x);
  CHECK(max_difference(y, expected) <= 1e-13 * max_abs(expected));
  // The rhs went in and comes back in natural order.
  const auto b = random_range_rhs(system, 2);
  PoissonSystem with_rhs = system;
  with_rhs.rhs = b;
  const PetscPoissonSystem q(with_rhs, 0);
  CHECK(q.to_natural(q.rhs()) == b);
  CHECK(max_abs(q.to_natural(q.solution())) == 0.0);
}

TEST_CASE("PETSc Poisson system: a system without a grid is a plain AIJ matrix in natural order", "[poisson][petsc]") {
  PoissonSystem system = build_poisson_problem(sphere_problem({6, 5, 4}));
  system.grid = {0, 0, 0};
  system.cell_type.clear();
  const PetscPoissonSystem p(system, 8);
  CHECK(p.dm() == nullptr);
  CHECK_FALSE(p.has_grid());
  const auto x = random_vector(system.size(), 3);
  const auto expected = anneal::test::multiply(system.matrix, x);
  CHECK(max_difference(petsc_product(p, x), expected) <= 1e-13 * max_abs(expected));
  CHECK_THROWS_WITH(make_dcdm_proposer(small_network(1, 0, 1, 0, 4), p), Catch::Contains("not on a grid"));
}

TEST_CASE("PETSc Poisson system: a singular system carries its null space, one constant per component",
          "[poisson][petsc]") {
  // Zero flux all round and a solid wall across x: two fluid regions, each with its own constant.
  GridProblem problem;
  problem.cells = {12, 6, 4};
  problem.walls = all_walls(Wall::zero_flux);
  problem.boxes.push_back(Box{{5, 0, 0}, {7, 6, 4}, Units::cells});
  const PoissonSystem system = build_poisson_problem(problem);
  REQUIRE(system.null_components.size() == 2);
  const PetscPoissonSystem p(system, 0);
  REQUIRE(p.null_space() != nullptr);
  MatNullSpace attached;
  ANNEAL_PETSC_CHECK(MatGetNullSpace(p.matrix(), &attached));
  CHECK(attached == p.null_space());
  PetscBool has_constant;
  PetscInt count;
  const Vec* vectors;
  ANNEAL_PETSC_CHECK(MatNullSpaceGetVecs(p.null_space(), &has_constant, &count, &vectors));
  REQUIRE(count == 2);
  for (PetscInt v = 0; v < count; ++v) {
    const auto natural = p.to_natural(vectors[v]);
    const auto product = anneal::test::multiply(system.matrix, natural);  // A·v with the CSR matrix
    CHECK(max_abs(product) <= 1e-12);
    double norm = 0;
    for (double e : natural) norm += e * e;
    CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-14));
    for (PetscInt w = 0; w < v; ++w) {
      PetscScalar dot;
      ANNEAL_PETSC_CHECK(VecDot(vectors[v], vectors[w], &dot));
      CHECK(std::abs(dot) <= 1e-15);
    }
  }
  PetscBool correct = PETSC_FALSE;
  ANNEAL_PETSC_CHECK(MatNullSpaceTest(p.null_space(), p.matrix(), &correct));
  CHECK(correct == PETSC_TRUE);
}

TEST_CASE("DCDM block proposer: blocks with the receptive radius as halo reproduce the serial direction",
          "[poisson][dcdm]") {
  // Radius 8 (one coarse unit); z cut into blocks of 10 and 10 (or 10 and 11): each ghosted box
  // misses cells of the grid, so the halo, not the grid's edge, is what keeps the owned cells exact.
  const auto grid =
      GENERATE(std::array<long, 3>{8, 6, 20}, std::array<long, 3>{8, 6, 21}, std::array<long, 3>{7, 6, 20});
  const int channels = GENERATE(1, 2);
  const PoissonSystem system = build_poisson_problem(sphere_problem(grid));
  const auto net = small_network(channels, 0, 1, 0, 5);
  const long radius = net->architecture().receptive_radius();
  REQUIRE(radius == 8);
  auto residual = random_vector(system.size(), 6);
  const DcdmProposer serial(net, grid, system.cell_type);
  std::vector<double> expected(residual.size());
  serial(residual, expected);
  const std::vector<long> blocks{10, grid[2] - 10};

  const auto exact = blockwise_direction(net, system, residual, blocks, radius);
  INFO("grid " << grid[0] << "×" << grid[1] << "×" << grid[2] << ", " << channels << " channel(s)");
  CHECK(max_difference(exact, expected) <= 1e-12 * max_abs(expected));

  // One even step short (an odd halo would misalign the pooling): some owned cell changes.
  const auto short_halo = blockwise_direction(net, system, residual, blocks, radius - 2);
  CHECK(max_difference(short_halo, expected) > 1e-6 * max_abs(expected));
}

TEST_CASE("DCDM block proposer: misaligned boxes are refused with a reason", "[poisson][dcdm]") {
  const std::array<long, 3> grid{8, 6, 20};
  const auto net = small_network(1, 0, 1, 0, 7);
  const std::vector<std::uint8_t> none;
  CHECK_THROWS_WITH(DcdmBlockProposer(net, grid, CellBox{{0, 0, 9}, {8, 6, 20}}, CellBox{{0, 0, 1}, {8, 6, 20}}, none),
                    Catch::Contains("odd index 1 on axis z"));
  CHECK_THROWS_WITH(DcdmBlockProposer(net, grid, CellBox{{0, 0, 0}, {8, 6, 9}}, CellBox{{0, 0, 0}, {8, 6, 17}}, none),
                    Catch::Contains("odd extent (17 cells) on axis z"));
  CHECK_THROWS_WITH(DcdmBlockProposer(net, grid, CellBox{{0, 0, 0}, {8, 6, 12}}, CellBox{{0, 0, 0}, {8, 6, 10}}, none),
                    Catch::Contains("must lie in the ghosted box"));
  CHECK_THROWS_WITH(DcdmBlockProposer(small_network(2, 0, 1, 0, 7), grid, CellBox{{0, 0, 0}, {8, 6, 20}},
                                      CellBox{{0, 0, 0}, {8, 6, 20}}, none),
                    Catch::Contains("second input channel"));
}

TEST_CASE("DCDM on a PETSc Poisson system, one rank: the proposer equals the serial one; a short halo is refused",
          "[poisson][dcdm][petsc]") {
  const PoissonSystem system = build_poisson_problem(sphere_problem({8, 6, 11}));
  const auto net = small_network(2, 1, 1, 0, 8);
  const int radius = net->architecture().receptive_radius();
  CHECK_THROWS_WITH(make_dcdm_proposer(net, PetscPoissonSystem(system, radius - 2)),
                    Catch::Contains("receptive radius is 10 cells") && Catch::Contains("halo of 8"));
  const PetscPoissonSystem p(system, radius);
  const auto propose = make_dcdm_proposer(net, p);
  auto residual = random_vector(system.size(), 9);
  std::vector<double> expected(residual.size());
  DcdmProposer(net, system.grid, system.cell_type)(residual, expected);
  Vec r, q;
  ANNEAL_PETSC_CHECK(VecDuplicate(p.rhs(), &r));
  ANNEAL_PETSC_CHECK(VecDuplicate(p.rhs(), &q));
  p.from_natural(residual, r);
  propose(r, q);
  const auto direction = p.to_natural(q);
  VecDestroy(&r);
  VecDestroy(&q);
  CHECK(max_difference(direction, expected) <= 1e-12 * max_abs(expected));
}
