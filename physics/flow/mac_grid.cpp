#include "physics/flow/mac_grid_petsc.hpp"

#include "core/error.hpp"
#include "core/status_check.hpp"

namespace anneal::physics::flow {
namespace {

PetscInt pi(long v) { return static_cast<PetscInt>(v); }

IndexBox corners(DM dm, bool ghosted) {
  PetscInt x, y, z, m, n, p;
  if (ghosted) ANNEAL_PETSC_CHECK(DMDAGetGhostCorners(dm, &x, &y, &z, &m, &n, &p));
  else ANNEAL_PETSC_CHECK(DMDAGetCorners(dm, &x, &y, &z, &m, &n, &p));
  IndexBox box;
  box.lo = {x, y, z};
  box.hi = {x + m, y + n, z + p};
  return box;
}

}  // namespace

GhostedField::GhostedField(DM dm) : dm_(dm) {
  owned_ = corners(dm, false);
  ghost_ = corners(dm, true);
  gnx_ = ghost_.hi[0] - ghost_.lo[0];
  gny_ = ghost_.hi[1] - ghost_.lo[1];
  data_.assign(static_cast<std::size_t>(ghost_.count()), 0.0);
  ANNEAL_PETSC_CHECK(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, static_cast<PetscInt>(data_.size()), data_.data(), &vec_));
}

GhostedField::GhostedField(GhostedField&& o) noexcept
    : dm_(o.dm_), vec_(o.vec_), data_(std::move(o.data_)), owned_(o.owned_), ghost_(o.ghost_), gnx_(o.gnx_), gny_(o.gny_) {
  o.vec_ = nullptr;
}

GhostedField& GhostedField::operator=(GhostedField&& o) noexcept {
  if (this != &o) {
    if (vec_) VecDestroy(&vec_);
    dm_ = o.dm_;
    vec_ = o.vec_;
    data_ = std::move(o.data_);  // the buffer moves with its Vec
    owned_ = o.owned_;
    ghost_ = o.ghost_;
    gnx_ = o.gnx_;
    gny_ = o.gny_;
    o.vec_ = nullptr;
  }
  return *this;
}

GhostedField::~GhostedField() {
  if (vec_) VecDestroy(&vec_);
}

void GhostedField::exchange() {
  ANNEAL_PETSC_CHECK(DMLocalToLocalBegin(dm_, vec_, INSERT_VALUES, vec_));
  ANNEAL_PETSC_CHECK(DMLocalToLocalEnd(dm_, vec_, INSERT_VALUES, vec_));
}

std::vector<double> GhostedField::owned_values() const {
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(owned_.count()));
  for (long k = owned_.lo[2]; k < owned_.hi[2]; ++k)
    for (long j = owned_.lo[1]; j < owned_.hi[1]; ++j)
      for (long i = owned_.lo[0]; i < owned_.hi[0]; ++i) out.push_back((*this)(i, j, k));
  return out;
}

void GhostedField::set_owned_values(const std::vector<double>& values) {
  ANNEAL_CHECK(static_cast<long>(values.size()) == owned_.count(), "field block: {} values for {} owned points",
               values.size(), owned_.count());
  std::size_t n = 0;
  for (long k = owned_.lo[2]; k < owned_.hi[2]; ++k)
    for (long j = owned_.lo[1]; j < owned_.hi[1]; ++j)
      for (long i = owned_.lo[0]; i < owned_.hi[0]; ++i) (*this)(i, j, k) = values[n++];
}

MacGrid::MacGrid(const Scene& scene) : dim_(scene.dim), n_(scene.cells) {
  for (int a = 0; a < 3; ++a) {
    periodic_[static_cast<std::size_t>(a)] = a < dim_ && scene.periodic(a);
    h_[static_cast<std::size_t>(a)] = a < dim_ ? scene.spacing(a) : scene.size[2];
  }
  if (dim_ == 2) n_[2] = 1;
  const auto bt = [&](int a) { return periodic(a) ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_GHOSTED; };
  // Slab-friendly decomposition is PETSc's choice; 2-D grids are never split along z.
  const PetscInt pz = dim_ == 2 ? 1 : PETSC_DECIDE;
  ANNEAL_PETSC_CHECK(DMDACreate3d(PETSC_COMM_WORLD, bt(0), bt(1), bt(2), DMDA_STENCIL_BOX, pi(n_[0]), pi(n_[1]), pi(n_[2]),
                                  PETSC_DECIDE, PETSC_DECIDE, pz, 1, 2, nullptr, nullptr, nullptr, &cell_dm_));
  ANNEAL_PETSC_CHECK(DMSetUp(cell_dm_));
  PetscInt m[3];
  ANNEAL_PETSC_CHECK(DMDAGetInfo(cell_dm_, nullptr, nullptr, nullptr, nullptr, &m[0], &m[1], &m[2], nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr));
  const PetscInt* ranges[3];
  ANNEAL_PETSC_CHECK(DMDAGetOwnershipRanges(cell_dm_, &ranges[0], &ranges[1], &ranges[2]));
  for (int a = 0; a < 3; ++a)
    ANNEAL_CHECK(n_[static_cast<std::size_t>(a)] == 1 || *std::min_element(ranges[a], ranges[a] + m[a]) >= 2,
                 "the grid is too small for {} MPI ranks: each rank needs at least 2 cells per axis (axis {} has {})",
                 m[0] * m[1] * m[2], "xyz"[a], n_[static_cast<std::size_t>(a)]);
  ANNEAL_PETSC_CHECK(DMDACreate3d(PETSC_COMM_WORLD, bt(0), bt(1), bt(2), DMDA_STENCIL_STAR, pi(n_[0]), pi(n_[1]), pi(n_[2]), m[0],
                                  m[1], m[2], 1, 1, ranges[0], ranges[1], ranges[2], &pressure_dm_));
  ANNEAL_PETSC_CHECK(DMSetUp(pressure_dm_));
  for (int a = 0; a < dim_; ++a) {
    const auto ua = static_cast<std::size_t>(a);
    std::vector<PetscInt> own(ranges[a], ranges[a] + m[a]);
    std::array<PetscInt, 3> size{static_cast<PetscInt>(n_[0]), static_cast<PetscInt>(n_[1]), static_cast<PetscInt>(n_[2])};
    if (!periodic(a)) {
      own.back() += 1;
      size[ua] += 1;
    }
    const PetscInt* lx = a == 0 ? own.data() : ranges[0];
    const PetscInt* ly = a == 1 ? own.data() : ranges[1];
    const PetscInt* lz = a == 2 ? own.data() : ranges[2];
    ANNEAL_PETSC_CHECK(DMDACreate3d(PETSC_COMM_WORLD, bt(0), bt(1), bt(2), DMDA_STENCIL_BOX, size[0], size[1], size[2],
                                    m[0], m[1], m[2], 1, 2, lx, ly, lz, &face_dm_[ua]));
    ANNEAL_PETSC_CHECK(DMSetUp(face_dm_[ua]));
    owned_faces_[ua] = corners(face_dm_[ua], false);
  }
  owned_cells_ = corners(cell_dm_, false);
}

MacGrid::~MacGrid() {
  for (DM& dm : face_dm_)
    if (dm) DMDestroy(&dm);
  if (pressure_dm_) DMDestroy(&pressure_dm_);
  if (cell_dm_) DMDestroy(&cell_dm_);
}

std::vector<double> MacGrid::gather_cells(const std::vector<double>& owned) const {
  Vec global, natural, all;
  ANNEAL_PETSC_CHECK(DMCreateGlobalVector(pressure_dm_, &global));
  PetscScalar* g;
  ANNEAL_PETSC_CHECK(VecGetArray(global, &g));
  ANNEAL_CHECK(static_cast<long>(owned.size()) == owned_cells_.count(), "gather_cells: wrong block size");
  std::copy(owned.begin(), owned.end(), g);  // a DMDA global vector holds the owned box, x fastest
  ANNEAL_PETSC_CHECK(VecRestoreArray(global, &g));
  ANNEAL_PETSC_CHECK(DMDACreateNaturalVector(pressure_dm_, &natural));
  ANNEAL_PETSC_CHECK(DMDAGlobalToNaturalBegin(pressure_dm_, global, INSERT_VALUES, natural));
  ANNEAL_PETSC_CHECK(DMDAGlobalToNaturalEnd(pressure_dm_, global, INSERT_VALUES, natural));
  VecScatter to_all;
  ANNEAL_PETSC_CHECK(VecScatterCreateToAll(natural, &to_all, &all));
  ANNEAL_PETSC_CHECK(VecScatterBegin(to_all, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  ANNEAL_PETSC_CHECK(VecScatterEnd(to_all, natural, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt size;
  ANNEAL_PETSC_CHECK(VecGetSize(all, &size));
  const PetscScalar* a;
  ANNEAL_PETSC_CHECK(VecGetArrayRead(all, &a));
  std::vector<double> out(a, a + size);
  ANNEAL_PETSC_CHECK(VecRestoreArrayRead(all, &a));
  VecScatterDestroy(&to_all);
  VecDestroy(&all);
  VecDestroy(&natural);
  VecDestroy(&global);
  return out;
}

}  // namespace anneal::physics::flow
