// Test entry point: the same MPI/PETSc start-up as the anneal executable, then Catch2.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/mpi_env.hpp"
#include "tests/support/skip.hpp"

namespace {
std::unique_ptr<anneal::mpi::Session> session;
}

namespace anneal::test {
void skip_test(const std::string& reason) {
  std::printf("SKIPPED: %s\n", reason.c_str());
  std::fflush(stdout);
  session.reset();
  std::exit(kSkipExitCode);
}
}  // namespace anneal::test

int main(int argc, char** argv) {
  session = std::make_unique<anneal::mpi::Session>(argv[0], std::vector<std::string>{});
  const int failed = Catch::Session().run(argc, argv);
  session.reset();
  return failed == 0 ? 0 : 1;
}
