// Run under `mpiexec -n 2`: data-parallel training reproduces the 1-rank loss curve.
#include <catch2/catch.hpp>

#include "core/mpi_env.hpp"
#include "core/partition.hpp"
#include "core/rng.hpp"
#include "nn/data_parallel.hpp"
#include "nn/mlp.hpp"
#include "nn/ops.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

// Plain gradient descent, so that the test depends on nothing but the gradients.
void descend(const std::vector<Tensor>& params, double lr) {
  NoGrad no_tape;
  for (auto p : params) p.copy_(sub(p.detach(), mul(p.grad(), lr)));
}

// Fits y = sin(3x) + x² with a small MLP; `ranks` > 1 splits each global batch over the MPI ranks.
std::vector<double> loss_curve(DType dtype, bool data_parallel) {
  RandomStream init(2024, 0);  // the same model on every rank
  Mlp net({1, 16, 16, 1}, Activation::tanh, init, dtype);
  const auto params = net.parameters();
  if (data_parallel) broadcast_parameters(params);
  const std::int64_t global = 64;
  std::vector<double> curve;
  for (int step = 0; step < 30; ++step) {
    // The global batch is defined by (seed, step), whoever draws it.
    RandomStream data(99, static_cast<std::uint64_t>(step));
    std::vector<double> xs(global), ys(global);
    for (std::int64_t i = 0; i < global; ++i) {
      xs[static_cast<std::size_t>(i)] = 2 * data.uniform() - 1;
      ys[static_cast<std::size_t>(i)] = std::sin(3 * xs[static_cast<std::size_t>(i)]) + xs[static_cast<std::size_t>(i)] * xs[static_cast<std::size_t>(i)];
    }
    const BlockRange mine = data_parallel ? block_range(global, mpi::size(), mpi::rank()) : BlockRange{0, 64};
    const std::vector<double> x(xs.begin() + static_cast<long>(mine.begin), xs.begin() + static_cast<long>(mine.end));
    const std::vector<double> y(ys.begin() + static_cast<long>(mine.begin), ys.begin() + static_cast<long>(mine.end));
    const auto n = static_cast<std::int64_t>(x.size());
    const Tensor loss = mean(square(net.forward(Tensor::from_vector(x, {n, 1}, dtype)) - Tensor::from_vector(y, {n, 1}, dtype)));
    for (auto p : params) p.zero_grad();
    loss.backward();
    double reported = loss.item();
    if (data_parallel) {
      average_gradients(params);
      // The global loss is the mean of the equal slices' means.
      reported = mpi::sum_over_ranks(reported) / mpi::size();
    }
    curve.push_back(reported);
    descend(params, 0.05);
  }
  // Then the trained model itself: its loss on the batch of step 0, and its parameters.
  RandomStream data(99, 0);
  std::vector<double> xs(global), ys(global);
  for (std::int64_t i = 0; i < global; ++i) {
    xs[static_cast<std::size_t>(i)] = 2 * data.uniform() - 1;
    ys[static_cast<std::size_t>(i)] = std::sin(3 * xs[static_cast<std::size_t>(i)]) + xs[static_cast<std::size_t>(i)] * xs[static_cast<std::size_t>(i)];
  }
  NoGrad no_tape;
  curve.push_back(mean(square(net.forward(Tensor::from_vector(xs, {global, 1}, dtype)) -
                              Tensor::from_vector(ys, {global, 1}, dtype))).item());
  for (const auto& p : params)
    for (double v : p.to_vector()) curve.push_back(v);
  return curve;
}

}  // namespace

TEST_CASE("2 ranks with the same global batch reproduce the 1-rank training", "[mpi][nn]") {
  REQUIRE(mpi::size() == 2);
  for (DType dtype : {DType::f64, DType::f32}) {
    const auto serial = loss_curve(dtype, false);
    const auto parallel = loss_curve(dtype, true);
    REQUIRE(serial.size() == parallel.size());
    // Only the order of the floating-point sums differs: round-off, not more.
    const double tolerance = dtype == DType::f64 ? 1e-12 : 1e-4;
    const std::size_t final_loss = 30;
    for (std::size_t i = 0; i < serial.size(); ++i) {
      INFO((i < final_loss ? "loss at step " : i == final_loss ? "final loss " : "parameter value ") << i);
      REQUIRE(parallel[i] == Approx(serial[i]).epsilon(tolerance).margin(tolerance));
    }
    REQUIRE(serial[final_loss] < serial[0]);  // it did train
  }
}
