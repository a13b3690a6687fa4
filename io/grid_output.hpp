#pragma once
// One gridded output: the HDF5 file (grid, fields, /meta) and its XDMF sidecar, both written
// atomically, so that ParaView opens `<name>.xmf` and h5py opens `<name>.h5`. Fields are written
// at one time, or as a time series frame by frame (DESIGN.md §4), by the ranks of a slab or box
// domain decomposition.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "io/atomic_output.hpp"
#include "io/grid_file.hpp"
#include "io/hdf5_file.hpp"
#include "io/provenance.hpp"
#include "io/xdmf.hpp"

namespace anneal::io {

class GridOutput {
 public:
  // Collective. `h5_path` must end in .h5; the sidecar is the same name with .xmf.
  GridOutput(const std::filesystem::path& h5_path, const RectilinearGrid& grid, const Provenance& provenance,
             const std::vector<std::filesystem::path>& inputs = {});

  // Collective: each rank writes planes [first_plane, first_plane + its planes) along the first
  // axis (z in 3-D, y in 2-D) of field /fields/<name>.
  template <class T>
  void write_field(const std::string& name, std::span<const T> local, std::size_t components, std::size_t first_plane,
                   const std::string& units = "1") {
    const Shape shape = grid_.field_shape(components);
    file_->write_rows<T>(field_path(name), local, shape, first_plane);
    file_->set_attribute(field_path(name), "units", units);
    fields_.push_back({name, field_path(name), dtype_of<T>(), components, /*is_static=*/true, /*frame_views=*/{}});
  }

  // Time series: /fields/<name> [nt][nz][ny][nx](components) plus /grid/t [nt] (units "1"; set
  // another through file()), and the sidecar becomes a temporal collection.
  // Collective, before the first frame.
  void add_series_field(const std::string& name, DType dtype, std::size_t components = 1,
                        const std::string& units = "1", const WriteOptions& options = {});
  // Collective: a field without time axis (a solid mask), filled by write_static_block.
  void add_static_field(const std::string& name, DType dtype, std::size_t components = 1,
                        const std::string& units = "1");
  // Collective: appends t to /grid/t and a frame to every series field; returns the frame index.
  std::size_t begin_frame(double t);
  std::size_t frames() const { return times_.size(); }

  // Collective: each rank writes its box of grid points, offset [z0, y0, x0] and count
  // [nz, ny, nx] (2-D: [y0, x0], [ny, nx]), all components, into the current frame. A rank that
  // owns nothing passes a zero count and still calls.
  template <class T>
  void write_frame_block(const std::string& name, std::span<const T> block, const Shape& offset, const Shape& count) {
    const auto [start, extent] = box(field(name, /*series=*/true), offset, count);
    file_->write_block<T>(field_path(name), block, start, extent);
  }
  // Collective: the same for a static field.
  template <class T>
  void write_static_block(const std::string& name, std::span<const T> block, const Shape& offset, const Shape& count) {
    const auto [start, extent] = box(field(name, /*series=*/false), offset, count);
    file_->write_block<T>(field_path(name), block, start, extent);
  }

  // Collective: puts what is written so far on disk; a run killed later leaves a readable
  // `<name>.h5.tmp` (only commit gives it the final name).
  void flush() { file_->flush(); }
  H5File& file() { return *file_; }
  // Closes the HDF5 file, moves it into place and writes the sidecar. Returns the .xmf path.
  std::filesystem::path commit();

 private:
  const XdmfField& field(const std::string& name, bool series) const;
  // The dataset box of a block of grid points: the frame first, the components last.
  std::pair<Shape, Shape> box(const XdmfField& field, const Shape& offset, const Shape& count) const;
  void start_series();

  RectilinearGrid grid_;
  AtomicOutput h5_output_;
  std::optional<H5File> file_;
  std::vector<XdmfField> fields_;
  std::vector<std::filesystem::path> inputs_;
  bool series_ = false;  // /grid/t exists and the sidecar is a temporal collection
  std::vector<double> times_;
};

}  // namespace anneal::io
