"""The PyTorch side of bench/lpinn: the same pinn and lpinn as anneal's physics/lpinn (periodic
convection, (cos x, sin x, τ) encoding, hard initial constraint, speed-scaled characteristic
branch), on the same collocation grid, trained the way anneal trains them.

Usage:
  torch_peer.py step  METHOD BETA DTYPE THREADS STEPS      one JSON line: {"times": [s per Adam step]}
  torch_peer.py train METHOD BETA DTYPE THREADS ADAM LBFGS one JSON line: rel_l2, seconds, history
Written the way a PyTorch user writes a PINN: derivatives by torch.autograd.grad(create_graph=True).
"""
import json
import math
import sys
import time

import torch

TWO_PI = 2 * math.pi
NX, NT = 64, 32          # collocation grid (anneal: [collocation] nx, nt)
EVAL_NX, EVAL_NT = 256, 100


def mlp(depth, width, dtype):
    layers, size = [], 3
    for _ in range(depth):
        layers += [torch.nn.Linear(size, width), torch.nn.Tanh()]
        size = width
    layers.append(torch.nn.Linear(size, 1))
    net = torch.nn.Sequential(*layers).to(dtype)
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return net


def encode(x, t):
    return torch.cat([torch.cos(x), torch.sin(x), 2 * t - 1], dim=1)


def collocation(dtype):
    x = torch.arange(NX, dtype=dtype) * TWO_PI / NX
    t = torch.linspace(0, 1, NT, dtype=dtype)
    tt, xx = torch.meshgrid(t, x, indexing="ij")
    return xx.reshape(-1, 1), tt.reshape(-1, 1)


class Pinn:
    def __init__(self, beta, dtype):
        self.beta, self.net = beta, mlp(4, 50, dtype)
        self.params = list(self.net.parameters())

    def u(self, x, t):
        return torch.sin(x) + t * self.net(encode(x, t))

    def loss(self, x, t):
        x = x.clone().requires_grad_(True)
        t = t.clone().requires_grad_(True)
        u = self.u(x, t)
        u_x, u_t = torch.autograd.grad(u.sum(), (x, t), create_graph=True)
        return ((u_t + self.beta * u_x) ** 2).mean()

    def predict(self, x, t):
        with torch.no_grad():
            return self.u(x, t)


class Lpinn:
    def __init__(self, beta, dtype):
        self.beta, self.d, self.s = beta, mlp(4, 50, dtype), mlp(4, 50, dtype)
        self.params = list(self.d.parameters()) + list(self.s.parameters())

    def position(self, x0, t):
        return x0 + self.beta * t * self.d(encode(x0, t))

    def state(self, x0, t):
        return torch.sin(x0) + t * self.s(encode(x0, t))

    def loss(self, x0, t):
        t = t.clone().requires_grad_(True)
        X, u = self.position(x0, t), self.state(x0, t)
        X_t, = torch.autograd.grad(X.sum(), t, create_graph=True)
        u_t, = torch.autograd.grad(u.sum(), t, create_graph=True)
        return (((X_t - self.beta) / self.beta) ** 2).mean() + (u_t ** 2).mean()

    def predict(self, x, t):
        """u at the Eulerian points: invert X(·, t) = x by Newton from x0 = x − βt (as anneal inverts)."""
        x0 = x - self.beta * t
        for _ in range(8):
            x0 = x0.detach().requires_grad_(True)
            X = self.position(x0, t)
            slope, = torch.autograd.grad(X.sum(), x0)
            x0 = x0 - (X - x) / slope
        with torch.no_grad():
            return self.state(x0, t)


def make(method, beta, dtype):
    torch.manual_seed(0)
    return Pinn(beta, dtype) if method == "pinn" else Lpinn(beta, dtype)


def rel_l2(model, beta, dtype):
    x = torch.arange(EVAL_NX, dtype=dtype) * TWO_PI / EVAL_NX
    t = torch.linspace(0, 1, EVAL_NT, dtype=dtype)
    tt, xx = torch.meshgrid(t, x, indexing="ij")
    xx, tt = xx.reshape(-1, 1), tt.reshape(-1, 1)
    u = model.predict(xx, tt)
    ref = torch.sin(xx - beta * tt)
    return float(torch.linalg.norm(u - ref) / torch.linalg.norm(ref))


def main():
    mode, method, beta, dtype_name, threads = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    torch.set_num_threads(threads)
    dtype = torch.float64 if dtype_name == "f64" else torch.float32
    model = make(method, beta, dtype)
    x, t = collocation(dtype)
    adam = torch.optim.Adam(model.params, lr=1e-3)

    def adam_step():
        adam.zero_grad()
        loss = model.loss(x, t)
        loss.backward()
        adam.step()
        return float(loss)

    if mode == "step":
        steps = int(sys.argv[6])
        for _ in range(5):
            adam_step()
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            adam_step()
            times.append(time.perf_counter() - start)
        print(json.dumps({"method": method, "threads": threads, "dtype": dtype_name, "times": times}))
        return

    adam_steps, lbfgs_iterations = int(sys.argv[6]), int(sys.argv[7])
    start = time.perf_counter()
    for _ in range(adam_steps):
        loss = adam_step()
    # L-BFGS as anneal runs it: history 50, strong-Wolfe line search, chunks of 10 iterations.
    lbfgs = torch.optim.LBFGS(model.params, lr=1, max_iter=10, history_size=50, line_search_fn="strong_wolfe",
                              tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        lbfgs.zero_grad()
        value = model.loss(x, t)
        value.backward()
        return value

    for _ in range(lbfgs_iterations // 10):
        loss = float(lbfgs.step(closure))
    seconds = time.perf_counter() - start
    print(json.dumps({"method": method, "beta": beta, "threads": threads, "dtype": dtype_name, "seconds": seconds,
                      "final_loss": loss, "rel_l2": rel_l2(model, beta, dtype)}))


if __name__ == "__main__":
    main()
