// Run under `mpiexec -n 2`: the dcdm KSP on a matrix whose rows are split over the ranks, with a
// proposer that is pointwise (each rank works on its own entries), follows the serial iteration
// (anneal's solve_conjugate_directions, computed on every rank) residual by residual.
#include <petscksp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/mpi_env.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "solvers/krylov/petsc_dcdm.hpp"
#include "solvers/krylov/petsc_fcg_proposer.hpp"
#include "solvers/structured/cell_laplacian.hpp"
#include "tests/support/petsc_system.hpp"
#include "tests/support/vector_compare.hpp"

using namespace anneal;
using namespace anneal::solvers;
using anneal::test::OwnedKsp;
using anneal::test::OwnedMat;
using anneal::test::OwnedVec;

using anneal::test::max_relative_difference;
using anneal::test::relative_distance;

namespace {

// A Jacobi step plus a saturating term: nonlinear and not scale-equivariant, but pointwise. Mildly
// so: a steep one (tanh(20·r)) amplifies rounding along the iteration until two correct
// summation orders (1 rank, 2 ranks) differ visibly; see the unit test of the dcdm KSP.
double propose_entry(double r, double diagonal) { return r / diagonal + 0.1 * std::tanh(5.0 * r); }



struct Run {
  PetscErrorCode code = 0;
  std::vector<double> residual, x;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
};

template <class Configure>
Run solve(Mat a, const std::vector<double>& b_values, const std::vector<double>& x0, const Configure& configure) {
  OwnedKsp ksp;
  OwnedVec b, x;
  anneal::test::make_petsc_vector(a, b_values, b);
  anneal::test::make_petsc_vector(a, x0, x);
  ANNEAL_PETSC_CHECK(KSPCreate(PETSC_COMM_WORLD, ksp.out()));
  ANNEAL_PETSC_CHECK(KSPSetOperators(ksp, a, a));
  configure(static_cast<KSP>(ksp));
  ANNEAL_PETSC_CHECK(KSPSetTolerances(ksp, 1e-10, 0.0, 1e30, 400));
  ANNEAL_PETSC_CHECK(KSPSetResidualHistory(ksp, nullptr, PETSC_DECIDE, PETSC_TRUE));
  ANNEAL_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE));
  Run run;
  run.code = KSPSolve(ksp, b, x);
  if (run.code) return run;
  const PetscReal* history;
  PetscInt length;
  ANNEAL_PETSC_CHECK(KSPGetResidualHistory(ksp, &history, &length));
  run.residual.assign(history, history + length);
  run.x = anneal::test::gather(x);
  ANNEAL_PETSC_CHECK(KSPGetConvergedReason(ksp, &run.reason));
  return run;
}

}  // namespace

TEST_CASE("dcdm KSP on 2 ranks follows the serial iteration with a pointwise proposer", "[mpi][solvers][dcdm]") {
  REQUIRE(mpi::size() == 2);
  register_dcdm_ksp();
  CellLattice lattice;
  lattice.cells = {8, 8, 6};
  lattice.walls[2][1] = Wall::dirichlet;  // a free surface on top: SPD, no null space
  std::vector<CellType> types(static_cast<std::size_t>(lattice.count()), CellType::fluid);
  types[static_cast<std::size_t>(lattice.index(4, 4, 2))] = CellType::solid;
  const CsrMatrix matrix = assemble_laplacian(lattice, types);
  const auto n = static_cast<std::size_t>(matrix.rows);
  std::vector<double> diagonal(n), b(n), x0(n);
  for (std::size_t r = 0; r < n; ++r)
    for (auto e = matrix.indptr[r]; e < matrix.indptr[r + 1]; ++e)
      if (matrix.indices[static_cast<std::size_t>(e)] == static_cast<std::int64_t>(r))
        diagonal[r] = matrix.data[static_cast<std::size_t>(e)];
  std::mt19937_64 rng(99);  // the same on every rank
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (double& v : b) v = u(rng);
  for (double& v : x0) v = 0.1 * u(rng);

  // The serial reference, in every process.
  ConjugateDirectionSettings settings;
  settings.rtol = 1e-10;
  settings.max_iterations = 400;
  std::vector<double> x_serial = x0;
  const ConjugateDirectionReport serial = solve_conjugate_directions(
      matrix, b, x_serial,
      [&](std::span<const double> r, std::span<double> q) {
        for (std::size_t i = 0; i < r.size(); ++i) q[i] = propose_entry(r[i], diagonal[i]);
      },
      settings);
  REQUIRE(serial.converged);

  OwnedMat a;
  anneal::test::make_petsc_matrix(matrix, PETSC_COMM_WORLD, a);
  OwnedVec petsc_diagonal;
  ANNEAL_PETSC_CHECK(MatCreateVecs(a, petsc_diagonal.out(), nullptr));
  ANNEAL_PETSC_CHECK(MatGetDiagonal(a, petsc_diagonal));
  PetscInt local_rows;
  ANNEAL_PETSC_CHECK(MatGetLocalSize(a, &local_rows, nullptr));
  REQUIRE(local_rows > 0);
  REQUIRE(local_rows < static_cast<PetscInt>(n));  // really split

  // Each rank maps its own block of r to its own block of q.
  const PetscDirectionProposer pointwise = [&](Vec r, Vec q) {
    const PetscScalar *in, *d;
    PetscScalar* out;
    PetscInt local;
    ANNEAL_PETSC_CHECK(VecGetLocalSize(r, &local));
    ANNEAL_PETSC_CHECK(VecGetArrayRead(r, &in));
    ANNEAL_PETSC_CHECK(VecGetArrayRead(petsc_diagonal, &d));
    ANNEAL_PETSC_CHECK(VecGetArray(q, &out));
    for (PetscInt i = 0; i < local; ++i) out[i] = propose_entry(in[i], d[i]);
    ANNEAL_PETSC_CHECK(VecRestoreArray(q, &out));
    ANNEAL_PETSC_CHECK(VecRestoreArrayRead(petsc_diagonal, &d));
    ANNEAL_PETSC_CHECK(VecRestoreArrayRead(r, &in));
  };

  double b_norm = 0;
  for (double v : b) b_norm += v * v;
  b_norm = std::sqrt(b_norm);
  auto relative = [&](std::vector<double> history) {  // as fractions of ‖b‖, like the serial report
    for (double& h : history) h /= b_norm;
    return history;
  };
  const std::vector<double>& serial_residual = serial.relative_residual;

  SECTION("-ksp_type dcdm") {
    const Run dcdm = solve(a, b, x0, [&](KSP ksp) {
      ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
      ksp_dcdm_set_proposer(ksp, pointwise);
    });
    REQUIRE(dcdm.code == 0);
    CHECK(dcdm.reason == KSP_CONVERGED_RTOL);
    REQUIRE(dcdm.residual.size() == serial_residual.size());
    INFO(serial.iterations << " iterations; largest relative difference "
                           << max_relative_difference(relative(dcdm.residual), serial_residual));
    CHECK(anneal::test::history_mismatch(relative(dcdm.residual), serial_residual) <= 1);
    CHECK(relative_distance(dcdm.x, x_serial) < 1e-10);
  }
  SECTION("FCG(2, standard) with the proposer as a shell, on 2 ranks too") {
    const Run fcg = solve(a, b, x0, [&](KSP ksp) { ksp_set_fcg_proposer(ksp, pointwise, 2); });
    REQUIRE(fcg.code == 0);
    CHECK(fcg.reason == KSP_CONVERGED_RTOL);
    REQUIRE(fcg.residual.size() == serial_residual.size());
    CHECK(anneal::test::history_mismatch(relative(fcg.residual), serial_residual) <= 1);
  }
  SECTION("a serial span proposer refuses to run on 2 ranks, through a PETSc error") {
    const Run refused = solve(a, b, x0, [&](KSP ksp) {
      ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
      ksp_dcdm_set_proposer(ksp, adapt_serial_proposer([](std::span<const double>, std::span<double>) {}));
    });
    CHECK(refused.code != 0);
    char* specific = nullptr;
    PetscErrorMessage(refused.code, nullptr, &specific);
    const std::string text = specific ? specific : "";
    INFO(text);
    CHECK(text.find("spread over 2 ranks") != std::string::npos);
  }
}
