// The anneal side of bench/nn: the workloads of torch_peer.py, timed the same way.
// Usage: bench_nn WORKLOAD DTYPE THREADS REPEATS -> one JSON line
//   {"workload", "dtype", "threads", "times": [seconds...], "flops": useful FLOPs per iteration}
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>

#include "core/error.hpp"
#include "core/mpi_env.hpp"
#include "core/rng.hpp"
#include "core/threads.hpp"
#include "nn/adam.hpp"
#include "nn/mlp.hpp"
#include "nn/ops.hpp"
#include "nn/ops_index.hpp"
#include "nn/conv.hpp"
#include "nn/linear.hpp"

using namespace anneal;
using namespace anneal::nn;

namespace {

struct Workload {
  std::function<void()> step;
  double flops = 0;  // useful floating-point operations per step (0: not counted)
};

// 4x50 tanh MLP, 10 000 points, convection-diffusion residual u_t + 0.7 u_x − 0.05 u_xx from one
// forward jet, squared mean, backward, Adam.
Workload pinn_step(DType dtype) {
  auto rng = std::make_shared<RandomStream>(0, 0);
  const std::vector<std::int64_t> sizes{2, 50, 50, 50, 50, 1};
  auto net = std::make_shared<Mlp>(sizes, Activation::tanh, *rng, dtype);
  auto adam = std::make_shared<Adam>(net->parameters(), AdamOptions{.learning_rate = 1e-3});
  const Tensor x = Tensor::uniform({10000, 2}, -1.0, 1.0, *rng, dtype);
  // Useful GEMM work: the value, u_x, u_t and u_xx streams through every layer forward (2 N a b
  // each), and twice that backward.
  double ab = 0;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) ab += static_cast<double>(sizes[i] * sizes[i + 1]);
  const double flops = 3 * 4 * 2 * 10000.0 * ab;
  return {[net, adam, x] {
            const Jet jet = net->forward_jet(x, {0, 1}, {0});  // u_x, u_t, u_xx: no u_tt
            const Tensor loss = mean(square(jet.first(1) + 0.7 * jet.first(0) - 0.05 * jet.second(0)));
            adam->zero_grad();
            loss.backward();
            adam->step();
          },
          flops};
}

// MLP 3x256 (ReLU), batch 4096, forward + backward.
Workload mlp(DType dtype) {
  auto rng = std::make_shared<RandomStream>(0, 1);
  auto net = std::make_shared<Mlp>(std::vector<std::int64_t>{256, 256, 256, 256}, Activation::relu, *rng, dtype);
  const Tensor x = Tensor::randn({4096, 256}, *rng, dtype);
  return {[net, x] {
            for (auto p : net->parameters()) p.zero_grad();
            mean(square(net->forward(x))).backward();
          },
          3 * 3 * 2 * 4096.0 * 256 * 256};
}

// 3-D CNN: 8 layers of 3x3x3 convolutions, 16 channels, on 64^3, forward + backward.
Workload conv3d(DType dtype) {
  auto rng = std::make_shared<RandomStream>(0, 4);
  auto layers = std::make_shared<std::vector<std::shared_ptr<Conv3d>>>();
  layers->push_back(std::make_shared<Conv3d>(1, 16, 3, *rng, dtype));
  for (int i = 0; i < 6; ++i) layers->push_back(std::make_shared<Conv3d>(16, 16, 3, *rng, dtype));
  layers->push_back(std::make_shared<Conv3d>(16, 1, 3, *rng, dtype));
  const Tensor x = Tensor::randn({1, 1, 64, 64, 64}, *rng, dtype);
  // Multiply-adds of the 8 layers, forward (x1) and backward (x2: input and weight gradients).
  const double voxels = 64.0 * 64 * 64, per_tap = 27;
  const double flops = 3 * 2 * voxels * per_tap * (1 * 16 + 6 * 16 * 16 + 16 * 1);
  return {[layers, x] {
            Tensor h = x;
            for (std::size_t i = 0; i < layers->size(); ++i) {
              for (auto p : (*layers)[i]->parameters()) p.zero_grad();
              h = (*layers)[i]->forward(h);
              if (i + 1 < layers->size()) h = relu(h);
            }
            mean(square(h)).backward();
          },
          flops};
}

// 100 000 nodes, 500 000 edges, 64 features: edge MLP on [h_src, h_dst], sum into dst, node update.
Workload message_passing(DType dtype) {
  auto rng = std::make_shared<RandomStream>(0, 3);
  const std::int64_t n = 100'000, e = 500'000, f = 64;
  Tensor h = Tensor::randn({n, f}, *rng, dtype);
  h.set_requires_grad(true);
  auto src = std::make_shared<Index>(), dst = std::make_shared<Index>();
  for (std::int64_t i = 0; i < e; ++i) {
    src->push_back(static_cast<std::int64_t>(rng->uniform_int(static_cast<std::uint64_t>(n))));
    dst->push_back(static_cast<std::int64_t>(rng->uniform_int(static_cast<std::uint64_t>(n))));
  }
  auto edge = std::make_shared<Linear>(2 * f, f, *rng, dtype), node = std::make_shared<Linear>(2 * f, f, *rng, dtype);
  // Useful GEMM work: the two linear layers, forward and backward.
  const double flops = 3 * 2.0 * (static_cast<double>(e) + static_cast<double>(n)) * 2 * f * f;
  return {[h, src, dst, edge, node] {
            Tensor hh = h;
            hh.zero_grad();
            for (auto p : edge->parameters()) p.zero_grad();
            for (auto p : node->parameters()) p.zero_grad();
            const Tensor m = relu(edge->forward(concat({index_select(h, 0, *src), index_select(h, 0, *dst)}, 1)));
            const Tensor agg = scatter_add(m, *dst, h.size(0));
            mean(square(node->forward(concat({h, agg}, 1)))).backward();
          },
          flops};
}

Workload gemm(DType dtype) {
  auto rng = std::make_shared<RandomStream>(0, 2);
  const Tensor a = Tensor::randn({2048, 2048}, *rng, dtype), b = Tensor::randn({2048, 2048}, *rng, dtype);
  return {[a, b] { (void)matmul(a, b); }, 2.0 * 2048 * 2048 * 2048};
}

const std::map<std::string, std::function<Workload(DType)>> kWorkloads{
    {"pinn_step", pinn_step}, {"mlp", mlp}, {"message_passing", message_passing}, {"conv3d", conv3d},
    {"gemm", gemm}};

}  // namespace

int main(int argc, char** argv) {
  try {
    ANNEAL_CHECK(argc == 5, "usage: bench_nn WORKLOAD DTYPE THREADS REPEATS");
    const std::string name = argv[1], dtype_name = argv[2];
    const int threads = std::stoi(argv[3]), repeats = std::stoi(argv[4]);
    auto it = kWorkloads.find(name);
    ANNEAL_CHECK(it != kWorkloads.end(), "unknown workload '{}'", name);
    ANNEAL_CHECK(dtype_name == "f32" || dtype_name == "f64", "dtype must be f32 or f64");
    ThreadLimit limit(threads);
    Workload w = it->second(dtype_name == "f32" ? DType::f32 : DType::f64);
    w.step();  // warm-up
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
      const auto start = std::chrono::steady_clock::now();
      w.step();
      times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::cout << nlohmann::json{{"workload", name}, {"dtype", dtype_name}, {"threads", threads}, {"times", times},
                                {"flops", w.flops}}.dump()
              << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_nn: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
