#pragma once
// The projection step: solve the pressure Poisson equation −∇²φ = −∇·u* on the fluid cells (zero
// flux through walls and solids, periodic where the domain is) and subtract ∇φ, leaving a velocity
// whose discrete divergence is zero to the solver's tolerance. Private to physics/flow.
#include <memory>

#include "physics/flow/flow_state_petsc.hpp"
#include "solvers/krylov/petsc_krylov.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::physics::flow {

class Projection {
 public:
  // Assembles the operator for the scene's solids (they do not move) and sets up the KSP.
  Projection(const Scene& scene, const MacGrid& grid, const GhostedField& solid);
  ~Projection();
  Projection(const Projection&) = delete;
  Projection& operator=(const Projection&) = delete;

  // Projects f.u (ghosts need not be current). `guess` is φ's starting value on owned cells (the
  // previous pressure times this stage's time-step weight), replaced by the solution.
  solvers::KrylovReport project(FlowFields& f, std::vector<double>& phi);

  std::string description() const { return krylov_->description(); }
  const std::vector<double>& last_rhs() const { return rhs_; }  // owned cells, of the last solve
  const std::vector<double>& cell_types() const { return types_; }

 private:
  const Scene& scene_;
  const MacGrid& grid_;
  Mat matrix_ = nullptr;
  Vec b_ = nullptr, x_ = nullptr, null_ = nullptr;
  std::unique_ptr<solvers::PetscKrylov> krylov_;
  GhostedField phi_local_;
  std::vector<double> rhs_, types_;
};

// max |∇·u| over owned fluid cells (not divided by anything).
double local_max_divergence(const MacGrid& grid, const FlowFields& f);

}  // namespace anneal::physics::flow
