#include "physics/lpinn/training.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/timer.hpp"
#include "io/hdf5_file.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"
#include "nn/lbfgs.hpp"
#include "nn/lr_schedule.hpp"

namespace anneal::physics::lpinn {
namespace {

// n points evenly over [lo, hi]; `closed` includes hi (a periodic axis does not repeat lo).
std::vector<double> axis(double lo, double hi, std::int64_t n, bool closed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  const double denom = closed ? static_cast<double>(std::max<std::int64_t>(n - 1, 1)) : static_cast<double>(n);
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = lo + (hi - lo) * static_cast<double>(i) / denom;
  return v;
}

std::unique_ptr<nn::LrSchedule> make_schedule(const OptimizerOptions& o) {
  switch (o.schedule) {
    case ScheduleKind::cosine:
      return std::make_unique<nn::CosineSchedule>(o.learning_rate, o.min_learning_rate, o.adam_steps);
    case ScheduleKind::step: return std::make_unique<nn::StepSchedule>(o.learning_rate, o.decay_every, o.decay_rate);
    case ScheduleKind::constant: break;
  }
  return nullptr;
}

template <class T>
void write_vector(io::H5File& file, const std::string& path, const std::vector<T>& v) {
  file.write<T>(path, std::span<const T>(v.data(), v.size()), {v.size()});
}

template <class T>
std::vector<T> read_vector(const io::H5File& file, const std::string& path) {
  return file.exists(path) ? file.read<T>(path).data : std::vector<T>{};
}

}  // namespace

void write_history(io::H5File& file, const History& h, const std::string& root) {
  write_vector(file, root + "/step", h.step);
  write_vector(file, root + "/loss", h.loss);
  write_vector(file, root + "/seconds", h.seconds);
  write_vector(file, root + "/learning_rate", h.learning_rate);
  for (const auto& [name, values] : h.terms) write_vector(file, root + "/terms/" + name, values);
  write_vector(file, root + "/monitor_step", h.monitor_step);
  write_vector(file, root + "/monitor_seconds", h.monitor_seconds);
  write_vector(file, root + "/monitor_error", h.monitor_error);
  file.set_attribute(root, "about",
                     std::string("one row per Adam step or L-BFGS chunk; step counts Adam steps then L-BFGS "
                                 "iterations; terms are unweighted; monitor_error is the relative L2 error"));
}

History read_history(const io::H5File& file, const std::string& root) {
  History h;
  h.step = read_vector<std::int64_t>(file, root + "/step");
  h.loss = read_vector<double>(file, root + "/loss");
  h.seconds = read_vector<double>(file, root + "/seconds");
  h.learning_rate = read_vector<double>(file, root + "/learning_rate");
  const std::string prefix = root + "/terms/";
  for (const auto& dataset : file.datasets())
    if (dataset.rfind(prefix, 0) == 0) h.terms.emplace_back(dataset.substr(prefix.size()), file.read<double>(dataset).data);
  h.monitor_step = read_vector<std::int64_t>(file, root + "/monitor_step");
  h.monitor_seconds = read_vector<double>(file, root + "/monitor_seconds");
  h.monitor_error = read_vector<double>(file, root + "/monitor_error");
  ANNEAL_CHECK(h.loss.size() == h.step.size() && h.seconds.size() == h.step.size(),
               "'{}': the training history's columns differ in length", root);
  return h;
}

Trainer::Trainer(Model& model, TrainOptions options, io::Provenance provenance, Monitor monitor)
    : model_(model),
      options_(std::move(options)),
      provenance_(std::move(provenance)),
      monitor_(std::move(monitor)),
      rng_(options_.seed, 7) {
  const auto& c = options_.collocation;
  ANNEAL_CHECK(c.nx > 0 && c.nt > 0, "training: no collocation points ({} × {}); set collocation nx and nt > 0",
               c.nx, c.nt);
  ANNEAL_CHECK(c.sampling == Sampling::grid || c.resample_every >= 1, "training: resample_every must be ≥ 1");
  const bool soft = model.options().constraints == Constraints::soft;
  ANNEAL_CHECK(!soft || c.initial_points > 0, "training: soft constraints need initial_points > 0");
  ANNEAL_CHECK(!soft || model.problem().periodic || c.boundary_points > 0,
               "training: soft constraints on a Dirichlet domain need boundary_points > 0");
  const auto& o = options_.optimizer;
  ANNEAL_CHECK(o.adam_steps >= 0 && o.lbfgs_iterations >= 0 && o.adam_steps + o.lbfgs_iterations > 0,
               "training: nothing to do (adam_steps {} and lbfgs_iterations {})", o.adam_steps, o.lbfgs_iterations);
  ANNEAL_CHECK(o.learning_rate > 0, "training: the learning rate must be > 0");
  ANNEAL_CHECK(o.lbfgs_chunk >= 1 && o.lbfgs_history >= 1, "training: lbfgs_chunk and lbfgs_history must be ≥ 1");
  ANNEAL_CHECK(options_.checkpoint_every == 0 || !options_.checkpoint.empty(),
               "training: checkpoint_every is set but no checkpoint file is");
}

std::int64_t Trainer::total_steps() const {
  return options_.optimizer.adam_steps + options_.optimizer.lbfgs_iterations;
}

void Trainer::restore(const std::filesystem::path& checkpoint) {
  const auto file = io::H5File::open_read(checkpoint);
  ANNEAL_CHECK(file.exists("/step"), "'{}' is not a training checkpoint (no /step)", checkpoint.string());
  restored_from_ = checkpoint;
  step_ = file.read<std::int64_t>("/step").data.front();  // which phase, hence which optimizer, to restore
  history_ = read_history(file, "/history");
  seconds_before_ = history_.seconds.empty() ? 0.0 : history_.seconds.back();
}

Batch Trainer::draw_batch(RandomStream& rng) {
  const Problem& p = model_.problem();
  const auto& c = options_.collocation;
  Batch batch;
  if (c.sampling == Sampling::grid) {
    // Interior x (a periodic axis has no duplicate end; Dirichlet walls are not interior).
    std::vector<double> xs = p.periodic ? axis(p.x_min, p.x_max, c.nx, false)
                                        : axis(p.x_min, p.x_max, c.nx + 2, true);
    if (!p.periodic) xs = std::vector<double>(xs.begin() + 1, xs.end() - 1);
    const std::vector<double> ts = axis(0, p.t_end, c.nt, true);
    for (double t : ts)
      for (double x : xs) {
        batch.interior.x.push_back(x);
        batch.interior.t.push_back(t);
      }
  } else {
    for (std::int64_t i = 0; i < c.nx * c.nt; ++i) {
      batch.interior.x.push_back(p.x_min + p.length() * rng.uniform());
      batch.interior.t.push_back(p.t_end * rng.uniform());
    }
  }
  if (model_.options().constraints == Constraints::soft) {
    batch.initial.x = axis(p.x_min, p.x_max, c.initial_points, !p.periodic);
    batch.initial.t.assign(batch.initial.x.size(), 0.0);
    if (!p.periodic)
      for (double t : axis(0, p.t_end, c.boundary_points, true))
        for (double x : {p.x_min, p.x_max}) {
          batch.boundary.x.push_back(x);
          batch.boundary.t.push_back(t);
        }
  }
  return batch;
}

double Trainer::evaluate(const Batch& batch, bool backward) {
  const Losses losses = model_.loss(batch);
  if (backward) losses.total.backward();
  last_terms_.clear();
  for (const auto& [name, value] : losses.terms) last_terms_.emplace_back(name, value.item());
  return losses.total.item();
}

void Trainer::record(double loss, double learning_rate) {
  history_.step.push_back(step_);
  history_.loss.push_back(loss);
  history_.learning_rate.push_back(learning_rate);
  if (history_.terms.empty())
    for (const auto& [name, value] : last_terms_) history_.terms.emplace_back(name, std::vector<double>{});
  for (auto& [name, values] : history_.terms) {
    const auto it = std::find_if(last_terms_.begin(), last_terms_.end(), [&](const auto& t) { return t.first == name; });
    values.push_back(it == last_terms_.end() ? 0.0 : it->second);
  }
}

void Trainer::save(const nn::Optimizer& optimizer) {
  nn::save_checkpoint(options_.checkpoint, model_, optimizer, {step_, rng_.state()}, provenance_,
                      [&](io::H5File& file) { write_history(file, history_, "/history"); });
}

TrainSummary Trainer::run() {
  const auto& o = options_.optimizer;
  const std::int64_t total = total_steps();
  std::unique_ptr<nn::Adam> adam;
  std::unique_ptr<nn::Lbfgs> lbfgs;
  auto make_lbfgs = [&] {
    nn::LbfgsOptions lo;
    lo.max_iterations = o.lbfgs_chunk;
    lo.history_size = o.lbfgs_history;
    lo.tolerance_grad = o.lbfgs_tolerance_grad;
    lo.tolerance_change = o.lbfgs_tolerance_change;
    lo.max_line_search_evaluations = 25;
    lbfgs = std::make_unique<nn::Lbfgs>(model_.parameters(), lo);
  };
  if (step_ < o.adam_steps || o.lbfgs_iterations == 0)
    adam = std::make_unique<nn::Adam>(model_.parameters(), nn::AdamOptions{.learning_rate = o.learning_rate});
  else
    make_lbfgs();
  if (!restored_from_.empty()) {
    nn::Optimizer& optimizer = adam ? static_cast<nn::Optimizer&>(*adam) : *lbfgs;
    const nn::TrainingState state = nn::load_checkpoint(restored_from_, model_, optimizer);
    step_ = state.step;
    rng_ = RandomStream(state.rng);
    log::info("resuming from '{}' at step {} of {}", restored_from_.string(), step_, total);
  }

  Progress::Options progress_options;
  if (!options_.progress) progress_options.live = 0, progress_options.line_interval_s = 1e30;
  Progress progress(fmt::format("{} train", to_string(model_.options().method)), total, progress_options);
  Stopwatch clock;
  double monitor_seconds = 0;  // excluded from the training time
  auto elapsed = [&] { return seconds_before_ + clock.seconds() - monitor_seconds; };
  auto maybe_monitor = [&](bool force) {
    if (!monitor_ || (!force && (options_.evaluate_every <= 0 || step_ % options_.evaluate_every != 0))) return;
    Stopwatch m;
    const double error = monitor_(model_);
    history_.monitor_step.push_back(step_);
    history_.monitor_seconds.push_back(elapsed());
    history_.monitor_error.push_back(error);
    monitor_seconds += m.seconds();
  };
  auto maybe_checkpoint = [&](const nn::Optimizer& optimizer, bool force) {
    if (options_.checkpoint.empty()) return;
    if (force || (options_.checkpoint_every > 0 && step_ % options_.checkpoint_every == 0)) save(optimizer);
  };

  const auto schedule = make_schedule(o);
  TrainSummary summary;
  summary.stop = "completed";
  double loss = history_.loss.empty() ? NAN : history_.loss.back();
  Batch batch = draw_batch(rng_);
  std::int64_t drawn_at = step_;

  // ---- Adam
  while (adam && step_ < o.adam_steps) {
    if (options_.collocation.sampling == Sampling::random && step_ - drawn_at >= options_.collocation.resample_every) {
      batch = draw_batch(rng_);
      drawn_at = step_;
    }
    if (schedule) schedule->apply(*adam, step_);
    adam->zero_grad();
    loss = evaluate(batch, true);
    ANNEAL_CHECK(std::isfinite(loss), "training diverged: the loss is {} at Adam step {}", loss, step_);
    adam->step();
    record(loss, adam->learning_rate());
    ++step_;
    history_.seconds.push_back(elapsed());
    progress.update(step_, fmt::format("loss {:.3e}", loss));
    maybe_monitor(false);
    if (step_ < o.adam_steps || o.lbfgs_iterations == 0) maybe_checkpoint(*adam, false);
  }
  if (adam && o.lbfgs_iterations == 0) maybe_checkpoint(*adam, true);

  // ---- L-BFGS, on a fixed set of points (its line search needs one objective)
  if (o.lbfgs_iterations > 0) {
    if (!lbfgs) make_lbfgs();
    adam.reset();
    // Its own stream: a run resumed inside L-BFGS draws the same points as the uninterrupted one.
    if (options_.collocation.sampling == Sampling::random) {
      RandomStream lbfgs_points(options_.seed, 8);
      batch = draw_batch(lbfgs_points);
    }
    const std::int64_t end = o.adam_steps + o.lbfgs_iterations;
    const auto closure = [&] {
      lbfgs->zero_grad();
      const double value = evaluate(batch, true);
      ANNEAL_CHECK(std::isfinite(value), "training diverged: the loss is {} in L-BFGS at step {}", value, step_);
      return value;
    };
    while (step_ < end) {
      const std::int64_t before = step_;
      loss = lbfgs->step(closure);
      const auto& status = lbfgs->status();
      step_ += std::max<std::int64_t>(status.iterations, 1);
      step_ = std::min(step_, end);
      record(loss, lbfgs->learning_rate());
      history_.seconds.push_back(elapsed());
      progress.update(step_, fmt::format("loss {:.3e} (L-BFGS)", loss));
      // Once per multiple of evaluate_every that this chunk crossed (chunks may end early).
      if (options_.evaluate_every > 0 && step_ / options_.evaluate_every > before / options_.evaluate_every)
        maybe_monitor(true);
      if (status.converged || status.reason == nn::LbfgsStop::line_search_failed) {
        summary.stop = "L-BFGS: " + nn::to_string(status.reason);
        break;
      }
      if (step_ < end) maybe_checkpoint(*lbfgs, false);
    }
    maybe_checkpoint(*lbfgs, true);
  }
  if (monitor_ && (history_.monitor_step.empty() || history_.monitor_step.back() != step_)) maybe_monitor(true);
  progress.finish(fmt::format("loss {:.3e}", loss));
  summary.steps = step_;
  summary.seconds = elapsed();
  summary.final_loss = loss;
  return summary;
}

}  // namespace anneal::physics::lpinn
