// Optimizer state for checkpoints: restoring state() into a fresh optimizer continues bit for bit.
#include <catch2/catch.hpp>
#include <functional>
#include <memory>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "nn/adam.hpp"
#include "nn/diffgrad.hpp"
#include "nn/lbfgs.hpp"
#include "nn/ops.hpp"
#include "nn/sgd.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

// A small least-squares fit with two parameters of different shapes: loss = Σ (X w + b − y)².
struct Fit {
  Tensor x, y;
  explicit Fit(RandomStream& rng)
      : x(Tensor::randn({8, 3}, rng, DType::f64)), y(Tensor::randn({8, 2}, rng, DType::f64)) {}
  double loss(std::vector<Tensor>& p) const {
    for (auto& t : p) t.zero_grad();
    const Tensor l = sum(square(matmul(x, p[0]) + p[1] - y));
    l.backward();
    return l.item();
  }
};

std::vector<Tensor> fresh_parameters(const std::vector<Tensor>& values) {
  std::vector<Tensor> out;
  for (const auto& v : values) {
    Tensor t = Tensor::empty(v.shape(), v.dtype());
    t.copy_(v);
    t.set_requires_grad(true);
    out.push_back(t);
  }
  return out;
}

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

// Runs `before` steps, snapshots, runs `after` more (run A); then restores parameters and state into a
// fresh optimizer and runs `after` steps (run B). Returns {A's parameters, B's, a fresh optimizer's
// without the restored state}.
std::vector<std::vector<double>> resume(const Factory& make, int before, int after) {
  RandomStream rng(3, 1);
  const Fit fit(rng);
  std::vector<Tensor> params =
      fresh_parameters({Tensor::randn({3, 2}, rng, DType::f64), Tensor::zeros({2}, DType::f64)});
  auto run = [&](Optimizer& opt, std::vector<Tensor>& p, int steps) {
    for (int k = 0; k < steps; ++k) opt.step([&] { return fit.loss(p); });
  };
  auto flatten = [](const std::vector<Tensor>& p) {
    std::vector<double> v;
    for (const auto& t : p) {
      const auto e = t.to_vector();
      v.insert(v.end(), e.begin(), e.end());
    }
    return v;
  };

  auto a = make(params);
  run(*a, params, before);
  const NamedTensors saved = a->state();
  std::vector<Tensor> at_save = fresh_parameters(params);
  std::vector<Tensor> cold = fresh_parameters(params);
  run(*a, params, after);

  auto b = make(at_save);
  b->load_state(saved);
  REQUIRE(b->step_count() == before);
  run(*b, at_save, after);

  auto c = make(cold);
  run(*c, cold, after);
  return {flatten(params), flatten(at_save), flatten(cold)};
}

}  // namespace

TEST_CASE("optim: Adam resumes bit for bit from state()", "[nn][optim]") {
  const Factory make = [](std::vector<Tensor> p) {
    return std::make_unique<Adam>(std::move(p), AdamOptions{.learning_rate = 0.05});
  };
  const auto runs = resume(make, 3, 2);
  REQUIRE(runs[0] == runs[1]);  // bit-identical
  REQUIRE(runs[0] != runs[2]);  // and the state mattered: a cold start differs
}

TEST_CASE("optim: SGD, AdamW, diffGrad and L-BFGS resume bit for bit from state()", "[nn][optim]") {
  const std::vector<std::pair<const char*, Factory>> kinds = {
      {"sgd",
       [](std::vector<Tensor> p) {
         return std::make_unique<Sgd>(std::move(p), SgdOptions{.learning_rate = 0.01, .momentum = 0.9});
       }},
      {"adamw",
       [](std::vector<Tensor> p) {
         return std::make_unique<AdamW>(std::move(p), AdamOptions{.learning_rate = 0.05, .weight_decay = 0.1});
       }},
      {"diffgrad",
       [](std::vector<Tensor> p) {
         return std::make_unique<DiffGrad>(std::move(p), AdamOptions{.learning_rate = 0.05});
       }},
      {"lbfgs",
       [](std::vector<Tensor> p) {
         return std::make_unique<Lbfgs>(std::move(p), LbfgsOptions{.max_iterations = 2, .history_size = 3});
       }},
  };
  for (const auto& [name, make] : kinds) {
    INFO(name);
    const auto runs = resume(make, 3, 2);
    REQUIRE(runs[0] == runs[1]);
    REQUIRE(runs[0] != runs[2]);
  }
}

TEST_CASE("optim: load_state refuses a foreign or damaged state and changes nothing", "[nn][optim]") {
  Tensor p = Tensor::from_vector({1, 2}, {2}, DType::f64);
  p.set_requires_grad(true);
  Adam adam({p}, {.learning_rate = 0.1});
  p.set_grad(Tensor::from_vector({0.5, -0.5}, {2}, DType::f64));
  adam.step();
  const NamedTensors good = adam.state();
  REQUIRE(good.size() == 5);  // step, learning_rate, t/0, m/0, v/0

  Sgd sgd({p}, {.momentum = 0.9});
  REQUIRE_THROWS_AS(sgd.load_state(good), Error);  // Adam's moments are not SGD's

  Adam other({p}, {.learning_rate = 0.3});
  NamedTensors damaged = good;
  damaged.back().second = Tensor::zeros({3}, DType::f64);  // v/0 of the wrong shape
  REQUIRE_THROWS_AS(other.load_state(damaged), Error);
  NamedTensors missing(good.begin(), good.end() - 1);
  REQUIRE_THROWS_AS(other.load_state(missing), Error);
  REQUIRE(other.step_count() == 0);  // nothing was half-restored
  REQUIRE(other.learning_rate() == 0.3);
  for (const auto& [name, t] : other.state())
    if (name != "learning_rate")
      REQUIRE(t.to_vector() == std::vector<double>(static_cast<std::size_t>(t.numel()), 0.0));

  other.load_state(good);
  REQUIRE(other.step_count() == 1);
  REQUIRE(other.learning_rate() == 0.1);
  // state() is a snapshot: later steps do not change what was saved.
  const double m_saved = good[3].second.to_vector()[0];
  adam.step();
  REQUIRE(good[3].second.to_vector()[0] == m_saved);
}
