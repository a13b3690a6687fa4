#include "io/grid_output.hpp"

#include "core/error.hpp"

namespace anneal::io {

GridOutput::GridOutput(const std::filesystem::path& h5_path, const RectilinearGrid& grid,
                       const Provenance& provenance, const std::vector<std::filesystem::path>& inputs)
    : grid_(grid), h5_output_(h5_path, inputs), inputs_(inputs) {
  ANNEAL_CHECK(h5_path.extension() == ".h5", "output '{}' should end in .h5", h5_path.string());
  file_.emplace(H5File::create(h5_output_.temp_path()));
  write_grid(*file_, grid_);
  write_provenance(*file_, provenance);
}

std::filesystem::path GridOutput::commit() {
  file_->close();
  file_.reset();
  h5_output_.commit();
  auto xmf = h5_output_.final_path();
  xmf.replace_extension(".xmf");
  const Shape nodes = grid_.field_shape(1);
  write_text_atomically(xmf, xdmf_document({h5_output_.final_path().filename().string(), nodes, fields_}), inputs_);
  return xmf;
}

}  // namespace anneal::io
