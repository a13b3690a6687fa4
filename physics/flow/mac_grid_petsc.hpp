#pragma once
// The staggered (MAC) grid of the flow solver on PETSc DMDAs, and the ghosted fields that live on
// it. Private to physics/flow (PETSc types are fine here, DESIGN.md §1).
//
// Layout. Cell (i, j, k) has its centre at ((i+½)hx, (j+½)hy, (k+½)hz). Velocity component a is
// stored on the faces normal to axis a; face index p means position p·h_a along a (the low face of
// cell p) and cell-centre positions along the other axes. A non-periodic axis a therefore has
// n_a + 1 faces; their DMDA has the cells' ownership ranges with one more face on the last rank, so
// that a rank owns the faces of its cells plus, at the high end of the domain, the boundary face.
// A 2-D grid is a 3-D grid with nz = 1 and no z velocity.
#include <petscdmda.h>

#include <array>
#include <vector>

#include "physics/flow/scene.hpp"

namespace anneal::physics::flow {

// An index box [lo, hi) per axis.
struct IndexBox {
  std::array<long, 3> lo{0, 0, 0}, hi{0, 0, 0};
  long count() const { return (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]); }
};

// A field stored with its ghost layers (own storage, wrapped in a PETSc Vec for halo exchange).
class GhostedField {
 public:
  GhostedField() = default;
  explicit GhostedField(DM dm);
  GhostedField(GhostedField&& other) noexcept;
  GhostedField& operator=(GhostedField&& other) noexcept;
  GhostedField(const GhostedField&) = delete;
  GhostedField& operator=(const GhostedField&) = delete;
  ~GhostedField();

  double& operator()(long i, long j, long k) {
    return data_[static_cast<std::size_t>(((k - ghost_.lo[2]) * gny_ + (j - ghost_.lo[1])) * gnx_ + (i - ghost_.lo[0]))];
  }
  double operator()(long i, long j, long k) const {
    return data_[static_cast<std::size_t>(((k - ghost_.lo[2]) * gny_ + (j - ghost_.lo[1])) * gnx_ + (i - ghost_.lo[0]))];
  }
  const IndexBox& owned() const { return owned_; }
  const IndexBox& ghosted() const { return ghost_; }
  // Refreshes the ghost layers that belong to other ranks or to periodic images; ghosts beyond a
  // physical boundary are the caller's (boundary conditions).
  void exchange();
  void fill(double value) { std::fill(data_.begin(), data_.end(), value); }
  void copy_from(const GhostedField& other) { data_ = other.data_; }
  // The owned values, x fastest (for output and checkpoints).
  std::vector<double> owned_values() const;
  void set_owned_values(const std::vector<double>& values);

 private:
  DM dm_ = nullptr;
  Vec vec_ = nullptr;
  std::vector<double> data_;
  IndexBox owned_, ghost_;
  long gnx_ = 0, gny_ = 0;
};

class MacGrid {
 public:
  explicit MacGrid(const Scene& scene);
  ~MacGrid();
  MacGrid(const MacGrid&) = delete;
  MacGrid& operator=(const MacGrid&) = delete;

  int dim() const { return dim_; }
  long cells(int axis) const { return n_[static_cast<std::size_t>(axis)]; }
  // Faces along their own axis: n_a + 1, or n_a on a periodic axis (face n_a is face 0).
  long faces(int axis) const { return n_[static_cast<std::size_t>(axis)] + (periodic(axis) ? 0 : 1); }
  bool periodic(int axis) const { return periodic_[static_cast<std::size_t>(axis)]; }
  double h(int axis) const { return h_[static_cast<std::size_t>(axis)]; }
  double cell_volume() const { return h_[0] * h_[1] * h_[2]; }

  DM cell_dm() const { return cell_dm_; }          // cells, box stencil of width 2 (advection)
  DM face_dm(int axis) const { return face_dm_[static_cast<std::size_t>(axis)]; }
  DM pressure_dm() const { return pressure_dm_; }  // cells, star stencil of width 1 (the Laplacian)

  const IndexBox& owned_cells() const { return owned_cells_; }
  const IndexBox& owned_faces(int axis) const { return owned_faces_[static_cast<std::size_t>(axis)]; }

  // The whole of an owned-region array, in natural order, on every rank (for system dumps).
  std::vector<double> gather_cells(const std::vector<double>& owned) const;

 private:
  int dim_;
  std::array<long, 3> n_;
  std::array<bool, 3> periodic_;
  std::array<double, 3> h_;
  DM cell_dm_ = nullptr, pressure_dm_ = nullptr;
  std::array<DM, 3> face_dm_{nullptr, nullptr, nullptr};
  IndexBox owned_cells_;
  std::array<IndexBox, 3> owned_faces_;
};

// Runs f(i, j, k) over a box, oneTBB threads over its (k, j) rows.
template <class F>
void for_each_index(const IndexBox& box, const F& f);

}  // namespace anneal::physics::flow

#include <tbb/parallel_for.h>

template <class F>
void anneal::physics::flow::for_each_index(const IndexBox& box, const F& f) {
  const long ny = box.hi[1] - box.lo[1], nz = box.hi[2] - box.lo[2];
  if (ny <= 0 || nz <= 0 || box.hi[0] <= box.lo[0]) return;
  const auto row = [&](long r) {
    const long k = box.lo[2] + r / ny, j = box.lo[1] + r % ny;
    for (long i = box.lo[0]; i < box.hi[0]; ++i) f(i, j, k);
  };
  // Below ~16k points a loop is cheaper than waking threads (2-D grids, small ranks).
  if (box.count() < 16384) {
    for (long r = 0; r < ny * nz; ++r) row(r);
    return;
  }
  tbb::parallel_for(0L, ny * nz, row);
}
