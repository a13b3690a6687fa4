#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.hpp"
#include "io/hdf5_file.hpp"
#include "tests/support/temp_dir.hpp"

using anneal::io::AttrValue;
using anneal::io::DType;
using anneal::io::H5File;
using Catch::Matchers::Contains;

namespace {
template <class T>
std::vector<T> ramp(std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<T>(static_cast<double>(i % 251) * 0.5 - 3);
  return v;
}

template <class T>
void round_trip(const std::filesystem::path& path) {
  const std::vector<T> values = ramp<T>(2 * 3 * 4);
  {
    auto file = H5File::create(path);
    file.write<T>("/a/b/data", values, {2, 3, 4});
    file.close();
  }
  const auto file = H5File::open_read(path);
  const auto info = file.dataset_info("/a/b/data");
  REQUIRE(info.dtype == anneal::io::dtype_of<T>());
  REQUIRE(info.shape == anneal::io::Shape{2, 3, 4});
  const auto back = file.read<T>("a/b/data");
  REQUIRE(back.shape == anneal::io::Shape{2, 3, 4});
  REQUIRE(back.data == values);
}
}  // namespace

TEST_CASE("every dtype round-trips exactly with its shape", "[io][hdf5]") {
  anneal::test::TempDir dir;
  round_trip<float>(dir / "f32.h5");
  round_trip<double>(dir / "f64.h5");
  round_trip<std::int32_t>(dir / "i32.h5");
  round_trip<std::int64_t>(dir / "i64.h5");
  round_trip<std::uint8_t>(dir / "u8.h5");
}

TEST_CASE("reading converts numeric types as h5py does", "[io][hdf5]") {
  anneal::test::TempDir dir;
  {
    auto file = H5File::create(dir / "c.h5");
    const std::vector<float> v{1.5f, -2.25f, 3.0f};
    file.write<float>("x", v, {3});
  }
  const auto back = H5File::open_read(dir / "c.h5").read<double>("x");
  REQUIRE(back.data == std::vector<double>{1.5, -2.25, 3.0});
}

TEST_CASE("rows along the first axis are read as slabs", "[io][hdf5]") {
  anneal::test::TempDir dir;
  const auto values = ramp<double>(5 * 4);
  {
    auto file = H5File::create(dir / "r.h5");
    file.write<double>("m", values, {5, 4});
  }
  const auto file = H5File::open_read(dir / "r.h5");
  const auto rows = file.read_rows<double>("m", 2, 2);
  REQUIRE(rows.shape == anneal::io::Shape{2, 4});
  REQUIRE(rows.data == std::vector<double>(values.begin() + 8, values.begin() + 16));
  REQUIRE_THROWS_WITH(file.read_rows<double>("m", 4, 2), Contains("rows [4, 6)") && Contains("[5, 4]"));
}

TEST_CASE("chunked, compressed datasets round-trip and are smaller", "[io][hdf5]") {
  anneal::test::TempDir dir;
  const std::vector<double> smooth(64 * 64 * 8, 1.0);  // highly compressible
  {
    auto plain = H5File::create(dir / "plain.h5");
    plain.write<double>("f", smooth, {64, 64, 8});
    auto packed = H5File::create(dir / "packed.h5");
    packed.write<double>("f", smooth, {64, 64, 8}, {.chunk = {16, 64, 8}, .deflate = 6});
  }
  REQUIRE(H5File::open_read(dir / "packed.h5").read<double>("f").data == smooth);
  REQUIRE(std::filesystem::file_size(dir / "packed.h5") * 10 < std::filesystem::file_size(dir / "plain.h5"));
}

TEST_CASE("attributes: strings, JSON text, numbers and arrays", "[io][hdf5]") {
  anneal::test::TempDir dir;
  const std::string json = R"({"size": 64, "name": "taylor \"green\"", "list": [1, 2]})";
  {
    auto file = H5File::create(dir / "a.h5");
    file.create_group("/meta");
    file.set_attribute("/meta", "text", std::string("héllo wörld"));
    file.set_attribute("/meta", "config", json);
    file.set_attribute("/meta", "pi", 3.141592653589793);
    file.set_attribute("/meta", "ranks", std::int64_t{4});
    file.set_attribute("/", "axes", std::vector<double>{0.5, 1.5});
    file.set_attribute("/", "dims", std::vector<std::int64_t>{3, 4, 5});
    file.set_attribute("/meta", "pi", 3.0);  // overwriting replaces
  }
  const auto file = H5File::open_read(dir / "a.h5");
  REQUIRE(file.string_attribute("/meta", "text") == "héllo wörld");
  REQUIRE(file.string_attribute("meta", "config") == json);
  REQUIRE(std::get<double>(file.attribute("/meta", "pi")) == 3.0);
  REQUIRE(std::get<std::int64_t>(file.attribute("/meta", "ranks")) == 4);
  REQUIRE(std::get<std::vector<double>>(file.attribute("/", "axes")) == std::vector<double>{0.5, 1.5});
  REQUIRE(std::get<std::vector<std::int64_t>>(file.attribute("/", "dims")) == std::vector<std::int64_t>{3, 4, 5});
  REQUIRE(file.attribute_names("/meta") == std::vector<std::string>{"config", "pi", "ranks", "text"});
  REQUIRE_FALSE(file.has_attribute("/meta", "nope"));
  REQUIRE_THROWS_WITH(file.attribute("/meta", "nope"), Contains("no attribute 'nope'"));
  REQUIRE_THROWS_WITH(file.string_attribute("/meta", "pi"), Contains("not a string"));
}

TEST_CASE("the tree is listed: children, datasets, existence", "[io][hdf5]") {
  anneal::test::TempDir dir;
  {
    auto file = H5File::create(dir / "t.h5");
    const std::vector<double> one{1.0};
    file.write<double>("/grid/x", one, {1});
    file.write<double>("/fields/u", one, {1});
    file.write<double>("/fields/p", one, {1});
  }
  const auto file = H5File::open_read(dir / "t.h5");
  REQUIRE(file.children("/") == std::vector<std::string>{"fields", "grid"});
  REQUIRE(file.children("/fields") == std::vector<std::string>{"p", "u"});
  REQUIRE(file.datasets() == std::vector<std::string>{"/fields/p", "/fields/u", "/grid/x"});
  REQUIRE(file.exists("/fields"));
  REQUIRE_FALSE(file.is_dataset("/fields"));
  REQUIRE(file.is_dataset("fields/u"));
  REQUIRE_FALSE(file.exists("/nothing/here"));
}

TEST_CASE("bad inputs give errors naming the file and what is wrong", "[io][hdf5]") {
  anneal::test::TempDir dir;
  SECTION("missing file") {
    REQUIRE_THROWS_WITH(H5File::open_read(dir / "absent.h5"), Contains("absent.h5") && Contains("does not exist"));
  }
  SECTION("a file that is not HDF5") {
    std::ofstream(dir / "text.h5") << "just some text, not HDF5\n";
    REQUIRE_THROWS_WITH(H5File::open_read(dir / "text.h5"), Contains("text.h5") && Contains("is not an HDF5 file"));
  }
  SECTION("a truncated HDF5 file") {
    {
      auto file = H5File::create(dir / "whole.h5");
      file.write<double>("/fields/u", ramp<double>(100000), {100000});
    }
    std::filesystem::copy_file(dir / "whole.h5", dir / "cut.h5");
    std::filesystem::resize_file(dir / "cut.h5", std::filesystem::file_size(dir / "whole.h5") / 2);
    // Either opening or reading must fail; a truncated file must never read as data.
    REQUIRE_THROWS_WITH(H5File::open_read(dir / "cut.h5").read<double>("/fields/u"),
                        Contains("cut.h5") && (Contains("truncated") || Contains("damaged")));
  }
  SECTION("a missing dataset lists what is there") {
    {
      auto file = H5File::create(dir / "d.h5");
      file.write<double>("/fields/v", ramp<double>(3), {3});
    }
    REQUIRE_THROWS_WITH(H5File::open_read(dir / "d.h5").read<double>("/fields/u"),
                        Contains("d.h5") && Contains("no dataset '/fields/u'") && Contains("/fields/v"));
  }
  SECTION("a dataset written twice") {
    auto file = H5File::create(dir / "twice.h5");
    file.write<double>("x", ramp<double>(3), {3});
    REQUIRE_THROWS_WITH(file.write<double>("x", ramp<double>(3), {3}), Contains("written twice"));
  }
  SECTION("data that does not fill its shape") {
    auto file = H5File::create(dir / "short.h5");
    REQUIRE_THROWS_WITH(file.write<double>("x", ramp<double>(5), {2, 3}), Contains("do not fill shape [2, 3]"));
  }
  SECTION("an output in a directory that does not exist") {
    REQUIRE_THROWS_WITH(H5File::create(dir / "no" / "such" / "dir.h5"), Contains("cannot create output file"));
  }
}

TEST_CASE("opening an input never modifies it", "[io][hdf5]") {
  anneal::test::TempDir dir;
  {
    auto file = H5File::create(dir / "in.h5");
    file.write<double>("x", ramp<double>(10), {10});
  }
  const auto before = std::filesystem::last_write_time(dir / "in.h5");
  const auto size = std::filesystem::file_size(dir / "in.h5");
  {
    const auto file = H5File::open_read(dir / "in.h5");
    (void)file.read<double>("x");
  }
  REQUIRE(std::filesystem::last_write_time(dir / "in.h5") == before);
  REQUIRE(std::filesystem::file_size(dir / "in.h5") == size);
}

TEST_CASE("a hard link gives a dataset a second name without a second copy", "[io][hdf5]") {
  anneal::test::TempDir dir;
  {
    auto f = H5File::create(dir / "l.h5");
    const std::vector<std::int64_t> v{0, 2, 5};
    f.write<std::int64_t>("/A/indptr", v, {3});
    f.link("/A/indptr", "/A/jc");
    REQUIRE_THROWS_WITH(f.link("/A/indptr", "/A/jc"), Contains("the name is taken"));
    REQUIRE_THROWS_WITH(f.link("/A/missing", "/A/other"), Contains("/A/missing"));
  }
  const auto f = H5File::open_read(dir / "l.h5");
  REQUIRE(f.read<std::int64_t>("/A/jc").data == std::vector<std::int64_t>{0, 2, 5});
  REQUIRE(f.children("/A") == std::vector<std::string>{"indptr", "jc"});
}
