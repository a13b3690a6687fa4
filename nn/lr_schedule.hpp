#pragma once
// Learning-rate schedules: the rate as a function of the 0-based step. They compose — a warm-up
// wraps the schedule that follows it — and apply() sets an optimizer's rate, so a training loop
// calls schedule.apply(optimizer, step) before optimizer.step().
#include <cstdint>
#include <memory>

namespace anneal::nn {

class Optimizer;

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double at(std::int64_t step) const = 0;  // step >= 0
  void apply(Optimizer& optimizer, std::int64_t step) const;
};

// Cosine annealing (Loshchilov & Hutter 2017, one cycle): from `initial` at step 0 to `minimum` at
// `total_steps`, lr(t) = min + (initial − min)(1 + cos(π t / T)) / 2; constant at `minimum` after.
class CosineSchedule : public LrSchedule {
 public:
  CosineSchedule(double initial, double minimum, std::int64_t total_steps);
  double at(std::int64_t step) const override;

 private:
  double initial_, minimum_;
  std::int64_t total_;
};

// Step decay: lr(t) = initial · γ^⌊t / step_size⌋.
class StepSchedule : public LrSchedule {
 public:
  StepSchedule(double initial, std::int64_t step_size, double gamma);
  double at(std::int64_t step) const override;

 private:
  double initial_;
  std::int64_t step_size_;
  double gamma_;
};

// Linear warm-up: from `start` at step 0 up to then(0) at step W = warmup_steps, then then(t − W).
// Warm-up followed by cosine: WarmupSchedule(W, std::make_shared<CosineSchedule>(peak, min, T)).
class WarmupSchedule : public LrSchedule {
 public:
  WarmupSchedule(std::int64_t warmup_steps, std::shared_ptr<const LrSchedule> then, double start = 0.0);
  double at(std::int64_t step) const override;

 private:
  std::int64_t warmup_;
  std::shared_ptr<const LrSchedule> then_;
  double start_;
};

}  // namespace anneal::nn
