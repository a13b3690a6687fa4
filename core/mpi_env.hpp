#pragma once
// The MPI environment of one anneal process. Every executable is an MPI program that runs unchanged
// on one rank; MPI is started through PETSc so that PETSc options work in every sub-command.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace anneal::mpi {

// Rank and size of the world communicator: 0 and 1 before MPI is started or after it ends.
int rank();
int size();
bool initialized();

void barrier();
// Ends every rank. Used when one rank fails alone and the others may be blocked in a collective.
[[noreturn]] void abort(int exit_code);

// Collective helpers for the few values rank 0 decides for everyone (timestamps, file digests).
std::string broadcast(std::string value, int root = 0);
double max_over_ranks(double value);
double sum_over_ranks(double value);
// Element-wise sum in place: also an all-gather, when each rank fills its own part and zeros elsewhere.
void sum_over_ranks(std::span<double> values);
bool any_rank(bool flag);

// RAII: PetscInitialize/PetscFinalize. `petsc_args` are the PETSc options (what followed `--` on
// the command line); PETSc errors are returned to anneal, never printed or aborted on by PETSc.
class Session {
 public:
  Session(const std::string& program, const std::vector<std::string>& petsc_args);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Adds the options in a PETSc options file (`--petsc-options FILE`).
  static void insert_petsc_options_file(const std::filesystem::path& file);

 private:
  std::vector<std::string> storage_;
  std::vector<char*> argv_;
};

}  // namespace anneal::mpi
