// The anneal executable as a user runs it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include "core/version.hpp"
#include "io/hdf5_file.hpp"
#include "physics/flow/taylor_green.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;
using Catch::Matchers::Contains;

TEST_CASE("the version flag prints the version and commit", "[cli]") {
  const auto r = run_anneal({"--version"});
  REQUIRE(r.exit_code == 0);
  REQUIRE_THAT(r.out, Contains(std::string("anneal ") + std::string(anneal::version())));
}

TEST_CASE("--help works on every level", "[cli]") {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"demo", "--help"}, {"inspect", "--help"}, {"flow", "--help"}, {"flow", "vorticity", "--help"},
           {"lpinn", "train", "--help"}}) {
    const auto r = run_anneal(args);
    INFO(args.front());
    REQUIRE(r.exit_code == 0);
    REQUIRE_THAT(r.out, Contains("Usage") || Contains("USAGE") || Contains("Options"));
  }
  REQUIRE_THAT(run_anneal({"--help"}).out, Contains("demo") && Contains("inspect") && Contains("flow"));
  REQUIRE_THAT(run_anneal({"demo", "--help"}).out, Contains("--size") && Contains("--config") && Contains("--threads"));
}

TEST_CASE("demo writes HDF5 + XDMF whose vorticity matches the exact one", "[cli][demo]") {
  TempDir dir;
  const auto r = run_anneal({"demo", "-o", (dir / "out").string(), "--size", "24", "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE_THAT(r.out, Contains("taylor_green.h5") && Contains("taylor_green.xmf"));
  REQUIRE(names_in(dir / "out") == kDemoFiles);

  const auto file = io::H5File::open_read(dir / "out" / "taylor_green.h5");
  const auto x = file.read<double>("/grid/x").data;
  const auto w = file.read<double>("/fields/vorticity");
  REQUIRE(w.shape == io::Shape{24, 24, 24, 3});
  double error = 0;
  for (std::size_t k = 0; k < 24; ++k)
    for (std::size_t j = 0; j < 24; ++j)
      for (std::size_t i = 0; i < 24; ++i) {
        const auto exact = physics::flow::taylor_green_vorticity(x[i], x[j], x[k]);
        for (std::size_t c = 0; c < 3; ++c) error = std::max(error, std::abs(w.data[((k * 24 + j) * 24 + i) * 3 + c] - exact[c]));
      }
  REQUIRE(error < 2e-3);  // 4th order at h = 2π/24: about 5e-4
  REQUIRE(file.string_attribute("/fields/vorticity", "units") == "1/s");
  REQUIRE(nlohmann::json::parse(file.string_attribute("/meta", "config"))["size"] == 24);
}

TEST_CASE("options come from a TOML file, and the command line wins", "[cli][config]") {
  TempDir dir;
  std::ofstream(dir / "demo.toml") << "size = 12\nno-png = true\nflow-cells = 8\nlpinn-steps = 4\noutput-dir = \"" << (dir / "from_file").string() << "\"\n";
  auto r = run_anneal({"demo", "--config", (dir / "demo.toml").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(io::H5File::open_read(dir / "from_file" / "taylor_green.h5").dataset_info("/fields/velocity").shape[0] == 12);
  r = run_anneal({"demo", "--config", (dir / "demo.toml").string(), "--size", "10"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(io::H5File::open_read(dir / "from_file" / "taylor_green.h5").dataset_info("/fields/velocity").shape[0] == 10);
}

TEST_CASE("inspect shows the tree and /meta, as text and as JSON", "[cli][inspect]") {
  TempDir dir;
  REQUIRE(run_anneal({"demo", "-o", dir.path().string(), "--size", "8", "--no-png", "--flow-cells", "8", "--lpinn-steps", "4", "--cgs-epochs", "1"}).exit_code == 0);
  const auto h5 = (dir / "taylor_green.h5").string();
  const auto text = run_anneal({"inspect", h5});
  REQUIRE(text.exit_code == 0);
  REQUIRE_THAT(text.out, Contains("velocity") && Contains("8 x 8 x 8 x 3") && Contains("provenance (/meta)") &&
                             Contains("anneal_version") && Contains("@units = m/s"));
  const auto json = run_anneal({"inspect", h5, "--json"});
  REQUIRE(json.exit_code == 0);
  const auto doc = nlohmann::json::parse(json.out);
  REQUIRE(doc["meta"]["mpi_ranks"] == 1);
  bool found = false;
  for (const auto& o : doc["objects"])
    if (o["path"] == "/fields/vorticity") {
      found = true;
      REQUIRE(o["shape"] == nlohmann::json({8, 8, 8, 3}));
      REQUIRE(o["dtype"] == "f64");
    }
  REQUIRE(found);
}

TEST_CASE("flow vorticity reads a user's file and converges at the scheme's order", "[cli][flow]") {
  TempDir dir;
  auto error_of = [&](std::size_t n, const std::string& periodic) {
    const auto in = dir / ("u" + std::to_string(n) + ".h5");
    if (!std::filesystem::exists(in)) write_velocity_file(in, n);
    const auto out = dir / ("w" + std::to_string(n) + periodic + ".h5");
    std::vector<std::string> args{"flow", "vorticity", in.string(), "-o", out.string()};
    if (!periodic.empty()) args.insert(args.end(), {"--periodic", periodic});
    const auto r = run_anneal(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto file = io::H5File::open_read(out);
    const auto x = file.read<double>("/grid/x").data;
    const auto w = file.read<double>("/fields/vorticity").data;
    REQUIRE(std::filesystem::exists(dir / ("w" + std::to_string(n) + periodic + ".xmf")));
    double e = 0;
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < n; ++i) {
          const auto exact = physics::flow::taylor_green_vorticity(x[i], x[j], x[k]);
          for (std::size_t c = 0; c < 3; ++c) e = std::max(e, std::abs(w[((k * n + j) * n + i) * 3 + c] - exact[c]));
        }
    return e;
  };
  REQUIRE(error_of(16, "xyz") / error_of(32, "xyz") == Approx(16).epsilon(0.15));  // 4th order
  REQUIRE(error_of(16, "") / error_of(32, "") == Approx(4).epsilon(0.3));          // 2nd order, one-sided ends
}
