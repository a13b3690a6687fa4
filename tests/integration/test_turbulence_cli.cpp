// anneal ftle | barriers | tnti on HDF5 files: the documented outputs, and clear errors (one line,
// no output left behind) for inputs that break the layout.
#include <catch2/catch.hpp>

#include <filesystem>

#include "io/grid_file.hpp"
#include "io/hdf5_file.hpp"
#include "physics/turbulence/analytic_flows.hpp"
#include "tests/support/linspace.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::test::run_anneal;
using anneal::test::TempDir;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace tu = anneal::physics::turbulence;

using anneal::test::linspace;

namespace {


// A double gyre on 41 × 21 nodes, frames every 0.1 on [0, 2], a scalar that rises with y.
tu::FlowData gyre() {
  anneal::io::RectilinearGrid grid;
  grid.x = linspace(0, 2, 41);
  grid.y = linspace(0, 1, 21);
  tu::FlowData data = tu::sample_on_grid<2>(*tu::double_gyre(tu::DoubleGyre{}), grid, {}, linspace(0, 2, 21));
  data.viscosity = 1e-3;
  data.scalar.resize(data.times.size() * data.nodes());
  for (std::size_t i = 0; i < data.scalar.size(); ++i) {
    const double y = grid.y[(i % data.nodes()) / 41];
    data.scalar[i] = y < 0.3 ? 0.0 : y < 0.5 ? 0.4 : y < 0.7 ? 0.7 : 1.0;
  }
  return data;
}

// Runs a command that must fail: one line on stderr naming `expected`, no output file.
void expect_error(const std::vector<std::string>& args, const std::filesystem::path& output, const std::string& expected) {
  const auto r = run_anneal(args);
  INFO(r.out << r.err);
  CHECK(r.exit_code != 0);
  CHECK_THAT(r.err, StartsWith("anneal: error:"));
  CHECK_THAT(r.err, Contains(expected));
  CHECK_FALSE(std::filesystem::exists(output));
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(output).replace_extension(".xmf")));
}

}  // namespace

TEST_CASE("anneal ftle, barriers and tnti write the documented files", "[cli][turbulence]") {
  TempDir dir;
  tu::write_flow_data(dir / "gyre.h5", gyre());
  const std::string in = (dir / "gyre.h5").string();
  const auto f = run_anneal({"ftle", "-i", in, "-o", (dir / "ftle.h5").string(), "--t0", "0.5,1", "--T", "0.5,-0.5",
                             "--seeds", "30x15", "--no-plot"});
  INFO(f.out << f.err);
  REQUIRE(f.exit_code == 0);
  CHECK_THAT(f.out, Contains("steps/s"));
  {
    const auto file = anneal::io::H5File::open_read(dir / "ftle.h5");
    CHECK(file.dataset_info("/fields/ftle").shape == anneal::io::Shape{4, 15, 30});
    CHECK(file.dataset_info("/fields/particle_status").shape == anneal::io::Shape{4, 15, 30});
    CHECK(file.read<double>("/cases/t0").data == std::vector<double>{0.5, 0.5, 1, 1});
    CHECK(file.exists("/meta"));
  }
  CHECK(std::filesystem::exists(dir / "ftle.xmf"));

  const auto b = run_anneal({"barriers", "-i", in, "-o", (dir / "b.h5").string(), "--t0", "0.5", "--T", "1",
                             "--no-plot"});
  INFO(b.out << b.err);
  REQUIRE(b.exit_code == 0);
  CHECK(anneal::io::H5File::open_read(dir / "b.h5").dataset_info("/fields/barrier").shape ==
        anneal::io::Shape{1, 21, 41, 2});

  const auto t = run_anneal({"tnti", "-i", in, "-o", (dir / "t.h5").string(), "--t0", "1", "--T", "0.3,0.6",
                             "--frame-velocity", "auto", "--no-plot"});
  INFO(t.out << t.err);
  REQUIRE(t.exit_code == 0);
  const auto file = anneal::io::H5File::open_read(dir / "t.h5");
  for (const char* name : {"/fields/cluster", "/fields/distance_tnti", "/fields/ftle_forward", "/interfaces/tnti/points",
                           "/conditional/tnti/ftle_backward", "/clusters/thresholds"})
    CHECK(file.exists(name));
  CHECK(file.has_attribute("/", "frame_velocity"));
  CHECK(std::filesystem::exists(dir / "t.interfaces.xmf"));
}

TEST_CASE("turbulence commands reject broken inputs with one clear line and leave no output", "[cli][turbulence]") {
  TempDir dir;
  const auto out = dir / "out.h5";
  auto write_variant = [&](const std::string& name, auto&& change) {
    tu::FlowData data = gyre();
    change(data);
    tu::write_flow_data(dir / name, data);
    return (dir / name).string();
  };
  const std::string good = write_variant("good.h5", [](tu::FlowData&) {});
  const auto ftle = [&](const std::string& in, std::vector<std::string> more) {
    std::vector<std::string> args = {"ftle", "-i", in, "-o", out.string(), "--no-plot"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };

  expect_error(ftle(write_variant("times.h5", [](tu::FlowData& d) { std::swap(d.times[3], d.times[4]); }),
                    {"--t0", "0", "--T", "1"}),
               out, "not strictly increasing");
  expect_error(ftle(write_variant("grid.h5", [](tu::FlowData& d) { std::swap(d.grid.x[3], d.grid.x[4]); }),
                    {"--t0", "0", "--T", "1"}),
               out, "/grid/x");
  expect_error(ftle(write_variant("masked.h5",
                                  [](tu::FlowData& d) {
                                    d.mask.assign(d.nodes(), 1);
                                    d.mask_static = true;
                                  }),
                    {"--t0", "0", "--T", "1"}),
               out, "marks every node invalid");
  expect_error(ftle(good, {"--t0", "1.5", "--T", "1"}), out, "holds t ∈ [0, 2]");
  expect_error(ftle(good, {"--t0", "0", "--T", "0"}), out, "--T must not be 0");
  expect_error(ftle(good, {"--t0", "0", "--T", "1", "--seeds", "30by15"}), out, "--seeds expects");
  expect_error(ftle(good, {"--t0", "0", "--T", "1", "--frame-velocity", "0.1,0,0"}), out, "needs 2 components");
  expect_error(ftle(good, {"--t0", "0", "--T", "1", "--gradient", "spectral"}), out, "--gradient must be one of");
  expect_error({"tnti", "-i", write_variant("noscalar.h5", [](tu::FlowData& d) { d.scalar.clear(); }), "-o",
                out.string(), "--t0", "1", "--T", "0.5", "--no-plot"},
               out, "no /fields/scalar");
  expect_error({"barriers", "-i", write_variant("nonu.h5", [](tu::FlowData& d) { d.viscosity.reset(); }), "-o",
                out.string(), "--t0", "0", "--T", "1", "--no-plot"},
               out, "--viscosity");

  // A velocity of the wrong shape (3 components on a 2-D grid).
  {
    auto file = anneal::io::H5File::create(dir / "shape.h5");
    const tu::FlowData d = gyre();
    anneal::io::write_grid(file, d.grid);
    file.write<double>("/grid/t", d.times, {d.times.size()});
    file.write<double>("/fields/velocity", std::vector<double>(d.times.size() * d.nodes() * 3, 0.0),
                       {d.times.size(), 21, 41, 3});
    file.close();
  }
  expect_error(ftle((dir / "shape.h5").string(), {"--t0", "0", "--T", "1"}), out, "/fields/velocity");

  // The input is never the output.
  const auto same = run_anneal(ftle(good, {"--t0", "0", "--T", "1", "-o", good}));
  CHECK(same.exit_code != 0);
  CHECK(tu::inspect_flow_file(good).times.size() == 21);
}
