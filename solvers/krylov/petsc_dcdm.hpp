#pragma once
// The deep conjugate-direction method (solvers/krylov/conjugate_directions.hpp) as a PETSc KSP type,
// so that any PETSc program linked with anneal can run `-ksp_type dcdm -dcdm_model FILE`, on
// distributed Vecs, with PETSc's monitors, convergence tests, residual history and views.
//
// Options (with the KSP's prefix):
//   -ksp_dcdm_directions <m>  previous directions each proposal is A-orthogonalised against (2)
//   -dcdm_model FILE          the network that proposes directions, built by the loader given to
//                             register_dcdm_ksp (the network lives in physics/poisson, above us)
// The residual norm is the unpreconditioned one and the KSP's PC must be `none`: the proposer is
// the preconditioner. This header's job is to wrap PETSc, so its types appear here.
#include <petscksp.h>

#include <functional>
#include <string>

#include "solvers/krylov/conjugate_directions.hpp"

namespace anneal::solvers {

inline constexpr const char* kKspDcdm = "dcdm";  // the KSPType name

// Writes a search direction for `normalized_residual` (unit 2-norm, the KSP's layout) into
// `direction` (same layout). Collective on the Vecs' communicator; may throw anneal::Error, which
// the KSP turns into a PETSc error carrying the message.
using PetscDirectionProposer = std::function<void(Vec normalized_residual, Vec direction)>;

// Makes the proposer for `-dcdm_model model_path` on `ksp` (e.g. a trained CNN over the KSP's grid).
using DcdmModelLoader = std::function<PetscDirectionProposer(const std::string& model_path, KSP ksp)>;

// Registers the "dcdm" KSPType (after PetscInitialize; again after a PetscFinalize). A non-empty
// `model_loader` becomes the one every KSPSetFromOptions with `-dcdm_model` calls; an empty one
// keeps whatever loader was registered before. Without a loader `-dcdm_model` is an error.
void register_dcdm_ksp(DcdmModelLoader model_loader = {});

// Sets the proposer of `ksp`, replacing one made from `-dcdm_model`. Any time before KSPSolve,
// also before `-ksp_type dcdm` is chosen by KSPSetFromOptions. A KSP of type dcdm with neither a
// proposer nor a model fails in KSPSolve with a PETSc error naming `-dcdm_model`.
void ksp_dcdm_set_proposer(KSP ksp, PetscDirectionProposer proposer);

// A serial, span-based proposer (a DcdmProposer's function()) as a PetscDirectionProposer. It sees
// the whole residual, so it runs on one rank only: on more it throws, naming the rank count.
PetscDirectionProposer adapt_serial_proposer(DirectionProposer serial);

// Writes propose(r/r_norm) into `direction`, with `scaled` as the work vector for r/r_norm. Both the
// dcdm KSP and the FCG shell (petsc_fcg_proposer.hpp) go through here, so they hand the proposer
// bit-identical input. For use inside PETSc callbacks: exceptions become PETSc errors.
PetscErrorCode apply_proposer(const PetscDirectionProposer& propose, Vec r, PetscReal r_norm, Vec scaled,
                              Vec direction) noexcept;

}  // namespace anneal::solvers
