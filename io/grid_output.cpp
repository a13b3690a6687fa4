#include "io/grid_output.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/mpi_env.hpp"

namespace anneal::io {

GridOutput::GridOutput(const std::filesystem::path& h5_path, const RectilinearGrid& grid, const Provenance& provenance,
                       const std::vector<std::filesystem::path>& inputs)
    : grid_(grid), h5_output_(h5_path, inputs), inputs_(inputs) {
  ANNEAL_CHECK(h5_path.extension() == ".h5", "output '{}' should end in .h5", h5_path.string());
  file_.emplace(H5File::create(h5_output_.temp_path()));
  write_grid(*file_, grid_);
  write_provenance(*file_, provenance);
}

void GridOutput::start_series() {
  if (series_) return;
  // Times are few and small: chunks of many frames, not one 8-byte chunk per frame.
  file_->create_series("/grid/t", DType::f64, {}, {.chunk = {1024}, .deflate = 0, .shuffle = false});
  file_->set_attribute("/grid/t", "units", std::string("1"));
  series_ = true;
}

void GridOutput::add_series_field(const std::string& name, DType dtype, std::size_t components,
                                  const std::string& units, const WriteOptions& options) {
  // A field added later would lack the earlier frames that the sidecar points at.
  ANNEAL_CHECK(times_.empty(), "'{}': series field '{}' is added after frame {} began; add every field first",
               h5_output_.final_path().string(), name, times_.size() - 1);
  start_series();
  file_->create_series(field_path(name), dtype, grid_.field_shape(components), options);
  file_->set_attribute(field_path(name), "units", units);
  fields_.push_back({name, field_path(name), dtype, components, /*is_static=*/false, /*frame_views=*/{}});
}

void GridOutput::add_static_field(const std::string& name, DType dtype, std::size_t components,
                                  const std::string& units) {
  file_->create_dataset(field_path(name), dtype, grid_.field_shape(components));
  file_->set_attribute(field_path(name), "units", units);
  fields_.push_back({name, field_path(name), dtype, components, /*is_static=*/true, /*frame_views=*/{}});
}

std::size_t GridOutput::begin_frame(double t) {
  start_series();
  const std::size_t frame = file_->extend_series("/grid/t");
  const std::size_t mine = mpi::rank() == 0 ? 1 : 0;  // rank 0 writes the time, the others nothing
  file_->write_block<double>("/grid/t", std::span<const double>(&t, mine), {frame}, {mine});
  for (const auto& f : fields_)
    if (!f.is_static) file_->extend_series(f.dataset);
  times_.push_back(t);
  return frame;
}

const XdmfField& GridOutput::field(const std::string& name, bool series) const {
  const auto it = std::find_if(fields_.begin(), fields_.end(), [&](const XdmfField& f) { return f.name == name; });
  ANNEAL_CHECK(it != fields_.end(), "'{}': no field '{}' was added", h5_output_.final_path().string(), name);
  ANNEAL_CHECK(it->is_static != series, "'{}': field '{}' is {}", h5_output_.final_path().string(), name,
               series ? "static (write it with write_static_block)" : "a series (write it with write_frame_block)");
  ANNEAL_CHECK(!series || !times_.empty(), "'{}': field '{}' is written before the first begin_frame",
               h5_output_.final_path().string(), name);
  return *it;
}

std::pair<Shape, Shape> GridOutput::box(const XdmfField& field, const Shape& offset, const Shape& count) const {
  // The axes are the same on every rank (code, not data), so every rank throws here alike; blocks
  // that do not fit are caught collectively by write_block.
  const std::size_t axes = grid_.field_shape().size();
  ANNEAL_CHECK(offset.size() == axes && count.size() == axes,
               "'{}': field '{}': a block's offset {} and count {} should have {} axes ({})",
               h5_output_.final_path().string(), field.name, to_string(offset), to_string(count), axes,
               axes == 3 ? "[z, y, x]" : "[y, x]");
  Shape start = offset, extent = count;
  if (!field.is_static) {
    start.insert(start.begin(), times_.size() - 1);
    extent.insert(extent.begin(), 1);
  }
  if (field.components > 1) {
    start.push_back(0);
    extent.push_back(field.components);
  }
  return {start, extent};
}

std::filesystem::path GridOutput::commit() {
  file_->close();
  file_.reset();
  if (series_) {
    // Per-frame views of each series field: ParaView's Xdmf3 readers skip the XDMF hyperslabs that
    // select one frame of [nt][...]; a virtual dataset per frame reads in every reader. Metadata
    // only, added by rank 0 once the ranks have closed the file.
    if (mpi::rank() == 0) {
      auto file = H5File::open_local_update(h5_output_.temp_path());
      for (auto& field : fields_) {
        if (field.is_static) continue;
        field.frame_views = "/xdmf/" + field.name;
        for (std::size_t step = 0; step < times_.size(); ++step)
          file.create_frame_view(field.dataset, step, frame_view_path(field.frame_views, step));
      }
      file.close();
    } else {
      for (auto& field : fields_)
        if (!field.is_static) field.frame_views = "/xdmf/" + field.name;
    }
    mpi::barrier();
  }
  h5_output_.commit();
  auto xmf = h5_output_.final_path();
  xmf.replace_extension(".xmf");
  const XdmfGrid grid{h5_output_.final_path().filename().string(), grid_.field_shape(1), fields_};
  write_text_atomically(xmf, series_ ? xdmf_time_series(grid, times_) : xdmf_document(grid), inputs_);
  return xmf;
}

}  // namespace anneal::io
