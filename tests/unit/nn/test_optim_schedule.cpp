// Learning-rate schedules and gradient clipping against their closed forms.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <memory>

#include "core/error.hpp"
#include "nn/grad_clip.hpp"
#include "nn/lr_schedule.hpp"
#include "nn/sgd.hpp"

using namespace anneal;
using namespace anneal::nn;

TEST_CASE("optim: cosine schedule runs from lr0 through the mean to lr_min", "[nn][optim]") {
  const CosineSchedule cosine(0.1, 0.001, 100);
  REQUIRE(cosine.at(0) == Approx(0.1).epsilon(1e-15));
  REQUIRE(cosine.at(50) == Approx((0.1 + 0.001) / 2).epsilon(1e-14));
  REQUIRE(cosine.at(100) == Approx(0.001).epsilon(1e-15));
  REQUIRE(cosine.at(250) == Approx(0.001).epsilon(1e-15));  // stays at the floor
  // A quarter of the way: min + (lr0 − min)(1 + cos(π/4))/2.
  REQUIRE(cosine.at(25) == Approx(0.001 + 0.099 * (1 + std::sqrt(0.5)) / 2).epsilon(1e-14));
  for (std::int64_t t = 1; t <= 100; ++t) REQUIRE(cosine.at(t) < cosine.at(t - 1));
  REQUIRE_THROWS_AS(cosine.at(-1), Error);
  REQUIRE_THROWS_AS(CosineSchedule(0.1, 0.0, 0), Error);
}

TEST_CASE("optim: step decay multiplies by gamma every step_size steps", "[nn][optim]") {
  const StepSchedule decay(0.1, 30, 0.5);
  REQUIRE(decay.at(0) == 0.1);
  REQUIRE(decay.at(29) == 0.1);
  REQUIRE(decay.at(30) == Approx(0.05).epsilon(1e-15));
  REQUIRE(decay.at(59) == Approx(0.05).epsilon(1e-15));
  REQUIRE(decay.at(61) == Approx(0.025).epsilon(1e-15));
  REQUIRE(decay.at(300) == Approx(0.1 / 1024).epsilon(1e-15));
}

TEST_CASE("optim: linear warm-up ramps to the next schedule, then hands over", "[nn][optim]") {
  // Warm-up over 10 steps from 0, then cosine from 0.1 to 0.001 over 100 steps.
  const WarmupSchedule schedule(10, std::make_shared<CosineSchedule>(0.1, 0.001, 100));
  REQUIRE(schedule.at(0) == 0.0);
  REQUIRE(schedule.at(1) == Approx(0.01).epsilon(1e-15));
  REQUIRE(schedule.at(5) == Approx(0.05).epsilon(1e-15));
  REQUIRE(schedule.at(9) == Approx(0.09).epsilon(1e-15));
  REQUIRE(schedule.at(10) == Approx(0.1).epsilon(1e-15));
  REQUIRE(schedule.at(60) == Approx(0.0505).epsilon(1e-14));
  REQUIRE(schedule.at(110) == Approx(0.001).epsilon(1e-15));
  // From a non-zero start: 0.02 + (0.1 − 0.02)·t/4.
  const WarmupSchedule from(4, std::make_shared<StepSchedule>(0.1, 10, 0.1), 0.02);
  REQUIRE(from.at(0) == Approx(0.02).epsilon(1e-15));
  REQUIRE(from.at(2) == Approx(0.06).epsilon(1e-15));
  REQUIRE(from.at(4) == Approx(0.1).epsilon(1e-15));
  REQUIRE(from.at(14) == Approx(0.01).epsilon(1e-15));
  // apply() sets an optimizer's rate.
  Tensor p = Tensor::zeros({1}, DType::f64);
  p.set_requires_grad(true);
  Sgd sgd({p});
  schedule.apply(sgd, 5);
  REQUIRE(sgd.learning_rate() == Approx(0.05).epsilon(1e-15));
  REQUIRE_THROWS_AS(WarmupSchedule(5, nullptr), Error);
}

TEST_CASE("optim: clip_grad_norm scales to the global norm and returns the norm before", "[nn][optim]") {
  for (DType dtype : {DType::f64, DType::f32}) {
    INFO(to_string(dtype));
    const double tol = dtype == DType::f64 ? 1e-15 : 1e-7;
    // Gradients (3, 0) and (0, 0, 4) spread over two parameters: global norm 5.
    Tensor a = Tensor::zeros({2}, dtype), b = Tensor::zeros({3}, dtype), c = Tensor::zeros({1}, dtype);
    a.set_requires_grad(true);
    b.set_requires_grad(true);
    c.set_requires_grad(true);  // no gradient: skipped
    a.set_grad(Tensor::from_vector({3, 0}, {2}, dtype));
    b.set_grad(Tensor::from_vector({0, 0, 4}, {3}, dtype));
    REQUIRE(grad_norm({a, b, c}) == Approx(5).epsilon(tol));
    REQUIRE(clip_grad_norm({a, b, c}, 10.0) == Approx(5).epsilon(tol));  // below the threshold: untouched
    REQUIRE(a.grad().to_vector() == std::vector<double>{3, 0});
    REQUIRE(b.grad().to_vector() == std::vector<double>{0, 0, 4});
    REQUIRE(clip_grad_norm({a, b, c}, 1.0) == Approx(5).epsilon(tol));
    REQUIRE(a.grad().to_vector()[0] == Approx(0.6).epsilon(tol));
    REQUIRE(a.grad().to_vector()[1] == 0);
    REQUIRE(b.grad().to_vector()[2] == Approx(0.8).epsilon(tol));
    REQUIRE(grad_norm({a, b}) == Approx(1).epsilon(tol));
    REQUIRE_FALSE(c.grad().defined());

    b.set_grad(Tensor::from_vector({0, std::numeric_limits<double>::quiet_NaN(), 0}, {3}, dtype));
    REQUIRE_THROWS_AS(clip_grad_norm({a, b}, 1.0), Error);
  }
}
