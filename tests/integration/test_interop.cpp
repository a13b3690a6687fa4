// Other people's tools open anneal's files: h5py, h5dump and ParaView (through the XDMF sidecar).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "io/hdf5_file.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;
using Catch::Matchers::Contains;

namespace {
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0, end; start <= dirs.size(); start = end + 1) {
    end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const auto candidate = std::filesystem::path(dirs.substr(start, end - start)) / name;
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return {};
}

std::filesystem::path make_demo(const TempDir& dir, int n) {
  const auto r =
      run_anneal({"demo", "-o", dir.path().string(), "--size", std::to_string(n), "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"});
  REQUIRE(r.exit_code == 0);
  return dir / "taylor_green.h5";
}

const std::string kProbes = std::string(ANNEAL_SOURCE_DIR) + "/tests/integration/";
}  // namespace

TEST_CASE("h5py reads every dataset with its shape, dtype and units, and /meta", "[cli][interop]") {
  if (std::string(ANNEAL_PYTHON).empty()) skip_test("no Python with h5py");
  TempDir dir;
  const auto h5 = make_demo(dir, 10);
  const auto r = run_process({ANNEAL_PYTHON, kProbes + "h5py_probe.py", h5.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto seen = nlohmann::json::parse(r.out);
  const auto file = io::H5File::open_read(h5);
  REQUIRE(seen["datasets"].size() == file.datasets().size());
  REQUIRE(seen["datasets"]["/fields/velocity"]["shape"] == nlohmann::json({10, 10, 10, 3}));
  REQUIRE(seen["datasets"]["/fields/velocity"]["dtype"] == "float64");
  REQUIRE(seen["datasets"]["/fields/vorticity"]["units"] == "1/s");
  REQUIRE(seen["datasets"]["/grid/x"]["shape"] == nlohmann::json({10}));
  for (const char* key :
       {"anneal_version", "git_sha", "command", "config", "created", "mpi_ranks", "device", "source_files"})
    REQUIRE(seen["meta"].contains(key));
  REQUIRE(seen["meta"]["mpi_ranks"] == 1);
}

TEST_CASE("h5dump -A shows /meta", "[cli][interop]") {
  const auto h5dump = find_program("h5dump");
  if (h5dump.empty()) skip_test("h5dump is not installed (Debian: hdf5-tools)");
  TempDir dir;
  const auto h5 = make_demo(dir, 8);
  const auto r = run_process({h5dump, "-A", h5.string()});
  REQUIRE(r.exit_code == 0);
  REQUIRE_THAT(r.out, Contains("GROUP \"meta\"") && Contains("ATTRIBUTE \"anneal_version\"") &&
                          Contains("ATTRIBUTE \"source_files\"") && Contains("anneal demo"));
}

TEST_CASE("ParaView opens the demo's XDMF and reads the fields with the right shape and range", "[cli][interop]") {
  const auto pvpython = find_program("pvpython");
  if (pvpython.empty()) skip_test("ParaView is not installed (Debian: paraview); scripts/setup.sh --with-paraview");
  TempDir dir;
  const int n = 12;
  const auto h5 = make_demo(dir, n);
  // pvpython needs no display to read data; offscreen keeps it from looking for one.
  const auto r = run_process(
      {pvpython, "--force-offscreen-rendering", kProbes + "paraview_probe.py", (dir / "taylor_green.xmf").string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const auto seen = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  REQUIRE(seen["extent"] == nlohmann::json({0, n - 1, 0, n - 1, 0, n - 1}));
  REQUIRE(seen["points"] == n * n * n);

  // The ranges ParaView reports equal the ones in the HDF5 data, component by component.
  const auto file = io::H5File::open_read(h5);
  for (const char* name : {"velocity", "vorticity"}) {
    const auto data = file.read<double>(std::string("/fields/") + name).data;
    REQUIRE(seen["arrays"][name]["components"] == 3);
    for (std::size_t c = 0; c < 3; ++c) {
      double lo = 1e300, hi = -1e300;
      for (std::size_t i = c; i < data.size(); i += 3) {
        lo = std::min(lo, data[i]);
        hi = std::max(hi, data[i]);
      }
      REQUIRE(seen["arrays"][name]["ranges"][c][0].get<double>() == Approx(lo).margin(1e-12));
      REQUIRE(seen["arrays"][name]["ranges"][c][1].get<double>() == Approx(hi).margin(1e-12));
    }
  }
  // x runs along the fastest axis: the bounds are those of /grid/x, /grid/y, /grid/z.
  const auto x = file.read<double>("/grid/x").data;
  REQUIRE(seen["bounds"][1].get<double>() == Approx(x.back()));
}

TEST_CASE("ParaView opens the flow solver's time series: every frame, the static solid, the last frame's ranges",
          "[cli][interop][flow]") {
  const auto pvpython = find_program("pvpython");
  if (pvpython.empty()) skip_test("ParaView is not installed (Debian: paraview); scripts/setup.sh --with-paraview");
  TempDir dir;
  make_demo(dir, 8);  // also runs the demo's jet at 8 x 8 x 16 cells
  // Both of ParaView's XDMF readers: the XDMF 2 one and the Xdmf3 one it picks by default.
  for (const char* reader : {"xdmf2", "xdmf3"}) {
    INFO(reader);
    const auto r = run_process({pvpython, "--force-offscreen-rendering", kProbes + "paraview_probe.py",
                                (dir / "jet_3d.xmf").string(), reader});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto seen = nlohmann::json::parse(r.out.substr(r.out.find('{')));
    const auto file = io::H5File::open_read(dir / "jet_3d.h5");
    const auto t = file.read<double>("/grid/t").data;
    REQUIRE(seen["extent"] == nlohmann::json({0, 7, 0, 7, 0, 15}));
    REQUIRE(seen["times"].size() == t.size());
    REQUIRE(seen["times"].back().get<double>() == Approx(t.back()));
    REQUIRE(seen["arrays"]["velocity"]["components"] == 3);
    REQUIRE(seen["arrays"].contains("solid"));
    // The last frame's scalar, as ParaView sees it, has the range of the HDF5 data's last frame.
    const auto scalar = file.read<double>("/fields/scalar").data;
    const std::size_t frame = 8 * 8 * 16;
    const auto last = std::vector<double>(scalar.end() - static_cast<long>(frame), scalar.end());
    REQUIRE(seen["arrays"]["scalar"]["ranges"][0][1].get<double>() ==
            Approx(*std::max_element(last.begin(), last.end())).margin(1e-6));
    REQUIRE(*std::max_element(last.begin(), last.end()) > 0.5);  // the jet fluid is in the box
  }
}
