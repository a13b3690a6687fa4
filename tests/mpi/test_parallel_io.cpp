// Run under `mpiexec -n 2`: N ranks write one HDF5 file collectively.
#include <catch2/catch.hpp>

#include <sstream>

#include "core/log.hpp"
#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "io/atomic_output.hpp"
#include "io/grid_output.hpp"
#include "io/hdf5_file.hpp"

using namespace anneal;

namespace {
// Every rank must use the same path: rank 0 picks it.
std::filesystem::path shared_temp_dir() {
  std::string path;
  if (mpi::rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "anneal-mpi-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  return mpi::broadcast(path);
}

double value_at(std::size_t row, std::size_t col) { return 1000.0 * static_cast<double>(row) + static_cast<double>(col); }
}  // namespace

TEST_CASE("this suite runs on several ranks", "[mpi]") { REQUIRE(mpi::size() >= 2); }

TEST_CASE("ranks write their rows of one dataset into one file", "[mpi][hdf5]") {
  const auto dir = shared_temp_dir();
  const std::size_t rows = 7, cols = 5;  // 7 rows over 2 ranks: 4 + 3
  const auto mine = block_range(rows, mpi::size(), mpi::rank());
  std::vector<double> local;
  for (std::size_t r = mine.begin; r < mine.end; ++r)
    for (std::size_t c = 0; c < cols; ++c) local.push_back(value_at(r, c));
  {
    io::AtomicOutput out(dir / "rows.h5");
    auto file = io::H5File::create(out.temp_path());
    REQUIRE(file.parallel());
    file.write_rows<double>("/fields/m", local, {rows, cols}, mine.begin);
    file.write_rows<double>("/fields/compressed", local, {rows, cols}, mine.begin, {.chunk = {}, .deflate = 4, .shuffle = true});
    file.write<double>("/grid/x", std::vector<double>{0.5, 1.5}, {2});
    file.set_attribute("/fields/m", "units", std::string("K"));
    file.close();
    out.commit();
  }
  mpi::barrier();
  // Every rank checks the whole file against the values it should hold.
  const auto file = io::H5File::open_read(dir / "rows.h5");
  for (const char* name : {"/fields/m", "/fields/compressed"}) {
    const auto m = file.read<double>(name);
    REQUIRE(m.shape == io::Shape{rows, cols});
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) REQUIRE(m.data[r * cols + c] == value_at(r, c));
  }
  REQUIRE(file.read<double>("/grid/x").data == std::vector<double>{0.5, 1.5});
  REQUIRE(file.string_attribute("/fields/m", "units") == "K");
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}

TEST_CASE("a rank with no rows still takes part in the collective write", "[mpi][hdf5]") {
  const auto dir = shared_temp_dir();
  const std::size_t rows = 1;  // rank 1 owns nothing
  const auto mine = block_range(rows, mpi::size(), mpi::rank());
  std::vector<double> local(mine.size() * 2, 42.0);
  {
    auto file = io::H5File::create(dir / "one.h5");
    file.write_rows<double>("v", local, {rows, 2}, mine.begin);
  }
  mpi::barrier();
  REQUIRE(io::H5File::open_read(dir / "one.h5").read<double>("v").data == std::vector<double>{42.0, 42.0});
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}

TEST_CASE("info is printed by rank 0 only, warnings by every rank with its number", "[mpi][log]") {
  std::ostringstream out, err;
  log::set_streams(&out, &err);
  log::info("hello");
  log::warn("careful");
  log::set_streams(nullptr, nullptr);
  REQUIRE(out.str() == (mpi::rank() == 0 ? "hello\n" : ""));
  REQUIRE(err.str() == "anneal: warning: [rank " + std::to_string(mpi::rank()) + "] careful\n");
}

TEST_CASE("collective helpers agree across ranks", "[mpi]") {
  REQUIRE(mpi::broadcast(mpi::rank() == 0 ? std::string("from rank 0") : std::string()) == "from rank 0");
  REQUIRE(mpi::max_over_ranks(static_cast<double>(mpi::rank())) == static_cast<double>(mpi::size() - 1));
  REQUIRE(mpi::any_rank(mpi::rank() == 1));
  REQUIRE_FALSE(mpi::any_rank(false));
}
