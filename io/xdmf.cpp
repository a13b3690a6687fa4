#include "io/xdmf.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace anneal::io {
namespace {

std::string number_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return R"(NumberType="Float" Precision="4")";
    case DType::f64:
      return R"(NumberType="Float" Precision="8")";
    case DType::i32:
      return R"(NumberType="Int" Precision="4")";
    case DType::i64:
      return R"(NumberType="Int" Precision="8")";
    case DType::u8:
      return R"(NumberType="UChar" Precision="1")";
  }
  return {};
}

std::string dims_text(const Shape& shape) {
  std::string text;
  for (auto extent : shape) text += (text.empty() ? "" : " ") + std::to_string(extent);
  return text;
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string data_item(const std::string& file, const std::string& dataset, DType dtype, const Shape& dims) {
  return fmt::format(R"(<DataItem Dimensions="{}" {} Format="HDF">{}:{}</DataItem>)", dims_text(dims),
                     number_type(dtype), escape(file), escape(dataset));
}

// The grid element; `step` >= 0 selects row `step` (at `time`) of fields that carry a leading time axis.
std::string grid_element(const XdmfGrid& grid, long step, std::size_t nt, double time, const std::string& indent) {
  const bool three_d = grid.nodes.size() == 3;
  ANNEAL_CHECK(grid.nodes.size() == 2 || three_d, "XDMF: a rectilinear grid has 2 or 3 axes, got {}",
               grid.nodes.size());
  const std::string name = step >= 0 ? fmt::format("step_{}", step) : std::string("grid");
  std::string xml = fmt::format("{}<Grid Name=\"{}\" GridType=\"Uniform\">\n", indent, name);
  xml += fmt::format("{}  <Topology TopologyType=\"{}\" Dimensions=\"{}\"/>\n", indent,
                     three_d ? "3DRectMesh" : "2DRectMesh", dims_text(grid.nodes));
  xml += fmt::format("{}  <Geometry GeometryType=\"{}\">\n", indent, three_d ? "VXVYVZ" : "VXVY");
  // VXVYVZ lists x first although the arrays are stored [nz][ny][nx].
  const std::size_t nx = grid.nodes.back(), ny = grid.nodes[grid.nodes.size() - 2];
  xml += indent + "    " + data_item(grid.h5_file, "/grid/x", DType::f64, {nx}) + "\n";
  xml += indent + "    " + data_item(grid.h5_file, "/grid/y", DType::f64, {ny}) + "\n";
  if (three_d) xml += indent + "    " + data_item(grid.h5_file, "/grid/z", DType::f64, {grid.nodes[0]}) + "\n";
  xml += indent + "  </Geometry>\n";
  if (step >= 0) xml += fmt::format("{}  <Time Value=\"{}\"/>\n", indent, time);

  for (const auto& field : grid.fields) {
    Shape dims = grid.nodes;
    if (field.components > 1) dims.push_back(field.components);
    const char* kind = field.components == 1 ? "Scalar" : "Vector";
    xml += fmt::format("{}  <Attribute Name=\"{}\" AttributeType=\"{}\" Center=\"Node\">\n", indent, escape(field.name),
                       kind);
    if (step < 0 || field.is_static) {
      xml += indent + "    " + data_item(grid.h5_file, field.dataset, field.dtype, dims) + "\n";
    } else if (!field.frame_views.empty()) {
      const std::string view = frame_view_path(field.frame_views, static_cast<std::size_t>(step));
      xml += indent + "    " + data_item(grid.h5_file, view, field.dtype, dims) + "\n";
    } else {
      // Row `step` of the [nt][...] dataset: a hyperslab with start, stride and count per axis.
      Shape full = dims;
      full.insert(full.begin(), nt);
      Shape start(full.size(), 0), stride(full.size(), 1), count = full;
      start[0] = static_cast<std::size_t>(step);
      count[0] = 1;
      xml += fmt::format("{}    <DataItem ItemType=\"HyperSlab\" Dimensions=\"{}\" Type=\"HyperSlab\">\n", indent,
                         dims_text(dims));
      xml += fmt::format("{}      <DataItem Dimensions=\"3 {}\" Format=\"XML\">{} {} {}</DataItem>\n", indent,
                         full.size(), dims_text(start), dims_text(stride), dims_text(count));
      xml += indent + "      " + data_item(grid.h5_file, field.dataset, field.dtype, full) + "\n";
      xml += indent + "    </DataItem>\n";
    }
    xml += indent + "  </Attribute>\n";
  }
  xml += indent + "</Grid>\n";
  return xml;
}

const char* kHeader =
    "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
    "<Xdmf Version=\"2.0\">\n  <Domain>\n";
const char* kFooter = "  </Domain>\n</Xdmf>\n";

}  // namespace

std::string xdmf_meshes(const std::string& h5_file, const std::vector<XdmfMesh>& meshes) {
  std::string xml = kHeader;
  xml += "    <Grid Name=\"meshes\" GridType=\"Collection\" CollectionType=\"Spatial\">\n";
  for (const XdmfMesh& m : meshes) {
    ANNEAL_CHECK(m.dimensions == 2 || m.dimensions == 3, "XDMF: a mesh is 2-D (segments) or 3-D (triangles)");
    const auto d = static_cast<std::size_t>(m.dimensions);
    xml += fmt::format("      <Grid Name=\"{}\" GridType=\"Uniform\">\n", escape(m.name));
    xml += fmt::format("        <Topology TopologyType=\"{}\" NumberOfElements=\"{}\"{}>\n",
                       m.dimensions == 2 ? "Polyline" : "Triangle", m.element_count,
                       m.dimensions == 2 ? " NodesPerElement=\"2\"" : "");
    xml += "          " + data_item(h5_file, m.elements, DType::i64, {m.element_count, d}) + "\n";
    xml += "        </Topology>\n";
    xml += fmt::format("        <Geometry GeometryType=\"{}\">\n", m.dimensions == 2 ? "XY" : "XYZ");
    xml += "          " + data_item(h5_file, m.points, DType::f64, {m.point_count, d}) + "\n";
    xml += "        </Geometry>\n      </Grid>\n";
  }
  xml += "    </Grid>\n";
  return xml + kFooter;
}

std::string frame_view_path(const std::string& views, std::size_t step) {
  return fmt::format("{}/{:06d}", views, step);
}

std::string xdmf_document(const XdmfGrid& grid) {
  return std::string(kHeader) + grid_element(grid, -1, 0, 0.0, "    ") + kFooter;
}

std::string xdmf_time_series(const XdmfGrid& grid, const std::vector<double>& times) {
  std::string xml = kHeader;
  xml += "    <Grid Name=\"series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (std::size_t i = 0; i < times.size(); ++i) {
    xml += grid_element(grid, static_cast<long>(i), times.size(), times[i], "      ");
  }
  xml += "    </Grid>\n";
  return xml + kFooter;
}

}  // namespace anneal::io
