// `mpiexec -n 2 anneal demo` writes one file whose fields are identical to the 1-rank run.
#include <catch2/catch.hpp>

#include "io/hdf5_file.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;

TEST_CASE("the demo on 2 ranks writes one file with the same field data as on 1 rank", "[cli][mpi]") {
  TempDir dir;
  auto serial = run_anneal({"demo", "-o", (dir / "one").string(), "--size", "21", "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"});
  REQUIRE(serial.exit_code == 0);
  const auto parallel = run_process({MPIEXEC_PROGRAM, "-n", "2", "--oversubscribe", ANNEAL_BINARY, "demo", "-o",
                                     (dir / "two").string(), "--size", "21", "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"},
                                    {.working_dir = {}, .kill_after_s = -1,
                                     .env = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"}});
  INFO(parallel.out << parallel.err);
  REQUIRE(parallel.exit_code == 0);
  REQUIRE(names_in(dir / "two") == kDemoFiles);

  const auto a = io::H5File::open_read(dir / "one" / "taylor_green.h5");
  const auto b = io::H5File::open_read(dir / "two" / "taylor_green.h5");
  REQUIRE(std::get<std::int64_t>(b.attribute("/meta", "mpi_ranks")) == 2);
  REQUIRE(a.datasets() == b.datasets());
  for (const auto& name : a.datasets()) {
    INFO(name);
    const auto x = a.read<double>(name), y = b.read<double>(name);
    REQUIRE(x.shape == y.shape);
    REQUIRE(x.data == y.data);  // bit for bit
  }
}
