#include "core/mpi_env.hpp"

#include <dlfcn.h>

#include <petscsys.h>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "core/status_check.hpp"

namespace anneal::mpi {
namespace {

// PETSc calls BLAS only for small dense blocks (AMG coarse levels, Krylov orthogonalisation).
// A threaded BLAS (Debian's libopenblas0-pthread) would spin its own threads beside anneal's oneTBB
// and MPI ranks, busy-waiting in sched_yield; so BLAS runs on the calling thread. Looked up at run
// time: the reference BLAS has no such switch.
void single_threaded_blas() {
  for (const char* name : {"openblas_set_num_threads", "goto_set_num_threads"})
    if (void* symbol = dlsym(RTLD_DEFAULT, name)) {
      reinterpret_cast<void (*)(int)>(symbol)(1);
      return;
    }
}

}  // namespace

bool initialized() {
  int started = 0, finished = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&finished);
  return started && !finished;
}

MPI_Comm world() { return initialized() ? MPI_COMM_WORLD : MPI_COMM_SELF; }

int rank() {
  if (!initialized()) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  if (!initialized()) return 1;
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

void barrier() {
  if (initialized()) ANNEAL_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
}

void abort(int exit_code) {
  if (initialized()) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

std::string broadcast(std::string value, int root) {
  if (size() == 1) return value;
  auto length = static_cast<unsigned long long>(value.size());
  ANNEAL_MPI_CHECK(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD));
  value.resize(length);
  ANNEAL_MPI_CHECK(MPI_Bcast(value.data(), static_cast<int>(length), MPI_CHAR, root, MPI_COMM_WORLD));
  return value;
}

double max_over_ranks(double value) {
  if (size() == 1) return value;
  double result = value;
  ANNEAL_MPI_CHECK(MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD));
  return result;
}

double sum_over_ranks(double value) {
  if (size() == 1) return value;
  double result = value;
  ANNEAL_MPI_CHECK(MPI_Allreduce(&value, &result, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
  return result;
}

void sum_over_ranks(std::span<double> values) {
  if (size() == 1 || values.empty()) return;
  ANNEAL_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM,
                                 MPI_COMM_WORLD));
}

bool any_rank(bool flag) {
  if (size() == 1) return flag;
  int local = flag ? 1 : 0, global = 0;
  ANNEAL_MPI_CHECK(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD));
  return global != 0;
}

Session::Session(const std::string& program, const std::vector<std::string>& petsc_args) {
  storage_.reserve(petsc_args.size() + 1);
  storage_.push_back(program);
  storage_.insert(storage_.end(), petsc_args.begin(), petsc_args.end());
  for (auto& s : storage_) argv_.push_back(s.data());
  argv_.push_back(nullptr);
  int argc = static_cast<int>(storage_.size());
  char** argv = argv_.data();
  ANNEAL_PETSC_CHECK(PetscInitialize(&argc, &argv, nullptr, nullptr));
  // PETSc's default handler prints a traceback and may abort; anneal reports errors itself.
  ANNEAL_PETSC_CHECK(PetscPushErrorHandler(PetscReturnErrorHandler, nullptr));
  single_threaded_blas();
}

Session::~Session() { PetscFinalize(); }

void Session::insert_petsc_options_file(const std::filesystem::path& file) {
  ANNEAL_CHECK(std::filesystem::is_regular_file(file),
               "PETSc options file '{}' does not exist", file.string());
  ANNEAL_PETSC_CHECK(PetscOptionsInsertFile(PETSC_COMM_WORLD, nullptr, file.c_str(), PETSC_TRUE));
}

}  // namespace anneal::mpi
