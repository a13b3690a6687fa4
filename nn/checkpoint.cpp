#include "nn/checkpoint.hpp"

#include <algorithm>
#include <bit>

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/schema.hpp"

namespace anneal::nn {
namespace {

// "layers.0.weight" -> "/model/layers/0/weight": HDF5 groups mirror the module tree.
std::string dataset_path(const std::string& root, const std::string& name) {
  std::string path = root + "/" + name;
  std::replace(path.begin(), path.end(), '.', '/');
  return path;
}

io::Shape io_shape(const Shape& shape) { return io::Shape(shape.begin(), shape.end()); }

void write_tensor(io::H5File& file, const std::string& path, const Tensor& t) {
  dispatch(t.dtype(), [&]<class T>() {
    file.write<T>(path, std::span<const T>(t.data<T>(), static_cast<std::size_t>(t.numel())), io_shape(t.shape()));
  });
}

void read_tensor(const io::H5File& file, const std::string& path, Tensor target) {
  const io::DType want = target.dtype() == DType::f32 ? io::DType::f32 : io::DType::f64;
  io::require_dataset(file, path, {want}, io_shape(target.shape()));
  dispatch(target.dtype(), [&]<class T>() {
    const auto values = file.read<T>(path).data;
    std::copy(values.begin(), values.end(), target.data<T>());
  });
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const Module& model, const Optimizer& optimizer,
                     const TrainingState& state, const io::Provenance& provenance,
                     const std::function<void(io::H5File&)>& extra) {
  io::AtomicOutput out(path);
  {
    auto file = io::H5File::create(out.temp_path());
    for (const auto& [name, tensor] : model.named_parameters()) write_tensor(file, dataset_path("/model", name), tensor);
    for (const auto& [name, tensor] : optimizer.state()) write_tensor(file, "/optimizer/" + name, tensor);
    const std::vector<std::int64_t> rng{std::bit_cast<std::int64_t>(state.rng.seed),
                                        std::bit_cast<std::int64_t>(state.rng.stream),
                                        std::bit_cast<std::int64_t>(state.rng.counter)};
    file.write<std::int64_t>("/rng", rng, {3});
    file.set_attribute("/rng", "layout", std::string("seed, stream, counter (Philox4x32-10 RandomStream)"));
    file.write<std::int64_t>("/step", std::vector<std::int64_t>{state.step}, {});
    io::write_provenance(file, provenance);
    if (extra) extra(file);
    file.close();
  }
  out.commit();
}

TrainingState load_checkpoint(const std::filesystem::path& path, Module& model, Optimizer& optimizer) {
  const auto file = io::H5File::open_read(path);
  for (const auto& [name, tensor] : model.named_parameters()) read_tensor(file, dataset_path("/model", name), tensor);
  // The optimizer's state as saved (it may hold more than a fresh optimizer has created yet).
  std::vector<std::pair<std::string, Tensor>> state;
  const std::string prefix = "/optimizer/";
  for (const auto& dataset : file.datasets()) {
    if (dataset.rfind(prefix, 0) != 0) continue;
    const io::DatasetInfo info = file.dataset_info(dataset);
    ANNEAL_CHECK(info.supported && (info.dtype == io::DType::f32 || info.dtype == io::DType::f64),
                 "'{}': optimizer state '{}' is {}, expected f32 or f64", path.string(), dataset, info.type_text);
    Tensor t = Tensor::empty(Shape(info.shape.begin(), info.shape.end()),
                             info.dtype == io::DType::f32 ? DType::f32 : DType::f64);
    read_tensor(file, dataset, t);
    state.emplace_back(dataset.substr(prefix.size()), t);
  }
  optimizer.load_state(state);

  TrainingState training;
  io::require_dataset(file, "/rng", {io::DType::i64}, {3});
  const auto rng = file.read<std::int64_t>("/rng").data;
  training.rng = {std::bit_cast<std::uint64_t>(rng[0]), std::bit_cast<std::uint64_t>(rng[1]),
                  std::bit_cast<std::uint64_t>(rng[2])};
  io::require_dataset(file, "/step", {io::DType::i64}, {});
  training.step = file.read<std::int64_t>("/step").data.front();
  return training;
}

}  // namespace anneal::nn
