#include "physics/poisson/dcdm_model.hpp"

#include "core/error.hpp"
#include "io/atomic_output.hpp"
#include "io/hdf5_file.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"

namespace anneal::physics::poisson {

void save_dcdm_model(const std::filesystem::path& path, const DcdmNetwork& network, const DcdmHistory& history,
                     std::array<long, 3> trained_grid, const io::Provenance& provenance) {
  io::AtomicOutput out(path, provenance.source_files);
  // `poisson train` does not resume, so the optimizer state stored is a fresh one's.
  nn::Adam optimizer(network.parameters());
  const auto epochs = history.epoch.size();
  const std::int64_t last = epochs ? history.epoch.back() : 0;
  nn::save_checkpoint(out.temp_path(), network, optimizer, {last, RandomStream(0, 0).state()}, provenance,
                      [&](io::H5File& file) {
                        file.create_group("/architecture");
                        const auto& a = network.architecture();
                        file.set_attribute("/architecture", "json", a.to_json());
                        file.set_attribute("/architecture", "dtype", nn::to_string(network.dtype()));
                        file.set_attribute("/architecture", "trained_grid",
                                           std::vector<std::int64_t>{trained_grid[0], trained_grid[1], trained_grid[2]});
                        file.set_attribute("/architecture", "receptive_radius", static_cast<std::int64_t>(a.receptive_radius()));
                        file.set_attribute("/architecture", "parameters", network.parameter_count());
                        file.write<std::int64_t>("/history/epoch", history.epoch, {epochs});
                        file.write<double>("/history/train_loss", history.train_loss, {epochs});
                        file.write<double>("/history/validation_loss", history.validation_loss, {epochs});
                        file.write<double>("/history/learning_rate", history.learning_rate, {epochs});
                        file.write<double>("/history/seconds", history.seconds, {epochs});
                        file.write<std::int64_t>("/history/check_iterations", history.check_iterations, {epochs});
                      });
  out.commit();
}

LoadedDcdmModel load_dcdm_model(const std::filesystem::path& path) {
  LoadedDcdmModel loaded;
  DcdmArchitecture architecture;
  nn::DType dtype = nn::DType::f32;
  {
    const auto file = io::H5File::open_read(path);
    ANNEAL_CHECK(file.has_attribute("/architecture", "json"),
                 "'{}' is not a DCDM model written by `anneal poisson train` (no /architecture)", path.string());
    architecture = DcdmArchitecture::from_json(file.string_attribute("/architecture", "json"));
    const auto dtype_name = file.string_attribute("/architecture", "dtype");
    ANNEAL_CHECK(dtype_name == "f32" || dtype_name == "f64", "'{}': unknown dtype '{}'", path.string(), dtype_name);
    dtype = dtype_name == "f32" ? nn::DType::f32 : nn::DType::f64;
    const auto grid_value = file.attribute("/architecture", "trained_grid");
    const auto* grid_ptr = std::get_if<std::vector<std::int64_t>>(&grid_value);
    ANNEAL_CHECK(grid_ptr != nullptr, "'{}': /architecture trained_grid must be integers", path.string());
    const auto& grid = *grid_ptr;
    ANNEAL_CHECK(grid.size() == 3, "'{}': /architecture trained_grid must have 3 entries", path.string());
    loaded.trained_grid = {grid[0], grid[1], grid[2]};
    if (file.exists("/history/epoch")) {
      loaded.history.epoch = file.read<std::int64_t>("/history/epoch").data;
      loaded.history.train_loss = file.read<double>("/history/train_loss").data;
      loaded.history.validation_loss = file.read<double>("/history/validation_loss").data;
      loaded.history.check_iterations = file.read<std::int64_t>("/history/check_iterations").data;
    }
  }
  RandomStream unused(0, 0);  // the weights come from the file
  auto network = std::make_shared<DcdmNetwork>(architecture, unused, dtype);
  nn::Adam optimizer(network->parameters());
  nn::load_checkpoint(path, *network, optimizer);
  loaded.network = network;
  return loaded;
}

}  // namespace anneal::physics::poisson
