// Time series and blocks of a box decomposition (one rank here; tests/mpi/ runs two).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "io/grid_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/xdmf.hpp"
#include "tests/support/run_process.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal::io;
using anneal::test::TempDir;
using Catch::Matchers::Contains;

namespace {
// Each value says where it belongs, so a misplaced block shows.
double value_at(std::size_t frame, std::size_t k, std::size_t j, std::size_t i, std::size_t c) {
  return 10000.0 * static_cast<double>(frame) + 1000.0 * static_cast<double>(k) + 100.0 * static_cast<double>(j) +
         10.0 * static_cast<double>(i) + static_cast<double>(c);
}

// The box [offset, offset + count) of frame `frame` of a [nz][ny][nx][nc] field, in C order.
template <class T>
std::vector<T> block_of(std::size_t frame, const Shape& offset, const Shape& count, std::size_t nc) {
  std::vector<T> v;
  for (std::size_t k = offset[0]; k < offset[0] + count[0]; ++k)
    for (std::size_t j = offset[1]; j < offset[1] + count[1]; ++j)
      for (std::size_t i = offset[2]; i < offset[2] + count[2]; ++i)
        for (std::size_t c = 0; c < nc; ++c) v.push_back(static_cast<T>(value_at(frame, k, j, i, c)));
  return v;
}

// Four boxes that tile a [4][5][6] grid: y and x are split, z is not.
const std::vector<std::pair<Shape, Shape>> kBoxes = {
    {{0, 0, 0}, {4, 2, 3}}, {{0, 0, 3}, {4, 2, 3}}, {{0, 2, 0}, {4, 3, 3}}, {{0, 2, 3}, {4, 3, 3}}};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

RectilinearGrid grid_4x5x6() {
  return {{0.5, 1.5, 2.5, 3.5, 4.5, 5.5}, {0.5, 1.5, 2.5, 3.5, 4.5}, {0.5, 1.5, 2.5, 3.5}, "m"};
}
}  // namespace

TEST_CASE("a series grows one frame at a time and blocks land at their global indices", "[io][hdf5][series]") {
  TempDir dir;
  {
    auto file = H5File::create(dir / "s.h5");
    file.create_series("/fields/u", DType::f64, {4, 5, 6, 3});
    REQUIRE(file.dataset_info("/fields/u").shape == Shape{0, 4, 5, 6, 3});
    for (std::size_t frame = 0; frame < 3; ++frame) {
      REQUIRE(file.extend_series("/fields/u") == frame);
      for (const auto& [offset, count] : kBoxes) {
        const auto block = block_of<double>(frame, offset, count, 3);
        file.write_block<double>("/fields/u", block, {frame, offset[0], offset[1], offset[2], 0},
                                 {1, count[0], count[1], count[2], 3});
      }
    }
    // A rank that owns nothing writes an empty block.
    file.write_block<double>("/fields/u", std::span<const double>(), {0, 0, 0, 0, 0}, {0, 0, 0, 0, 0});
  }
  const auto file = H5File::open_read(dir / "s.h5");
  const auto all = file.read<double>("/fields/u");
  REQUIRE(all.shape == Shape{3, 4, 5, 6, 3});
  for (std::size_t frame = 0; frame < 3; ++frame)
    REQUIRE(std::vector<double>(all.data.begin() + static_cast<std::ptrdiff_t>(frame * 360),
                                all.data.begin() + static_cast<std::ptrdiff_t>((frame + 1) * 360)) ==
            block_of<double>(frame, {0, 0, 0}, {4, 5, 6}, 3));
  const auto part = file.read_block<float>("/fields/u", {2, 1, 1, 2, 0}, {1, 2, 3, 4, 3});
  REQUIRE(part.shape == Shape{1, 2, 3, 4, 3});
  REQUIRE(part.data == block_of<float>(2, {1, 1, 2}, {2, 3, 4}, 3));
}

TEST_CASE("a fixed dataset is created empty and filled block by block", "[io][hdf5][series]") {
  TempDir dir;
  {
    auto file = H5File::create(dir / "m.h5");
    file.create_dataset("/fields/solid", DType::u8, {4, 5, 6});
    for (const auto& [offset, count] : kBoxes)
      file.write_block<std::uint8_t>("/fields/solid", block_of<std::uint8_t>(0, offset, count, 1), offset, count);
    file.create_dataset("/fields/untouched", DType::f32, {2, 2}, {.chunk = {1, 2}, .deflate = 4, .shuffle = true});
  }
  const auto file = H5File::open_read(dir / "m.h5");
  REQUIRE(file.read<std::uint8_t>("/fields/solid").data == block_of<std::uint8_t>(0, {0, 0, 0}, {4, 5, 6}, 1));
  REQUIRE(file.read<float>("/fields/untouched").data == std::vector<float>(4, 0.0f));  // never written: zeros
}

TEST_CASE("bad blocks and series give errors naming the file and the dataset", "[io][hdf5][series]") {
  TempDir dir;
  auto file = H5File::create(dir / "e.h5");
  file.create_series("/fields/p", DType::f32, {3, 4});
  file.extend_series("/fields/p");
  const std::vector<float> six(6, 1.0f);
  REQUIRE_THROWS_WITH(file.write_block<float>("/fields/p", six, {0, 0}, {2, 3}),
                      Contains("e.h5") && Contains("/fields/p") && Contains("should have 3 axes"));
  REQUIRE_THROWS_WITH(file.write_block<float>("/fields/p", six, {0, 2, 2}, {1, 2, 3}),
                      Contains("e.h5") && Contains("/fields/p") && Contains("reaches past the extent on axis 1"));
  REQUIRE_THROWS_WITH(file.write_block<float>("/fields/p", six, {1, 0, 0}, {1, 2, 3}),
                      Contains("reaches past the extent on axis 0"));  // frame 1 does not exist yet
  REQUIRE_THROWS_WITH(
      file.write_block<float>("/fields/p", six, {0, 0, 0}, {1, 2, 2}),
      Contains("e.h5") && Contains("/fields/p") && Contains("6 values given for a block of count [1, 2, 2]"));
  REQUIRE_THROWS_WITH(file.read_block<float>("/fields/p", {0, 0, 3}, {1, 3, 2}),
                      Contains("e.h5") && Contains("/fields/p") && Contains("reaches past"));
  REQUIRE_THROWS_WITH(file.write_block<float>("/fields/q", six, {0, 0, 0}, {1, 2, 3}),
                      Contains("e.h5") && Contains("no dataset '/fields/q'"));
  file.write<float>("/fixed", six, {6});
  REQUIRE_THROWS_WITH(file.extend_series("/fixed"), Contains("e.h5") && Contains("'/fixed' is not a time series"));
  REQUIRE_THROWS_WITH(file.create_series("/fields/p", DType::f32, {3, 4}), Contains("'/fields/p' is written twice"));
  REQUIRE_THROWS_WITH(file.create_series("/fields/z", DType::f32, {0, 4}), Contains("/fields/z") && Contains("[0, 4]"));
}

TEST_CASE("a grid output holds static fields and a time series; the sidecar is a temporal collection",
          "[io][grid][series]") {
  TempDir dir;
  const auto grid = grid_4x5x6();
  GridOutput out(dir / "s.h5", grid, {"test", "{}", "cpu", {}});
  out.add_series_field("velocity", DType::f32, 3, "m/s");
  out.add_static_field("solid", DType::u8);
  for (const auto& [offset, count] : kBoxes)
    out.write_static_block<std::uint8_t>("solid", block_of<std::uint8_t>(0, offset, count, 1), offset, count);
  REQUIRE_THROWS_WITH(out.write_frame_block<float>("velocity", {}, {0, 0, 0}, {0, 0, 0}),
                      Contains("before the first begin_frame"));
  const std::vector<double> times{0.0, 0.25, 0.5};
  for (std::size_t frame = 0; frame < times.size(); ++frame) {
    REQUIRE(out.begin_frame(times[frame]) == frame);
    for (const auto& [offset, count] : kBoxes)
      out.write_frame_block<float>("velocity", block_of<float>(frame, offset, count, 3), offset, count);
    if (frame == 1) {
      out.flush();
      // What a run killed now leaves: the temporary file, readable, with the frames so far.
      std::filesystem::copy_file(dir / "s.h5.tmp", dir / "snapshot.h5");
      const auto snapshot = H5File::open_read(dir / "snapshot.h5");
      REQUIRE(snapshot.read<double>("/grid/t").data == std::vector<double>{0.0, 0.25});
      REQUIRE(snapshot.read_block<float>("/fields/velocity", {1, 0, 0, 0, 0}, {1, 4, 5, 6, 3}).data ==
              block_of<float>(1, {0, 0, 0}, {4, 5, 6}, 3));
    }
  }
  REQUIRE_THROWS_WITH(out.add_series_field("late", DType::f32), Contains("'late' is added after frame 2"));
  REQUIRE_THROWS_WITH(out.write_frame_block<std::uint8_t>("solid", {}, {0, 0, 0}, {0, 0, 0}), Contains("is static"));
  REQUIRE_THROWS_WITH(out.write_static_block<float>("velocity", {}, {0, 0, 0}, {0, 0, 0}), Contains("is a series"));
  REQUIRE_THROWS_WITH(out.write_frame_block<float>("nope", {}, {0, 0, 0}, {0, 0, 0}), Contains("no field 'nope'"));
  const auto xmf = out.commit();
  REQUIRE_FALSE(std::filesystem::exists(dir / "s.h5.tmp"));

  const auto file = H5File::open_read(dir / "s.h5");
  REQUIRE(file.read<double>("/grid/t").data == times);
  const auto velocity = file.read<float>("/fields/velocity");
  REQUIRE(velocity.shape == Shape{3, 4, 5, 6, 3});
  for (std::size_t frame = 0; frame < 3; ++frame)
    REQUIRE(file.read_block<float>("/fields/velocity", {frame, 0, 0, 0, 0}, {1, 4, 5, 6, 3}).data ==
            block_of<float>(frame, {0, 0, 0}, {4, 5, 6}, 3));
  REQUIRE(file.read<std::uint8_t>("/fields/solid").data == block_of<std::uint8_t>(0, {0, 0, 0}, {4, 5, 6}, 1));
  REQUIRE(file.string_attribute("/fields/velocity", "units") == "m/s");
  REQUIRE(file.string_attribute("/fields/solid", "units") == "1");
  REQUIRE(file.has_attribute("/grid/t", "units"));

  const std::string xml = anneal::test::read_text(xmf);
  REQUIRE_THAT(xml, Contains(R"(CollectionType="Temporal")") && Contains(R"(<Time Value="0.25"/>)"));
  REQUIRE(count_of(xml, "<Time Value=") == 3);
  // Every step shows the velocity's frame through its view, a virtual dataset of that frame ...
  REQUIRE(count_of(xml, "HyperSlab") == 0);
  REQUIRE(count_of(xml, R"(Dimensions="4 5 6 3" NumberType="Float" Precision="4" Format="HDF">s.h5:/xdmf/velocity/)") ==
          3);
  REQUIRE_THAT(xml, Contains("s.h5:/xdmf/velocity/000002</DataItem>"));
  for (std::size_t frame = 0; frame < 3; ++frame)
    REQUIRE(file.read<float>(anneal::io::frame_view_path("/xdmf/velocity", frame)).data ==
            block_of<float>(frame, {0, 0, 0}, {4, 5, 6}, 3));
  // ... and the whole static mask, without a time hyperslab.
  REQUIRE(count_of(xml, R"(Dimensions="4 5 6" NumberType="UChar" Precision="1" Format="HDF">s.h5:/fields/solid)") == 3);
  REQUIRE(count_of(xml, "<DataItem ") == count_of(xml, "</DataItem>"));
}

TEST_CASE("a 2-D series of scalars is written in [y0, x0] blocks", "[io][grid][series]") {
  TempDir dir;
  GridOutput out(dir / "p.h5", {{0, 1, 2, 3}, {0, 1, 2}, {}, "1"}, {"test", "{}", "cpu", {}});
  out.add_series_field("p", DType::f64, 1, "Pa");
  for (std::size_t frame = 0; frame < 2; ++frame) {
    out.begin_frame(static_cast<double>(frame));
    // Columns x < 1 and x >= 1: each block a 3 x n box of [ny = 3][nx = 4].
    for (std::size_t x0 : {0, 1}) {
      std::vector<double> block;
      for (std::size_t j = 0; j < 3; ++j)
        for (std::size_t i = x0; i < (x0 == 0 ? 1 : 4); ++i) block.push_back(value_at(frame, 0, j, i, 0));
      out.write_frame_block<double>("p", block, {0, x0}, {3, x0 == 0 ? 1u : 3u});
    }
  }
  REQUIRE_THROWS_WITH(out.write_frame_block<double>("p", std::vector<double>(3), {0, 0, 0}, {1, 1, 3}),
                      Contains("p.h5") && Contains("field 'p'") && Contains("should have 2 axes ([y, x])"));
  REQUIRE_THROWS_WITH(out.write_frame_block<double>("p", std::vector<double>(3), {0, 2}, {1, 3}),
                      Contains("p.h5") && Contains("/fields/p") && Contains("reaches past the extent on axis 2"));
  const std::string xml = anneal::test::read_text(out.commit());
  REQUIRE_THAT(xml, Contains(R"(Dimensions="3 4" NumberType="Float" Precision="8" Format="HDF">p.h5:/xdmf/p/000001)"));
  const auto p = H5File::open_read(dir / "p.h5").read<double>("/fields/p");
  REQUIRE(p.shape == Shape{2, 3, 4});
  for (std::size_t f = 0; f < 2; ++f)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t i = 0; i < 4; ++i) REQUIRE(p.data[(f * 3 + j) * 4 + i] == value_at(f, 0, j, i, 0));
}

TEST_CASE("h5py reads the series and its chunks; the sidecar parses as XML", "[io][series][interop]") {
  if (std::string(ANNEAL_PYTHON).empty()) anneal::test::skip_test("no Python with h5py");
  TempDir dir;
  {
    GridOutput out(dir / "s.h5", grid_4x5x6(), {"test", "{}", "cpu", {}});
    out.add_series_field("velocity", DType::f64, 3, "m/s");
    out.add_static_field("solid", DType::u8);
    out.begin_frame(0.5);
    out.write_frame_block<double>("velocity", block_of<double>(0, {0, 0, 0}, {4, 5, 6}, 3), {0, 0, 0}, {4, 5, 6});
    // A frame of 8 MiB: its default chunk is cut to 4 MiB along the leading frame axis.
    out.file().create_series("/big", DType::f64, {64, 128, 128});
    out.commit();
  }
  const std::string probe = R"(
import sys, h5py, numpy as np, xml.etree.ElementTree as ET
with h5py.File(sys.argv[1] + "/s.h5", "r") as f:
    v = f["fields/velocity"]
    assert v.shape == (1, 4, 5, 6, 3) and v.maxshape[0] is None and v.chunks == (1, 4, 5, 6, 3), (v.maxshape, v.chunks)
    k, j, i, c = np.meshgrid(range(4), range(5), range(6), range(3), indexing="ij")
    assert (v[0] == 1000 * k + 100 * j + 10 * i + c).all()
    assert list(f["grid/t"][:]) == [0.5] and f["grid/t"].maxshape == (None,)
    assert f["big"].chunks == (1, 32, 128, 128), f["big"].chunks
    assert f["fields/solid"].attrs["units"] == "1" and f["fields/velocity"].attrs["units"] == "m/s"
steps = ET.parse(sys.argv[1] + "/s.xmf").getroot().findall("./Domain/Grid/Grid")
assert len(steps) == 1 and steps[0].find("Time").get("Value") == "0.5"
attrs = {a.get("Name"): a for a in steps[0].findall("Attribute")}
assert attrs["solid"].find("DataItem").get("Dimensions") == "4 5 6"
view = attrs["velocity"].find("DataItem")
assert view.get("Dimensions") == "4 5 6 3" and view.text.strip() == "s.h5:/xdmf/velocity/000000", view.text
with h5py.File(sys.argv[1] + "/s.h5", "r") as f:
    assert f["xdmf/velocity/000000"].is_virtual and (f["xdmf/velocity/000000"][...] == f["fields/velocity"][0]).all()
)";
  const auto r = anneal::test::run_process({ANNEAL_PYTHON, "-c", probe, dir.path().string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}
