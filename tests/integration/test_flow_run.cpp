// `anneal flow run` end to end: one output file whatever the number of ranks, the same fields on 1
// and 2 ranks (to the pressure solver's tolerance), bit-for-bit restarts, the pressure-system dumps,
// and clear one-line errors for bad scenes.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>
#include <petscmat.h>
#include <petscviewerhdf5.h>

#include "io/hdf5_file.hpp"
#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;

namespace {

// A small planar jet: inflow with noise, convective outflow, slip walls and an obstacle.
const char* jet_2d = R"(
name = "small_jet"
[domain]
cells = [32, 48]
size = [1.0, 1.5]
[boundary]
x_min = "slip"
x_max = "wall"
y_min = { type = "inflow", profile = "jet", speed = 1.0, diameter = 0.2, center = [0.5], edge = 0.02, coflow = 0.05, noise = 0.1 }
y_max = "outflow"
[fluid]
viscosity = 2e-3
diffusivity = 1e-3
[[obstacle]]
shape = "cylinder"
center = [0.3, 0.8]
radius = 0.1
[time]
end = 10.0
max_steps = 30
[output]
interval = 0.05
pressure_systems = [10]
)";

// A small 3-D plume past a sphere, periodic in x: a decomposition in more than one direction.
const char* plume_3d = R"(
[domain]
cells = [12, 16, 20]
size = [0.6, 0.8, 1.0]
[boundary]
x_min = "periodic"
x_max = "periodic"
z_min = { type = "inflow", profile = "jet", speed = 0.3, diameter = 0.3, center = [0.3, 0.4], noise = 0.05 }
z_max = "outflow"
[fluid]
viscosity = 1e-3
diffusivity = 1e-3
buoyancy = [0.0, 0.0, 2.0]
[[obstacle]]
shape = "sphere"
center = [0.3, 0.4, 0.5]
radius = 0.15
[time]
max_steps = 12
end = 10.0
)";

std::filesystem::path write_scene(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

const RunOptions mpi_env{.working_dir = {}, .kill_after_s = -1,
                         .env = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"}};

ProcessResult run_on(int ranks, const std::vector<std::string>& args) {
  std::vector<std::string> argv{MPIEXEC_PROGRAM, "-n", std::to_string(ranks), "--oversubscribe", ANNEAL_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, mpi_env);
}

double max_difference(const io::H5File& a, const io::H5File& b, const std::string& name) {
  const auto x = a.read<double>(name), y = b.read<double>(name);
  REQUIRE(x.shape == y.shape);
  double worst = 0;
  for (std::size_t i = 0; i < x.data.size(); ++i) worst = std::max(worst, std::abs(x.data[i] - y.data[i]));
  return worst;
}

}  // namespace

TEST_CASE("flow run: 1 and 2 ranks write one file each with the same fields", "[cli][mpi][flow]") {
  TempDir dir;
  for (const auto& [name, text] : {std::pair{"jet", jet_2d}, std::pair{"plume", plume_3d}}) {
    INFO(name);
    const auto scene = write_scene(dir, std::string(name) + ".toml", text);
    const auto one = dir / (std::string(name) + "_1.h5"), two = dir / (std::string(name) + "_2.h5");
    const auto serial = run_anneal({"flow", "run", "--config", scene.string(), "-o", one.string(), "--quiet"});
    INFO(serial.out << serial.err);
    REQUIRE(serial.exit_code == 0);
    const auto parallel = run_on(2, {"flow", "run", "--config", scene.string(), "-o", two.string(), "--quiet"});
    INFO(parallel.out << parallel.err);
    REQUIRE(parallel.exit_code == 0);
    const auto a = io::H5File::open_read(one), b = io::H5File::open_read(two);
    CHECK(std::get<std::int64_t>(b.attribute("/meta", "mpi_ranks")) == 2);
    // The time step follows the velocity, so the clocks agree to the solver's tolerance too.
    CHECK(max_difference(a, b, "/grid/t") < 1e-8);
    CHECK(a.read<std::uint8_t>("/fields/solid").data == b.read<std::uint8_t>("/fields/solid").data);
    // Only the Krylov solves differ between decompositions (GAMG's aggregates follow the ranks);
    // they agree to rtol = 1e-10, amplified a little over the steps.
    CHECK(max_difference(a, b, "/fields/velocity") < 1e-7);
    CHECK(max_difference(a, b, "/fields/scalar") < 1e-7);
    CHECK(max_difference(a, b, "/fields/pressure") < 1e-5);
  }
}

TEST_CASE("flow run: output layout, XDMF sidecar and the pressure-system dump", "[cli][flow]") {
  TempDir dir;
  const auto scene = write_scene(dir, "jet.toml", jet_2d);
  const auto out = dir / "jet.h5";
  const auto r = run_anneal({"flow", "run", "--config", scene.string(), "-o", out.string()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("steps/s") != std::string::npos);  // progress with the step rate
  CHECK(names_in(dir.path()) == std::vector<std::string>{"jet.h5", "jet.pressure_10.h5", "jet.toml", "jet.xmf"});
  const auto f = io::H5File::open_read(out);
  const auto t = f.read<double>("/grid/t").data;
  REQUIRE(t.size() >= 3);
  CHECK(t.front() == 0.0);
  for (std::size_t i = 1; i + 1 < t.size(); ++i) CHECK(t[i] == Approx(0.05 * static_cast<double>(i)).epsilon(1e-12));
  CHECK(f.dataset_info("/fields/velocity").shape == io::Shape{t.size(), 48, 32, 2});
  CHECK(f.dataset_info("/fields/scalar").shape == io::Shape{t.size(), 48, 32});
  CHECK(f.dataset_info("/fields/solid").shape == io::Shape{48, 32});
  CHECK(f.read<double>("/grid/x").data.front() == Approx(1.0 / 64));  // cell centres
  const auto config = nlohmann::json::parse(f.string_attribute("/meta", "config"));
  CHECK(config["scene"]["fluid"]["viscosity"] == 2e-3);
  CHECK(std::get<double>(f.attribute("/", "viscosity")) == 2e-3);
  CHECK(f.string_attribute("/grid/x", "units") == "length");
  CHECK(f.string_attribute("/grid/t", "units") == "time");
  CHECK(std::get<double>(f.attribute("/", "diffusivity")) == 1e-3);

  // The dumped system: A x = b on the fluid cells, b orthogonal to the null space (constants on
  // the fluid cells), identity rows on the solid cells.
  const auto s = io::H5File::open_read(dir / "jet.pressure_10.h5");
  const auto indptr = s.read<std::int64_t>("/A/indptr").data, indices = s.read<std::int64_t>("/A/indices").data;
  const auto data = s.read<double>("/A/data").data, b = s.read<double>("/b").data, x = s.read<double>("/x").data;
  const auto types = s.read<std::uint8_t>("/cell_type").data;
  CHECK(std::get<std::vector<std::int64_t>>(s.attribute("/A", "shape")) == std::vector<std::int64_t>{32 * 48, 32 * 48});
  REQUIRE(b.size() == 32 * 48);
  double residual = 0, norm = 0, b_sum = 0;
  for (std::size_t row = 0; row < b.size(); ++row) {
    double ax = 0;
    for (auto e = indptr[row]; e < indptr[row + 1]; ++e)
      ax += data[static_cast<std::size_t>(e)] * x[static_cast<std::size_t>(indices[static_cast<std::size_t>(e)])];
    residual += (ax - b[row]) * (ax - b[row]);
    norm += b[row] * b[row];
    if (types[row] == 0) b_sum += b[row];
  }
  CHECK(norm > 0);
  CHECK(std::sqrt(residual / norm) < 1e-8);
  CHECK(std::abs(b_sum) < 1e-10 * std::sqrt(norm));

  // PETSc loads the same system from the file (DESIGN.md §4) and finds the same residual.
  PetscViewer viewer;
  REQUIRE(PetscViewerHDF5Open(PETSC_COMM_SELF, (dir / "jet.pressure_10.h5").c_str(), FILE_MODE_READ, &viewer) == 0);
  Mat a;
  Vec pb, px, pr;
  MatCreate(PETSC_COMM_SELF, &a);
  PetscObjectSetName(reinterpret_cast<PetscObject>(a), "A");
  MatSetType(a, MATSEQAIJ);
  REQUIRE(MatLoad(a, viewer) == 0);
  VecCreate(PETSC_COMM_SELF, &pb);
  VecCreate(PETSC_COMM_SELF, &px);
  PetscObjectSetName(reinterpret_cast<PetscObject>(pb), "b");
  PetscObjectSetName(reinterpret_cast<PetscObject>(px), "x");
  REQUIRE(VecLoad(pb, viewer) == 0);
  REQUIRE(VecLoad(px, viewer) == 0);
  PetscInt rows, cols;
  MatGetSize(a, &rows, &cols);
  CHECK(rows == 32 * 48);
  CHECK(cols == 32 * 48);
  PetscBool symmetric;
  MatIsSymmetric(a, 0.0, &symmetric);
  CHECK(symmetric == PETSC_TRUE);
  VecDuplicate(pb, &pr);
  MatMult(a, px, pr);
  VecAXPY(pr, -1.0, pb);
  PetscReal r_norm, b_norm;
  VecNorm(pr, NORM_2, &r_norm);
  VecNorm(pb, NORM_2, &b_norm);
  CHECK(r_norm / b_norm == Approx(std::sqrt(residual / norm)).margin(1e-12));
  VecDestroy(&pr);
  VecDestroy(&px);
  VecDestroy(&pb);
  MatDestroy(&a);
  PetscViewerDestroy(&viewer);
}

TEST_CASE("flow run: a restart from a checkpoint continues bit for bit", "[cli][flow]") {
  TempDir dir;
  std::string text = jet_2d;
  text += "checkpoint_every = 15\n";  // in [output]: the last table of the scene
  const auto scene = write_scene(dir, "jet.toml", text);
  // Straight through: 30 steps. Interrupted: 15 steps (checkpoint), then a restart to step 30.
  REQUIRE(run_anneal({"flow", "run", "--config", scene.string(), "-o", (dir / "straight.h5").string(), "--quiet",
                      "--checkpoint", (dir / "unused.h5").string()})
              .exit_code == 0);
  REQUIRE(run_anneal({"flow", "run", "--config", scene.string(), "-o", (dir / "first.h5").string(), "--quiet",
                      "--max-steps", "15", "--checkpoint", (dir / "ckpt.h5").string()})
              .exit_code == 0);
  const auto resumed = run_on(2, {"flow", "run", "--config", scene.string(), "-o", (dir / "second.h5").string(),
                                  "--quiet", "--restart", (dir / "ckpt.h5").string(), "--checkpoint",
                                  (dir / "ckpt2.h5").string()});
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  // Checkpointing over the file it restarts from is refused before any work.
  const auto clash = run_anneal({"flow", "run", "--config", scene.string(), "-o", (dir / "third.h5").string(), "--quiet",
                                 "--restart", (dir / "ckpt.h5").string(), "--checkpoint", (dir / "ckpt.h5").string()});
  CHECK(is_one_line_error(clash));
  CHECK(clash.err.find("give --checkpoint another path") != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "third.h5"));
  const auto a = io::H5File::open_read(dir / "straight.h5"), b = io::H5File::open_read(dir / "second.h5");
  const auto ta = a.read<double>("/grid/t").data, tb = b.read<double>("/grid/t").data;
  CHECK(ta.back() == Approx(tb.back()).epsilon(1e-13));
  // The last frames agree (the restart ran on 2 ranks, so to the solver's tolerance).
  const auto ua = a.read<double>("/fields/velocity").data, ub = b.read<double>("/fields/velocity").data;
  const std::size_t frame = 48 * 32 * 2;
  double worst = 0;
  for (std::size_t i = 0; i < frame; ++i)
    worst = std::max(worst, std::abs(ua[ua.size() - frame + i] - ub[ub.size() - frame + i]));
  CHECK(worst < 1e-7);
}

TEST_CASE("flow run: bad scenes and masks are one-line errors that name the problem", "[cli][flow]") {
  TempDir dir;
  const std::string base = "[domain]\ncells = [16, 16]\nsize = [1.0, 1.0]\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {base + "[fluid]\nviscosty = 0.1\n", "unknown key 'fluid.viscosty'"},
      {base + "[fluid]\nviscosity = -0.1\n", "fluid.viscosity must be ≥ 0"},
      {base + "[time]\ncfl = 3.0\n", "time.cfl = 3 is impossible"},
      {base + "[boundary]\nx_min = 'periodic'\n", "must both be periodic"},
      {base + "[boundary]\ny_min = { type = 'inflow' }\n", "needs an outflow boundary"},
      {base + "[boundary]\ny_min = 'lava'\n", "'lava' is not a boundary type"},
      {base + "[mask]\nfile = 'mask.h5'\n", "/mask"},
      {"[domain\ncells = 3\n", "malformed TOML at line 1"},
  };
  // A mask of the wrong shape.
  {
    auto mask = io::H5File::create(dir / "mask.h5");
    std::vector<std::uint8_t> m(8 * 8, 0);
    mask.write<std::uint8_t>("/mask", m, {8, 8});
  }
  for (const auto& [text, expected] : cases) {
    const auto scene = write_scene(dir, "bad.toml", text);
    const auto r = run_anneal({"flow", "run", "--config", scene.string(), "-o", (dir / "out.h5").string()});
    INFO(text << "\n-> " << r.err);
    CHECK(is_one_line_error(r));
    CHECK(r.err.find(expected) != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "out.h5"));
  }
}

TEST_CASE("flow run: PETSc options choose the pressure solver, and a solve that fails stops the run", "[cli][flow]") {
  TempDir dir;
  const auto scene = write_scene(dir, "jet.toml", jet_2d);
  const auto out = dir / "jet.h5";
  auto r = run_anneal({"flow", "run", "--config", scene.string(), "-o", out.string(), "--quiet", "--", "-ksp_type",
                       "minres", "-pc_type", "jacobi"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("minres + jacobi") != std::string::npos);
  std::filesystem::remove(out);
  std::filesystem::remove(dir / "jet.xmf");
  std::filesystem::remove(dir / "jet.pressure_10.h5");

  // Two iterations cannot reach rtol = 1e-10: the run stops with PETSc's reason, and no output.
  r = run_anneal({"flow", "run", "--config", scene.string(), "-o", out.string(), "--quiet", "--", "-ksp_max_it", "2"});
  CHECK(is_one_line_error(r));
  CHECK(r.err.find("did not converge (DIVERGED_ITS after 2 iterations") != std::string::npos);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"jet.toml"});
}
