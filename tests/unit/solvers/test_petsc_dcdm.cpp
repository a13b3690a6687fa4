// The dcdm KSP against independent references: anneal's own DCDM iteration, PETSc's FCG(m, standard)
// with the proposer as a shell preconditioner (the paper's claim of equivalence), PETSc's CG (the
// identity proposer with one kept direction), and a sparse Cholesky solve (the A-norm of the error
// never grows, whatever the proposer; the converged x is the solution).
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "solvers/krylov/conjugate_directions.hpp"
#include "solvers/krylov/petsc_dcdm.hpp"
#include "solvers/krylov/petsc_fcg_proposer.hpp"
#include "solvers/structured/cell_laplacian.hpp"
#include "tests/support/petsc_system.hpp"
#include "tests/support/vector_compare.hpp"

using namespace anneal;
using namespace anneal::solvers;
using anneal::test::history_mismatch;
using anneal::test::OwnedKsp;
using anneal::test::OwnedMat;
using anneal::test::OwnedVec;
using anneal::test::ScopedPetscOption;

using anneal::test::max_relative_difference;
using anneal::test::relative_distance;

namespace {

// 8³ cells, zero-flux walls but one Dirichlet face (so A is SPD without a null space) and a 2³
// solid block (decoupled identity rows, as the DCDM systems have), random b and x0.
struct Problem {
  CsrMatrix a;
  std::vector<double> b, x0, diagonal;
};

Problem make_problem() {
  CellLattice lattice;
  lattice.cells = {8, 8, 8};
  lattice.walls[0][0] = Wall::dirichlet;
  std::vector<CellType> types(static_cast<std::size_t>(lattice.count()), CellType::fluid);
  for (long k = 3; k < 5; ++k)
    for (long j = 3; j < 5; ++j)
      for (long i = 3; i < 5; ++i) types[static_cast<std::size_t>(lattice.index(i, j, k))] = CellType::solid;
  Problem p;
  p.a = assemble_laplacian(lattice, types);
  const auto n = static_cast<std::size_t>(p.a.rows);
  p.diagonal.assign(n, 0.0);
  for (std::size_t r = 0; r < n; ++r)
    for (auto e = p.a.indptr[r]; e < p.a.indptr[r + 1]; ++e)
      if (p.a.indices[static_cast<std::size_t>(e)] == static_cast<std::int64_t>(r))
        p.diagonal[r] = p.a.data[static_cast<std::size_t>(e)];
  std::mt19937_64 rng(20230601);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::size_t i = 0; i < n; ++i) p.b.push_back(u(rng));
  for (std::size_t i = 0; i < n; ++i) p.x0.push_back(0.1 * u(rng));
  return p;
}

// Not linear, not symmetric, not scale-equivariant: a Jacobi step, a saturating term on the
// entries of r/‖r‖ (typically 0.01–0.2 here, so tanh(5·) bends them by 1–25 %) and a one-sided
// (upwind) neighbour.
struct ProposerShape {
  double weight = 0.1, steepness = 5.0, upwind = 0.03;
};
DirectionProposer nonlinear_proposer(const std::vector<double>& diagonal, ProposerShape shape = {}) {
  return [diagonal, shape](std::span<const double> r, std::span<double> q) {
    for (std::size_t i = 0; i < r.size(); ++i)
      q[i] = r[i] / diagonal[i] + shape.weight * std::tanh(shape.steepness * r[i]) +
             (i > 0 ? shape.upwind * r[i - 1] : 0.0);
  };
}

double norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}



struct PetscRun {
  std::vector<double> relative_residual;  // KSPGetResidualHistory / ‖b‖
  std::vector<double> x;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  PetscInt iterations = 0;
  std::string view;  // KSPView into a string viewer
};

// Solves from x0 with `configure` choosing the method (before KSPSetFromOptions, so the options
// under `prefix` apply on top).
template <class Configure>
PetscRun run_petsc(Mat a, const Problem& p, const char* prefix, double rtol, PetscInt max_it,
                   const Configure& configure) {
  OwnedKsp ksp;
  OwnedVec b, x;
  ANNEAL_PETSC_CHECK(KSPCreate(PETSC_COMM_WORLD, ksp.out()));
  ANNEAL_PETSC_CHECK(KSPSetOptionsPrefix(ksp, prefix));
  ANNEAL_PETSC_CHECK(KSPSetOperators(ksp, a, a));
  configure(static_cast<KSP>(ksp));
  ANNEAL_PETSC_CHECK(KSPSetTolerances(ksp, rtol, 0.0, 1e30, max_it));
  ANNEAL_PETSC_CHECK(KSPSetResidualHistory(ksp, nullptr, PETSC_DECIDE, PETSC_TRUE));
  ANNEAL_PETSC_CHECK(KSPSetFromOptions(ksp));
  anneal::test::make_petsc_vector(a, p.b, b);
  anneal::test::make_petsc_vector(a, p.x0, x);
  ANNEAL_PETSC_CHECK(KSPSetInitialGuessNonzero(ksp, PETSC_TRUE));
  ANNEAL_PETSC_CHECK(KSPSolve(ksp, b, x));

  PetscRun run;
  const PetscReal* history;
  PetscInt length;
  ANNEAL_PETSC_CHECK(KSPGetResidualHistory(ksp, &history, &length));
  const double b_norm = norm(p.b);
  for (PetscInt i = 0; i < length; ++i) run.relative_residual.push_back(history[i] / b_norm);
  run.x = anneal::test::gather(x);
  ANNEAL_PETSC_CHECK(KSPGetConvergedReason(ksp, &run.reason));
  ANNEAL_PETSC_CHECK(KSPGetIterationNumber(ksp, &run.iterations));
  char text[512] = "";
  PetscViewer viewer;
  ANNEAL_PETSC_CHECK(PetscViewerStringOpen(PETSC_COMM_WORLD, text, sizeof(text), &viewer));
  ANNEAL_PETSC_CHECK(KSPView(ksp, viewer));
  ANNEAL_PETSC_CHECK(PetscViewerDestroy(&viewer));
  run.view = text;
  return run;
}

// The specific message of the PETSc error that `code` reports (the handler returns, not prints).
std::string petsc_error_text(PetscErrorCode code) {
  const char* generic = nullptr;
  char* specific = nullptr;
  PetscErrorMessage(code, &generic, &specific);
  return std::string(generic ? generic : "") + ": " + (specific ? specific : "");
}

// ‖x − x*‖_A with Eigen's sparse product, independent of anneal and PETSc.
struct ANorm {
  Eigen::SparseMatrix<double> a;
  Eigen::VectorXd solution;
  double operator()(const std::vector<double>& x) const {
    const Eigen::VectorXd e =
        Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size())) - solution;
    return std::sqrt(e.dot(a * e));
  }
};

ANorm direct_solve(const Problem& p) {
  const auto n = static_cast<Eigen::Index>(p.a.rows);
  std::vector<Eigen::Triplet<double>> entries;
  for (Eigen::Index r = 0; r < n; ++r)
    for (auto e = p.a.indptr[static_cast<std::size_t>(r)]; e < p.a.indptr[static_cast<std::size_t>(r) + 1]; ++e)
      entries.emplace_back(r, static_cast<Eigen::Index>(p.a.indices[static_cast<std::size_t>(e)]),
                           p.a.data[static_cast<std::size_t>(e)]);
  ANorm out;
  out.a.resize(n, n);
  out.a.setFromTriplets(entries.begin(), entries.end());
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(out.a);
  REQUIRE(ldlt.info() == Eigen::Success);
  out.solution = ldlt.solve(Eigen::Map<const Eigen::VectorXd>(p.b.data(), n));
  return out;
}

// A monitor recording ‖x_k − x*‖_A at every iteration (x_k through KSPBuildSolution).
struct ErrorTrace {
  const ANorm* a_norm;
  std::vector<double> values;
};
PetscErrorCode record_error(KSP ksp, PetscInt, PetscReal, void* context) {
  auto* trace = static_cast<ErrorTrace*>(context);
  Vec x;
  PetscCall(KSPBuildSolution(ksp, nullptr, &x));
  try {  // no exception may cross PETSc's C frames
    trace->values.push_back((*trace->a_norm)(anneal::test::gather(x)));
  } catch (const std::exception&) {
    return PETSC_ERR_LIB;
  }
  return 0;
}

}  // namespace

TEST_CASE("dcdm: solve_conjugate_directions and -ksp_type dcdm and PETSc FCG(m) standard + shell proposer agree",
          "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  const int kept = GENERATE(2, 3);
  const DirectionProposer propose = nonlinear_proposer(p.diagonal);
  const double rtol = 1e-10;

  ConjugateDirectionSettings settings;
  settings.rtol = rtol;
  settings.max_iterations = 400;
  settings.orthogonalize_against = kept;
  std::vector<double> x_anneal = p.x0;
  const ConjugateDirectionReport serial = solve_conjugate_directions(p.a, p.b, x_anneal, propose, settings);
  REQUIRE(serial.converged);

  // The type and the number of kept directions come from the options; the proposer is set first.
  const std::string kept_text = std::to_string(kept);
  const ScopedPetscOption type("-agree_ksp_type", "dcdm"), directions("-agree_ksp_dcdm_directions", kept_text.c_str());
  const PetscRun dcdm = run_petsc(a, p, "agree_", rtol, 400,
                                  [&](KSP ksp) { ksp_dcdm_set_proposer(ksp, adapt_serial_proposer(propose)); });
  const PetscRun fcg = run_petsc(a, p, "fcg_", rtol, 400,
                                 [&](KSP ksp) { ksp_set_fcg_proposer(ksp, adapt_serial_proposer(propose), kept); });

  INFO("kept " << kept << ": " << serial.iterations << " iterations; dcdm vs anneal "
               << max_relative_difference(dcdm.relative_residual, serial.relative_residual) << ", dcdm vs fcg "
               << max_relative_difference(dcdm.relative_residual, fcg.relative_residual));
  CHECK(dcdm.reason == KSP_CONVERGED_RTOL);
  CHECK(fcg.reason == KSP_CONVERGED_RTOL);
  CHECK(dcdm.iterations == serial.iterations);
  CHECK(fcg.iterations == serial.iterations);
  REQUIRE(dcdm.relative_residual.size() == serial.relative_residual.size());
  REQUIRE(fcg.relative_residual.size() == serial.relative_residual.size());
  CHECK(history_mismatch(dcdm.relative_residual, serial.relative_residual) <= 1);
  CHECK(history_mismatch(dcdm.relative_residual, fcg.relative_residual) <= 1);
  CHECK(relative_distance(dcdm.x, x_anneal) < 1e-10);
  CHECK(relative_distance(dcdm.x, fcg.x) < 1e-10);
  CHECK(dcdm.view.find("dcdm") != std::string::npos);
  CHECK(dcdm.view.find("kept directions: " + kept_text) != std::string::npos);
}

// A steep saturation (tanh(20·r̂) dominates the Jacobi term) makes the iteration amplify rounding
// by about 1.2× per step: anneal's serial sums and PETSc's BLAS ones, both right, drift apart to
// 1e-2 in the residual after ~170 steps. The dcdm KSP does FCG's operations in FCG's order, so
// against FCG it still agrees (to the last bit, with PETSc 3.18).
TEST_CASE("dcdm: -ksp_type dcdm equals FCG + shell proposer even where rounding is amplified",
          "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  const DirectionProposer steep = nonlinear_proposer(p.diagonal, {.weight = 0.3, .steepness = 20.0, .upwind = 0.2});
  const PetscRun dcdm = run_petsc(a, p, "steep_", 1e-10, 400, [&](KSP ksp) {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, adapt_serial_proposer(steep));
  });
  const PetscRun fcg = run_petsc(a, p, "steep_fcg_", 1e-10, 400,
                                 [&](KSP ksp) { ksp_set_fcg_proposer(ksp, adapt_serial_proposer(steep)); });
  INFO(dcdm.iterations << " iterations; largest relative difference "
                       << max_relative_difference(dcdm.relative_residual, fcg.relative_residual));
  CHECK(dcdm.reason == KSP_CONVERGED_RTOL);
  REQUIRE(dcdm.relative_residual.size() == fcg.relative_residual.size());
  CHECK(history_mismatch(dcdm.relative_residual, fcg.relative_residual) <= 1);
  CHECK(relative_distance(dcdm.x, fcg.x) < 1e-10);
}

TEST_CASE("dcdm: the identity proposer with one kept direction is PETSc CG", "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  const ScopedPetscOption directions("-identity_ksp_dcdm_directions", "1");
  const PetscRun dcdm = run_petsc(a, p, "identity_", 1e-10, 400, [](KSP ksp) {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, [](Vec r, Vec q) { ANNEAL_PETSC_CHECK(VecCopy(r, q)); });
  });
  const PetscRun cg = run_petsc(a, p, "cg_", 1e-10, 400, [](KSP ksp) {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, KSPCG));
    PC pc;
    ANNEAL_PETSC_CHECK(KSPGetPC(ksp, &pc));
    ANNEAL_PETSC_CHECK(PCSetType(pc, PCNONE));
    ANNEAL_PETSC_CHECK(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  });
  // CG's recurrences (β = r·r / r_old·r_old) and DCDM's projection round differently: equal to
  // 1e-15 relative for 60 steps, then the last residuals, below 1e-8‖b‖, differ by up to 1e-7 of
  // themselves, which is 1e-17‖b‖ (under history_mismatch's absolute floor).
  INFO(cg.iterations << " CG iterations; largest relative difference "
                     << max_relative_difference(dcdm.relative_residual, cg.relative_residual));
  CHECK(cg.reason == KSP_CONVERGED_RTOL);
  CHECK(dcdm.reason == KSP_CONVERGED_RTOL);
  CHECK(dcdm.iterations == cg.iterations);
  REQUIRE(dcdm.relative_residual.size() == cg.relative_residual.size());
  CHECK(history_mismatch(dcdm.relative_residual, cg.relative_residual) <= 1);
  CHECK(relative_distance(dcdm.x, cg.x) < 1e-12);
}

TEST_CASE("dcdm: the A-norm of the error never grows even for a garbage proposer and x is the direct solution",
          "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  const ANorm a_norm = direct_solve(p);
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);

  auto never_grows = [](const std::vector<double>& e) {
    for (std::size_t k = 1; k < e.size(); ++k)
      if (e[k] > e[k - 1] * (1 + 1e-12)) return false;
    return true;
  };

  SECTION("random directions, unrelated to the residual") {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    DirectionProposer garbage = [&](std::span<const double>, std::span<double> q) {
      for (double& v : q) v = u(rng);
    };
    ErrorTrace trace{&a_norm, {}};
    const PetscRun run = run_petsc(a, p, "garbage_", 1e-10, 150, [&](KSP ksp) {
      ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
      ksp_dcdm_set_proposer(ksp, adapt_serial_proposer(garbage));
      ANNEAL_PETSC_CHECK(KSPMonitorSet(ksp, record_error, &trace, nullptr));
    });
    CHECK(run.reason == KSP_DIVERGED_ITS);
    REQUIRE(trace.values.size() == 151);
    CHECK(never_grows(trace.values));
    CHECK(trace.values.back() < trace.values.front());
  }
  SECTION("a useful proposer converges to the direct solution") {
    ErrorTrace trace{&a_norm, {}};
    const PetscRun run = run_petsc(a, p, "useful_", 1e-10, 400, [&](KSP ksp) {
      ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
      ksp_dcdm_set_proposer(ksp, adapt_serial_proposer(nonlinear_proposer(p.diagonal)));
      ANNEAL_PETSC_CHECK(KSPMonitorSet(ksp, record_error, &trace, nullptr));
    });
    REQUIRE(run.reason == KSP_CONVERGED_RTOL);
    CHECK(never_grows(trace.values));
    const std::vector<double> solution(a_norm.solution.data(), a_norm.solution.data() + a_norm.solution.size());
    // ‖x − x*‖/‖x*‖ ≤ κ(A)·‖r‖/‖b‖ ≤ κ·rtol, and κ ≈ 350 here (λ_max < 12; λ_min ≈ (π/17)², the
    // slowest mode between the Dirichlet face and the opposite wall, 8 cells away): about 4e-8.
    INFO("relative error " << relative_distance(run.x, solution));
    CHECK(relative_distance(run.x, solution) < 1e-7);
  }
}

// All walls zero-flux: A is singular with the constants in its null space, declared to PETSc. Both
// KSPs take the constant out of each proposal (FCG through KSP_PCApply), which changes nothing in
// exact arithmetic: A·1 = 0 and r ⟂ 1 for a consistent b, so the residuals are the serial ones.
TEST_CASE("dcdm: a singular Neumann system with its null space declared", "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  Problem p = make_problem();
  CellLattice lattice;
  lattice.cells = {8, 8, 8};
  p.a = assemble_laplacian(lattice, std::vector<CellType>(512, CellType::fluid));
  std::fill(p.diagonal.begin(), p.diagonal.end(), 0.0);
  for (std::size_t r = 0; r < 512; ++r)
    for (auto e = p.a.indptr[r]; e < p.a.indptr[r + 1]; ++e)
      if (p.a.indices[static_cast<std::size_t>(e)] == static_cast<std::int64_t>(r))
        p.diagonal[r] = p.a.data[static_cast<std::size_t>(e)];
  double mean = 0;
  for (double v : p.b) mean += v / 512.0;
  for (double& v : p.b) v -= mean;  // consistent: b ⟂ constants

  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  MatNullSpace constants;
  ANNEAL_PETSC_CHECK(MatNullSpaceCreate(PETSC_COMM_WORLD, PETSC_TRUE, 0, nullptr, &constants));
  ANNEAL_PETSC_CHECK(MatSetNullSpace(a, constants));
  ANNEAL_PETSC_CHECK(MatNullSpaceDestroy(&constants));

  const DirectionProposer propose = nonlinear_proposer(p.diagonal);
  ConjugateDirectionSettings settings;
  settings.rtol = 1e-10;
  settings.max_iterations = 400;
  std::vector<double> x_anneal = p.x0;
  const ConjugateDirectionReport serial = solve_conjugate_directions(p.a, p.b, x_anneal, propose, settings);
  REQUIRE(serial.converged);
  const PetscRun dcdm = run_petsc(a, p, "neumann_", 1e-10, 400, [&](KSP ksp) {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, adapt_serial_proposer(propose));
  });
  const PetscRun fcg = run_petsc(a, p, "neumann_fcg_", 1e-10, 400,
                                 [&](KSP ksp) { ksp_set_fcg_proposer(ksp, adapt_serial_proposer(propose)); });
  INFO(serial.iterations << " iterations; dcdm vs anneal "
                         << max_relative_difference(dcdm.relative_residual, serial.relative_residual));
  CHECK(dcdm.reason == KSP_CONVERGED_RTOL);
  REQUIRE(dcdm.relative_residual.size() == serial.relative_residual.size());
  CHECK(history_mismatch(dcdm.relative_residual, serial.relative_residual) <= 1);
  REQUIRE(fcg.relative_residual.size() == dcdm.relative_residual.size());
  CHECK(history_mismatch(dcdm.relative_residual, fcg.relative_residual) <= 1);
  // x differs from the serial one by a constant only (the serial iteration keeps x0's mean and
  // adds the proposals' means; PETSc's adds none).
  double shift = 0;
  for (std::size_t i = 0; i < 512; ++i) shift += (x_anneal[i] - dcdm.x[i]) / 512.0;
  std::vector<double> shifted = dcdm.x;
  for (double& v : shifted) v += shift;
  CHECK(relative_distance(shifted, x_anneal) < 1e-10);
}

TEST_CASE("dcdm: a direction with no A-norm left stops with DIVERGED_BREAKDOWN", "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  const PetscRun run = run_petsc(a, p, "zero_", 1e-10, 50, [](KSP ksp) {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, [](Vec, Vec q) { ANNEAL_PETSC_CHECK(VecSet(q, 0.0)); });
  });
  CHECK(run.reason == KSP_DIVERGED_BREAKDOWN);
  CHECK(run.iterations == 0);
}

TEST_CASE("dcdm: -dcdm_model goes through the registered loader and bad setups are clear PETSc errors",
          "[solvers][dcdm][petsc]") {
  register_dcdm_ksp();
  const Problem p = make_problem();
  OwnedMat a;
  anneal::test::make_petsc_matrix(p.a, PETSC_COMM_WORLD, a);
  OwnedVec b, x;
  anneal::test::make_petsc_vector(a, p.b, b);
  anneal::test::make_petsc_vector(a, p.x0, x);
  OwnedKsp ksp;
  ANNEAL_PETSC_CHECK(KSPCreate(PETSC_COMM_WORLD, ksp.out()));
  ANNEAL_PETSC_CHECK(KSPSetOperators(ksp, a, a));

  SECTION("neither a proposer nor a model") {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    const PetscErrorCode code = KSPSolve(ksp, b, x);
    CHECK(code != 0);
    INFO(petsc_error_text(code));
    CHECK(petsc_error_text(code).find("-ksp_type dcdm needs -dcdm_model FILE or a proposer set in code") !=
          std::string::npos);
  }
  SECTION("a preconditioner is refused, not silently ignored") {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, [](Vec r, Vec q) { ANNEAL_PETSC_CHECK(VecCopy(r, q)); });
    PC pc;
    ANNEAL_PETSC_CHECK(KSPGetPC(ksp, &pc));
    ANNEAL_PETSC_CHECK(PCSetType(pc, PCJACOBI));
    const PetscErrorCode code = KSPSetUp(ksp);
    CHECK(code != 0);
    INFO(petsc_error_text(code));
    CHECK(petsc_error_text(code).find("use -pc_type none") != std::string::npos);
  }
  SECTION("a proposer that throws: its message comes back through KSPSolve") {
    ANNEAL_PETSC_CHECK(KSPSetType(ksp, kKspDcdm));
    ksp_dcdm_set_proposer(ksp, [](Vec, Vec) { ANNEAL_THROW("the network wants 2 input channels"); });
    const PetscErrorCode code = KSPSolve(ksp, b, x);
    CHECK(code != 0);
    CHECK(petsc_error_text(code).find("the network wants 2 input channels") != std::string::npos);
  }
  SECTION("-dcdm_model calls the loader once, with the path and the KSP") {
    int loads = 0;
    register_dcdm_ksp([&](const std::string& path, KSP for_ksp) -> PetscDirectionProposer {
      ++loads;
      CHECK(path == "models/dcdm.h5");
      CHECK(for_ksp == static_cast<KSP>(ksp));
      return [](Vec r, Vec q) { ANNEAL_PETSC_CHECK(VecCopy(r, q)); };
    });
    ANNEAL_PETSC_CHECK(KSPSetOptionsPrefix(ksp, "model_"));
    const ScopedPetscOption type("-model_ksp_type", "dcdm"), model("-model_dcdm_model", "models/dcdm.h5");
    ANNEAL_PETSC_CHECK(KSPSetFromOptions(ksp));
    ANNEAL_PETSC_CHECK(KSPSetFromOptions(ksp));
    ANNEAL_PETSC_CHECK(KSPSetTolerances(ksp, 1e-8, 0.0, 1e30, 400));
    ANNEAL_PETSC_CHECK(KSPSolve(ksp, b, x));
    KSPConvergedReason reason;
    ANNEAL_PETSC_CHECK(KSPGetConvergedReason(ksp, &reason));
    CHECK(reason == KSP_CONVERGED_RTOL);
    CHECK(loads == 1);
    // The guess was not declared nonzero, so x0 was discarded: x itself solves the system.
    OwnedVec residual;
    ANNEAL_PETSC_CHECK(VecDuplicate(b, residual.out()));
    ANNEAL_PETSC_CHECK(MatMult(a, x, residual));
    ANNEAL_PETSC_CHECK(VecAYPX(residual, -1.0, b));
    PetscReal r_norm, b_norm;
    ANNEAL_PETSC_CHECK(VecNorm(residual, NORM_2, &r_norm));
    ANNEAL_PETSC_CHECK(VecNorm(b, NORM_2, &b_norm));
    CHECK(r_norm <= 1.01e-8 * b_norm);
  }
  SECTION("a model that cannot be loaded fails KSPSetFromOptions with the loader's message") {
    register_dcdm_ksp(
        [](const std::string& path, KSP) -> PetscDirectionProposer { ANNEAL_THROW("'{}' does not exist", path); });
    ANNEAL_PETSC_CHECK(KSPSetOptionsPrefix(ksp, "missing_"));
    const ScopedPetscOption type("-missing_ksp_type", "dcdm"), model("-missing_dcdm_model", "nowhere.h5");
    const PetscErrorCode code = KSPSetFromOptions(ksp);
    CHECK(code != 0);
    INFO(petsc_error_text(code));
    CHECK(petsc_error_text(code).find("'nowhere.h5' does not exist") != std::string::npos);
  }
}
