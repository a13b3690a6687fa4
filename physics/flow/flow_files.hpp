#pragma once
// The flow solver's own files besides its field output: pressure Poisson systems (the layout the
// Poisson/DCDM module reads, DESIGN.md §4) and checkpoints to restart long runs from.
#include <filesystem>

#include "io/provenance.hpp"
#include "physics/flow/flow_solver.hpp"

namespace anneal::physics::flow {

// /A/indptr, /A/indices, /A/data (attribute shape = [N, N]), /b, /x, /cell_type [nz][ny][nx] (uint8,
// 0 fluid, 1 solid), attributes grid_size [nx, ny, nz], spacing, periodic, dim, step, time and
// null_space on "/", and /meta: physics/poisson's layout, written by its writer. Collective;
// written atomically. Takes the system by value so a temporary's arrays are moved, not copied.
void write_pressure_system(const std::filesystem::path& path, PressureSystem system,
                           const io::Provenance& provenance);

// /state/velocity_{x,y,z} on the faces ([nz][ny][nx+1] for x on a non-periodic axis, ...),
// /state/scalar and /state/pressure on the cells, attributes time and step, /meta with the scene.
// Collective; written atomically, so a crash while writing keeps the previous checkpoint.
void write_checkpoint(const std::filesystem::path& path, const FlowSolver& solver, const io::Provenance& provenance);
// Restores `solver` (built from the same scene, any number of ranks) from a checkpoint.
void read_checkpoint(const std::filesystem::path& path, FlowSolver& solver);

}  // namespace anneal::physics::flow
