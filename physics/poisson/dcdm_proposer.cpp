#include "physics/poisson/dcdm_proposer.hpp"

#include "core/error.hpp"
#include "nn/autograd.hpp"

namespace anneal::physics::poisson {

DcdmProposer::DcdmProposer(std::shared_ptr<const DcdmNetwork> network, std::array<long, 3> grid,
                           std::vector<std::uint8_t> cell_type)
    : network_(std::move(network)), grid_(grid), cell_type_(std::move(cell_type)) {
  ANNEAL_CHECK(network_ != nullptr, "DCDM proposer: no network");
  for (std::size_t a = 0; a < 3; ++a) {
    ANNEAL_CHECK(grid_[a] >= 1, "DCDM proposer: grid extents must be positive");
    padded_[a] = grid_[a] + grid_[a] % 2;
  }
  ANNEAL_CHECK(cell_type_.empty() || static_cast<long>(cell_type_.size()) == cells(), "DCDM proposer: {} cell types for {} cells",
               cell_type_.size(), cells());
  ANNEAL_CHECK(network_->architecture().in_channels == 1 || !cell_type_.empty(),
               "the model takes the cell-type image as a second input channel, but the system has no /cell_type");
}

nn::Tensor DcdmProposer::input(std::span<const double> residual) const {
  ANNEAL_CHECK(static_cast<long>(residual.size()) == cells(), "DCDM proposer: residual of {} entries on a grid of {} cells",
               residual.size(), cells());
  const auto channels = network_->architecture().in_channels;
  const long padded_cells = padded_[0] * padded_[1] * padded_[2];
  auto x = nn::Tensor::zeros({1, channels, padded_[2], padded_[1], padded_[0]}, network_->dtype());
  const double scale = dcdm_input_scale(cells());
  nn::dispatch(x.dtype(), [&]<class T>() {
    T* out = x.data<T>();
    for (long k = 0; k < grid_[2]; ++k)
      for (long j = 0; j < grid_[1]; ++j)
        for (long i = 0; i < grid_[0]; ++i) {
          const long src = (k * grid_[1] + j) * grid_[0] + i, dst = (k * padded_[1] + j) * padded_[0] + i;
          out[dst] = static_cast<T>(scale * residual[static_cast<std::size_t>(src)]);
          if (channels == 2) out[padded_cells + dst] = static_cast<T>(cell_type_[static_cast<std::size_t>(src)] != 0);
        }
  });
  return x;
}

void DcdmProposer::operator()(std::span<const double> residual, std::span<double> direction) const {
  ANNEAL_CHECK(static_cast<long>(direction.size()) == cells(), "DCDM proposer: direction has the wrong length");
  nn::NoGrad no_tape;
  const auto q = network_->forward(input(residual));
  nn::dispatch(q.dtype(), [&]<class T>() {
    const T* values = q.data<T>();
    for (long k = 0; k < grid_[2]; ++k)
      for (long j = 0; j < grid_[1]; ++j)
        for (long i = 0; i < grid_[0]; ++i) {
          const auto dst = static_cast<std::size_t>((k * grid_[1] + j) * grid_[0] + i);
          const bool solid = !cell_type_.empty() && cell_type_[dst] != 0;
          direction[dst] = solid ? 0.0 : static_cast<double>(values[(k * padded_[1] + j) * padded_[0] + i]);
        }
  });
}

solvers::DirectionProposer DcdmProposer::function() const {
  auto self = std::make_shared<DcdmProposer>(*this);
  return [self](std::span<const double> r, std::span<double> q) { (*self)(r, q); };
}

}  // namespace anneal::physics::poisson
