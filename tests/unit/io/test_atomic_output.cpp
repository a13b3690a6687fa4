#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::io::AtomicOutput;
using Catch::Matchers::Contains;

using anneal::test::read_text;

TEST_CASE("an output appears under its final name only when committed", "[io][atomic]") {
  anneal::test::TempDir dir;
  const auto final_path = dir / "out.h5";
  {
    AtomicOutput out(final_path);
    REQUIRE(out.temp_path() == dir / "out.h5.tmp");
    auto file = anneal::io::H5File::create(out.temp_path());
    file.write<double>("x", std::vector<double>{1, 2}, {2});
    file.close();
    REQUIRE_FALSE(std::filesystem::exists(final_path));
    out.commit();
  }
  REQUIRE(std::filesystem::exists(final_path));
  REQUIRE_FALSE(std::filesystem::exists(dir / "out.h5.tmp"));
  REQUIRE(anneal::io::H5File::open_read(final_path).read<double>("x").data == std::vector<double>{1, 2});
}

TEST_CASE("a failed write leaves the previous output untouched and no temporary file", "[io][atomic]") {
  anneal::test::TempDir dir;
  anneal::io::write_text_atomically(dir / "a.txt", "complete old result\n");
  try {
    AtomicOutput out(dir / "a.txt");
    std::ofstream(out.temp_path()) << "half of a new res";
    throw std::runtime_error("the run failed half way");
  } catch (const std::runtime_error&) {
  }
  REQUIRE(read_text(dir / "a.txt") == "complete old result\n");
  REQUIRE_FALSE(std::filesystem::exists(dir / "a.txt.tmp"));
}

TEST_CASE("inputs are never overwritten, whatever the path spelling", "[io][atomic]") {
  anneal::test::TempDir dir;
  std::filesystem::create_directory(dir / "sub");
  std::ofstream(dir / "in.h5") << "input";
  REQUIRE_THROWS_WITH(AtomicOutput(dir / "in.h5", {dir / "in.h5"}), Contains("never overwrites its inputs"));
  REQUIRE_THROWS_WITH(AtomicOutput(dir / "sub" / ".." / "in.h5", {dir / "in.h5"}), Contains("is the input"));
  std::filesystem::create_symlink(dir / "in.h5", dir / "link.h5");
  REQUIRE_THROWS_WITH(AtomicOutput(dir / "link.h5", {dir / "in.h5"}), Contains("is the input"));
  REQUIRE(read_text(dir / "in.h5") == "input");
}

TEST_CASE("an output directory that does not exist is reported before any work", "[io][atomic]") {
  anneal::test::TempDir dir;
  REQUIRE_THROWS_WITH(AtomicOutput(dir / "missing" / "out.h5"), Contains("does not exist"));
}
