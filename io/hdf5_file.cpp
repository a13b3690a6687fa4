#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "core/mpi_env.hpp"
#include "core/status_check.hpp"
#include "io/hdf5_handle.hpp"

static_assert(sizeof(hid_t) == sizeof(std::int64_t), "anneal stores hid_t as int64_t");

namespace anneal::io {
namespace {
using h5::absolute;
using h5::Handle;
using h5::link_exists;
using h5::silence_hdf5;

hid_t memory_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return H5T_NATIVE_FLOAT;
    case DType::f64:
      return H5T_NATIVE_DOUBLE;
    case DType::i32:
      return H5T_NATIVE_INT32;
    case DType::i64:
      return H5T_NATIVE_INT64;
    case DType::u8:
      return H5T_NATIVE_UINT8;
  }
  return -1;
}

// Little-endian IEEE / two's complement on disk, whatever the machine: files travel.
hid_t file_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return H5T_IEEE_F32LE;
    case DType::f64:
      return H5T_IEEE_F64LE;
    case DType::i32:
      return H5T_STD_I32LE;
    case DType::i64:
      return H5T_STD_I64LE;
    case DType::u8:
      return H5T_STD_U8LE;
  }
  return -1;
}

DatasetInfo describe_type(hid_t type) {
  DatasetInfo info;
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT && (size == 4 || size == 8)) {
    info.dtype = size == 4 ? DType::f32 : DType::f64;
  } else if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2 && (size == 4 || size == 8)) {
    info.dtype = size == 4 ? DType::i32 : DType::i64;
  } else if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE && size == 1) {
    info.dtype = DType::u8;
  } else {
    info.supported = false;
    switch (cls) {
      case H5T_INTEGER:
        info.type_text = fmt::format("{}-bit integer", 8 * size);
        break;
      case H5T_FLOAT:
        info.type_text = fmt::format("{}-bit float", 8 * size);
        break;
      case H5T_STRING:
        info.type_text = "string";
        break;
      case H5T_COMPOUND:
        info.type_text = "compound";
        break;
      default:
        info.type_text = "unsupported type";
        break;
    }
    return info;
  }
  info.type_text = to_string(info.dtype);
  return info;
}

Shape shape_of(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return Shape(dims.begin(), dims.end());
}

Handle transfer_list(bool parallel) {
  Handle dxpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_DATASET_XFER)), H5Pclose);
  if (parallel) ANNEAL_H5_CHECK(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE));
  return dxpl;
}

// What is wrong with the box [offset, offset + count) of a dataset of `shape`; empty if nothing.
std::string block_problem(const Shape& shape, const Shape& offset, const Shape& count) {
  if (offset.size() != shape.size() || count.size() != shape.size())
    return fmt::format("offset {} and count {} should have {} axes, as the dataset has", to_string(offset),
                       to_string(count), shape.size());
  for (std::size_t i = 0; i < shape.size(); ++i)
    if (offset[i] > shape[i] || count[i] > shape[i] - offset[i])
      return fmt::format("the block at offset {} of count {} reaches past the extent on axis {}", to_string(offset),
                         to_string(count), i);
  return {};
}

// Selects the box [start, start + count) of `file_space` (all of a scalar) and returns the
// matching memory space. An empty box, or `none`, selects nothing: in a parallel file a rank with
// nothing to transfer still takes part in the collective call.
Handle select_box(hid_t file_space, const Shape& start, const Shape& count, bool none) {
  if (none || (!count.empty() && element_count(count) == 0)) {
    ANNEAL_H5_CHECK(H5Sselect_none(file_space));
    return Handle(ANNEAL_H5_CHECK(H5Scopy(file_space)), H5Sclose);
  }
  if (count.empty()) return Handle(ANNEAL_H5_CHECK(H5Screate(H5S_SCALAR)), H5Sclose);
  std::vector<hsize_t> first(start.begin(), start.end()), extent(count.begin(), count.end());
  ANNEAL_H5_CHECK(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, first.data(), nullptr, extent.data(), nullptr));
  return Handle(ANNEAL_H5_CHECK(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr)), H5Sclose);
}

herr_t write_box(hid_t ds, DType dtype, const void* data, const Shape& start, const Shape& count, bool none,
                 bool parallel) {
  Handle file_space(ANNEAL_H5_CHECK(H5Dget_space(ds)), H5Sclose);
  Handle mem_space = select_box(file_space.get(), start, count, none);
  Handle dxpl = transfer_list(parallel);
  static const char nothing = 0;  // an empty std::span may hold nullptr, which H5Dwrite refuses
  return H5Dwrite(ds, memory_type(dtype), mem_space.get(), file_space.get(), dxpl.get(), data ? data : &nothing);
}

// Default chunks keep whole trailing axes and reduce the axes from `first_axis` on, leading ones
// first, until a chunk holds at most `max_bytes`.
std::vector<hsize_t> fit_chunk(std::vector<hsize_t> chunk, std::size_t first_axis, std::size_t item_bytes,
                               std::size_t max_bytes) {
  for (std::size_t i = first_axis; i < chunk.size(); ++i) {
    std::size_t bytes = item_bytes;
    for (auto extent : chunk) bytes *= extent;
    if (bytes <= max_bytes) break;
    chunk[i] = std::max<std::size_t>(max_bytes / (bytes / chunk[i]), 1);
  }
  return chunk;
}

// Creates dataset `name` (and the groups on the way) of `shape`; `series`: axis 0 is unlimited.
Handle create_in(hid_t file, const std::filesystem::path& path, const std::string& name, DType dtype,
                 const Shape& shape, bool series, const WriteOptions& options) {
  std::vector<hsize_t> dims(shape.begin(), shape.end()), max_dims = dims;
  if (series) max_dims[0] = H5S_UNLIMITED;
  Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                            : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()),
               H5Sclose);
  ANNEAL_H5_CHECK(space.get());
  Handle lcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)), H5Pclose);
  ANNEAL_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
  Handle dcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
  // An extendible dataset must be chunked; an empty fixed one stays contiguous.
  if (series || (!dims.empty() && element_count(shape) > 0 && (options.deflate > 0 || !options.chunk.empty()))) {
    std::vector<hsize_t> chunk(options.chunk.begin(), options.chunk.end());
    if (chunk.empty() && series) {
      chunk = dims;
      chunk[0] = 1;  // one frame, at most 4 MiB
      chunk = fit_chunk(chunk, 1, dtype_size(dtype), 4u << 20);
    } else if (chunk.empty()) {
      chunk = fit_chunk(dims, 0, dtype_size(dtype), 1u << 20);  // about 1 MiB
    }
    ANNEAL_CHECK(chunk.size() == dims.size(), "writing '{}': chunk shape has {} axes, the data {}", name, chunk.size(),
                 dims.size());
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const hsize_t most = max_dims[i] == H5S_UNLIMITED ? std::max<hsize_t>(chunk[i], 1) : dims[i];
      chunk[i] = std::clamp<hsize_t>(chunk[i], 1, most);
    }
    ANNEAL_H5_CHECK(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()));
    if (options.deflate > 0) {
      if (options.shuffle) ANNEAL_H5_CHECK(H5Pset_shuffle(dcpl.get()));
      ANNEAL_H5_CHECK(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(std::min(options.deflate, 9))));
    }
  }
  ANNEAL_CHECK(!link_exists(file, name), "'{}': dataset '{}' is written twice", path.string(), name);
  return Handle(ANNEAL_H5_CHECK(
                    H5Dcreate2(file, name.c_str(), file_type(dtype), space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT)),
                H5Dclose);
}

}  // namespace

void detail::check_rows(std::string_view dataset, const Shape& shape, std::size_t first, std::size_t count) {
  ANNEAL_CHECK(!shape.empty() && first + count <= shape[0],
               "dataset '{}': rows [{}, {}) asked for, but it has shape {}", dataset, first, first + count,
               to_string(shape));
}

H5File::H5File(std::int64_t id, std::filesystem::path path, bool parallel)
    : id_(id), path_(std::move(path)), parallel_(parallel) {}

H5File::H5File(H5File&& other) noexcept : id_(other.id_), path_(std::move(other.path_)), parallel_(other.parallel_) {
  other.id_ = -1;
}

H5File& H5File::operator=(H5File&& other) noexcept {
  std::swap(id_, other.id_);
  std::swap(path_, other.path_);
  std::swap(parallel_, other.parallel_);
  return *this;
}

H5File::~H5File() {
  if (id_ >= 0) H5Fclose(id_);
}

void H5File::close() {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = -1;
  ANNEAL_CHECK(H5Fclose(id) >= 0, "cannot close '{}' (disk full?)", path_.string());
}

H5File H5File::open_read(const std::filesystem::path& path) {
  silence_hdf5();
  std::error_code ec;
  ANNEAL_CHECK(std::filesystem::exists(path, ec), "input file '{}' does not exist", path.string());
  ANNEAL_CHECK(std::filesystem::is_regular_file(path, ec), "input '{}' is not a regular file", path.string());
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  ANNEAL_CHECK(is_hdf5 > 0, "'{}' is not an HDF5 file", path.string());
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    std::string detail;
    try {
      ANNEAL_H5_CHECK(id);
    } catch (const Error& e) {
      detail = e.what();
    }
    ANNEAL_THROW("'{}' is an HDF5 file but cannot be opened; it may be truncated or damaged ({})", path.string(),
                 detail);
  }
  return H5File(id, path, false);
}

H5File H5File::create(const std::filesystem::path& path) {
  silence_hdf5();
  const bool parallel = mpi::size() > 1;
  Handle fapl(ANNEAL_H5_CHECK(H5Pcreate(H5P_FILE_ACCESS)), H5Pclose);
  if (parallel) ANNEAL_H5_CHECK(H5Pset_fapl_mpio(fapl.get(), mpi::world(), MPI_INFO_NULL));
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  ANNEAL_CHECK(id >= 0, "cannot create output file '{}' (does the directory exist and is it writable?)", path.string());
  return H5File(id, path, parallel);
}

void H5File::fail_missing(std::string_view object, std::string_view what) const {
  std::string found;
  for (const auto& d : datasets()) found += (found.empty() ? "" : ", ") + d;
  ANNEAL_THROW("'{}': no {} '{}' (datasets in the file: {})", path_.string(), what, absolute(object),
               found.empty() ? "none" : found);
}

bool H5File::exists(std::string_view object) const { return link_exists(id_, absolute(object)); }

bool H5File::is_dataset(std::string_view object) const {
  const std::string p = absolute(object);
  if (!link_exists(id_, p)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name2(id_, p.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_DATASET;
}

std::vector<std::string> H5File::children(std::string_view group) const {
  std::vector<std::string> names;
  const std::string p = absolute(group);
  if (!link_exists(id_, p)) fail_missing(group, "group");
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  ANNEAL_H5_CHECK(
      H5Literate_by_name(id_, p.c_str(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names, H5P_DEFAULT));
  return names;
}

std::vector<std::string> H5File::datasets() const {
  std::vector<std::string> found;
  auto visit = [](hid_t, const char* name, const H5O_info_t* info, void* out) -> herr_t {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(out)->push_back(absolute(name));
    return 0;
  };
  H5Ovisit2(id_, H5_INDEX_NAME, H5_ITER_INC, visit, &found, H5O_INFO_BASIC);
  H5Eclear2(H5E_DEFAULT);
  return found;
}

DatasetInfo H5File::dataset_info(std::string_view dataset) const {
  if (!is_dataset(dataset)) fail_missing(dataset, "dataset");
  Handle ds(ANNEAL_H5_CHECK(H5Dopen2(id_, absolute(dataset).c_str(), H5P_DEFAULT)), H5Dclose);
  Handle type(ANNEAL_H5_CHECK(H5Dget_type(ds.get())), H5Tclose);
  Handle space(ANNEAL_H5_CHECK(H5Dget_space(ds.get())), H5Sclose);
  DatasetInfo info = describe_type(type.get());
  info.shape = shape_of(space.get());
  return info;
}

void H5File::read_raw(std::string_view dataset, DType memory, void* out, const Shape& offset,
                      const Shape& count) const {
  const DatasetInfo info = dataset_info(dataset);
  ANNEAL_CHECK(info.supported, "'{}': dataset '{}' holds {} data, but a numeric array was expected", path_.string(),
               absolute(dataset), info.type_text);
  const std::string problem = block_problem(info.shape, offset, count);
  ANNEAL_CHECK(problem.empty(), "'{}': cannot read a block of dataset '{}' of shape {}: {}", path_.string(),
               absolute(dataset), to_string(info.shape), problem);
  if (element_count(count) == 0) return;
  Handle ds(ANNEAL_H5_CHECK(H5Dopen2(id_, absolute(dataset).c_str(), H5P_DEFAULT)), H5Dclose);
  Handle file_space(ANNEAL_H5_CHECK(H5Dget_space(ds.get())), H5Sclose);
  Handle mem_space = select_box(file_space.get(), offset, count, false);
  const herr_t status = H5Dread(ds.get(), memory_type(memory), mem_space.get(), file_space.get(), H5P_DEFAULT, out);
  if (status < 0) {
    std::string detail;
    try {
      ANNEAL_H5_CHECK(status);
    } catch (const Error& e) {
      detail = e.what();
    }
    ANNEAL_THROW("'{}': cannot read dataset '{}'; the file may be truncated or damaged ({})", path_.string(),
                 absolute(dataset), detail);
  }
}

void H5File::write_raw(std::string_view dataset, DType dtype, const void* data, std::size_t count,
                       const Shape& global_shape, std::size_t first_row, std::size_t rows, bool distributed,
                       const WriteOptions& options) {
  const std::string name = absolute(dataset);
  const std::size_t row_size =
      global_shape.empty() ? 1 : element_count(global_shape) / std::max<std::size_t>(global_shape[0], 1);
  if (distributed) {
    ANNEAL_CHECK(!global_shape.empty() && first_row + rows <= global_shape[0] && count == rows * row_size,
                 "writing '{}': a slab of {} values at row {} does not fit shape {}", name, count, first_row,
                 to_string(global_shape));
  } else {
    ANNEAL_CHECK(count == element_count(global_shape), "writing '{}': {} values do not fill shape {}", name, count,
                 to_string(global_shape));
  }

  Handle ds = create_in(id_, path_, name, dtype, global_shape, /*series=*/false, options);
  if (element_count(global_shape) == 0) return;
  Shape start(global_shape.size(), 0), local = global_shape;
  if (distributed) {
    start[0] = first_row;
    local[0] = rows;
  }
  // Data every rank holds identically is written once, by rank 0.
  const bool none = !distributed && parallel_ && mpi::rank() != 0;
  ANNEAL_CHECK(write_box(ds.get(), dtype, data, start, local, none, parallel_) >= 0,
               "'{}': cannot write dataset '{}' (disk full?)", path_.string(), name);
}

void H5File::create_dataset(std::string_view dataset, DType dtype, const Shape& shape, const WriteOptions& options) {
  create_in(id_, path_, absolute(dataset), dtype, shape, /*series=*/false, options);
}

void H5File::create_series(std::string_view dataset, DType dtype, const Shape& frame_shape,
                           const WriteOptions& options) {
  ANNEAL_CHECK(element_count(frame_shape) > 0, "'{}': the frames of series '{}' should hold values, got shape {}",
               path_.string(), absolute(dataset), to_string(frame_shape));
  Shape shape{0};
  shape.insert(shape.end(), frame_shape.begin(), frame_shape.end());
  create_in(id_, path_, absolute(dataset), dtype, shape, /*series=*/true, options);
}

std::size_t H5File::extend_series(std::string_view dataset) {
  if (!is_dataset(dataset)) fail_missing(dataset, "dataset");
  Handle ds(ANNEAL_H5_CHECK(H5Dopen2(id_, absolute(dataset).c_str(), H5P_DEFAULT)), H5Dclose);
  Handle space(ANNEAL_H5_CHECK(H5Dget_space(ds.get())), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0))), max_dims = dims;
  if (rank > 0) ANNEAL_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), max_dims.data()));
  ANNEAL_CHECK(rank > 0 && max_dims[0] == H5S_UNLIMITED,
               "'{}': dataset '{}' is not a time series (it has no unlimited first axis)", path_.string(),
               absolute(dataset));
  const std::size_t frame = dims[0]++;
  ANNEAL_CHECK(H5Dset_extent(ds.get(), dims.data()) >= 0, "'{}': cannot extend series '{}' (disk full?)",
               path_.string(), absolute(dataset));
  return frame;
}

void H5File::write_block(std::string_view dataset, DType dtype, const void* data, const Shape& offset,
                         const Shape& count) {
  write_block_raw(dataset, dtype, data, element_count(count), offset, count);
}

void H5File::write_block_raw(std::string_view dataset, DType dtype, const void* data, std::size_t size,
                             const Shape& offset, const Shape& count) {
  const std::string name = absolute(dataset);
  const Shape shape = dataset_info(dataset).shape;
  std::string problem = block_problem(shape, offset, count);
  if (problem.empty() && size != element_count(count))
    problem = fmt::format("{} values given for a block of count {} ({} values)", size, to_string(count),
                          element_count(count));
  // Every rank throws, not only the one with the bad block, so that none waits in the collective write.
  if (parallel_ && mpi::any_rank(!problem.empty()) && problem.empty()) problem = "another rank's block is wrong";
  ANNEAL_CHECK(problem.empty(), "'{}': cannot write a block of dataset '{}' of shape {}: {}", path_.string(), name,
               to_string(shape), problem);
  Handle ds(ANNEAL_H5_CHECK(H5Dopen2(id_, name.c_str(), H5P_DEFAULT)), H5Dclose);
  ANNEAL_CHECK(write_box(ds.get(), dtype, data, offset, count, /*none=*/false, parallel_) >= 0,
               "'{}': cannot write dataset '{}' (disk full?)", path_.string(), name);
}

void H5File::flush() {
  ANNEAL_CHECK(H5Fflush(id_, H5F_SCOPE_GLOBAL) >= 0, "cannot flush '{}' (disk full?)", path_.string());
}

void H5File::create_group(std::string_view group) {
  const std::string name = absolute(group);
  if (link_exists(id_, name)) return;
  Handle lcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)), H5Pclose);
  ANNEAL_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
  Handle g(ANNEAL_H5_CHECK(H5Gcreate2(id_, name.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT)), H5Gclose);
}

void H5File::link(std::string_view existing, std::string_view name) {
  const std::string target = absolute(existing), link_name = absolute(name);
  if (!link_exists(id_, target)) fail_missing(target, "object to link to");
  ANNEAL_CHECK(!link_exists(id_, link_name), "'{}': cannot link '{}' to '{}': the name is taken", path_.string(),
               link_name, target);
  Handle lcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)), H5Pclose);
  ANNEAL_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
  ANNEAL_H5_CHECK(H5Lcreate_hard(id_, target.c_str(), id_, link_name.c_str(), lcpl.get(), H5P_DEFAULT));
}

H5File H5File::open_local_update(const std::filesystem::path& path) {
  silence_hdf5();
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ANNEAL_CHECK(id >= 0, "cannot reopen output file '{}' to finish it", path.string());
  return H5File(id, path, false);
}

void H5File::create_frame_view(std::string_view series, std::size_t frame, std::string_view view) {
  const std::string source = absolute(series), name = absolute(view);
  if (!is_dataset(source)) fail_missing(source, "dataset");
  Handle dataset(ANNEAL_H5_CHECK(H5Dopen2(id_, source.c_str(), H5P_DEFAULT)), H5Dclose);
  Handle type(ANNEAL_H5_CHECK(H5Dget_type(dataset.get())), H5Tclose);
  Handle space(ANNEAL_H5_CHECK(H5Dget_space(dataset.get())), H5Sclose);
  const int rank = static_cast<int>(ANNEAL_H5_CHECK(H5Sget_simple_extent_ndims(space.get())));
  ANNEAL_CHECK(rank >= 2, "'{}': '{}' is not a time series", path_.string(), source);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  ANNEAL_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr));
  ANNEAL_CHECK(frame < dims[0], "'{}': '{}' has {} frames, no frame {}", path_.string(), source, dims[0], frame);
  std::vector<hsize_t> start(dims.size(), 0), count = dims;
  start[0] = frame;
  count[0] = 1;
  ANNEAL_H5_CHECK(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr));
  Handle view_space(ANNEAL_H5_CHECK(H5Screate_simple(rank - 1, dims.data() + 1, nullptr)), H5Sclose);
  Handle dcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_DATASET_CREATE)), H5Pclose);
  // "." : the source is in this same file.
  ANNEAL_H5_CHECK(H5Pset_virtual(dcpl.get(), view_space.get(), ".", source.c_str(), space.get()));
  Handle lcpl(ANNEAL_H5_CHECK(H5Pcreate(H5P_LINK_CREATE)), H5Pclose);
  ANNEAL_H5_CHECK(H5Pset_create_intermediate_group(lcpl.get(), 1));
  Handle created(
      ANNEAL_H5_CHECK(H5Dcreate2(id_, name.c_str(), type.get(), view_space.get(), lcpl.get(), dcpl.get(), H5P_DEFAULT)),
      H5Dclose);
}

}  // namespace anneal::io
