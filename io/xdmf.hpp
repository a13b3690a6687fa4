#pragma once
// XDMF sidecars: small XML files that tell ParaView and VisIt how to read the HDF5 datasets of a
// rectilinear grid (3DRectMesh + VXVYVZ, or 2DRectMesh + VXVY), one step or a time series.
#include <string>
#include <vector>

#include "io/dtype.hpp"

namespace anneal::io {

struct XdmfField {
  std::string name;     // what ParaView shows
  std::string dataset;  // "/fields/velocity"
  DType dtype = DType::f64;
  std::size_t components = 1;  // 1: scalar, 2 or 3: vector (trailing axis)
  bool is_static = false;      // in a time series: no time axis, every step shows the same data (a mask)
  // In a time series: a group of per-frame views (`<frame_views>/<step, 6 digits>`, HDF5 virtual
  // datasets) to reference instead of a hyperslab of the [nt][...] dataset; empty: the hyperslab.
  std::string frame_views = {};
};

// "/xdmf/velocity/000012": where io::GridOutput puts the view of frame 12 of field "velocity".
std::string frame_view_path(const std::string& views, std::size_t step);

struct XdmfGrid {
  std::string h5_file;  // as written in the XML: relative to the .xmf, normally just the file name
  Shape nodes;          // [nz, ny, nx] or [ny, nx]
  std::vector<XdmfField> fields;
};

// One grid at one time.
std::string xdmf_document(const XdmfGrid& grid);
// A temporal collection: each field dataset has a leading time axis [nt][...], with times[i] the
// time of row i (DESIGN.md §4: /fields/<name> [nt][...] plus /grid/t); static fields have none.
std::string xdmf_time_series(const XdmfGrid& grid, const std::vector<double>& times);

// Line meshes (2-D, XY geometry) or triangle meshes (3-D, XYZ), such as the interfaces anneal tnti
// extracts: `points` [n][dimensions] f64 and `elements` [e][dimensions] i64 vertex indices.
struct XdmfMesh {
  std::string name;
  std::string points, elements;  // dataset paths
  std::size_t point_count = 0, element_count = 0;
  int dimensions = 2;
};
// One document with each mesh as a grid of a spatial collection.
std::string xdmf_meshes(const std::string& h5_file, const std::vector<XdmfMesh>& meshes);

}  // namespace anneal::io
