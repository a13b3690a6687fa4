#include "solvers/krylov/petsc_dcdm.hpp"

#include <petsc/private/kspimpl.h>

#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/status_check.hpp"

namespace anneal::solvers {
namespace {

static_assert(std::is_same_v<PetscScalar, double>, "anneal's DCDM needs a real, double-precision PETSc");

// The proposer is composed on the KSP object rather than kept in its type data, so that it can be
// set before `-ksp_type dcdm` is chosen and survives a change of type.
constexpr const char* kProposerKey = "anneal_dcdm_proposer";

// PETSc's type registry is process-wide; so is the loader that backs `-dcdm_model`.
struct Registration {
  bool registered = false;
  DcdmModelLoader loader;
};
Registration& registration() {
  static Registration r;
  return r;
}

// The dcdm type's data. Directions live in a ring of kept + 1 slots, as in PETSc's FCG: slot
// i % (kept + 1) takes step i's direction p and c = A p / (p·Ap), so that a projection coefficient
// is a single dot product with the proposal.
struct KspDcdm {
  PetscInt kept = 2;
  Vec* p = nullptr;
  Vec* c = nullptr;
  PetscInt slots = 0;
  std::string model_path;  // the -dcdm_model that made the current proposer, if any
};

PetscErrorCode delete_proposer(void* proposer) {
  delete static_cast<PetscDirectionProposer*>(proposer);
  return 0;
}

PetscErrorCode attach_proposer(KSP ksp, PetscDirectionProposer proposer) {
  PetscContainer container;
  PetscFunctionBegin;
  PetscCall(PetscContainerCreate(PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), &container));
  PetscCall(PetscContainerSetPointer(container, new PetscDirectionProposer(std::move(proposer))));
  PetscCall(PetscContainerSetUserDestroy(container, delete_proposer));
  PetscCall(
      PetscObjectCompose(reinterpret_cast<PetscObject>(ksp), kProposerKey, reinterpret_cast<PetscObject>(container)));
  PetscCall(PetscContainerDestroy(&container));  // the KSP holds the reference now
  PetscFunctionReturn(0);
}

PetscErrorCode find_proposer(KSP ksp, const PetscDirectionProposer** proposer) {
  PetscObject container = nullptr;
  void* pointer = nullptr;
  PetscFunctionBegin;
  PetscCall(PetscObjectQuery(reinterpret_cast<PetscObject>(ksp), kProposerKey, &container));
  if (container) PetscCall(PetscContainerGetPointer(reinterpret_cast<PetscContainer>(container), &pointer));
  *proposer = static_cast<const PetscDirectionProposer*>(pointer);
  PetscFunctionReturn(0);
}

PetscErrorCode free_directions(KspDcdm& dcdm) {
  PetscFunctionBegin;
  if (dcdm.slots) {
    PetscCall(VecDestroyVecs(dcdm.slots, &dcdm.p));
    PetscCall(VecDestroyVecs(dcdm.slots, &dcdm.c));
  }
  dcdm.slots = 0;
  PetscFunctionReturn(0);
}

// -ksp_dcdm_directions may change between solves without a new KSPSetUp.
PetscErrorCode ensure_directions(KSP ksp, KspDcdm& dcdm) {
  PetscFunctionBegin;
  if (dcdm.slots == dcdm.kept + 1) PetscFunctionReturn(0);
  PetscCall(free_directions(dcdm));
  PetscCall(KSPCreateVecs(ksp, dcdm.kept + 1, &dcdm.p, 0, nullptr));
  PetscCall(KSPCreateVecs(ksp, dcdm.kept + 1, &dcdm.c, 0, nullptr));
  dcdm.slots = dcdm.kept + 1;
  PetscFunctionReturn(0);
}

PetscErrorCode KSPSetUp_DCDM(KSP ksp) {
  auto& dcdm = *static_cast<KspDcdm*>(ksp->data);
  PC pc;
  PetscBool none;
  PetscFunctionBegin;
  // A preconditioner is rejected, not ignored: `-ksp_type dcdm -pc_type gamg` would otherwise
  // pay for a GAMG setup and report DCDM's iterations as if GAMG had helped.
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), PCNONE, &none));
  PetscCheck(none, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_SUP,
             "-ksp_type dcdm uses no preconditioner (its direction proposer plays that role), but the PC is %s: "
             "use -pc_type none, or -ksp_type fcg to combine a proposer with a preconditioner",
             reinterpret_cast<PetscObject>(pc)->type_name ? reinterpret_cast<PetscObject>(pc)->type_name : "unset");
  PetscCall(KSPSetWorkVecs(ksp, 3));  // r, the proposal z, r/‖r‖
  PetscCall(ensure_directions(ksp, dcdm));
  PetscFunctionReturn(0);
}

// The iteration of solve_conjugate_directions, in the operation order of PETSc's KSPSolve_FCG
// (src/ksp/ksp/impls/fcg/fcg.c) with standard truncation, so that `-ksp_type fcg -ksp_fcg_mmax m
// -ksp_fcg_truncation_type standard` with the proposer as a shell PC gives the same numbers.
PetscErrorCode KSPSolve_DCDM(KSP ksp) {
  auto& dcdm = *static_cast<KspDcdm*>(ksp->data);
  const MPI_Comm comm = PetscObjectComm(reinterpret_cast<PetscObject>(ksp));
  const PetscDirectionProposer* propose = nullptr;
  const char* prefix = nullptr;
  Mat a;
  PetscReal r_norm;
  PetscFunctionBegin;
  PetscCall(find_proposer(ksp, &propose));
  PetscCall(KSPGetOptionsPrefix(ksp, &prefix));
  PetscCheck(
      propose, comm, PETSC_ERR_ARG_WRONGSTATE,
      "-ksp_type dcdm needs -%sdcdm_model FILE or a proposer set in code (anneal::solvers::ksp_dcdm_set_proposer)",
      prefix ? prefix : "");
  PetscCall(ensure_directions(ksp, dcdm));
  Vec x = ksp->vec_sol, b = ksp->vec_rhs, r = ksp->work[0], z = ksp->work[1], scaled = ksp->work[2];
  PetscCall(PCGetOperators(ksp->pc, &a, nullptr));

  ksp->its = 0;
  if (!ksp->guess_zero) {
    PetscCall(KSP_MatMult(ksp, a, x, r));
    PetscCall(VecAYPX(r, -1.0, b));
  } else {
    PetscCall(VecCopy(b, r));  // KSPSolve has zeroed x
  }
  PetscCall(VecNorm(r, NORM_2, &r_norm));
  KSPCheckNorm(ksp, r_norm);
  ksp->rnorm = r_norm;
  PetscCall(KSPLogResidualHistory(ksp, r_norm));
  PetscCall(KSPMonitor(ksp, 0, r_norm));
  PetscCall((*ksp->converged)(ksp, 0, r_norm, &ksp->reason, ksp->cnvP));

  for (PetscInt i = 0; !ksp->reason && i < ksp->max_it; ++i) {
    if (r_norm == 0) {  // exact solution under zero tolerances: r/‖r‖ does not exist
      ksp->reason = KSP_CONVERGED_ATOL;
      break;
    }
    PetscCall(apply_proposer(*propose, r, r_norm, scaled, z));
    PetscCall(KSP_RemoveNullSpace(ksp, z));  // as KSP_PCApply does for FCG's shell

    // Classical Gram–Schmidt in the A inner product against the min(i, kept) latest directions,
    // oldest first: p = z − Σ_j (z·A p_j / p_j·A p_j) p_j.
    Vec p = dcdm.p[i % dcdm.slots], c = dcdm.c[i % dcdm.slots];
    PetscCall(VecCopy(z, p));
    const PetscInt first = PetscMax(0, i - dcdm.kept), count = i - first;
    if (count > 0) {
      std::vector<Vec> p_old(static_cast<std::size_t>(count)), c_old(p_old.size());
      std::vector<PetscScalar> coefficient(p_old.size());
      for (PetscInt j = 0; j < count; ++j) {
        p_old[static_cast<std::size_t>(j)] = dcdm.p[(first + j) % dcdm.slots];
        c_old[static_cast<std::size_t>(j)] = dcdm.c[(first + j) % dcdm.slots];
      }
      PetscCall(VecMDot(z, count, c_old.data(), coefficient.data()));
      for (auto& s : coefficient) s = -s;
      PetscCall(VecMAXPY(p, count, coefficient.data(), p_old.data()));
    }

    // Exact line search along p.
    PetscScalar p_r, p_ap;
    PetscCall(VecDot(p, r, &p_r));
    KSPCheckDot(ksp, p_r);
    PetscCall(KSP_MatMult(ksp, a, p, c));
    PetscCall(VecDot(p, c, &p_ap));
    KSPCheckDot(ksp, p_ap);
    if (!(p_ap > 0)) {  // the proposal had no A-norm left after orthogonalisation
      ksp->reason = KSP_DIVERGED_BREAKDOWN;
      break;
    }
    const PetscScalar alpha = p_r / p_ap;
    PetscCall(VecAXPY(x, alpha, p));
    PetscCall(VecAXPY(r, -alpha, c));
    PetscCall(VecNorm(r, NORM_2, &r_norm));
    KSPCheckNorm(ksp, r_norm);

    ksp->its = i + 1;
    ksp->rnorm = r_norm;
    PetscCall(KSPLogResidualHistory(ksp, r_norm));
    PetscCall(KSPMonitor(ksp, i + 1, r_norm));
    PetscCall((*ksp->converged)(ksp, i + 1, r_norm, &ksp->reason, ksp->cnvP));
    PetscCall(VecScale(c, 1.0 / p_ap));
  }
  if (!ksp->reason) ksp->reason = KSP_DIVERGED_ITS;
  PetscFunctionReturn(0);
}

PetscErrorCode KSPSetFromOptions_DCDM(KSP ksp, PetscOptionItems* PetscOptionsObject) {
  auto& dcdm = *static_cast<KspDcdm*>(ksp->data);
  PetscInt kept = dcdm.kept;
  char path[PETSC_MAX_PATH_LEN] = "";
  PetscBool kept_set, path_set;
  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "KSP DCDM (deep conjugate directions) options");
  PetscCall(PetscOptionsInt("-ksp_dcdm_directions", "Previous directions each proposal is A-orthogonalised against",
                            "anneal::solvers::register_dcdm_ksp", kept, &kept, &kept_set));
  PetscCall(PetscOptionsString("-dcdm_model", "Model file whose network proposes the search directions",
                               "anneal::solvers::register_dcdm_ksp", dcdm.model_path.c_str(), path, sizeof(path),
                               &path_set));
  PetscOptionsHeadEnd();  // returns here on PETSc's non-final passes over the options
  if (kept_set) {
    PetscCheck(kept >= 1, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_ARG_OUTOFRANGE,
               "-ksp_dcdm_directions must be at least 1, not %" PetscInt_FMT, kept);
    dcdm.kept = kept;
  }
  PetscCheck(!path_set || path[0], PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_ARG_NULL,
             "-dcdm_model needs a file name");
  if (path_set && dcdm.model_path != path) {  // a model is loaded once, not at every KSPSetFromOptions
    const DcdmModelLoader& loader = registration().loader;
    PetscCheck(loader, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_SUP,
               "-dcdm_model %s: no model loader is registered (anneal's poisson module registers one; "
               "code using the bare KSP calls anneal::solvers::register_dcdm_ksp(loader))",
               path);
    PetscDirectionProposer proposer;
    try {
      proposer = loader(path, ksp);
    } catch (const std::exception& e) {
      SETERRQ(PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_FILE_READ,
              "-dcdm_model %s could not be loaded: %s", path, e.what());
    }
    PetscCheck(proposer, PetscObjectComm(reinterpret_cast<PetscObject>(ksp)), PETSC_ERR_LIB,
               "the model loader returned no proposer for -dcdm_model %s", path);
    PetscCall(attach_proposer(ksp, std::move(proposer)));
    dcdm.model_path = path;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode KSPView_DCDM(KSP ksp, PetscViewer viewer) {
  const auto& dcdm = *static_cast<const KspDcdm*>(ksp->data);
  const PetscDirectionProposer* propose = nullptr;
  PetscBool ascii, string;
  PetscFunctionBegin;
  PetscCall(find_proposer(ksp, &propose));
  const char* source = !propose ? "none set" : dcdm.model_path.empty() ? "set in code" : dcdm.model_path.c_str();
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERASCII, &ascii));
  PetscCall(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(viewer), PETSCVIEWERSTRING, &string));
  if (ascii) {
    PetscCall(PetscViewerASCIIPrintf(viewer, "  kept directions: %" PetscInt_FMT "\n", dcdm.kept));
    PetscCall(PetscViewerASCIIPrintf(viewer, "  direction proposer: %s\n", source));
  } else if (string) {
    PetscCall(PetscViewerStringSPrintf(viewer, " kept directions: %" PetscInt_FMT, dcdm.kept));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode KSPReset_DCDM(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(free_directions(*static_cast<KspDcdm*>(ksp->data)));
  PetscFunctionReturn(0);
}

// Not KSPDestroyDefault: that PetscFree()s ksp->data, which is a C++ object here.
PetscErrorCode KSPDestroy_DCDM(KSP ksp) {
  PetscFunctionBegin;
  PetscCall(KSPReset_DCDM(ksp));
  PetscCall(VecDestroyVecs(ksp->nwork, &ksp->work));
  ksp->nwork = 0;
  delete static_cast<KspDcdm*>(ksp->data);
  ksp->data = nullptr;
  PetscFunctionReturn(0);
}

PetscErrorCode KSPCreate_DCDM(KSP ksp) {
  PC pc;
  PetscFunctionBegin;
  ksp->data = new KspDcdm;
  PetscCall(KSPSetSupportedNorm(ksp, KSP_NORM_UNPRECONDITIONED, PC_LEFT, 3));
  ksp->ops->setup = KSPSetUp_DCDM;
  ksp->ops->solve = KSPSolve_DCDM;
  ksp->ops->setfromoptions = KSPSetFromOptions_DCDM;
  ksp->ops->view = KSPView_DCDM;
  ksp->ops->reset = KSPReset_DCDM;
  ksp->ops->destroy = KSPDestroy_DCDM;
  ksp->ops->buildsolution = KSPBuildSolutionDefault;
  ksp->ops->buildresidual = KSPBuildResidualDefault;
  // Choosing dcdm makes the PC `none`, unless `-pc_type` is on the command line (KSPSetUp_DCDM then
  // refuses it). PETSc 3.18's KSPSetFromOptions runs PCSetFromOptions before it reads -ksp_type, so
  // by the time `-ksp_type dcdm` lands here the PC already has its default (ILU, block Jacobi) or a
  // type set in code for another method (PetscKrylov's GAMG); neither was asked for with dcdm.
  PetscCall(KSPGetPC(ksp, &pc));
  const char* pc_prefix = nullptr;
  PetscBool pc_type_given = PETSC_FALSE;
  PetscCall(PCGetOptionsPrefix(pc, &pc_prefix));
  PetscCall(PetscOptionsHasName(reinterpret_cast<PetscObject>(pc)->options, pc_prefix, "-pc_type", &pc_type_given));
  if (!pc_type_given) PetscCall(PCSetType(pc, PCNONE));
  PetscFunctionReturn(0);
}

PetscErrorCode forget_registration() {
  registration() = Registration{};
  return 0;
}

}  // namespace

PetscErrorCode apply_proposer(const PetscDirectionProposer& propose, Vec r, PetscReal r_norm, Vec scaled,
                              Vec direction) noexcept {
  PetscFunctionBegin;
  PetscCall(VecCopy(r, scaled));
  PetscCall(VecScale(scaled, 1.0 / r_norm));
  try {
    propose(scaled, direction);
  } catch (const std::exception& e) {
    SETERRQ(PetscObjectComm(reinterpret_cast<PetscObject>(r)), PETSC_ERR_LIB, "the DCDM direction proposer failed: %s",
            e.what());
  }
  PetscFunctionReturn(0);
}

void register_dcdm_ksp(DcdmModelLoader model_loader) {
  Registration& r = registration();
  if (!r.registered) {
    ANNEAL_PETSC_CHECK(KSPRegister(kKspDcdm, KSPCreate_DCDM));
    ANNEAL_PETSC_CHECK(PetscRegisterFinalize(forget_registration));  // PetscFinalize empties KSPList
    r.registered = true;
  }
  if (model_loader) r.loader = std::move(model_loader);
}

void ksp_dcdm_set_proposer(KSP ksp, PetscDirectionProposer proposer) {
  ANNEAL_CHECK(ksp && proposer, "ksp_dcdm_set_proposer: needs a KSP and a non-empty proposer");
  ANNEAL_PETSC_CHECK(attach_proposer(ksp, std::move(proposer)));
}

PetscDirectionProposer adapt_serial_proposer(DirectionProposer serial) {
  ANNEAL_CHECK(serial, "adapt_serial_proposer: the proposer is empty");
  return [serial = std::move(serial)](Vec residual, Vec direction) {
    int ranks = 1;
    ANNEAL_MPI_CHECK(MPI_Comm_size(PetscObjectComm(reinterpret_cast<PetscObject>(residual)), &ranks));
    ANNEAL_CHECK(ranks == 1,
                 "a serial DCDM proposer sees the whole residual and runs on one rank, but this system is spread "
                 "over {} ranks: give the KSP a PetscDirectionProposer that works on each rank's block",
                 ranks);
    PetscInt n;
    const PetscScalar* in;
    PetscScalar* out;
    ANNEAL_PETSC_CHECK(VecGetLocalSize(residual, &n));
    ANNEAL_PETSC_CHECK(VecGetArrayRead(residual, &in));
    ANNEAL_PETSC_CHECK(VecGetArray(direction, &out));
    const auto size = static_cast<std::size_t>(n);
    try {
      serial(std::span<const double>(in, size), std::span<double>(out, size));
    } catch (...) {
      VecRestoreArray(direction, &out);
      VecRestoreArrayRead(residual, &in);
      throw;
    }
    ANNEAL_PETSC_CHECK(VecRestoreArray(direction, &out));
    ANNEAL_PETSC_CHECK(VecRestoreArrayRead(residual, &in));
  };
}

}  // namespace anneal::solvers
