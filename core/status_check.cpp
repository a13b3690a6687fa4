#include "core/status_check.hpp"

#include <hdf5.h>
#include <mpi.h>
#include <petscsys.h>

#include <string>

#include "core/error.hpp"

#ifdef ANNEAL_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace anneal::detail {

void check_mpi(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw_error(file, line, fmt::format("MPI call {} failed: {}", call, std::string(text, length)));
}

void check_petsc(int code, const char* call, const char* file, int line) {
  if (code == 0) return;
  // The generic text names the class of error ("Object is in wrong state"); the specific one is what
  // the raising code said (SETERRQ's message: "-ksp_type dcdm needs -dcdm_model FILE ...").
  const char* text = nullptr;
  char* specific = nullptr;
  PetscErrorMessage(static_cast<PetscErrorCode>(code), &text, &specific);
  const std::string detail = specific && *specific ? fmt::format(": {}", specific) : "";
  throw_error(file, line, fmt::format("PETSc call {} failed: {}{}", call, text ? text : "unknown error", detail));
}

namespace {
// The innermost entry of HDF5's error stack says what actually went wrong ("file signature not
// found", "can't open object"); the outer ones only repeat which API call failed.
herr_t keep_innermost(unsigned, const H5E_error2_t* entry, void* out) {
  auto* text = static_cast<std::string*>(out);
  if (text->empty() && entry->desc) *text = entry->desc;
  return 0;
}
}  // namespace

std::int64_t check_hdf5(std::int64_t status, const char* call, const char* file, int line) {
  if (status >= 0) return status;
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  throw_error(file, line,
              fmt::format("HDF5 call {} failed{}{}", call, detail.empty() ? "" : ": ", detail));
}

void check_cuda(int code, const char* call, const char* file, int line) {
  if (code == 0) return;
#ifdef ANNEAL_HAVE_CUDA
  const char* text = cudaGetErrorString(static_cast<cudaError_t>(code));
#else
  const char* text = "this build of anneal has no CUDA support";
#endif
  throw_error(file, line, fmt::format("CUDA call {} failed: {}", call, text));
}

}  // namespace anneal::detail
