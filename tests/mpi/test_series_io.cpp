// Run under `mpiexec -n 2`: ranks that own boxes of a 3-D grid (split along y, not along the
// first axis) write one time series file collectively.
#include <catch2/catch.hpp>

#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "io/grid_output.hpp"

using namespace anneal;

namespace {
std::filesystem::path shared_dir() {
  std::string path;
  if (mpi::rank() == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "anneal-mpi-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  return mpi::broadcast(path);
}

double value_at(std::size_t frame, std::size_t k, std::size_t j, std::size_t i, std::size_t c) {
  return 10000.0 * static_cast<double>(frame) + 1000.0 * static_cast<double>(k) + 100.0 * static_cast<double>(j) +
         10.0 * static_cast<double>(i) + static_cast<double>(c);
}

std::vector<double> block_of(std::size_t frame, const io::Shape& offset, const io::Shape& count) {
  std::vector<double> v;
  for (std::size_t k = offset[0]; k < offset[0] + count[0]; ++k)
    for (std::size_t j = offset[1]; j < offset[1] + count[1]; ++j)
      for (std::size_t i = offset[2]; i < offset[2] + count[2]; ++i)
        for (std::size_t c = 0; c < 3; ++c) v.push_back(value_at(frame, k, j, i, c));
  return v;
}

io::RectilinearGrid grid(std::size_t nz, std::size_t ny, std::size_t nx) {
  return {io::periodic_axis(0, 1, nx), io::periodic_axis(0, 1, ny), io::periodic_axis(0, 1, nz), "m"};
}

// Writes 3 frames of velocity [nz][ny][nx][3] from each rank's box along y, and a u8 mask.
void write_series(const std::filesystem::path& h5, std::size_t nz, std::size_t ny, std::size_t nx,
                  const io::Shape& offset, const io::Shape& count, const io::WriteOptions& options = {}) {
  io::GridOutput out(h5, grid(nz, ny, nx), {"test", "{}", "cpu", {}});
  REQUIRE(out.file().parallel());
  out.add_series_field("velocity", io::DType::f64, 3, "m/s", options);
  out.add_static_field("solid", io::DType::u8);
  std::vector<std::uint8_t> solid;
  const auto values = block_of(0, offset, count);
  for (std::size_t n = 0; n < values.size(); n += 3)
    solid.push_back(static_cast<std::uint8_t>(static_cast<long>(values[n]) % 2));
  out.write_static_block<std::uint8_t>("solid", solid, offset, count);
  for (std::size_t frame = 0; frame < 3; ++frame) {
    REQUIRE(out.begin_frame(0.5 * static_cast<double>(frame)) == frame);
    out.write_frame_block<double>("velocity", block_of(frame, offset, count), offset, count);
    out.flush();
  }
  out.commit();
}

void check_series(const std::filesystem::path& h5, std::size_t nz, std::size_t ny, std::size_t nx) {
  const auto file = io::H5File::open_read(h5);
  REQUIRE(file.read<double>("/grid/t").data == std::vector<double>{0.0, 0.5, 1.0});
  const auto velocity = file.read<double>("/fields/velocity");
  REQUIRE(velocity.shape == io::Shape{3, nz, ny, nx, 3});
  for (std::size_t frame = 0; frame < 3; ++frame)
    REQUIRE(std::vector<double>(velocity.data.begin() + static_cast<std::ptrdiff_t>(frame * nz * ny * nx * 3),
                                velocity.data.begin() + static_cast<std::ptrdiff_t>((frame + 1) * nz * ny * nx * 3)) ==
            block_of(frame, {0, 0, 0}, {nz, ny, nx}));
  const auto solid = file.read<std::uint8_t>("/fields/solid").data;
  const auto expected = block_of(0, {0, 0, 0}, {nz, ny, nx});
  for (std::size_t n = 0; n < solid.size(); ++n) REQUIRE(solid[n] == static_cast<long>(expected[3 * n]) % 2);
}
}  // namespace

TEST_CASE("ranks write their y-boxes of a 3-D vector series into one file", "[mpi][hdf5][series]") {
  const auto dir = shared_dir();
  const std::size_t nz = 3, ny = 7, nx = 4;  // 7 y-planes over 2 ranks: 4 + 3
  const auto mine = block_range(ny, mpi::size(), mpi::rank());
  write_series(dir / "s.h5", nz, ny, nx, {0, mine.begin, 0}, {nz, mine.size(), nx});
  // Compressed chunks are written collectively too.
  write_series(dir / "z.h5", nz, ny, nx, {0, mine.begin, 0}, {nz, mine.size(), nx},
               {.chunk = {}, .deflate = 4, .shuffle = true});
  mpi::barrier();
  check_series(dir / "s.h5", nz, ny, nx);
  check_series(dir / "z.h5", nz, ny, nx);
  REQUIRE(std::filesystem::exists(dir / "s.xmf"));
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}

TEST_CASE("a rank whose box is empty still takes part in every frame", "[mpi][hdf5][series]") {
  const auto dir = shared_dir();
  const std::size_t nz = 2, ny = 3, nx = 2;
  const bool owner = mpi::rank() == 0;  // rank 0 owns the whole grid, the others nothing
  write_series(dir / "e.h5", nz, ny, nx, {0, 0, 0}, owner ? io::Shape{nz, ny, nx} : io::Shape{0, 0, 0});
  mpi::barrier();
  check_series(dir / "e.h5", nz, ny, nx);
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}

TEST_CASE("a block out of the extent on one rank throws on every rank", "[mpi][hdf5][series]") {
  const auto dir = shared_dir();
  {
    auto file = io::H5File::create(dir / "bad.h5");
    file.create_series("/u", io::DType::f64, {2, 4});
    file.extend_series("/u");
    const std::vector<double> two(2, 1.0);
    // Rank 1 reaches past x = 4; rank 0's block is fine but it must not wait for rank 1 forever.
    const io::Shape offset{0, 0, mpi::rank() == 1 ? std::size_t{3} : 0};
    if (mpi::rank() == 1)
      REQUIRE_THROWS_WITH(file.write_block<double>("/u", two, offset, {1, 1, 2}),
                          Catch::Matchers::Contains("bad.h5") && Catch::Matchers::Contains("reaches past"));
    else
      REQUIRE_THROWS_WITH(file.write_block<double>("/u", two, offset, {1, 1, 2}),
                          Catch::Matchers::Contains("another rank's block"));
  }
  mpi::barrier();
  if (mpi::rank() == 0) std::filesystem::remove_all(dir);
}
