#pragma once
// Test helpers for PETSc solves of anneal's own systems: a CsrMatrix as an AIJ matrix with its rows
// split as PETSc decides, vectors copied in and out (every rank gets the whole vector back), and
// owning handles so that a failed REQUIRE does not leak PETSc objects into later test cases.
#include <petscksp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/status_check.hpp"
#include "solvers/structured/cell_laplacian.hpp"

namespace anneal::test {

template <class T, PetscErrorCode (*Destroy)(T*)>
class PetscOwned {
 public:
  PetscOwned() = default;
  ~PetscOwned() {
    if (object_) Destroy(&object_);
  }
  PetscOwned(const PetscOwned&) = delete;
  PetscOwned& operator=(const PetscOwned&) = delete;

  operator T() const { return object_; }  // implicit, so that it passes where PETSc wants the handle
  T* out() { return &object_; }           // for PETSc's Create(..., &object) calls

 private:
  T object_ = nullptr;
};
using OwnedMat = PetscOwned<Mat, MatDestroy>;
using OwnedVec = PetscOwned<Vec, VecDestroy>;
using OwnedKsp = PetscOwned<KSP, KSPDestroy>;

// The whole operator, each rank inserting the rows it owns.
inline void make_petsc_matrix(const solvers::CsrMatrix& a, MPI_Comm comm, OwnedMat& m) {
  PetscInt widest = 0;
  for (long r = 0; r < a.rows; ++r) {
    const auto row = static_cast<std::size_t>(r);
    widest = std::max(widest, static_cast<PetscInt>(a.indptr[row + 1] - a.indptr[row]));
  }
  ANNEAL_PETSC_CHECK(MatCreate(comm, m.out()));
  ANNEAL_PETSC_CHECK(
      MatSetSizes(m, PETSC_DECIDE, PETSC_DECIDE, static_cast<PetscInt>(a.rows), static_cast<PetscInt>(a.rows)));
  ANNEAL_PETSC_CHECK(MatSetType(m, MATAIJ));
  ANNEAL_PETSC_CHECK(MatSeqAIJSetPreallocation(m, widest, nullptr));
  ANNEAL_PETSC_CHECK(MatMPIAIJSetPreallocation(m, widest, nullptr, widest, nullptr));
  PetscInt lo, hi;
  ANNEAL_PETSC_CHECK(MatGetOwnershipRange(m, &lo, &hi));
  std::vector<PetscInt> columns;
  for (PetscInt r = lo; r < hi; ++r) {
    const auto row = static_cast<std::size_t>(r);
    const auto begin = static_cast<std::size_t>(a.indptr[row]), end = static_cast<std::size_t>(a.indptr[row + 1]);
    columns.assign(a.indices.begin() + static_cast<std::ptrdiff_t>(begin),
                   a.indices.begin() + static_cast<std::ptrdiff_t>(end));
    ANNEAL_PETSC_CHECK(
        MatSetValues(m, 1, &r, static_cast<PetscInt>(end - begin), columns.data(), &a.data[begin], INSERT_VALUES));
  }
  ANNEAL_PETSC_CHECK(MatAssemblyBegin(m, MAT_FINAL_ASSEMBLY));
  ANNEAL_PETSC_CHECK(MatAssemblyEnd(m, MAT_FINAL_ASSEMBLY));
}

// A vector in the matrix's row layout holding `global` (every rank passes the whole vector).
inline void make_petsc_vector(Mat m, const std::vector<double>& global, OwnedVec& v) {
  ANNEAL_PETSC_CHECK(MatCreateVecs(m, v.out(), nullptr));
  PetscInt lo, hi;
  ANNEAL_PETSC_CHECK(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* values;
  ANNEAL_PETSC_CHECK(VecGetArray(v, &values));
  for (PetscInt i = lo; i < hi; ++i) values[i - lo] = global[static_cast<std::size_t>(i)];
  ANNEAL_PETSC_CHECK(VecRestoreArray(v, &values));
}

// The whole vector, on every rank.
inline std::vector<double> gather(Vec v) {
  VecScatter scatter;
  Vec all;
  ANNEAL_PETSC_CHECK(VecScatterCreateToAll(v, &scatter, &all));
  ANNEAL_PETSC_CHECK(VecScatterBegin(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  ANNEAL_PETSC_CHECK(VecScatterEnd(scatter, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n;
  const PetscScalar* values;
  ANNEAL_PETSC_CHECK(VecGetSize(all, &n));
  ANNEAL_PETSC_CHECK(VecGetArrayRead(all, &values));
  std::vector<double> out(values, values + n);
  ANNEAL_PETSC_CHECK(VecRestoreArrayRead(all, &values));
  ANNEAL_PETSC_CHECK(VecScatterDestroy(&scatter));
  ANNEAL_PETSC_CHECK(VecDestroy(&all));
  return out;
}

// Residual histories (fractions of ‖b‖) agree when each pair of entries does to `relative` of its
// size or, once residuals are so small that two roundings of the same iteration legitimately differ
// by more than that (‖r_k‖ ≈ 1e-10‖b‖ carries relative noise ≈ 1e-9), to `absolute`·‖b‖. Returns
// the largest difference as a multiple of what is allowed: ≤ 1 means they agree.
inline double history_mismatch(const std::vector<double>& a, const std::vector<double>& b, double relative = 1e-10,
                               double absolute = 1e-15) {
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double allowed = std::max(relative * std::max(std::abs(a[i]), std::abs(b[i])), absolute);
    worst = std::max(worst, std::abs(a[i] - b[i]) / allowed);
  }
  return worst;
}

// A PETSc option for the length of a scope (so one test case's options do not reach the next).
class ScopedPetscOption {
 public:
  ScopedPetscOption(const char* name, const char* value) : name_(name) {
    ANNEAL_PETSC_CHECK(PetscOptionsSetValue(nullptr, name, value));
  }
  ~ScopedPetscOption() { PetscOptionsClearValue(nullptr, name_); }
  ScopedPetscOption(const ScopedPetscOption&) = delete;
  ScopedPetscOption& operator=(const ScopedPetscOption&) = delete;

 private:
  const char* name_;
};

}  // namespace anneal::test
