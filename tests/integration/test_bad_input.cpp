// Every kind of bad input: one line `anneal: error: ...` naming what is wrong, a non-zero exit,
// and no output file (nor a temporary one) left behind.
#include <catch2/catch.hpp>

#include <fstream>
#include <limits>

#include "tests/integration/cli_fixtures.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::test;
using Catch::Matchers::Contains;

namespace {
// Runs `flow vorticity` on `input` and checks the error contract; returns stderr.
std::string vorticity_error(const TempDir& dir, const std::filesystem::path& input,
                            std::vector<std::string> extra = {}) {
  const auto before = names_in(dir.path());
  std::vector<std::string> args{"flow", "vorticity", input.string(), "-o", (dir / "out.h5").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_anneal(args);
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(is_one_line_error(r));
  REQUIRE(names_in(dir.path()) == before);  // no out.h5, out.xmf or .tmp
  return r.err;
}

// A valid grid with a velocity dataset of the given type/shape/values.
template <class T>
void write_with_velocity(const std::filesystem::path& path, std::size_t n, const io::Shape& shape, T fill) {
  io::RectilinearGrid grid;
  grid.x = grid.y = grid.z = io::periodic_axis(0, 1, n);
  auto file = io::H5File::create(path);
  io::write_grid(file, grid);
  file.write<T>("/fields/velocity", std::vector<T>(io::element_count(shape), fill), shape);
}
}  // namespace

TEST_CASE("bad input: a missing file", "[cli][bad-input]") {
  TempDir dir;
  REQUIRE_THAT(vorticity_error(dir, dir / "absent.h5"), Contains("absent.h5") && Contains("does not exist"));
}

TEST_CASE("bad input: a file that is not HDF5", "[cli][bad-input]") {
  TempDir dir;
  std::ofstream(dir / "notes.h5") << "x,y\n1,2\n";
  REQUIRE_THAT(vorticity_error(dir, dir / "notes.h5"), Contains("notes.h5") && Contains("not an HDF5 file"));
}

TEST_CASE("bad input: a truncated HDF5 file", "[cli][bad-input]") {
  TempDir dir;
  write_velocity_file(dir / "full.h5", 16);
  std::filesystem::copy_file(dir / "full.h5", dir / "cut.h5");
  std::filesystem::resize_file(dir / "cut.h5", std::filesystem::file_size(dir / "full.h5") * 2 / 3);
  std::filesystem::remove(dir / "full.h5");
  REQUIRE_THAT(vorticity_error(dir, dir / "cut.h5"),
               Contains("cut.h5") && (Contains("truncated") || Contains("damaged")));
}

TEST_CASE("bad input: a missing dataset", "[cli][bad-input]") {
  TempDir dir;
  write_velocity_file(dir / "in.h5", 8);
  REQUIRE_THAT(vorticity_error(dir, dir / "in.h5", {"--velocity", "wind"}),
               Contains("in.h5") && Contains("no dataset '/fields/wind'") && Contains("/fields/velocity"));
}

TEST_CASE("bad input: a wrong shape", "[cli][bad-input]") {
  TempDir dir;
  write_with_velocity<double>(dir / "in.h5", 8, {8, 8, 8}, 0.0);
  REQUIRE_THAT(vorticity_error(dir, dir / "in.h5"),
               Contains("'/fields/velocity'") && Contains("shape [8, 8, 8, 3]") && Contains("shape [8, 8, 8]"));
}

TEST_CASE("bad input: a wrong dtype", "[cli][bad-input]") {
  TempDir dir;
  write_with_velocity<std::int32_t>(dir / "in.h5", 8, {8, 8, 8, 3}, 1);
  REQUIRE_THAT(vorticity_error(dir, dir / "in.h5"),
               Contains("'/fields/velocity'") && Contains("should be f32 or f64") && Contains("is i32"));
}

TEST_CASE("bad input: NaN or Inf in an input field", "[cli][bad-input]") {
  TempDir dir;
  write_with_velocity<double>(dir / "nan.h5", 8, {8, 8, 8, 3}, std::numeric_limits<double>::quiet_NaN());
  REQUIRE_THAT(vorticity_error(dir, dir / "nan.h5"), Contains("nan.h5") && Contains("non-finite"));
  write_with_velocity<float>(dir / "inf.h5", 8, {8, 8, 8, 3}, std::numeric_limits<float>::infinity());
  REQUIRE_THAT(vorticity_error(dir, dir / "inf.h5"), Contains("inf.h5") && Contains("non-finite"));
}

TEST_CASE("bad input: an unknown option", "[cli][bad-input]") {
  TempDir dir;
  write_velocity_file(dir / "in.h5", 8);
  const auto err = vorticity_error(dir, dir / "in.h5", {"--smoothness", "3"});
  REQUIRE_THAT(err, Contains("--smoothness") && Contains("--help"));
  const auto r = run_anneal({"frobnicate"});
  REQUIRE(is_one_line_error(r));
  REQUIRE_THAT(r.err, Contains("frobnicate"));
}

TEST_CASE("bad input: a malformed TOML configuration", "[cli][bad-input]") {
  TempDir dir;
  write_velocity_file(dir / "in.h5", 8);
  std::ofstream(dir / "bad.toml") << "velocity = \"velocity\"\nperiodic = = \"xyz\"\n";
  REQUIRE_THAT(vorticity_error(dir, dir / "in.h5", {"--config", (dir / "bad.toml").string()}),
               Contains("bad.toml") && Contains("line 2"));
  std::ofstream(dir / "typo.toml") << "periodc = \"xyz\"\n";
  REQUIRE_THAT(vorticity_error(dir, dir / "in.h5", {"--config", (dir / "typo.toml").string()}), Contains("periodc"));
}

TEST_CASE("bad input: an output that would overwrite the input", "[cli][bad-input]") {
  TempDir dir;
  write_velocity_file(dir / "in.h5", 8);
  const auto size = std::filesystem::file_size(dir / "in.h5");
  const auto r = run_anneal({"flow", "vorticity", (dir / "in.h5").string(), "-o", (dir / "in.h5").string()});
  REQUIRE(is_one_line_error(r));
  REQUIRE_THAT(r.err, Contains("never overwrites its inputs"));
  REQUIRE(std::filesystem::file_size(dir / "in.h5") == size);
  REQUIRE(names_in(dir.path()) == std::vector<std::string>{"in.h5"});
}
