#include "nn/autograd.hpp"

#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "nn/ops.hpp"

namespace anneal::nn {
namespace {
thread_local bool recording = true;
}

bool grad_enabled() { return recording; }

Node::~Node() {
  std::vector<std::shared_ptr<Node>> pending;
  auto detach_inputs = [&pending](Node& node) {
    node.backward = nullptr;  // its captures may share the inputs: drop them first
    for (auto& in : node.inputs) {
      TensorImpl* impl = in.impl();
      // Only a node nobody else holds may be taken apart here; others live on.
      if (impl && in.impl_ptr().use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1)
        pending.push_back(std::move(impl->grad_fn));
    }
    node.inputs.clear();
  };
  detach_inputs(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    detach_inputs(*node);
  }  // each node dies here with no inputs left, so no recursion
}

NoGrad::NoGrad() : previous_(recording) { recording = false; }
NoGrad::~NoGrad() { recording = previous_; }
EnableGrad::EnableGrad() : previous_(recording) { recording = true; }
EnableGrad::~EnableGrad() { recording = previous_; }

Tensor record(Tensor output, std::vector<Tensor> inputs, BackwardFn backward, std::string name) {
  if (!recording) return output;
  bool needed = false;
  for (const auto& in : inputs) needed = needed || (in.defined() && in.requires_grad());
  if (!needed) return output;
  auto node = std::make_shared<Node>();
  node->name = std::move(name);
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  return output;
}

namespace {

// Tensors in an order where each comes after every tensor computed from it (reverse topological).
std::vector<TensorImpl*> order_from(TensorImpl* root) {
  std::vector<TensorImpl*> order;
  std::unordered_set<TensorImpl*> seen;
  // Iterative post-order DFS: deep networks would overflow a recursive one.
  std::vector<std::pair<TensorImpl*, std::size_t>> stack{{root, 0}};
  seen.insert(root);
  while (!stack.empty()) {
    auto& [impl, next] = stack.back();
    const Node* node = impl->grad_fn.get();
    if (node && next < node->inputs.size()) {
      TensorImpl* child = node->inputs[next++].impl();
      if (child && child->grad_fn && seen.insert(child).second) stack.emplace_back(child, 0);
      continue;
    }
    order.push_back(impl);
    stack.pop_back();
  }
  std::reverse(order.begin(), order.end());
  return order;
}

void accumulate(std::unordered_map<TensorImpl*, Tensor>& grads, TensorImpl* impl, const Tensor& g) {
  auto it = grads.find(impl);
  if (it == grads.end()) {
    grads.emplace(impl, g);
  } else {
    it->second = add(it->second, g);
  }
}

// Runs the tape; `sink` receives each leaf's total gradient, and that of each tensor in `targets`
// (intermediate tensors whose gradient is asked for) once it is complete.
template <class Sink>
void propagate(const Tensor& root, const Tensor& root_grad, Sink&& sink,
               const std::unordered_set<TensorImpl*>& targets = {}) {
  ANNEAL_CHECK(root.requires_grad(), "backward() on a tensor that does not require gradients");
  ANNEAL_CHECK(root_grad.shape() == root.shape(), "backward(): gradient of shape {} for a tensor of shape {}",
               to_string(root_grad.shape()), to_string(root.shape()));
  NoGrad no_record;
  std::unordered_map<TensorImpl*, Tensor> grads;
  grads.emplace(root.impl(), root_grad);
  if (!root.grad_fn()) {
    sink(root.impl(), root_grad);
    return;
  }
  for (TensorImpl* impl : order_from(root.impl())) {
    auto it = grads.find(impl);
    if (it == grads.end()) continue;  // no path to the root
    const Tensor g = it->second;
    grads.erase(it);
    if (targets.count(impl)) sink(impl, g);  // complete: every consumer came earlier in the order
    const Node& node = *impl->grad_fn;
    std::vector<Tensor> input_grads = node.backward(g);
    ANNEAL_ASSERT(input_grads.size() == node.inputs.size());
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      const Tensor& in = node.inputs[i];
      if (!in.defined() || !in.requires_grad() || !input_grads[i].defined()) continue;
      ANNEAL_CHECK(input_grads[i].shape() == in.shape(), "internal error: op '{}' gave a gradient of shape {} for an "
                   "input of shape {}", node.name, to_string(input_grads[i].shape()), to_string(in.shape()));
      if (in.grad_fn()) {
        accumulate(grads, in.impl(), input_grads[i]);
      } else {
        sink(in.impl(), input_grads[i]);
      }
    }
  }
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& root_grad) {
  propagate(root, root_grad, [](TensorImpl* leaf, const Tensor& g) {
    // Gradients accumulate across backward calls until zero_grad().
    leaf->grad = leaf->grad.defined() ? add(leaf->grad, g) : g.to(leaf->dtype);
  });
}

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs) {
  ANNEAL_CHECK(output.numel() == 1, "grad(): the output must be a scalar, it has shape {}", to_string(output.shape()));
  return grad(output, inputs, Tensor::ones(output.shape(), output.dtype()));
}

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& output_grad) {
  std::unordered_map<TensorImpl*, Tensor> found;
  std::unordered_set<TensorImpl*> targets;
  for (const auto& in : inputs)
    if (in.defined() && in.grad_fn()) targets.insert(in.impl());
  propagate(output, output_grad, [&](TensorImpl* t, const Tensor& g) {
    auto it = found.find(t);
    found[t] = it == found.end() ? g : add(it->second, g);
  }, targets);
  std::vector<Tensor> result;
  for (const auto& in : inputs) {
    auto it = found.find(in.impl());
    result.push_back(it == found.end() ? Tensor::zeros(in.shape(), in.dtype()) : it->second);
  }
  return result;
}

}  // namespace anneal::nn
