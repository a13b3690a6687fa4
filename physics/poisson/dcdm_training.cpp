#include "physics/poisson/dcdm_training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/rng.hpp"
#include "core/timer.hpp"
#include "nn/adam.hpp"
#include "nn/ops.hpp"
#include "physics/poisson/dcdm_loss.hpp"
#include "physics/poisson/dcdm_proposer.hpp"

namespace anneal::physics::poisson {
namespace {

// The network's inputs and the loss's targets for vectors [first, first + count) of `order`.
struct Batch {
  nn::Tensor input, rhs;
};

// 1 on fluid cells, 0 on solid ones, shaped [1, 1, nz, ny, nx]: the solver never moves solid cells
// (DcdmProposer zeroes them), so the loss must not see the network's values there either.
nn::Tensor fluid_mask(const DcdmTrainingSystem& system, nn::DType dtype) {
  const auto& g = system.grid;
  std::vector<double> mask(static_cast<std::size_t>(g[0] * g[1] * g[2]), 1.0);
  for (std::size_t i = 0; i < system.cell_type.size(); ++i) mask[i] = system.cell_type[i] == 0 ? 1.0 : 0.0;
  return nn::Tensor::from_vector(mask, {1, 1, g[2], g[1], g[0]}, dtype);
}

Batch load_batch(const DcdmTrainingSystem& system, const VectorSource& vectors, const std::vector<std::int64_t>& order,
                 std::size_t first, std::size_t count, nn::DType dtype, int in_channels) {
  const long n = system.matrix->rows;
  std::vector<float> values(static_cast<std::size_t>(n));
  std::vector<double> rhs(count * static_cast<std::size_t>(n));
  for (std::size_t s = 0; s < count; ++s) {
    vectors(order[first + s], values);
    std::copy(values.begin(), values.end(), rhs.begin() + static_cast<std::ptrdiff_t>(s * static_cast<std::size_t>(n)));
  }
  const auto& g = system.grid;
  const nn::Shape grid_shape{static_cast<std::int64_t>(count), 1, g[2], g[1], g[0]};
  Batch batch;
  batch.rhs = nn::Tensor::from_vector(rhs, grid_shape, dtype);
  const auto scaled = nn::mul(batch.rhs, dcdm_input_scale(n));
  if (in_channels == 1) {
    batch.input = scaled;
  } else {
    std::vector<double> types(system.cell_type.begin(), system.cell_type.end());
    const auto image = nn::Tensor::from_vector(types, {1, 1, g[2], g[1], g[0]}, dtype);
    batch.input = nn::concat({scaled, nn::broadcast_to(image, grid_shape)}, 1);
  }
  return batch;
}

// DCDM iterations to `rtol` on vector `index` (a held-out right-hand side), −1 if not reached.
std::int64_t check_iterations(const DcdmNetwork& network, const DcdmTrainingSystem& system, const VectorSource& vectors,
                              std::int64_t index, const DcdmTrainOptions& options) {
  std::vector<float> values(static_cast<std::size_t>(system.matrix->rows));
  vectors(index, values);
  std::vector<double> b(values.begin(), values.end()), x(b.size(), 0.0);
  // The proposer only reads the network; it is shared for the duration of this call.
  const std::shared_ptr<const DcdmNetwork> view(&network, [](const DcdmNetwork*) {});
  const DcdmProposer proposer(view, system.grid, system.cell_type);
  solvers::ConjugateDirectionSettings settings;
  settings.rtol = options.check_rtol;
  settings.max_iterations = options.check_max_iterations;
  const auto report = solvers::solve_conjugate_directions(*system.matrix, b, x, proposer.function(), settings);
  return report.converged ? report.iterations : -1;
}

}  // namespace

DcdmHistory train_dcdm(DcdmNetwork& network, const DcdmTrainingSystem& system, const VectorSource& vectors,
                       std::int64_t vector_count, const DcdmTrainOptions& options) {
  ANNEAL_CHECK(system.matrix != nullptr, "DCDM training: no matrix");
  ANNEAL_CHECK(system.grid[0] * system.grid[1] * system.grid[2] == system.matrix->rows,
               "DCDM training: the grid does not match the matrix");
  ANNEAL_CHECK(options.epochs >= 1 && options.batch_size >= 1, "DCDM training: epochs and batch size must be positive");
  ANNEAL_CHECK(options.validation_fraction >= 0 && options.validation_fraction < 1,
               "DCDM training: the validation fraction must lie in [0, 1)");
  ANNEAL_CHECK(options.schedule == "cosine" || options.schedule == "constant",
               "DCDM training: unknown schedule '{}' (cosine or constant)", options.schedule);
  const auto held_out = static_cast<std::int64_t>(std::floor(options.validation_fraction * static_cast<double>(vector_count)));
  const auto train_count = vector_count - held_out;
  ANNEAL_CHECK(train_count >= 1, "DCDM training: no training vectors ({} in the set, {} held out)", vector_count, held_out);

  const int in_channels = network.architecture().in_channels;
  const nn::Tensor mask = fluid_mask(system, network.dtype());
  nn::AdamOptions adam;
  adam.learning_rate = options.learning_rate;
  nn::Adam optimizer(network.parameters(), adam);
  RandomStream rng(options.seed, 0x5043);  // the shuffles
  std::vector<std::int64_t> order(static_cast<std::size_t>(train_count));
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::int64_t> validation(static_cast<std::size_t>(held_out));
  std::iota(validation.begin(), validation.end(), train_count);
  const auto batches_per_epoch = (train_count + options.batch_size - 1) / options.batch_size;

  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>("train", options.epochs * batches_per_epoch);
  DcdmHistory history;
  const Stopwatch watch;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const double rate = options.schedule == "constant"
                            ? options.learning_rate
                            : options.learning_rate * (0.02 + 0.98 * 0.5 * (1 + std::cos(M_PI * epoch / options.epochs)));
    optimizer.set_learning_rate(rate);
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    for (std::int64_t b = 0; b < batches_per_epoch; ++b) {
      const auto first = static_cast<std::size_t>(b * options.batch_size);
      const auto count = std::min<std::size_t>(static_cast<std::size_t>(options.batch_size), order.size() - first);
      const Batch batch = load_batch(system, vectors, order, first, count, network.dtype(), in_channels);
      optimizer.zero_grad();
      const auto loss = dcdm_loss(*system.matrix, network.forward(batch.input) * mask, batch.rhs);
      loss.backward();
      optimizer.step();
      loss_sum += loss.item() * static_cast<double>(count);
      if (progress)
        progress->update(epoch * batches_per_epoch + b + 1,
                         fmt::format("epoch {}/{}  loss {:.4e}", epoch + 1, options.epochs, loss.item()));
    }
    double validation_sum = 0;
    {
      nn::NoGrad no_tape;
      for (std::size_t first = 0; first < validation.size(); first += static_cast<std::size_t>(options.batch_size)) {
        const auto count = std::min<std::size_t>(static_cast<std::size_t>(options.batch_size), validation.size() - first);
        const Batch batch = load_batch(system, vectors, validation, first, count, network.dtype(), in_channels);
        validation_sum +=
            dcdm_loss(*system.matrix, network.forward(batch.input) * mask, batch.rhs).item() * static_cast<double>(count);
      }
    }
    history.epoch.push_back(epoch + 1);
    history.train_loss.push_back(loss_sum / static_cast<double>(train_count));
    history.validation_loss.push_back(held_out > 0 ? validation_sum / static_cast<double>(held_out) : NAN);
    history.learning_rate.push_back(rate);
    history.check_iterations.push_back(options.check_rtol > 0 && held_out > 0
                                           ? check_iterations(network, system, vectors, validation.front(), options)
                                           : -1);
    history.seconds.push_back(watch.seconds());
  }
  if (progress)
    progress->finish(fmt::format("loss {:.4e}  validation {:.4e}  DCDM check {} iterations", history.train_loss.back(),
                                 history.validation_loss.back(), history.check_iterations.back()));
  return history;
}

}  // namespace anneal::physics::poisson
