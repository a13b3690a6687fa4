#pragma once
// Modules: a named registry of parameters and sub-modules. Names are dotted paths
// ("layers.0.weight"); checkpoints store each parameter under /model/<path> (DESIGN.md §4).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter, with its path, in registration order (children after own parameters).
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  std::int64_t parameter_count() const;

 protected:
  // Registers a trainable leaf (requires_grad is set) and returns it.
  Tensor register_parameter(std::string name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }

 private:
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace anneal::nn
