#pragma once
// One gridded output: the HDF5 file (grid, fields, /meta) and its XDMF sidecar, both written
// atomically, so that ParaView opens `<name>.xmf` and h5py opens `<name>.h5`.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
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
    fields_.push_back({name, field_path(name), dtype_of<T>(), components});
  }

  H5File& file() { return *file_; }
  // Closes the HDF5 file, moves it into place and writes the sidecar. Returns the .xmf path.
  std::filesystem::path commit();

 private:
  RectilinearGrid grid_;
  AtomicOutput h5_output_;
  std::optional<H5File> file_;
  std::vector<XdmfField> fields_;
  std::vector<std::filesystem::path> inputs_;
};

}  // namespace anneal::io
