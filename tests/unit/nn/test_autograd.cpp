// Autograd behaviour of nn/autograd.cpp: accumulation, zero_grad, NoGrad, shared subexpressions,
// detach, custom ops through record(), deep graphs, f32, dtype errors. Also checks that the gradient
// checker itself catches wrong gradients.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "nn/autograd.hpp"
#include "nn/ops.hpp"
#include "tests/unit/nn/gradcheck.hpp"

using namespace anneal::nn;
using anneal::test::gradcheck;
using anneal::test::max_rel_diff;
using anneal::test::randn64;
using anneal::test::require_gradcheck;

namespace {

// y = x³ by a plain loop, with a hand-written backward 3x² g: a custom op through record().
Tensor cube(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  const double* px = x.data<double>();
  double* py = y.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) py[i] = px[i] * px[i] * px[i];
  return record(y, {x}, [x](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, square(x)), 3.0)}; }, "cube");
}

// A custom op whose backward is wrong by a factor 2/3.
Tensor bad_cube(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  const double* px = x.data<double>();
  double* py = y.data<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) py[i] = px[i] * px[i] * px[i];
  return record(y, {x}, [x](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, square(x)), 2.0)}; }, "bad_cube");
}

// y_i = x_{n-1-i}, with a backward that forgets to reverse: correct under a plain sum of the
// outputs, wrong under any other weighting.
Tensor bad_reverse(const Tensor& x) {
  Tensor y = Tensor::empty(x.shape(), DType::f64);
  const std::int64_t n = x.numel();
  for (std::int64_t i = 0; i < n; ++i) y.data<double>()[i] = x.data<double>()[n - 1 - i];
  return record(y, {x}, [](const Tensor& g) { return std::vector<Tensor>{g}; }, "bad_reverse");
}

// Frees the graph behind `root` one node at a time (no recursion): each node's inputs and backward
// are moved out and dropped while this loop still holds their own nodes.
void release_iteratively(Tensor& root) {
  std::vector<std::shared_ptr<Node>> pending;
  if (root.defined() && root.grad_fn()) pending.push_back(root.grad_fn());
  root = Tensor();
  while (!pending.empty()) {
    const std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (const auto& in : node->inputs)
      if (in.defined() && in.grad_fn()) pending.push_back(in.grad_fn());
    const std::vector<Tensor> inputs = std::move(node->inputs);
    const BackwardFn backward = std::move(node->backward);
  }
}

struct ChildResult {
  bool exited = false;  // ended by exit(), not by a signal
  int code = -1;
  int signal = 0;
};

// Runs `body` in a forked child with its stack limited to `stack_bytes`, output discarded and
// default signal handling, so that a crash ends only the child.
ChildResult run_in_child(const std::function<int()>& body, std::size_t stack_bytes) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) std::signal(sig, SIG_DFL);
    rlimit limit{};
    if (getrlimit(RLIMIT_STACK, &limit) == 0) {
      const auto want = static_cast<rlim_t>(stack_bytes);
      if (limit.rlim_max == RLIM_INFINITY || want <= limit.rlim_max) limit.rlim_cur = want;
      setrlimit(RLIMIT_STACK, &limit);
    }
    int code = 3;
    try {
      code = body();
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  ChildResult r;
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return r;
}

}  // namespace

TEST_CASE("Gradients accumulate across backward calls until zero_grad", "[nn][autograd]") {
  Tensor x = randn64({3, 2}, 800).set_requires_grad(true);
  const Tensor loss = sum(mul(x, x));
  CHECK_FALSE(x.grad().defined());
  loss.backward();
  REQUIRE(x.grad().defined());
  const auto g1 = x.grad().to_vector();
  std::vector<double> want;
  for (double v : x.to_vector()) want.push_back(2 * v);
  CHECK(max_rel_diff(g1, want) <= 1e-15);

  loss.backward();  // the same graph again: the gradient doubles
  std::vector<double> doubled = g1;
  for (auto& v : doubled) v *= 2;
  CHECK(max_rel_diff(x.grad().to_vector(), doubled) <= 1e-15);

  sum(x).backward();  // a new graph adds its own gradient (ones)
  for (auto& v : doubled) v += 1;
  CHECK(max_rel_diff(x.grad().to_vector(), doubled) <= 1e-15);

  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  loss.backward();
  CHECK(max_rel_diff(x.grad().to_vector(), g1) <= 1e-15);
}

TEST_CASE("The accumulated gradient does not alias tensors of the graph", "[nn][autograd]") {
  // d(sum x)/dx is the root's ones broadcast; accumulating into it must not change anything else.
  Tensor x = randn64({4}, 801).set_requires_grad(true);
  Tensor y = randn64({4}, 802).set_requires_grad(true);
  const Tensor loss = sum(add(x, y));
  loss.backward();
  loss.backward();
  CHECK(x.grad().to_vector() == std::vector<double>(4, 2.0));
  CHECK(y.grad().to_vector() == std::vector<double>(4, 2.0));
}

TEST_CASE("grad() returns gradients without touching grad(), and zeros for unused inputs", "[nn][autograd]") {
  Tensor x = randn64({3}, 803).set_requires_grad(true);
  Tensor unused = randn64({2, 2}, 804).set_requires_grad(true);
  const auto g = grad(sum(exp(x)), {x, unused});
  REQUIRE(g.size() == 2);
  CHECK(max_rel_diff(g[0].to_vector(), exp(x.detach()).to_vector()) <= 1e-15);
  CHECK(g[1].shape() == Shape{2, 2});
  CHECK(g[1].to_vector() == std::vector<double>(4, 0.0));
  CHECK_FALSE(x.grad().defined());
  CHECK_THROWS_AS(grad(exp(x), {x}), anneal::Error);  // non-scalar output
}

TEST_CASE("NoGrad records nothing and restores the previous state", "[nn][autograd]") {
  Tensor x = randn64({3}, 805).set_requires_grad(true);
  REQUIRE(grad_enabled());
  {
    NoGrad outer;
    CHECK_FALSE(grad_enabled());
    const Tensor y = add(mul(x, x), exp(x));
    CHECK_FALSE(y.requires_grad());
    CHECK(y.grad_fn() == nullptr);
    CHECK(sum(matmul(x.reshape({1, 3}), x.reshape({3, 1}))).grad_fn() == nullptr);
    {
      NoGrad inner;
      CHECK_FALSE(grad_enabled());
    }
    CHECK_FALSE(grad_enabled());  // the inner scope restores "off", not "on"
    CHECK_THROWS_AS(y.backward(), anneal::Error);
  }
  CHECK(grad_enabled());
  const Tensor z = mul(x, x);
  CHECK(z.requires_grad());
  CHECK(z.grad_fn() != nullptr);
  // Ops of tensors that require no gradient record nothing either.
  const Tensor c = randn64({3}, 806);
  const Tensor cc = mul(c, c);
  CHECK_FALSE(cc.requires_grad());
  CHECK(cc.grad_fn() == nullptr);
}

TEST_CASE("A tensor used twice gets the sum of both paths", "[nn][autograd]") {
  Tensor x = randn64({5}, 807).set_requires_grad(true);
  const Tensor f = add(mul(x, x), x);  // f = x² + x, f' = 2x + 1
  const auto g = grad(sum(f), {x})[0].to_vector();
  std::vector<double> want;
  for (double v : x.to_vector()) want.push_back(2 * v + 1);
  CHECK(max_rel_diff(g, want) <= 1e-15);
  require_gradcheck([](const std::vector<Tensor>& in) { return add(mul(in[0], in[0]), in[0]); }, {x.detach().clone()});
  // A diamond: u = exp(x), f = u·sin(u) + u: paths through an intermediate used three times.
  require_gradcheck(
      [](const std::vector<Tensor>& in) {
        const Tensor u = exp(in[0]);
        return add(mul(u, sin(u)), u);
      },
      {randn64({4}, 808)});
  // Two inputs used in several places.
  require_gradcheck(
      [](const std::vector<Tensor>& in) { return div(mul(add(in[0], in[1]), in[0]), add(square(in[1]), 1.0)); },
      {randn64({3, 2}, 809), randn64({2}, 810)});
}

TEST_CASE("detach cuts the graph and shares data", "[nn][autograd]") {
  Tensor x = randn64({4}, 811).set_requires_grad(true);
  const Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.data<double>() == x.data<double>());
  // f = detach(x)·x: only the second factor carries gradient, df/dx = x.
  const auto g = grad(sum(mul(x.detach(), x)), {x})[0].to_vector();
  CHECK(max_rel_diff(g, x.to_vector()) <= 1e-15);
  // Detaching an intermediate stops everything below it.
  Tensor y = exp(x);
  const Tensor cut = mul(y.detach(), 2.0);
  CHECK_FALSE(cut.requires_grad());
  CHECK_THROWS_AS(sum(cut).backward(), anneal::Error);
  CHECK_THROWS_AS(y.set_requires_grad(false), anneal::Error);  // only leaves may stop requiring gradients
}

TEST_CASE("backward on a non-scalar needs an output gradient of its shape", "[nn][autograd]") {
  Tensor x = randn64({2, 3}, 812).set_requires_grad(true);
  const Tensor y = mul(x, 3.0);
  CHECK_THROWS_AS(y.backward(), anneal::Error);
  CHECK_THROWS_AS(y.backward(Tensor::ones({3, 2}, DType::f64)), anneal::Error);
  const Tensor w = randn64({2, 3}, 813);
  y.backward(w);
  std::vector<double> want = w.to_vector();
  for (auto& v : want) v *= 3;
  CHECK(max_rel_diff(x.grad().to_vector(), want) <= 1e-15);
  // A leaf root gets the output gradient itself.
  Tensor leaf = randn64({2}, 814).set_requires_grad(true);
  leaf.backward(Tensor::from_vector({1, 2}, {2}, DType::f64));
  CHECK(leaf.grad().to_vector() == std::vector<double>{1, 2});
}

TEST_CASE("A custom op through record() with a hand-written backward passes the gradient check", "[nn][autograd]") {
  const Tensor x = randn64({3, 4}, 815);
  const Tensor y = cube(x.detach().clone().set_requires_grad(true));
  CHECK(y.requires_grad());
  REQUIRE(y.grad_fn() != nullptr);
  CHECK(y.grad_fn()->name == "cube");
  require_gradcheck([](const std::vector<Tensor>& in) { return cube(in[0]); }, {x.detach().clone()});
  // Inside a larger graph.
  require_gradcheck([](const std::vector<Tensor>& in) { return tanh(mul(cube(sin(in[0])), in[0])); },
                    {x.detach().clone()});
  // record() of inputs that require nothing records nothing.
  CHECK(cube(x).grad_fn() == nullptr);
}

TEST_CASE("The gradient checker catches wrong gradients", "[nn][autograd][gradcheck]") {
  const auto wrong_scale = gradcheck([](const std::vector<Tensor>& in) { return bad_cube(in[0]); }, {randn64({5}, 816)});
  CHECK(wrong_scale.max_error > 0.1);
  // A plain sum of the outputs would see the same gradient here; the random weights do not.
  Tensor x = randn64({6}, 817).set_requires_grad(true);
  const auto plain = grad(sum(bad_reverse(x)), {x})[0].to_vector();
  CHECK(plain == std::vector<double>(6, 1.0));  // what a sum-only check would accept
  const auto permuted = gradcheck([](const std::vector<Tensor>& in) { return bad_reverse(in[0]); }, {randn64({6}, 818)});
  CHECK(permuted.max_error > 0.1);
  // A missing path (gradient reported as zero) is caught as well.
  const auto missing = gradcheck(
      [](const std::vector<Tensor>& in) { return add(in[0], in[0].detach()); }, {randn64({3}, 819)});
  CHECK(missing.max_error > 0.1);
}

TEST_CASE("A chain of 20000 ops runs backward without exhausting the stack", "[nn][autograd]") {
  Tensor x = Tensor::scalar(0.5, DType::f64).set_requires_grad(true);
  {
    Tensor y = x;
    for (int i = 0; i < 20000; ++i) y = add(y, 1e-6);
    CHECK(y.item() == Approx(0.52).epsilon(1e-10));  // 20000 roundings of up to 2^-54
    y.backward();
    REQUIRE(x.grad().defined());
    CHECK(x.grad().item() == Approx(1.0).epsilon(1e-15));
  }  // y and the 20000 nodes behind it are released here
  // A product chain: d/dx of x·(1+1e-6)^20000, through grad().
  x.zero_grad();
  {
    Tensor y = x;
    for (int i = 0; i < 20000; ++i) y = mul(y, 1.0 + 1e-6);
    const double factor = std::pow(1.0 + 1e-6, 20000);
    CHECK(y.item() == Approx(0.5 * factor).epsilon(1e-10));
    const auto g = grad(y, {x});
    CHECK(g[0].item() == Approx(factor).epsilon(1e-10));
  }
}

TEST_CASE("backward of a 20000-op chain fits in a 1 MiB stack", "[nn][autograd]") {
  // The same chain in a child process whose stack is limited to 1 MiB: backward (and the harness)
  // must not need stack in proportion to the depth. The graph is released by release_iteratively(),
  // so that only backward is measured here (the library's own release is tested below).
  const ChildResult r = run_in_child(
      [] {
        Tensor x = Tensor::scalar(0.5, DType::f64).set_requires_grad(true);
        Tensor y = x;
        for (int i = 0; i < 20000; ++i) y = mul(add(y, 1e-6), 1.0);
        y.backward();
        const int code = x.grad().item() == 1.0 ? 0 : 1;
        release_iteratively(y);
        return code;
      },
      std::size_t{1} << 20);
  INFO("child exit code " << r.code << ", signal " << r.signal);
  CHECK(r.exited);
  CHECK(r.code == 0);
}

// Regression: the graph used to be freed by recursion, ~TensorImpl -> ~shared_ptr<Node> -> ~Node ->
// ~vector<Tensor> inputs -> ~TensorImpl -> ..., a few frames per op. backward() was iterative, but
// dropping the output of a long chain overflowed the stack: at -O2 with the default 8 MiB stack near
// 150000 ops, and in the debug and asan presets already at 20000 (ASan: stack-overflow in
// Node::~Node). Here in a child process with a 1 MiB stack: exit 0 expected, SIGSEGV seen then.
TEST_CASE("Releasing a deep graph does not exhaust the stack", "[nn][autograd]") {
  const ChildResult r = run_in_child(
      [] {
        Tensor x = Tensor::scalar(0.5, DType::f64).set_requires_grad(true);
        Tensor y = x;
        for (int i = 0; i < 20000; ++i) y = add(y, 1e-6);
        y.backward();
        return x.grad().item() == 1.0 ? 0 : 1;
      },
      std::size_t{1} << 20);
  INFO("child exit code " << r.code << ", signal " << r.signal);
  CHECK(r.exited);
  CHECK(r.code == 0);
}

TEST_CASE("f32 forward of tanh and matmul agrees with f64 within 1e-5", "[nn][autograd][f32]") {
  const Tensor x64 = randn64({4, 6}, 820), w64 = randn64({6, 5}, 821), xb64 = randn64({3, 4, 6}, 822);
  // The f32 inputs, and the same values back in f64, so the comparison sees only f32 arithmetic.
  const Tensor x32 = x64.to(DType::f32), w32 = w64.to(DType::f32), xb32 = xb64.to(DType::f32);
  REQUIRE(x32.dtype() == DType::f32);
  const Tensor x = x32.to(DType::f64), w = w32.to(DType::f64), xb = xb32.to(DType::f64);

  const Tensor t32 = tanh(x32);
  REQUIRE(t32.dtype() == DType::f32);
  CHECK(max_rel_diff(t32.to_vector(), tanh(x).to_vector(), 1e-30) <= 1e-5);

  // Relative to Σ|x||w|, the scale of a dot product's rounding error.
  auto check_matmul = [](const Tensor& a32, const Tensor& b32, const Tensor& a, const Tensor& b) {
    const Tensor c32 = matmul(a32, b32);
    REQUIRE(c32.dtype() == DType::f32);
    const auto c = matmul(a, b).to_vector();
    const auto scale = matmul(abs(a), abs(b)).to_vector();
    const auto got = c32.to_vector();
    REQUIRE(got.size() == c.size());
    double worst = 0;
    for (std::size_t i = 0; i < c.size(); ++i) worst = std::max(worst, std::abs(got[i] - c[i]) / scale[i]);
    CHECK(worst <= 1e-5);
  };
  check_matmul(x32, w32, x, w);
  check_matmul(xb32, w32, xb, w);
  check_matmul(xb32, permute(xb32, {0, 2, 1}), xb, permute(xb, {0, 2, 1}));

  // f32 gradients flow and stay f32; a gradient through to() returns to the source dtype.
  Tensor p = x32.detach().clone().set_requires_grad(true);
  sum(tanh(p)).backward();
  REQUIRE(p.grad().defined());
  CHECK(p.grad().dtype() == DType::f32);
  std::vector<double> want;
  for (double v : x.to_vector()) want.push_back(1 - std::tanh(v) * std::tanh(v));
  CHECK(max_rel_diff(p.grad().to_vector(), want, 1e-30) <= 1e-5);
  Tensor q = x64.detach().clone().set_requires_grad(true);
  const auto gq = grad(sum(tanh(q.to(DType::f32))), {q})[0];
  CHECK(gq.dtype() == DType::f64);
  CHECK(max_rel_diff(gq.to_vector(), want, 1e-30) <= 1e-5);
}

TEST_CASE("Mixing dtypes in a binary op throws anneal::Error naming both dtypes", "[nn][autograd][f32]") {
  const Tensor a = Tensor::ones({2, 2}, DType::f32), b = Tensor::ones({2, 2}, DType::f64);
  // Catch v2 combined matchers hold references to their parts: keep the parts alive.
  const auto has_f32 = Catch::Contains("f32"), has_f64 = Catch::Contains("f64");
  const auto both = has_f32 && has_f64;
  CHECK_THROWS_WITH(add(a, b), both);
  CHECK_THROWS_WITH(sub(b, a), both);
  CHECK_THROWS_WITH(mul(a, b), both);
  CHECK_THROWS_WITH(div(a, b), both);
  CHECK_THROWS_WITH(pow(a, b), both);
  CHECK_THROWS_WITH(maximum(a, b), both);
  CHECK_THROWS_WITH(matmul(a, b), both);
  CHECK_THROWS_AS(add(a, b), anneal::Error);
  CHECK_THROWS_AS(matmul(b, a), anneal::Error);
  // Typed access with the wrong type is refused too.
  CHECK_THROWS_AS(a.data<double>(), anneal::Error);
  CHECK_THROWS_WITH(b.data<float>(), both);
}

// Regression: grad() used to hand only leaves to its sink (nn/autograd.cpp, propagate()), so
// grad(output, {h}) with an intermediate h silently returned zeros. For L = Σ h², h = exp(x):
// expected dL/dh = 2h, got zeros; grad(L, {L}) gave 0, not 1.
TEST_CASE("grad() with respect to an intermediate (non-leaf) tensor", "[nn][autograd]") {
  Tensor x = randn64({3}, 830).set_requires_grad(true);
  const Tensor h = exp(x);
  const Tensor loss = sum(mul(h, h));
  const auto g = grad(loss, {h, x});
  std::vector<double> want_h, want_x;
  for (double v : h.to_vector()) {
    want_h.push_back(2 * v);
    want_x.push_back(2 * v * v);
  }
  CHECK(max_rel_diff(g[1].to_vector(), want_x) <= 1e-14);
  CHECK(max_rel_diff(g[0].to_vector(), want_h) <= 1e-14);
  CHECK(grad(loss, {loss})[0].item() == 1.0);
}

namespace {

using UnaryOp = std::function<Tensor(const Tensor&)>;

// Whether dropping the output of op(x) frees the output, its node, and every reference to x.
void check_frees_graph(const std::string& name, const UnaryOp& op) {
  INFO(name);
  Tensor x = Tensor::full({3, 3}, 0.5, DType::f64).set_requires_grad(true);
  const long refs_before = x.impl_ptr().use_count();
  std::weak_ptr<TensorImpl> out;
  std::weak_ptr<Node> node;
  {
    const Tensor y = op(x);
    out = y.impl_ptr();
    node = y.grad_fn();
    REQUIRE_FALSE(node.expired());
  }
  CHECK(out.expired());
  CHECK(node.expired());
  CHECK(x.impl_ptr().use_count() == refs_before);
}

}  // namespace

TEST_CASE("Dropping an op's output frees its node and what the node holds", "[nn][autograd]") {
  const std::vector<std::pair<std::string, UnaryOp>> ops = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"square", [](const Tensor& x) { return square(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"sin", [](const Tensor& x) { return sin(x); }},
      {"cos", [](const Tensor& x) { return cos(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"normal_cdf", [](const Tensor& x) { return normal_cdf(x); }},
      {"pow double", [](const Tensor& x) { return pow(x, 2.5); }},
      {"add", [](const Tensor& x) { return add(x, x); }},
      {"sub", [](const Tensor& x) { return sub(x, x); }},
      {"mul", [](const Tensor& x) { return mul(x, x); }},
      {"maximum", [](const Tensor& x) { return maximum(x, x); }},
      {"sum", [](const Tensor& x) { return sum(x); }},
      {"mean", [](const Tensor& x) { return mean(x, {0}); }},
      {"max", [](const Tensor& x) { return max(x, 0); }},
      {"broadcast_to", [](const Tensor& x) { return broadcast_to(x, {2, 3, 3}); }},
      {"sum_to", [](const Tensor& x) { return sum_to(x, {1, 3}); }},
      {"matmul", [](const Tensor& x) { return matmul(x, x); }},
      {"permute", [](const Tensor& x) { return permute(x, {1, 0}); }},
      {"concat", [](const Tensor& x) { return concat({x, x}, 0); }},
      {"stack", [](const Tensor& x) { return stack({x, x}, 0); }},
      {"slice", [](const Tensor& x) { return slice(x, 0, 1, 2); }},
      {"reshape", [](const Tensor& x) { return x.reshape({-1}); }},
      {"clone", [](const Tensor& x) { return x.clone(); }},
      {"to", [](const Tensor& x) { return x.to(DType::f32); }},
      {"custom op", [](const Tensor& x) { return cube(x); }},
  };
  for (const auto& [name, op] : ops) check_frees_graph(name, op);
}

// Regression (memory leak): the backward lambdas of div, pow(Tensor, Tensor), exp, sqrt, tanh and
// sigmoid (and norm, through sqrt) captured the op's output Tensor, whose TensorImpl owns the Node
// that owns the lambda: a shared_ptr cycle. The output, its node and everything upstream (inputs,
// their storage, the leaves) were never freed, so every training step leaked its graph. Expected:
// output and node expire with the last Tensor; got: both alive, x's use_count raised.
TEST_CASE("Dropping the output of ops whose backward reads their output frees the graph",
          "[nn][autograd]") {
  const std::vector<std::pair<std::string, UnaryOp>> ops = {
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"div", [](const Tensor& x) { return div(x, x); }},
      {"pow tensor", [](const Tensor& x) { return pow(x, x); }},
      {"norm", [](const Tensor& x) { return norm(x); }},
  };
  for (const auto& [name, op] : ops) check_frees_graph(name, op);
}
