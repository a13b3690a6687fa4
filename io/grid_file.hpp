#pragma once
// Structured grids in anneal files (DESIGN.md §4): node coordinates /grid/x, /grid/y, /grid/z
// (1-D, f64) and fields /fields/<name> in C order [nz][ny][nx] (2-D: [ny][nx]), vectors with a
// trailing component axis.
#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace anneal::io {

struct RectilinearGrid {
  std::vector<double> x, y, z;  // z empty for a 2-D grid
  std::string units = "1";      // of the coordinates (attribute `units` on each axis)
  bool is_3d() const { return !z.empty(); }
  // [nz, ny, nx] or [ny, nx], then `components` if it is above 1.
  Shape field_shape(std::size_t components = 1) const;
};

// Evenly spaced nodes x_i = lo + i (hi - lo) / n, i < n: a periodic axis of period hi - lo.
std::vector<double> periodic_axis(double lo, double hi, std::size_t n);

void write_grid(H5File& file, const RectilinearGrid& grid);
// Reads and validates /grid: 1-D, at least 2 nodes, finite and strictly increasing; units from
// /grid/x's attribute, "1" if it has none.
RectilinearGrid read_grid(const H5File& file);

inline std::string field_path(const std::string& name) { return "/fields/" + name; }

}  // namespace anneal::io
