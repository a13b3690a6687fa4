#include <catch2/catch.hpp>

#include <regex>

#include "io/xdmf.hpp"

using namespace anneal::io;
using Catch::Matchers::Contains;

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("a 3-D rectilinear grid is described with VXVYVZ in x, y, z order", "[io][xdmf]") {
  const XdmfGrid grid{"flow.h5", {8, 6, 4}, {{"velocity", "/fields/velocity", DType::f64, 3},
                                               {"mask", "/fields/mask", DType::u8, 1}}};
  const std::string xml = xdmf_document(grid);
  REQUIRE_THAT(xml, Contains(R"(TopologyType="3DRectMesh" Dimensions="8 6 4")"));
  REQUIRE_THAT(xml, Contains(R"(GeometryType="VXVYVZ")"));
  // x has nx = 4 nodes, y 6, z 8, listed x first.
  const auto x = xml.find(R"(Dimensions="4" NumberType="Float" Precision="8" Format="HDF">flow.h5:/grid/x)");
  const auto y = xml.find(R"(Dimensions="6" NumberType="Float" Precision="8" Format="HDF">flow.h5:/grid/y)");
  const auto z = xml.find(R"(Dimensions="8" NumberType="Float" Precision="8" Format="HDF">flow.h5:/grid/z)");
  REQUIRE(x != std::string::npos);
  REQUIRE(y != std::string::npos);
  REQUIRE(z != std::string::npos);
  REQUIRE((x < y && y < z));
  REQUIRE_THAT(xml, Contains(R"(Name="velocity" AttributeType="Vector" Center="Node")"));
  REQUIRE_THAT(xml, Contains(R"(Dimensions="8 6 4 3" NumberType="Float" Precision="8" Format="HDF">flow.h5:/fields/velocity)"));
  REQUIRE_THAT(xml, Contains(R"(Name="mask" AttributeType="Scalar")"));
  REQUIRE_THAT(xml, Contains(R"(NumberType="UChar" Precision="1")"));
  REQUIRE(count_of(xml, "<Grid ") == count_of(xml, "</Grid>"));
  REQUIRE(count_of(xml, "<DataItem ") == count_of(xml, "</DataItem>"));
}

TEST_CASE("a 2-D grid uses 2DRectMesh and VXVY", "[io][xdmf]") {
  const std::string xml = xdmf_document({"p.h5", {5, 7}, {{"p", "/fields/p", DType::f32, 1}}});
  REQUIRE_THAT(xml, Contains(R"(TopologyType="2DRectMesh" Dimensions="5 7")"));
  REQUIRE_THAT(xml, Contains(R"(GeometryType="VXVY")"));
  REQUIRE_THAT(xml, Contains(R"(Dimensions="5 7" NumberType="Float" Precision="4")"));
  REQUIRE(xml.find("/grid/z") == std::string::npos);
}

TEST_CASE("a time series selects row i of each time-major dataset at time t_i", "[io][xdmf]") {
  const std::string xml = xdmf_time_series({"s.h5", {4, 3}, {{"u", "/fields/u", DType::f64, 1}}}, {0.0, 0.5, 1.25});
  REQUIRE_THAT(xml, Contains(R"(CollectionType="Temporal")"));
  REQUIRE(count_of(xml, "<Time Value=") == 3);
  REQUIRE_THAT(xml, Contains(R"(<Time Value="1.25"/>)"));
  // start / stride / count of step 2 over the [3][4][3] dataset
  REQUIRE_THAT(xml, Contains(">2 0 0 1 1 1 1 4 3</DataItem>"));
  REQUIRE_THAT(xml, Contains(R"(Dimensions="3 4 3" NumberType="Float" Precision="8" Format="HDF">s.h5:/fields/u)"));
}

TEST_CASE("a static field in a time series is the whole dataset at every step", "[io][xdmf]") {
  const XdmfGrid grid{
      "s.h5", {4, 3}, {{"u", "/fields/u", DType::f64, 2}, {"solid", "/fields/solid", DType::u8, 1, true}}};
  const std::string xml = xdmf_time_series(grid, {0.0, 1.0});
  REQUIRE(count_of(xml, R"(Dimensions="4 3" NumberType="UChar" Precision="1" Format="HDF">s.h5:/fields/solid)") == 2);
  REQUIRE(count_of(xml, R"(ItemType="HyperSlab" Dimensions="4 3 2")") == 2);
  REQUIRE_THAT(xml, Contains(">1 0 0 0 1 1 1 1 1 4 3 2</DataItem>"));
}

TEST_CASE("names are escaped for XML", "[io][xdmf]") {
  const std::string xml = xdmf_document({"a&b.h5", {2, 2}, {{"p<1>", "/fields/p", DType::f64, 1}}});
  REQUIRE_THAT(xml, Contains("a&amp;b.h5") && Contains("p&lt;1&gt;"));
}

TEST_CASE("line and triangle meshes are a spatial collection of Polyline and Triangle grids", "[io][xdmf]") {
  const std::string xml = xdmf_meshes("t.h5", {{"tnti", "/interfaces/tnti/points", "/interfaces/tnti/elements", 12, 11, 2},
                                               {"surface", "/s/points", "/s/elements", 30, 40, 3}});
  REQUIRE_THAT(xml, Contains(R"(CollectionType="Spatial")"));
  REQUIRE_THAT(xml, Contains(R"(TopologyType="Polyline" NumberOfElements="11" NodesPerElement="2")"));
  REQUIRE_THAT(xml, Contains(R"(Dimensions="11 2" NumberType="Int" Precision="8" Format="HDF">t.h5:/interfaces/tnti/elements)"));
  REQUIRE_THAT(xml, Contains(R"(GeometryType="XY")"));
  REQUIRE_THAT(xml, Contains(R"(Dimensions="12 2" NumberType="Float" Precision="8" Format="HDF">t.h5:/interfaces/tnti/points)"));
  REQUIRE_THAT(xml, Contains(R"(TopologyType="Triangle" NumberOfElements="40">)"));
  REQUIRE_THAT(xml, Contains(R"(GeometryType="XYZ")"));
  REQUIRE(count_of(xml, "<Grid ") == 3);
  REQUIRE(count_of(xml, "<Grid ") == count_of(xml, "</Grid>"));
  REQUIRE(count_of(xml, "<DataItem ") == count_of(xml, "</DataItem>"));
}
