#include <catch2/catch.hpp>

#include <fstream>

#include "io/hdf5_file.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::test::run_anneal;
using anneal::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {
const char* kSmallRun =
    "name = 'cli'\n[problem]\nequation = 'convection_diffusion'\nbeta = 2.0\nnu = 0.05\n"
    "[model]\ndepth = 2\nwidth = 16\n[collocation]\nnx = 16\nnt = 8\n"
    "[optimizer]\nadam_steps = 30\nlbfgs_iterations = 20\n[evaluation]\nnx = 32\nnt = 10\n";
}

TEST_CASE("lpinn train writes the documented file and reports its error", "[cli][lpinn]") {
  TempDir dir;
  std::ofstream(dir / "run.toml") << kSmallRun;
  const auto r = run_anneal({"lpinn", "train", "--config", (dir / "run.toml").string(), "-o", (dir / "out.h5").string(),
                             "--no-plot", "--checkpoint", (dir / "ckpt.h5").string(), "--checkpoint-every", "10"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("relative L2 error"));
  const auto file = anneal::io::H5File::open_read(dir / "out.h5");
  for (const char* name : {"/grid/x", "/grid/t", "/fields/u", "/fields/u_ref", "/fields/error", "/history/loss",
                           "/characteristics/X", "/meta"})
    CHECK(file.exists(name));
  CHECK(file.dataset_info("/fields/u").shape == anneal::io::Shape{10, 32});

  // Resuming from the final checkpoint with more L-BFGS iterations continues the same run.
  const auto resumed = run_anneal({"lpinn", "train", "--config", (dir / "run.toml").string(), "-o",
                                   (dir / "more.h5").string(), "--no-plot", "--restart", (dir / "ckpt.h5").string(),
                                   "--lbfgs-iterations", "40"});
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.out, Contains("resuming from"));
  const auto first = file.read<double>("/history/loss").data;
  const auto more = anneal::io::H5File::open_read(dir / "more.h5").read<double>("/history/loss").data;
  REQUIRE(more.size() > first.size());
  CHECK(std::vector<double>(more.begin(), more.begin() + static_cast<std::ptrdiff_t>(first.size())) == first);
}

TEST_CASE("lpinn train: a bad run file is one error line and no output", "[cli][lpinn]") {
  TempDir dir;
  std::ofstream(dir / "bad.toml") << "[problem]\nequation = 'burgers'\nnu = -1.0\n";
  const auto r = run_anneal({"lpinn", "train", "--config", (dir / "bad.toml").string(), "-o", (dir / "out.h5").string()});
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, StartsWith("anneal: error:") && Contains("nu must be ≥ 0"));
  CHECK(!std::filesystem::exists(dir / "out.h5"));

  std::ofstream(dir / "run.toml") << kSmallRun;
  const auto same = run_anneal({"lpinn", "train", "--config", (dir / "run.toml").string(), "-o", (dir / "run.toml").string()});
  CHECK(same.exit_code != 0);
  CHECK_THAT(same.err, Contains("run.toml"));
}
