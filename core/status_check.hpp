#pragma once
// Checkers for the return codes of the C libraries anneal wraps. Each turns a failure into an
// anneal::Error carrying the library's own description. The codes are passed as plain integers so
// that this header pulls in none of the libraries' headers (DESIGN.md §1).
#include <cstdint>

namespace anneal::detail {
void check_mpi(int code, const char* call, const char* file, int line);
void check_petsc(int code, const char* call, const char* file, int line);
// Returns `status` so that an id can be checked where it is made: `hid_t f = ANNEAL_H5_CHECK(H5Fopen(...))`.
std::int64_t check_hdf5(std::int64_t status, const char* call, const char* file, int line);
void check_cuda(int code, const char* call, const char* file, int line);
}  // namespace anneal::detail

#define ANNEAL_MPI_CHECK(call) ::anneal::detail::check_mpi(static_cast<int>(call), #call, __FILE__, __LINE__)
#define ANNEAL_PETSC_CHECK(call) \
  ::anneal::detail::check_petsc(static_cast<int>(call), #call, __FILE__, __LINE__)
// HDF5 calls return a negative herr_t or hid_t on failure.
#define ANNEAL_H5_CHECK(call) \
  ::anneal::detail::check_hdf5(static_cast<std::int64_t>(call), #call, __FILE__, __LINE__)
#define ANNEAL_CUDA_CHECK(call) ::anneal::detail::check_cuda(static_cast<int>(call), #call, __FILE__, __LINE__)
