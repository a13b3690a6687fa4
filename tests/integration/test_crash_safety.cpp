// A run killed with SIGKILL in the middle of writing leaves either nothing or the previous
// complete output under the final name, never a truncated file.
#include <catch2/catch.hpp>

#include "io/hdf5_file.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;

namespace {
// A complete demo output: both fields readable in full, with the expected shape.
bool complete_output(const std::filesystem::path& h5, std::size_t n) {
  try {
    const auto file = io::H5File::open_read(h5);
    for (const char* field : {"/fields/velocity", "/fields/vorticity"}) {
      const auto data = file.read<double>(field);
      if (data.shape != io::Shape{n, n, n, 3}) return false;
    }
    return file.exists("/meta");
  } catch (const std::exception&) {
    return false;
  }
}
}  // namespace

TEST_CASE("SIGKILL during a write never leaves a truncated file under the final name", "[cli][crash]") {
  TempDir dir;
  const auto out = dir / "out";
  const auto h5 = out / "taylor_green.h5";
  // 128^3 x 3 x 2 doubles is about 100 MB of output: the kills land while it is being written.
  const std::vector<std::string> big{"demo", "-o", out.string(), "--size", "128", "--no-png", "--threads", "1", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"};

  // No previous output: after a kill there is either nothing or a complete file.
  for (double delay : {0.05, 0.3, 0.6}) {
    const auto r = run_anneal(big, {.working_dir = {}, .kill_after_s = delay, .env = {}});
    INFO("killed after " << delay << " s, signal " << r.signal);
    REQUIRE((!std::filesystem::exists(h5) || complete_output(h5, 128)));
    std::filesystem::remove(h5);
  }

  // A previous complete output of another size survives any kill of the next run intact.
  REQUIRE(run_anneal({"demo", "-o", out.string(), "--size", "16", "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"}).exit_code == 0);
  for (double delay : {0.05, 0.2, 0.4, 0.8}) {
    const auto r = run_anneal(big, {.working_dir = {}, .kill_after_s = delay, .env = {}});
    INFO("killed after " << delay << " s, signal " << r.signal);
    REQUIRE(std::filesystem::exists(h5));
    REQUIRE((complete_output(h5, 16) || complete_output(h5, 128)));
    if (complete_output(h5, 128)) break;  // the run got to finish: nothing more to test
  }
}
