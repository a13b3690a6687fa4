#pragma once
// Reverse-mode automatic differentiation on a define-by-run tape (DESIGN.md §2). Each op that
// takes inputs requiring gradients records a Node: its inputs and a backward function mapping the
// gradient of its output to the gradients of its inputs. Backward functions are written with the
// same tensor ops, run with recording off: first-order reverse mode. Derivatives with respect to a
// network's inputs (PINN residuals) come from forward jets instead (nn/jet.hpp).
#include <functional>
#include <string>
#include <vector>

#include "nn/tensor.hpp"

namespace anneal::nn {

using BackwardFn = std::function<std::vector<Tensor>(const Tensor& output_grad)>;

struct Node {
  std::string name;             // the op, for error messages
  std::vector<Tensor> inputs;   // gradients flow to those that require them
  BackwardFn backward;          // returns one gradient per input (undefined: none)
  // Releases the graph behind this node iteratively: a chain of 10⁵ ops would overflow the stack
  // if each node's destruction destroyed the next one recursively.
  ~Node();
};

// Whether ops record the tape on this thread (on by default).
bool grad_enabled();

// Recording is off while this lives (evaluation, optimizer steps, backward functions).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

// Recording is on while this lives, even inside a backward function: an implicit layer's backward
// builds the graph of its map at the fixed point to take vector-Jacobian products of it.
class EnableGrad {
 public:
  EnableGrad();
  ~EnableGrad();
  EnableGrad(const EnableGrad&) = delete;
  EnableGrad& operator=(const EnableGrad&) = delete;

 private:
  bool previous_;
};

// Attaches `backward` to `output` if recording is on and any input requires gradients.
// Every op ends with this; it is also the custom-op API (implicit layers register an adjoint solve).
Tensor record(Tensor output, std::vector<Tensor> inputs, BackwardFn backward, std::string name);

// Runs reverse mode from `root` with gradient `root_grad`, accumulating into the leaves' grad().
void run_backward(const Tensor& root, const Tensor& root_grad);

// Gradients of `output` (a scalar) with respect to `inputs` (leaves or intermediate tensors),
// returned rather than accumulated.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs);
// Vector-Jacobian products: the gradients of ⟨output, output_grad⟩ with respect to `inputs`, for an
// output of any shape. The graph behind `output` is kept, so it may be called again (an adjoint
// solve takes one product per iteration).
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& output_grad);

}  // namespace anneal::nn
