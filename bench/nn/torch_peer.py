"""The PyTorch side of bench/nn: the same workloads as bench_nn.cpp, timed the same way.

Usage: torch_peer.py WORKLOAD DTYPE THREADS REPEATS  -> one JSON line {"workload", "dtype", "threads",
"times": [seconds...], "flops": useful FLOPs per iteration or null}
"""
import json
import sys
import time

import torch


def pinn_step(dtype):
    """4x50 tanh MLP, 10 000 points, loss with u_t, u_x, u_xx by autograd.grad(create_graph=True), Adam."""
    torch.manual_seed(0)
    sizes = [2, 50, 50, 50, 50, 1]
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b).to(dtype), torch.nn.Tanh()]
    net = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    xt = torch.rand(10000, 2, dtype=dtype) * 2 - 1

    def step():
        x = xt.clone().requires_grad_(True)
        u = net(x)
        du = torch.autograd.grad(u.sum(), x, create_graph=True)[0]
        u_x, u_t = du[:, 0:1], du[:, 1:2]
        u_xx = torch.autograd.grad(u_x.sum(), x, create_graph=True)[0][:, 0:1]
        loss = ((u_t + 0.7 * u_x - 0.05 * u_xx) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def mlp(dtype):
    """MLP 3x256 (ReLU), batch 4096, forward + backward."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 256)).to(dtype)
    x = torch.randn(4096, 256, dtype=dtype)

    def step():
        net.zero_grad()
        (net(x) ** 2).mean().backward()
    return step


def conv3d(dtype):
    """8 layers x 16 channels, 3x3x3, 64^3, forward + backward (oneDNN in PyTorch)."""
    torch.manual_seed(0)
    layers = [torch.nn.Conv3d(1, 16, 3, padding=1)]
    for _ in range(6):
        layers += [torch.nn.ReLU(), torch.nn.Conv3d(16, 16, 3, padding=1)]
    layers += [torch.nn.ReLU(), torch.nn.Conv3d(16, 1, 3, padding=1)]
    net = torch.nn.Sequential(*layers).to(dtype)
    x = torch.randn(1, 1, 64, 64, 64, dtype=dtype)

    def step():
        net.zero_grad()
        (net(x) ** 2).mean().backward()
    return step


def message_passing(dtype):
    """100 000 nodes, 500 000 edges, 64 features: edge MLP on [h_src, h_dst], sum to dst, node update."""
    torch.manual_seed(0)
    n, e, f = 100_000, 500_000, 64
    h = torch.randn(n, f, dtype=dtype, requires_grad=True)
    src = torch.randint(0, n, (e,))
    dst = torch.randint(0, n, (e,))
    edge = torch.nn.Linear(2 * f, f).to(dtype)
    node = torch.nn.Linear(2 * f, f).to(dtype)

    def step():
        edge.zero_grad()
        node.zero_grad()
        h.grad = None
        m = torch.relu(edge(torch.cat([h[src], h[dst]], dim=1)))
        agg = torch.zeros(n, f, dtype=dtype).index_add_(0, dst, m)
        out = node(torch.cat([h, agg], dim=1))
        (out ** 2).mean().backward()
    return step


def gemm(dtype):
    """C = A B, 2048 x 2048 x 2048."""
    a = torch.randn(2048, 2048, dtype=dtype)
    b = torch.randn(2048, 2048, dtype=dtype)
    return lambda: torch.mm(a, b)


WORKLOADS = {"pinn_step": pinn_step, "mlp": mlp, "conv3d": conv3d, "message_passing": message_passing, "gemm": gemm}


def main():
    workload, dtype_name, threads, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    dtype = {"f32": torch.float32, "f64": torch.float64}[dtype_name]
    step = WORKLOADS[workload](dtype)
    step()  # warm-up: allocations, first-touch, lazy init
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"workload": workload, "dtype": dtype_name, "threads": threads, "times": times}))


if __name__ == "__main__":
    main()
