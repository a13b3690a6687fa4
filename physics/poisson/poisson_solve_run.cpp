#include "physics/poisson/poisson_solve_run.hpp"

#include <petscksp.h>

#include <cmath>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/status_check.hpp"
#include "core/timer.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/xdmf.hpp"
#include "physics/poisson/dcdm_model.hpp"
#include "physics/poisson/petsc_poisson.hpp"
#include "solvers/krylov/petsc_dcdm.hpp"

namespace anneal::physics::poisson {
namespace {

// Owns a KSP for the duration of a solve.
struct KspHandle {
  KSP ksp = nullptr;
  ~KspHandle() {
    if (ksp) KSPDestroy(&ksp);
  }
};

bool option_given(const char* name) {
  PetscBool set = PETSC_FALSE;
  ANNEAL_PETSC_CHECK(PetscOptionsHasName(nullptr, nullptr, name, &set));
  return set == PETSC_TRUE;
}

// "dcdm", "cg + gamg": the method as PETSc resolved the defaults and the user's options.
std::string describe(KSP ksp) {
  KSPType ksp_type = nullptr;
  PC pc = nullptr;
  PCType pc_type = nullptr;
  ANNEAL_PETSC_CHECK(KSPGetType(ksp, &ksp_type));
  ANNEAL_PETSC_CHECK(KSPGetPC(ksp, &pc));
  ANNEAL_PETSC_CHECK(PCGetType(pc, &pc_type));
  const std::string k = ksp_type ? ksp_type : "?", p = pc_type ? pc_type : "none";
  return p == "none" ? k : k + " + " + p;
}

void write_output(const SolveRunOptions& options, const PoissonSystem& system, const std::vector<double>& x,
                  const SolveRunResult& r) {
  io::AtomicOutput out(options.output, {options.system, options.model});
  {
    auto file = io::H5File::create(out.temp_path());
    const bool grid = has_grid(system);
    const io::Shape shape = grid ? io::Shape{static_cast<std::size_t>(system.grid[2]), static_cast<std::size_t>(system.grid[1]),
                                             static_cast<std::size_t>(system.grid[0])}
                                 : io::Shape{x.size()};
    file.write<double>("/x", x, shape);
    file.write<double>("/history/residual", r.history, {r.history.size()});
    if (grid) {
      file.link("/x", "/fields/x");
      const char* axes[3] = {"/grid/x", "/grid/y", "/grid/z"};
      for (std::size_t a = 0; a < 3; ++a) {
        std::vector<double> centres(static_cast<std::size_t>(system.grid[a]));
        for (std::size_t i = 0; i < centres.size(); ++i) centres[i] = (static_cast<double>(i) + 0.5) * system.spacing[a];
        file.write<double>(axes[a], centres, {centres.size()});
      }
      if (!system.cell_type.empty()) file.write<std::uint8_t>("/fields/cell_type", system.cell_type, shape);
    }
    file.set_attribute("/", "iterations", static_cast<std::int64_t>(r.iterations));
    file.set_attribute("/", "converged", static_cast<std::int64_t>(r.converged));
    file.set_attribute("/", "reason", r.reason);
    file.set_attribute("/", "method", r.method);
    file.set_attribute("/", "norm", r.norm);
    file.set_attribute("/", "relative_residual", r.relative_residual);
    file.set_attribute("/", "setup_seconds", r.setup_seconds);
    file.set_attribute("/", "solve_seconds", r.solve_seconds);
    file.set_attribute("/", "ranks", static_cast<std::int64_t>(mpi::size()));
    if (r.error_vs_reference >= 0) file.set_attribute("/", "error_vs_reference", r.error_vs_reference);
    io::write_provenance(file, options.provenance);
    file.close();
  }
  out.commit();
  if (has_grid(system)) {  // collective: write_text_atomically lets rank 0 write
    io::XdmfGrid g;
    g.h5_file = options.output.filename().string();
    g.nodes = {static_cast<std::size_t>(system.grid[2]), static_cast<std::size_t>(system.grid[1]),
               static_cast<std::size_t>(system.grid[0])};
    g.fields.push_back({"x", "/fields/x", io::DType::f64});
    if (!system.cell_type.empty()) g.fields.push_back({"cell_type", "/fields/cell_type", io::DType::u8});
    io::write_text_atomically(std::filesystem::path(options.output).replace_extension(".xmf"), io::xdmf_document(g));
  }
}

}  // namespace

void register_dcdm() {
  solvers::register_dcdm_ksp([](const std::string& path, KSP ksp) {
    DM da = nullptr;
    ANNEAL_PETSC_CHECK(KSPGetDM(ksp, &da));
    return make_dcdm_proposer(load_dcdm_model(path).network, da);
  });
}

SolveRunResult run_solve(const SolveRunOptions& options) {
  register_dcdm();
  const Stopwatch setup_watch;
  PoissonSystem system = read_poisson_system(options.system);
  ANNEAL_CHECK(!system.rhs.empty(), "'{}' has no right-hand side /b", options.system.string());
  std::shared_ptr<const DcdmNetwork> network;
  int halo = 1;
  if (!options.model.empty()) {
    network = load_dcdm_model(options.model).network;
    require_grid(system, "DCDM (the network sees the residual as an image)");
    halo = network->architecture().receptive_radius();
  }
  // A model given as a PETSc option instead is loaded by the KSP, on the grid built here: the grid's
  // halo must already fit its network.
  char option_model[PETSC_MAX_PATH_LEN] = "";
  PetscBool has_option_model = PETSC_FALSE;
  ANNEAL_PETSC_CHECK(PetscOptionsGetString(nullptr, nullptr, "-dcdm_model", option_model, sizeof option_model,
                                           &has_option_model));
  std::shared_ptr<const DcdmNetwork> option_network;
  if (has_option_model) {
    option_network = load_dcdm_model(option_model).network;
    halo = std::max(halo, option_network->architecture().receptive_radius());
  }
  // A grid too small to split over the ranks with the network's halo is solved whole on every rank
  // (the same iterations everywhere) rather than refused.
  MPI_Comm comm = PETSC_COMM_WORLD;
  if (has_grid(system) && mpi::size() > 1 && !PetscPoissonSystem::splits(system.grid, mpi::size(), halo)) {
    if (mpi::rank() == 0)
      log::warn("the {}×{}×{} grid does not split over {} ranks with a {}-cell halo: every rank solves it whole",
              system.grid[0], system.grid[1], system.grid[2], mpi::size(), halo);
    comm = PETSC_COMM_SELF;
  }
  PetscPoissonSystem petsc(system, halo, comm);
  // `-dcdm_model FILE` on this system: the loader that knows its cell types (solid cells get a zero
  // direction, as with --model); the generic DM-only loader comes back after the solve.
  solvers::register_dcdm_ksp([&petsc, &option_network, &option_model](const std::string& path, KSP) {
    // The network read above for its radius, unless the KSP's own prefix named another file.
    return make_dcdm_proposer(path == option_model ? option_network : load_dcdm_model(path).network, petsc);
  });
  struct RestoreLoader {
    ~RestoreLoader() { register_dcdm(); }
  } restore_loader;

  KspHandle handle;
  ANNEAL_PETSC_CHECK(KSPCreate(petsc.comm(), &handle.ksp));
  KSP ksp = handle.ksp;
  ANNEAL_PETSC_CHECK(KSPSetOperators(ksp, petsc.matrix(), petsc.matrix()));
  if (petsc.dm()) {
    // The grid, for `-dcdm_model FILE`; the operator stays the assembled matrix.
    ANNEAL_PETSC_CHECK(KSPSetDM(ksp, petsc.dm()));
    ANNEAL_PETSC_CHECK(KSPSetDMActive(ksp, PETSC_FALSE));
  }
  PC pc = nullptr;
  ANNEAL_PETSC_CHECK(KSPGetPC(ksp, &pc));
  const std::string default_ksp = !options.ksp_type.empty() ? options.ksp_type : network ? solvers::kKspDcdm : KSPCG;
  const std::string default_pc = !options.pc_type.empty() ? options.pc_type : network ? PCNONE : PCGAMG;
  ANNEAL_PETSC_CHECK(KSPSetType(ksp, default_ksp.c_str()));
  ANNEAL_PETSC_CHECK(PCSetType(pc, default_pc.c_str()));
  if (network) solvers::ksp_dcdm_set_proposer(ksp, make_dcdm_proposer(network, petsc));
  ANNEAL_PETSC_CHECK(KSPSetTolerances(ksp, options.rtol, 0.0, PETSC_DEFAULT, options.max_iterations));
  ANNEAL_PETSC_CHECK(KSPSetFromOptions(ksp));
  // One residual for every method: ‖b − Ax‖, not the preconditioned norm PETSc's CG reports by
  // default, so the histories (and the stopping test) compare like with like.
  KSPType type = nullptr;
  ANNEAL_PETSC_CHECK(KSPGetType(ksp, &type));
  const std::string ksp_type = type ? type : "";
  if (!option_given("-ksp_norm_type") && (ksp_type == KSPCG || ksp_type == KSPFCG || ksp_type == KSPPIPECG))
    ANNEAL_PETSC_CHECK(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  ANNEAL_PETSC_CHECK(KSPSetResidualHistory(ksp, nullptr, PETSC_DECIDE, PETSC_TRUE));
  if (petsc.null_space()) ANNEAL_PETSC_CHECK(MatNullSpaceRemove(petsc.null_space(), petsc.rhs()));
  ANNEAL_PETSC_CHECK(KSPSetUp(ksp));

  SolveRunResult result;
  result.method = describe(ksp);
  KSPNormType norm = KSP_NORM_DEFAULT;
  ANNEAL_PETSC_CHECK(KSPGetNormType(ksp, &norm));
  result.norm = KSPNormTypes[norm];
  result.setup_seconds = setup_watch.seconds();
  log::info("{} on {} unknowns ({} rank(s)), relative tolerance {:.1e}", result.method, system.size(), mpi::size(),
            options.rtol);

  ANNEAL_PETSC_CHECK(VecSet(petsc.solution(), 0.0));
  const Stopwatch solve_watch;
  ANNEAL_PETSC_CHECK(KSPSolve(ksp, petsc.rhs(), petsc.solution()));
  result.solve_seconds = solve_watch.seconds();

  PetscInt iterations = 0;
  KSPConvergedReason reason = KSP_CONVERGED_ITERATING;
  ANNEAL_PETSC_CHECK(KSPGetIterationNumber(ksp, &iterations));
  ANNEAL_PETSC_CHECK(KSPGetConvergedReason(ksp, &reason));
  result.iterations = static_cast<int>(iterations);
  result.converged = reason > 0;
  result.reason = KSPConvergedReasons[reason];
  const PetscReal* history = nullptr;
  PetscInt entries = 0;
  ANNEAL_PETSC_CHECK(KSPGetResidualHistory(ksp, &history, &entries));
  // Relative to ‖b‖ (the projected right-hand side: what the solver actually solved).
  PetscReal b_norm = 0;
  ANNEAL_PETSC_CHECK(VecNorm(petsc.rhs(), NORM_2, &b_norm));
  const double scale = b_norm > 0 ? b_norm : 1.0;
  for (PetscInt i = 0; i < entries; ++i) result.history.push_back(history[i] / scale);

  Vec residual = nullptr;
  ANNEAL_PETSC_CHECK(VecDuplicate(petsc.rhs(), &residual));
  ANNEAL_PETSC_CHECK(MatMult(petsc.matrix(), petsc.solution(), residual));
  ANNEAL_PETSC_CHECK(VecAYPX(residual, -1.0, petsc.rhs()));
  PetscReal r_norm = 0;
  ANNEAL_PETSC_CHECK(VecNorm(residual, NORM_2, &r_norm));
  ANNEAL_PETSC_CHECK(VecDestroy(&residual));
  result.relative_residual = r_norm / scale;

  std::vector<double> x = petsc.to_natural(petsc.solution());
  if (system.null_space == NullSpace::constant) project_out_null_space(system, x);  // the mean-free solution
  if (!system.solution.empty()) {
    std::vector<double> reference = system.solution;
    if (system.null_space == NullSpace::constant) project_out_null_space(system, reference);
    double diff = 0, size = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, std::abs(x[i] - reference[i]));
      size = std::max(size, std::abs(reference[i]));
    }
    result.error_vs_reference = size > 0 ? diff / size : diff;
  }
  write_output(options, system, x, result);
  return result;
}

}  // namespace anneal::physics::poisson
