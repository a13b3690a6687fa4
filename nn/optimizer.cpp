#include "nn/optimizer.hpp"

#include <tbb/parallel_for.h>

#include <cmath>
#include <unordered_set>

#include "core/error.hpp"

namespace anneal::nn {

Tensor snapshot(const Tensor& t) {
  Tensor copy = Tensor::empty(t.shape(), t.dtype());
  copy.copy_(t);
  return copy;
}

Optimizer::Optimizer(std::vector<Tensor> parameters, double learning_rate)
    : parameters_(std::move(parameters)), learning_rate_(learning_rate) {
  ANNEAL_CHECK(!parameters_.empty(), "an optimizer needs at least one parameter, it was given none");
  std::unordered_set<const TensorImpl*> seen;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Tensor& p = parameters_[i];
    ANNEAL_CHECK(p.defined(), "optimizer parameter {} is an undefined tensor", i);
    ANNEAL_CHECK(p.is_leaf() && p.requires_grad(),
                 "optimizer parameter {} (shape {}) must be a leaf tensor with set_requires_grad(true)", i,
                 to_string(p.shape()));
    // A parameter listed twice would be updated twice per step.
    ANNEAL_CHECK(seen.insert(p.impl()).second, "optimizer parameter {} is listed twice", i);
  }
  set_learning_rate(learning_rate);
}

Optimizer::~Optimizer() = default;

double Optimizer::step(const std::function<double()>& closure) {
  const double loss = closure();
  step();
  return loss;
}

void Optimizer::zero_grad() {
  for (Tensor p : parameters_) p.zero_grad();
}

void Optimizer::set_learning_rate(double learning_rate) {
  ANNEAL_CHECK(std::isfinite(learning_rate) && learning_rate >= 0, "learning rate must be finite and >= 0, got {}",
               learning_rate);
  learning_rate_ = learning_rate;
}

Tensor Optimizer::gradient(std::size_t i) const {
  const Tensor& p = parameters_[i];
  Tensor g = p.grad();
  if (!g.defined()) return g;
  ANNEAL_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype(),
               "the gradient of optimizer parameter {} is {} {}, the parameter is {} {}", i, to_string(g.dtype()),
               to_string(g.shape()), to_string(p.dtype()), to_string(p.shape()));
  return g;
}

std::vector<Tensor> Optimizer::zeros_like_parameters() const {
  std::vector<Tensor> out;
  out.reserve(parameters_.size());
  for (const auto& p : parameters_) out.push_back(Tensor::zeros(p.shape(), p.dtype()));
  return out;
}

void Optimizer::export_buffers(NamedTensors& out, const std::string& prefix, const std::vector<Tensor>& buffers) {
  for (std::size_t i = 0; i < buffers.size(); ++i)
    out.emplace_back(prefix + "/" + std::to_string(i), snapshot(buffers[i]));
}

void Optimizer::for_each_block(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body) {
  constexpr std::int64_t grain = 1 << 14;  // below this, threads cost more than they give
  if (n < 2 * grain) {
    body(0, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

NamedTensors Optimizer::state() const {
  // f64 holds step counts exactly up to 2^53.
  return {{"step", Tensor::scalar(static_cast<double>(step_count_), DType::f64)},
          {"learning_rate", Tensor::scalar(learning_rate_, DType::f64)}};
}

void Optimizer::load_state(const NamedTensors& state) {
  StateReader reader(state, "optimizer");
  read_base_state(reader);
  reader.commit();
}

void Optimizer::read_base_state(StateReader& reader) {
  reader.read("step", step_count_);
  const double lr = reader.peek("learning_rate");
  ANNEAL_CHECK(std::isfinite(lr) && lr >= 0, "optimizer state: learning_rate is {}, not a finite value >= 0", lr);
  reader.read("learning_rate", learning_rate_);
}

// ---- StateReader

Optimizer::StateReader::StateReader(const NamedTensors& state, std::string optimizer)
    : state_(state), optimizer_(std::move(optimizer)), used_(state.size(), false) {}

const Tensor& Optimizer::StateReader::find(const std::string& name) {
  for (std::size_t i = 0; i < state_.size(); ++i) {
    if (state_[i].first != name) continue;
    ANNEAL_CHECK(state_[i].second.defined(), "{} state: entry '{}' is an undefined tensor", optimizer_, name);
    used_[i] = true;
    return state_[i].second;
  }
  ANNEAL_THROW("{} state: entry '{}' is missing (is the checkpoint from another optimizer?)", optimizer_, name);
}

double Optimizer::StateReader::peek(const std::string& name) {
  const Tensor& t = find(name);
  ANNEAL_CHECK(t.numel() == 1, "{} state: entry '{}' should hold one value, it has shape {}", optimizer_, name,
               to_string(t.shape()));
  return t.item();
}

void Optimizer::StateReader::read(const std::string& name, Tensor& target) {
  const Tensor& source = find(name);
  ANNEAL_CHECK(source.shape() == target.shape(), "{} state: entry '{}' has shape {}, expected {}", optimizer_, name,
               to_string(source.shape()), to_string(target.shape()));
  pending_.push_back([&target, source] { target.copy_(source); });
}

void Optimizer::StateReader::read(const std::string& name, double& target) {
  const double value = peek(name);
  pending_.push_back([&target, value] { target = value; });
}

void Optimizer::StateReader::read(const std::string& name, std::int64_t& target) {
  const double value = peek(name);
  ANNEAL_CHECK(value >= 0 && value <= 9007199254740992.0 && std::floor(value) == value,
               "{} state: entry '{}' is {}, expected a non-negative integer", optimizer_, name, value);
  pending_.push_back([&target, value] { target = static_cast<std::int64_t>(value); });
}

void Optimizer::StateReader::read_buffers(const std::string& prefix, std::vector<Tensor>& buffers) {
  for (std::size_t i = 0; i < buffers.size(); ++i) read(prefix + "/" + std::to_string(i), buffers[i]);
}

void Optimizer::StateReader::commit() {
  for (std::size_t i = 0; i < state_.size(); ++i) {
    ANNEAL_CHECK(used_[i],
                 "{} state: unexpected entry '{}' (is the checkpoint from another optimizer, or for "
                 "other parameters?)",
                 optimizer_, state_[i].first);
  }
  for (const auto& assign : pending_) assign();
  pending_.clear();
}

}  // namespace anneal::nn
