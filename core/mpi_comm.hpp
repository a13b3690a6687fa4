#pragma once
// The one core header that exposes MPI types: for the libraries that talk MPI themselves
// (parallel HDF5, PETSc objects). Everything else uses core/mpi_env.hpp.
#include <mpi.h>

namespace anneal::mpi {
// MPI_COMM_WORLD once MPI is started; MPI_COMM_SELF before (serial use of parallel libraries).
MPI_Comm world();
}  // namespace anneal::mpi
