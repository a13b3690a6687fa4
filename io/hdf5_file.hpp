#pragma once
// HDF5 files: RAII handles, typed n-d arrays and attributes, chunking and compression, and
// collective writes by which N MPI ranks write one file. Names in errors are always the file and
// the dataset, so a user can find what is wrong. HDF5's own headers stay out of this interface.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "io/dtype.hpp"

namespace anneal::io {

namespace detail {
void check_rows(std::string_view dataset, const Shape& shape, std::size_t first, std::size_t count);
}

struct DatasetInfo {
  DType dtype = DType::f64;
  bool supported = true;  // false: a type anneal does not read (compound, string, ...)
  std::string type_text;  // the file's type in words ("f32", "string", "compound", ...)
  Shape shape;
};

struct WriteOptions {
  Shape chunk;          // chunk shape; empty: contiguous, or automatic when compressing
  int deflate = 0;      // gzip level 1..9, 0 for none
  bool shuffle = true;  // byte shuffle before gzip (smaller floating-point data)
};

using AttrValue = std::variant<std::string, double, std::int64_t, std::vector<double>, std::vector<std::int64_t>>;

class H5File {
 public:
  // Opens an existing file read-only (inputs are never opened for writing). Each failure says what
  // the file is: missing, not HDF5, or HDF5 but damaged/truncated.
  static H5File open_read(const std::filesystem::path& path);
  // Creates (truncates) `path` for writing. When MPI runs on several ranks this is collective and
  // every rank gets the same file through MPI-IO.
  static H5File create(const std::filesystem::path& path);

  H5File(H5File&& other) noexcept;
  H5File& operator=(H5File&& other) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File();

  // Flushes and closes; errors are thrown (the destructor closes quietly).
  void close();
  const std::filesystem::path& path() const { return path_; }
  bool parallel() const { return parallel_; }

  bool exists(std::string_view object) const;
  bool is_dataset(std::string_view object) const;
  std::vector<std::string> children(std::string_view group) const;  // sorted names
  std::vector<std::string> datasets() const;                        // every dataset's full path
  DatasetInfo dataset_info(std::string_view dataset) const;         // throws naming file + dataset

  // Reads a whole dataset, converting to T (as h5py does). Use io/schema.hpp to insist on a type.
  template <class T>
  Array<T> read(std::string_view dataset) const {
    Array<T> a;
    a.shape = dataset_info(dataset).shape;
    a.data.resize(element_count(a.shape));
    read_raw(dataset, dtype_of<T>(), a.data.data(), Shape(a.shape.size(), 0), a.shape);
    return a;
  }
  // Reads rows [first, first + count) along axis 0 (the slab one MPI rank owns).
  template <class T>
  Array<T> read_rows(std::string_view dataset, std::size_t first, std::size_t count) const {
    Array<T> a;
    a.shape = dataset_info(dataset).shape;
    detail::check_rows(dataset, a.shape, first, count);
    a.shape[0] = count;
    a.data.resize(element_count(a.shape));
    Shape offset(a.shape.size(), 0);
    offset[0] = first;
    read_raw(dataset, dtype_of<T>(), a.data.data(), offset, a.shape);
    return a;
  }

  // Writes data that every rank holds identically (collective; rank 0 writes the bytes).
  // Intermediate groups are created.
  template <class T>
  void write(std::string_view dataset, std::span<const T> data, const Shape& shape, const WriteOptions& options = {}) {
    write_raw(dataset, dtype_of<T>(), data.data(), data.size(), shape, 0, shape.empty() ? 1 : shape[0],
              /*distributed=*/false, options);
  }
  // Each rank writes its rows [first_row, first_row + local rows) of one dataset of
  // `global_shape` (collective: every rank calls it, with its own slab, possibly empty).
  template <class T>
  void write_rows(std::string_view dataset, std::span<const T> local, const Shape& global_shape, std::size_t first_row,
                  const WriteOptions& options = {}) {
    const std::size_t row =
        global_shape.empty() ? 1 : element_count(global_shape) / std::max<std::size_t>(global_shape[0], 1);
    write_raw(dataset, dtype_of<T>(), local.data(), local.size(), global_shape, first_row,
              row == 0 ? 0 : local.size() / row, /*distributed=*/true, options);
  }

  // Block-decomposed datasets and time series. A rank of a 2-D/3-D domain decomposition (PETSc
  // DMDA style) owns a box [offset, offset + count) of the global grid, not a slab of rows.

  // Creates a dataset with no data yet (zeros until written), for write_block. Collective.
  void create_dataset(std::string_view dataset, DType dtype, const Shape& shape, const WriteOptions& options = {});
  // Creates an empty time series [0][frame_shape...] whose leading axis is unlimited; frames are
  // added by extend_series. Chunks default to one frame, with the leading frame axes reduced until
  // a chunk is at most 4 MiB. Collective.
  void create_series(std::string_view dataset, DType dtype, const Shape& frame_shape, const WriteOptions& options = {});
  // Grows a series by one frame (zeros until written) and returns the new frame's index: write it
  // with write_block at offset [frame, ...]. Collective; every rank sees the same extent.
  std::size_t extend_series(std::string_view dataset);
  // Each rank writes its box [offset, offset + count) of an existing dataset, `data` in C order
  // holding product(count) values. Collective in a parallel file: a rank that owns nothing passes
  // an all-zero count and still calls. A bad block on any rank throws on every rank.
  void write_block(std::string_view dataset, DType dtype, const void* data, const Shape& offset, const Shape& count);
  template <class T>
  void write_block(std::string_view dataset, std::span<const T> data, const Shape& offset, const Shape& count) {
    write_block_raw(dataset, dtype_of<T>(), data.data(), data.size(), offset, count);
  }
  // Reads the box [offset, offset + count) (restarts, tests); not collective.
  template <class T>
  Array<T> read_block(std::string_view dataset, const Shape& offset, const Shape& count) const {
    Array<T> a;
    a.shape = count;
    a.data.resize(element_count(count));
    read_raw(dataset, dtype_of<T>(), a.data.data(), offset, count);
    return a;
  }
  // Writes what HDF5 buffers to disk, so that a run killed later leaves a readable file. Collective.
  void flush();

  void create_group(std::string_view group);
  // Reopens an output that this rank alone finishes (rank 0 adding to a file all ranks wrote),
  // read-write. Not collective.
  static H5File open_local_update(const std::filesystem::path& path);
  // A virtual dataset `view` that shows frame `frame` of the time series `series` (no data copied):
  // readers that cannot take a hyperslab of [nt][...] (ParaView's Xdmf3 readers) read it whole.
  void create_frame_view(std::string_view series, std::size_t frame, std::string_view view);
  // A second name for an existing dataset or group (an HDF5 hard link: no data is copied), e.g. to
  // give a matrix the names two readers expect. Collective in parallel files.
  void link(std::string_view existing, std::string_view name);
  // Attributes on a group or dataset ("/" is the root). Collective in parallel files, same value
  // on every rank.
  void set_attribute(std::string_view object, std::string_view name, const AttrValue& value);
  bool has_attribute(std::string_view object, std::string_view name) const;
  AttrValue attribute(std::string_view object, std::string_view name) const;
  std::vector<std::string> attribute_names(std::string_view object) const;
  std::string string_attribute(std::string_view object, std::string_view name) const;

 private:
  H5File(std::int64_t id, std::filesystem::path path, bool parallel);
  // Reads the box [offset, offset + count); both empty for a scalar.
  void read_raw(std::string_view dataset, DType memory_type, void* out, const Shape& offset, const Shape& count) const;
  void write_raw(std::string_view dataset, DType dtype, const void* data, std::size_t count, const Shape& global_shape,
                 std::size_t first_row, std::size_t rows, bool distributed, const WriteOptions& options);
  void write_block_raw(std::string_view dataset, DType dtype, const void* data, std::size_t size, const Shape& offset,
                       const Shape& count);
  [[noreturn]] void fail_missing(std::string_view object, std::string_view what) const;

  std::int64_t id_ = -1;
  std::filesystem::path path_;
  bool parallel_ = false;
};

}  // namespace anneal::io
