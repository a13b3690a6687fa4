#pragma once
// The base of anneal's optimizers (DESIGN.md §2). An optimizer holds handles to leaf parameters and
// updates their memory in place, off the tape, from the gradients that backward() left on them.
// Its state (step count, moments, ...) is a list of named tensors so that checkpoints store it under
// /optimizer/<name> (DESIGN.md §4) and a resumed run continues bit for bit.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
 public:
  // Every parameter must be a distinct leaf tensor that requires gradients.
  Optimizer(std::vector<Tensor> parameters, double learning_rate);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update from the parameters' current gradients. A parameter without a gradient is left
  // alone (it took no part in the loss), as are its moments.
  virtual void step() = 0;
  // Calls `closure` (zero grads, loss, backward; returns the loss), then step(); returns the loss.
  // L-BFGS overrides this: it evaluates the closure several times per step.
  virtual double step(const std::function<double()>& closure);

  void zero_grad();  // drops every parameter's gradient

  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double learning_rate);
  std::int64_t step_count() const { return step_count_; }  // completed step() calls
  const std::vector<Tensor>& parameters() const { return parameters_; }

  // Named copies of the state, e.g. {"step", "learning_rate", "m/0", "v/0", ...}: a snapshot that
  // later steps do not change. Index suffixes follow the order of parameters().
  virtual NamedTensors state() const;
  // Restores a state() of an optimizer of the same kind on parameters of the same shapes. Every
  // expected name must be present and no other; values are copied, the learning rate included.
  virtual void load_state(const NamedTensors& state);

 protected:
  // The gradient of parameter i, checked against it; undefined if backward() did not reach it.
  Tensor gradient(std::size_t i) const;
  void count_step() { ++step_count_; }

  // One zero tensor per parameter, of its shape and dtype: moment buffers.
  std::vector<Tensor> zeros_like_parameters() const;
  // Appends {prefix + "/" + i, copy of buffers[i]} to `out`.
  static void export_buffers(NamedTensors& out, const std::string& prefix, const std::vector<Tensor>& buffers);
  // Element-wise in place, so thread chunks never race: body(begin, end) over [0, n).
  static void for_each_block(std::int64_t n, const std::function<void(std::int64_t, std::int64_t)>& body);

  // Checks a state against what an optimizer expects, then restores it all at once: every read
  // checks at once and defers the copy to commit(), so a bad checkpoint leaves the optimizer as it was.
  class StateReader {
   public:
    StateReader(const NamedTensors& state, std::string optimizer);
    void read(const std::string& name, Tensor& target);  // same shape; dtype converted
    void read(const std::string& name, double& target);
    void read(const std::string& name, std::int64_t& target);                    // a non-negative integer value
    void read_buffers(const std::string& prefix, std::vector<Tensor>& buffers);  // prefix/0, prefix/1, ...
    double peek(const std::string& name);                                        // a one-element entry's value, now
    // Throws if an entry was never read (the state of another kind of optimizer), else assigns.
    void commit();

   private:
    const Tensor& find(const std::string& name);
    const NamedTensors& state_;
    std::string optimizer_;
    std::vector<bool> used_;
    std::vector<std::function<void()>> pending_;
  };
  // Reads the base entries, "step" and "learning_rate".
  void read_base_state(StateReader& reader);

 private:
  std::vector<Tensor> parameters_;
  double learning_rate_;
  std::int64_t step_count_ = 0;
};

// A copy of `t` with its own memory and no history.
Tensor snapshot(const Tensor& t);

}  // namespace anneal::nn
