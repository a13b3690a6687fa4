#include "nn/lr_schedule.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "nn/optimizer.hpp"

namespace anneal::nn {

namespace {
void check_rate(double value, const char* what) {
  ANNEAL_CHECK(std::isfinite(value) && value >= 0, "learning-rate schedule: {} must be finite and >= 0, got {}", what,
               value);
}
void check_step(std::int64_t step) {
  ANNEAL_CHECK(step >= 0, "learning-rate schedule: step must be >= 0, got {}", step);
}
}  // namespace

void LrSchedule::apply(Optimizer& optimizer, std::int64_t step) const { optimizer.set_learning_rate(at(step)); }

CosineSchedule::CosineSchedule(double initial, double minimum, std::int64_t total_steps)
    : initial_(initial), minimum_(minimum), total_(total_steps) {
  check_rate(initial, "the initial rate");
  check_rate(minimum, "the minimum rate");
  ANNEAL_CHECK(total_steps > 0, "cosine schedule: total_steps must be > 0, got {}", total_steps);
}

double CosineSchedule::at(std::int64_t step) const {
  check_step(step);
  if (step >= total_) return minimum_;
  const double phase = std::numbers::pi * static_cast<double>(step) / static_cast<double>(total_);
  return minimum_ + (initial_ - minimum_) * 0.5 * (1 + std::cos(phase));
}

StepSchedule::StepSchedule(double initial, std::int64_t step_size, double gamma)
    : initial_(initial), step_size_(step_size), gamma_(gamma) {
  check_rate(initial, "the initial rate");
  ANNEAL_CHECK(step_size > 0, "step schedule: step_size must be > 0, got {}", step_size);
  ANNEAL_CHECK(std::isfinite(gamma) && gamma > 0, "step schedule: gamma must be finite and > 0, got {}", gamma);
}

double StepSchedule::at(std::int64_t step) const {
  check_step(step);
  return initial_ * std::pow(gamma_, static_cast<double>(step / step_size_));
}

WarmupSchedule::WarmupSchedule(std::int64_t warmup_steps, std::shared_ptr<const LrSchedule> then, double start)
    : warmup_(warmup_steps), then_(std::move(then)), start_(start) {
  ANNEAL_CHECK(warmup_steps >= 0, "warm-up schedule: warmup_steps must be >= 0, got {}", warmup_steps);
  ANNEAL_CHECK(then_ != nullptr, "warm-up schedule: the schedule after the warm-up is missing");
  check_rate(start, "the start rate");
}

double WarmupSchedule::at(std::int64_t step) const {
  check_step(step);
  if (step >= warmup_) return then_->at(step - warmup_);
  const double target = then_->at(0);
  return start_ + (target - start_) * static_cast<double>(step) / static_cast<double>(warmup_);
}

}  // namespace anneal::nn
