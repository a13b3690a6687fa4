// Checkpoints: a bit-identical round trip, and a resumed run whose loss curve equals the unbroken one.
#include <catch2/catch.hpp>

#include "io/hdf5_file.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"
#include "nn/mlp.hpp"
#include "nn/ops.hpp"
#include "tests/support/temp_dir.hpp"

using namespace anneal;
using namespace anneal::nn;
using Catch::Matchers::Contains;

namespace {

// One training step on a batch drawn from `data`; returns the loss.
double train_step(const Mlp& net, Adam& adam, RandomStream& data, DType dtype) {
  std::vector<double> xs(32), ys(32);
  for (std::size_t i = 0; i < 32; ++i) {
    xs[i] = 2 * data.uniform() - 1;
    ys[i] = std::cos(2 * xs[i]);
  }
  const Tensor loss = mean(square(net.forward(Tensor::from_vector(xs, {32, 1}, dtype)) -
                                  Tensor::from_vector(ys, {32, 1}, dtype)));
  adam.zero_grad();
  loss.backward();
  adam.step();
  return loss.item();
}

std::vector<double> all_values(const Module& m) {
  std::vector<double> v;
  for (const auto& p : m.parameters())
    for (double x : p.to_vector()) v.push_back(x);
  return v;
}

}  // namespace

TEST_CASE("checkpoint: resuming gives the same loss curve as not stopping", "[nn][checkpoint]") {
  anneal::test::TempDir dir;
  for (DType dtype : {DType::f32, DType::f64}) {
    RandomStream init(5, 0);
    Mlp unbroken({1, 12, 12, 1}, Activation::tanh, init, dtype);
    Adam adam(unbroken.parameters(), AdamOptions{.learning_rate = 1e-2});
    RandomStream data(77, 1);
    std::vector<double> curve;
    for (int s = 0; s < 10; ++s) curve.push_back(train_step(unbroken, adam, data, dtype));
    save_checkpoint(dir / "ck.h5", unbroken, adam, {10, data.state()}, {"test", "{}", "cpu", {}});
    for (int s = 0; s < 10; ++s) curve.push_back(train_step(unbroken, adam, data, dtype));

    // A new process would start from other weights; the checkpoint must overwrite all of them.
    RandomStream other(6, 0);
    Mlp resumed({1, 12, 12, 1}, Activation::tanh, other, dtype);
    Adam adam2(resumed.parameters(), AdamOptions{.learning_rate = 1e-2});
    const TrainingState state = load_checkpoint(dir / "ck.h5", resumed, adam2);
    REQUIRE(state.step == 10);
    RandomStream data2(state.rng);
    std::vector<double> tail;
    for (int s = 0; s < 10; ++s) tail.push_back(train_step(resumed, adam2, data2, dtype));
    for (std::size_t s = 0; s < 10; ++s) REQUIRE(tail[s] == curve[10 + s]);  // bit for bit
    REQUIRE(all_values(resumed) == all_values(unbroken));
  }
}

TEST_CASE("checkpoint: the file holds /model, /optimizer, /rng, /step and /meta", "[nn][checkpoint]") {
  anneal::test::TempDir dir;
  RandomStream init(1, 0);
  Mlp net({2, 3, 1}, Activation::tanh, init, DType::f32);
  Adam adam(net.parameters());
  save_checkpoint(dir / "c.h5", net, adam, {3, init.state()}, {"test", "{}", "cpu", {}});
  const auto file = io::H5File::open_read(dir / "c.h5");
  REQUIRE(file.dataset_info("/model/0/weight").shape == io::Shape{2, 3});
  REQUIRE(file.dataset_info("/model/1/bias").dtype == io::DType::f32);
  REQUIRE(file.exists("/optimizer"));
  REQUIRE(file.read<std::int64_t>("/step").data == std::vector<std::int64_t>{3});
  REQUIRE(file.exists("/meta"));
  // Exact values: the stored weights are the model's bits.
  REQUIRE(file.read<float>("/model/0/weight").data.front() == net.parameters().front().data<float>()[0]);
}

TEST_CASE("checkpoint: a model of another shape is refused, naming the dataset", "[nn][checkpoint]") {
  anneal::test::TempDir dir;
  RandomStream init(1, 0);
  Mlp small({2, 3, 1}, Activation::tanh, init, DType::f64);
  Adam adam(small.parameters());
  save_checkpoint(dir / "c.h5", small, adam, {0, init.state()}, {"test", "{}", "cpu", {}});
  Mlp wide({2, 4, 1}, Activation::tanh, init, DType::f64);
  Adam adam2(wide.parameters());
  REQUIRE_THROWS_WITH(load_checkpoint(dir / "c.h5", wide, adam2),
                      Contains("c.h5") && Contains("/model/0/weight") && Contains("[2, 3]"));
}
