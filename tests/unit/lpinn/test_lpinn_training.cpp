#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "physics/lpinn/lpinn_run.hpp"
#include "physics/lpinn/reference.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::physics::lpinn;
using anneal::test::TempDir;

namespace {

// A small, quick version of the convection runs (the full ones live in bench/lpinn).
std::string convection_toml(const std::string& method, double beta, int adam, int lbfgs) {
  return "name = 'test'\nseed = 3\n"
         "[problem]\nequation = 'convection'\nbeta = " + std::to_string(beta) + "\n"
         "[model]\nmethod = '" + method + "'\ndepth = 2\nwidth = 24\n"
         "[collocation]\nnx = 32\nnt = 16\n"
         "[optimizer]\nadam_steps = " + std::to_string(adam) + "\nlbfgs_iterations = " + std::to_string(lbfgs) + "\n"
         "[evaluation]\nnx = 64\nnt = 20\n";
}

RunResult train(const RunConfig& config, const std::filesystem::path& output, const RunOptions& extra = {}) {
  RunOptions options = extra;
  options.output = output;
  options.progress = false;
  return run_lpinn(config, options);
}

}  // namespace

TEST_CASE("lpinn learns convection at β = 20 against the exact solution", "[lpinn][training]") {
  TempDir dir;
  const RunConfig config = parse_run_config(convection_toml("lpinn", 20, 300, 300), "test.toml", dir.path());
  const RunResult result = train(config, dir / "out.h5");
  CHECK(result.score.rel_l2 < 2e-2);
  CHECK(result.crossed_rows == 0);
  // The file's fields agree with the reference, computed here independently of the run.
  const auto file = anneal::io::H5File::open_read(dir / "out.h5");
  const auto x = file.read<double>("/grid/x").data, t = file.read<double>("/grid/t").data;
  const auto u = file.read<double>("/fields/u").data, u_ref = file.read<double>("/fields/u_ref").data;
  REQUIRE(x.size() == 64);
  REQUIRE(t.size() == 20);
  // The reported error is the one of the stored prediction against the exact solution.
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double exact = std::sin(x[j] - 20 * t[i]);
      REQUIRE(u_ref[i * x.size() + j] == Approx(exact).margin(1e-12));
      diff += (u[i * x.size() + j] - exact) * (u[i * x.size() + j] - exact);
      norm += exact * exact;
    }
  CHECK(std::sqrt(diff / norm) == Approx(result.score.rel_l2).epsilon(1e-9));
  CHECK(file.exists("/characteristics/X"));
  CHECK(file.exists("/history/terms/characteristic"));
}

TEST_CASE("pinn learns slow convection (β = 1) against the exact solution", "[lpinn][training]") {
  TempDir dir;
  const RunConfig config = parse_run_config(convection_toml("pinn", 1, 300, 300), "test.toml", dir.path());
  CHECK(train(config, dir / "out.h5").score.rel_l2 < 2e-2);
}

TEST_CASE("a resumed run continues the loss history of the uninterrupted one exactly", "[lpinn][training]") {
  TempDir dir;
  // 40 Adam steps then L-BFGS; the checkpoint falls once inside each phase.
  RunConfig config = parse_run_config(convection_toml("lpinn", 5, 40, 40), "test.toml", dir.path());
  config.train.collocation.sampling = Sampling::random;  // the sampler's stream must resume too
  const RunResult whole = train(config, dir / "whole.h5");

  for (int stop : {20, 60}) {
    RunConfig first = config;
    first.train.optimizer.lbfgs_iterations = stop > 40 ? stop - 40 : 0;
    first.train.optimizer.adam_steps = std::min(stop, 40);
    RunOptions save;
    save.checkpoint = dir / "ckpt.h5";
    train(first, dir / "first.h5", save);
    RunOptions resume;
    resume.restart = dir / "ckpt.h5";
    const RunResult resumed = train(config, dir / ("resumed" + std::to_string(stop) + ".h5"), resume);
    CHECK(resumed.summary.final_loss == whole.summary.final_loss);
    const auto a = anneal::io::H5File::open_read(dir / "whole.h5").read<double>("/history/loss").data;
    const auto b = anneal::io::H5File::open_read(dir / ("resumed" + std::to_string(stop) + ".h5"))
                       .read<double>("/history/loss")
                       .data;
    CHECK(a == b);
  }
}

TEST_CASE("bad run files are clear errors", "[lpinn]") {
  TempDir dir;
  auto error_of = [&](const std::string& toml) {
    try {
      parse_run_config(toml, "run.toml", dir.path());
    } catch (const anneal::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of("[problem]\nequation = 'burgers'\nnu = -0.1\n"), Contains("nu must be ≥ 0"));
  CHECK_THAT(error_of("[problem]\nequation = 'kdv'\n"), Contains("unknown problem 'kdv'"));
  CHECK_THAT(error_of("[problem]\n[collocation]\nnx = 0\n"), Contains("zero collocation points"));
  CHECK_THAT(error_of("[problem]\nbeta = 2\n[model]\nwidht = 3\n"), Contains("unknown key 'model.widht'"));
  CHECK_THAT(error_of("[problem]\n[optimizer]\nadam_steps = 0\nlbfgs_iterations = 0\n"), Contains("both 0"));
  CHECK_THAT(error_of("[problem]\nboundary = 'dirichlet'\ndomain = [-1.0, 1.0]\n[problem.initial]\noffset = 0.5\n"),
             Contains("odd about both ends"));
  CHECK_THAT(error_of("[problem]\nequation = 'convection'\nnu = 0.1\n"), Contains("convection_diffusion"));
  CHECK_THAT(error_of("[problem]\n[model]\nmethod = 'xpinn'\n"), Contains("pinn, lpinn"));
  CHECK_THAT(error_of("[problem\n"), Contains("malformed TOML"));

  // Initial data from a file on the wrong grid.
  {
    auto file = anneal::io::H5File::create(dir / "u0.h5");
    std::vector<double> x(16), u0(16);
    for (int i = 0; i < 16; ++i) x[static_cast<std::size_t>(i)] = i * 0.4, u0[static_cast<std::size_t>(i)] = std::sin(i * 0.4);
    file.write<double>("/grid/x", x, {16});
    file.write<double>("/fields/u0", u0, {16});
  }
  CHECK_THAT(error_of("[problem]\n[problem.initial]\nkind = 'file'\nfile = 'u0.h5'\n"), Contains("periodic grid of 16 points"));
}

TEST_CASE("initial data from a file reproduces the closed form it samples", "[lpinn]") {
  TempDir dir;
  const double two_pi = 2 * std::acos(-1.0);
  {
    auto file = anneal::io::H5File::create(dir / "u0.h5");
    std::vector<double> x(64), u0(64);
    for (int i = 0; i < 64; ++i) {
      x[static_cast<std::size_t>(i)] = two_pi * i / 64;
      u0[static_cast<std::size_t>(i)] = 0.3 + std::sin(x[static_cast<std::size_t>(i)]) - 0.5 * std::cos(3 * x[static_cast<std::size_t>(i)]);
    }
    file.write<double>("/grid/x", x, {64});
    file.write<double>("/fields/u0", u0, {64});
  }
  const RunConfig config =
      parse_run_config("[problem]\nequation = 'burgers'\nnu = 0.1\n[problem.initial]\nkind = 'file'\nfile = 'u0.h5'\n",
                       "run.toml", dir.path());
  const auto& u0 = config.problem.u0;
  for (double x : {0.1, 1.3, 2.9, 5.5, 7.0}) {
    CHECK(u0.value(x) == Approx(0.3 + std::sin(x) - 0.5 * std::cos(3 * x)).margin(1e-12));
    CHECK(u0.derivative(x) == Approx(std::cos(x) + 1.5 * std::sin(3 * x)).margin(1e-11));
    CHECK(u0.second_derivative(x) == Approx(-std::sin(x) + 4.5 * std::cos(3 * x)).margin(1e-10));
    CHECK(u0.antiderivative(x) == Approx(0.3 * x + 1 - std::cos(x) - 0.5 * std::sin(3 * x) / 3).margin(1e-11));
  }
}
