"""bench/cgs peers: the inference pass of a convergent graph solver (Park, Choo & Park, ICLR 2022)
in PyTorch, float64, the function anneal's physics/graph/cgs_model computes, with the weights of a
model `anneal cgs train` wrote (load_anneal_model) or with random ones (make_weights):

  h   = node_encoder(node_features)                         MLP [F, w, w]
  h  += φ_h([h, Σ_{e into j} φ_e([h_src, h_dst, e])])         `layers` residual rounds ("rounds.<r>"),
                                                              φ_e [2w+F', w, w], φ_h [2w, w, w]
  [a, c] = edge_map([h_src, h_dst, e])                        MLP [2w+F', w, 2H], a = first H columns
  A_e = (1 − 10⁻⁶) tanh(c_e) · softmax of a over the edges into dst(e)     contraction "softmax"
  A_e = (relu(a_e) − relu(a_e − 1)) / (edges into dst(e))                  contraction "clipped"
  b   = bias_map(h)                                           MLP [w, w, H]
  x_h = γ A_h x_h + b_h   per head h                          ((A_h)[dst, src] = A_e[h], repeats add)
  y   = decoder(x)                                            MLP [H, w, T], x alone (not [x, h])
  prediction = y · target_scale + target_mean                 (a loaded model; random weights: y)

MLPs: the model's activation (silu by default) between layers, none after the last; Linear is
x W + b with W stored [in, out]. Random weights: Xavier-uniform, biases zero (nn/init.hpp).

Model file (HDF5, nn/checkpoint + physics/graph/cgs_run.cpp): parameters under /model/<module path,
dots as groups>/{weight, bias}, e.g. /model/rounds/0/edge_mlp/1/weight; /architecture attribute
`json` (ModelOptions: kind, hidden, layers, activation, heads, gamma, contraction, node_in, edge_in,
target, ...), datasets /architecture/target_mean and /architecture/target_scale [T].

Two ways to solve the fixed point, the two a PyTorch user has:

- `cgs_forward_sparse`: the graph's sparsity, plain fixed-point (Picard) iteration from x₀ = b, all
  heads at once, A x by gather + index_add_ over the edges (or a block-diagonal torch.sparse CSR
  matrix, impl="csr"). Each head stops on its own, as in anneal's picard solver
  (solvers/implicit/linear_fixed_point.cpp, fixed_point_iteration.cpp): at the first k with
  ‖g(x) − x‖₂ ≤ tol · ‖g(x)‖₂, g(x) = γAx + b, returning g(x) (after max_iter maps, the last g(x));
  a head that has stopped is dropped from the iteration. Iterations reported: the most of any head.
- `cgs_forward_dense`: A materialised densely per head, [H, n, n] (the authors' code), one graph of
  the batch at a time, solved by torch.linalg.solve(I − γA, b); refuses when the dense matrices
  would pass a memory budget.

torch_scatter is not used: the segment softmax is scatter_reduce_("amax") + index_add_.

    /usr/bin/python3 bench/cgs/peers.py --time GRAPHS.h5 --model MODEL.h5 --variant sparse --threads 2 \\
        [--tol 1e-10 --max-iter 5000] [--predictions OUT.npy]          # one JSON line
    /usr/bin/python3 bench/cgs/peers.py --time GRAPHS.h5 --model MODEL.h5   # best of 1 and 2 threads
    /usr/bin/python3 bench/cgs/peers.py --time GRAPHS.h5 --heads 8 --hidden 32   # random weights

In Python: w = load_anneal_model("model.h5"); y, iters = cgs_forward_sparse(load_graph("g.h5"), weights=w)
gives the predictions in target units, the numbers `anneal cgs eval --forward-solver picard` writes
to /predictions, to rounding (measured: 2e-16 to 4e-14 relative, converged or stopped at the
same iteration cap; the dense variant against anneal's --forward-solver direct: 2e-16 to 4e-11).
"""

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings

import h5py
import numpy as np
import torch

DTYPE = torch.float64
GIB = 1024 ** 3
# scatter_reduce_ and sparse CSR are "beta" in torch 1.13 and say so on every first call.
warnings.filterwarnings("ignore", message=".*(scatter_reduce|Sparse CSR).*", category=UserWarning)


# ---------------------------------------------------------------------------------------- data


def load_graph(path):
    """One graph-batch HDF5 file (DESIGN.md §4) as numpy arrays with GLOBAL node ids.

    Returns a dict: node_features [N][F], edge_features [E][F'] or None, targets [N][T] or None,
    src and dst [E] (global ids: each graph's local ids shifted by its node offset), node_offsets
    [G+1], edge_offsets [G+1], positions [N][3] or None, nodes, edges, graphs, and the column names
    node_feature_names, edge_feature_names, target_names (None where the file has none).
    """
    with h5py.File(path, "r") as f:
        for name in ("/node_offsets", "/edge_offsets", "/edge_index", "/node_features"):
            if name not in f:
                raise ValueError(f"{path}: not a graph batch, {name} is missing")
        node_offsets = np.asarray(f["/node_offsets"][()], dtype=np.int64)
        edge_offsets = np.asarray(f["/edge_offsets"][()], dtype=np.int64)
        edge_index = np.asarray(f["/edge_index"][()], dtype=np.int64)
        node_features = np.asarray(f["/node_features"][()], dtype=np.float64)
        edge_features = np.asarray(f["/edge_features"][()], dtype=np.float64) if "/edge_features" in f else None
        targets = np.asarray(f["/targets"][()], dtype=np.float64) if "/targets" in f else None
        positions = np.asarray(f["/positions"][()], dtype=np.float64) if "/positions" in f else None
        names = {}
        for key in ("node_features", "edge_features", "targets"):  # JSON attribute `names` (io/graph_batch.cpp)
            if key in f and "names" in f[key].attrs:
                raw = f[key].attrs["names"]
                names[key] = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    graphs = len(node_offsets) - 1
    n, e = node_features.shape[0], edge_index.shape[0]
    if graphs < 1 or len(edge_offsets) != graphs + 1 or node_offsets[0] != 0 or node_offsets[-1] != n \
            or edge_offsets[0] != 0 or edge_offsets[-1] != e or edge_index.ndim != 2 or edge_index.shape[1] != 2:
        raise ValueError(f"{path}: offsets [G+1] from 0 to N = {n} and E = {e}, and edge_index [E][2], expected")
    if node_features.ndim == 1:
        node_features = node_features[:, None]
    if targets is not None and targets.ndim == 1:
        targets = targets[:, None]
    # Local ids -> global: edge k of graph g is shifted by node_offsets[g].
    graph_of_edge = np.repeat(np.arange(graphs), np.diff(edge_offsets))
    counts = np.diff(node_offsets)[graph_of_edge]
    if e and (edge_index.min() < 0 or np.any(edge_index >= counts[:, None])):
        raise ValueError(f"{path}: /edge_index holds ids outside their graph (ids are local to each graph)")
    shift = node_offsets[:-1][graph_of_edge]
    return {"node_features": node_features, "edge_features": edge_features, "targets": targets,
            "positions": positions, "src": edge_index[:, 0] + shift, "dst": edge_index[:, 1] + shift,
            "node_offsets": node_offsets, "edge_offsets": edge_offsets, "nodes": n, "edges": e, "graphs": graphs,
            "node_feature_names": names.get("node_features"), "edge_feature_names": names.get("edge_features"),
            "target_names": names.get("targets")}


# --------------------------------------------------------------------------------------- model

GATE_MARGIN = 1e-6  # δ of cgs_model.cpp: the softmax gate is (1 − δ) tanh(c)


def _softplus(x):
    # anneal's: x + log1p(e^{−x}) for x > 0, log1p(e^{x}) otherwise (torch's has a threshold at 20).
    return x.clamp_min(0) + torch.log1p(torch.exp(-x.abs()))


ACTIVATIONS = {  # nn/activation.cpp, by name
    "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "silu": torch.nn.functional.silu,
    "gelu": torch.nn.functional.gelu,  # exact (erf), as anneal's
    "softplus": _softplus, "sin": torch.sin, "identity": lambda x: x,
}


def _mlp(sizes, gen):
    """[(W [in, out], b [out])] Xavier-uniform weights, zero biases, as nn::Linear initialises them."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        w = (torch.rand(fan_in, fan_out, generator=gen, dtype=DTYPE) * 2 - 1) * bound
        layers.append((w, torch.zeros(fan_out, dtype=DTYPE)))
    return layers


def _apply(layers, x, activation="silu"):
    act = ACTIVATIONS[activation]
    for i, (w, b) in enumerate(layers):
        x = torch.addmm(b, x, w)
        if i + 1 < len(layers):
            x = act(x)
    return x


def make_weights(node_in, edge_in, target, heads=8, hidden=32, layers=2, seed=0, gamma=1.0, contraction="softmax",
                 activation="silu"):
    """Random weights of anneal's CGS architecture (the layout load_anneal_model returns)."""
    gen = torch.Generator().manual_seed(seed)
    w = hidden
    return {
        "node_encoder": _mlp([node_in, w, w], gen),
        "rounds": [(_mlp([2 * w + edge_in, w, w], gen), _mlp([2 * w, w, w], gen)) for _ in range(layers)],
        "edge_map": _mlp([2 * w + edge_in, w, 2 * heads], gen),
        "bias_map": _mlp([w, w, heads], gen),
        "decoder": _mlp([heads, w, target], gen),
        "heads": heads, "hidden": hidden, "layers": layers, "node_in": node_in, "edge_in": edge_in, "target": target,
        "gamma": gamma, "contraction": contraction, "activation": activation,
        "target_mean": None, "target_scale": None, "source": f"random (seed {seed})",
    }


def load_anneal_model(path):
    """The weights and options of a CGS model file written by `anneal cgs train`, in the layout
    make_weights returns (cgs_forward_sparse / cgs_forward_dense take it as `weights`), plus
    target_mean and target_scale [T] (tensors), so that the forward pass gives target units.

    Every parameter the architecture needs is read and its shape checked against the options; a file
    with other parameters under /model (another kind of model, an architecture this peer does not
    know) is refused rather than half read."""
    with h5py.File(path, "r") as f:
        if "architecture" not in f or "json" not in f["architecture"].attrs:
            raise ValueError(f"{path}: not a model written by `anneal cgs train` (no /architecture json)")
        raw = f["architecture"].attrs["json"]
        options = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        if options.get("kind") != "cgs":
            raise ValueError(f"{path}: a {options.get('kind')!r} model; this peer runs cgs models only")
        for key in ("hidden", "layers", "heads", "gamma", "contraction", "activation", "node_in", "edge_in", "target"):
            if key not in options:
                raise ValueError(f"{path}: /architecture json has no {key!r}")
        w, heads, edge_in = int(options["hidden"]), int(options["heads"]), int(options["edge_in"])
        node_in, target, layers = int(options["node_in"]), int(options["target"]), int(options["layers"])
        if options["activation"] not in ACTIVATIONS:
            raise ValueError(f"{path}: activation {options['activation']!r} unknown to this peer")
        if options["contraction"] not in ("softmax", "clipped"):
            raise ValueError(f"{path}: contraction {options['contraction']!r} unknown to this peer")
        seen = set()

        def mlp(name, sizes):
            layers_ = []
            for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                group = f"model/{name}/{i}"
                if group not in f:
                    raise ValueError(f"{path}: /{group} is missing")
                W = np.asarray(f[group + "/weight"][()], dtype=np.float64)
                b = np.asarray(f[group + "/bias"][()], dtype=np.float64)
                if W.shape != (fan_in, fan_out) or b.shape != (fan_out,):
                    raise ValueError(f"{path}: /{group} has weight {W.shape} and bias {b.shape}, expected "
                                     f"({fan_in}, {fan_out}) and ({fan_out},)")
                seen.update((group + "/weight", group + "/bias"))
                layers_.append((torch.from_numpy(W), torch.from_numpy(b)))
            return layers_

        weights = {
            "node_encoder": mlp("node_encoder", [node_in, w, w]),
            "rounds": [(mlp(f"rounds/{r}/edge_mlp", [2 * w + edge_in, w, w]), mlp(f"rounds/{r}/node_mlp", [2 * w, w, w]))
                       for r in range(layers)],
            "edge_map": mlp("edge_map", [2 * w + edge_in, w, 2 * heads]),
            "bias_map": mlp("bias_map", [w, w, heads]),
            "decoder": mlp("decoder", [heads, w, target]),
        }
        stored = []
        f["model"].visititems(lambda name, obj: stored.append("model/" + name) if isinstance(obj, h5py.Dataset) else None)
        extra = sorted(set(stored) - seen)
        if extra:
            raise ValueError(f"{path}: parameters this peer's CGS architecture does not have: {extra[:4]}")
        mean = np.asarray(f["architecture/target_mean"][()], dtype=np.float64).reshape(-1)
        scale = np.asarray(f["architecture/target_scale"][()], dtype=np.float64).reshape(-1)
        if mean.shape != (target,) or scale.shape != (target,):
            raise ValueError(f"{path}: target_mean {mean.shape} and target_scale {scale.shape}, expected ({target},)")
        names = {k: json.loads(v.decode() if isinstance(v, bytes) else v) for k, v in f["architecture"].attrs.items()
                 if k in ("node_features", "edge_features", "targets")}
    weights.update(heads=heads, hidden=w, layers=layers, node_in=node_in, edge_in=edge_in, target=target,
                   gamma=float(options["gamma"]), contraction=options["contraction"],
                   activation=options["activation"], target_mean=torch.from_numpy(mean),
                   target_scale=torch.from_numpy(scale), model_dtype=options.get("dtype", "f64"),
                   feature_names=names, source=os.path.abspath(path), options=options)
    return weights


def check_compatible(weights, graph, path="the graphs"):
    """Raises unless the graph batch has the features the weights were built for (as anneal cgs eval
    requires the same feature names; here the names are checked where the model file has them)."""
    f = graph["node_features"].shape[1]
    fe = 0 if graph["edge_features"] is None else graph["edge_features"].shape[1]
    if f != weights["node_in"] or fe != weights["edge_in"]:
        raise ValueError(f"{path}: {f} node and {fe} edge features; the model takes {weights['node_in']} and "
                         f"{weights['edge_in']}")
    names = weights.get("feature_names", {})
    for key, have in (("node_features", graph.get("node_feature_names")),
                      ("edge_features", graph.get("edge_feature_names"))):
        if key in names and have is not None and list(have) != list(names[key]):
            raise ValueError(f"{path}: {key} {have}, but the model was trained on {names[key]}")


def _tensors(graph):
    """The graph as torch tensors (converted once, outside any timing)."""
    def tensor(a):
        return None if a is None else torch.from_numpy(np.ascontiguousarray(a))

    t = {"x": tensor(graph["node_features"]), "src": tensor(graph["src"]), "dst": tensor(graph["dst"]),
         "e": tensor(graph["edge_features"]),
         "n": int(graph["nodes"]), "node_offsets": graph["node_offsets"], "edge_offsets": graph["edge_offsets"]}
    return t


def _edge_input(h, t):
    parts = [h.index_select(0, t["src"]), h.index_select(0, t["dst"])]
    if t["e"] is not None:
        parts.append(t["e"])
    return torch.cat(parts, 1)


def segment_softmax(a, index, n):
    """softmax of a [E, H] over the rows sharing index[e] (the edges into one node)."""
    idx = index[:, None].expand_as(a)
    peak = torch.full((n, a.shape[1]), -math.inf, dtype=a.dtype).scatter_reduce_(0, idx, a, "amax", include_self=True)
    ex = torch.exp(a - peak.index_select(0, index))
    total = torch.zeros((n, a.shape[1]), dtype=a.dtype).index_add_(0, index, ex)
    return ex / total.index_select(0, index)


def encode(weights, t):
    """The encoder's maps (CgsModel::maps): A [E, H] (‖A_h‖_∞ < 1), b [N, H] and the encoding h [N, w]."""
    act = weights.get("activation", "silu")
    h = _apply(weights["node_encoder"], t["x"], act)
    for phi_e, phi_h in weights["rounds"]:  # MessagePassing, sum aggregation, residual
        messages = _apply(phi_e, _edge_input(h, t), act)
        aggregated = torch.zeros((t["n"], messages.shape[1]), dtype=DTYPE).index_add_(0, t["dst"], messages)
        h = h + _apply(phi_h, torch.cat([h, aggregated], 1), act)
    logits = _apply(weights["edge_map"], _edge_input(h, t), act)
    heads = weights["heads"]
    a, c = logits[:, :heads], logits[:, heads:]
    if weights.get("contraction", "softmax") == "softmax":
        A = torch.tanh(c) * (1.0 - GATE_MARGIN) * segment_softmax(a, t["dst"], t["n"])
    else:  # clipped: clip(a, 0, 1) as anneal writes it, over the in-degree of dst
        count = torch.zeros(t["n"], dtype=DTYPE).index_add_(0, t["dst"], torch.ones(t["dst"].shape[0], dtype=DTYPE))
        A = (torch.relu(a) - torch.relu(a + (-1.0))) * (1.0 / count.index_select(0, t["dst"]))[:, None]
    return A, _apply(weights["bias_map"], h, act), h


def decode(weights, x):
    """decoder(x), in target units when the weights carry the target scaling."""
    y = _apply(weights["decoder"], x, weights.get("activation", "silu"))
    if weights.get("target_scale") is not None:
        y = y * weights["target_scale"] + weights["target_mean"]
    return y


def _picard(build, b, gamma, tol, max_iter):
    """x = γ A x + b from x₀ = b, every head (column) at once, each stopping on its own test as in
    anneal: at the first k with ‖g − x‖₂ ≤ tol ‖g‖₂ it keeps g and leaves the iteration (the rest go on
    over the remaining columns, rebuilt by build(columns) -> apply_a(x, out), which writes A x of those
    heads into out). Returns (x, the most map evaluations of any head, the worst final residual).
    Two iterates and one difference are kept, reallocated only when a head leaves (fresh tensors of
    this size cost a page fault per 4 KiB on every iteration)."""
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1, got {max_iter}")
    n, H = b.shape
    result = torch.empty_like(b)
    active = torch.arange(H)
    bb = b
    apply_a = build(active)
    x, g, diff = b.clone(), torch.empty_like(b), torch.empty_like(b)
    worst = 0.0
    for k in range(1, max_iter + 1):
        apply_a(x, g)
        g.mul_(gamma).add_(bb)
        torch.sub(g, x, out=diff)
        scale = torch.linalg.vector_norm(g, dim=0).clamp_min_(1e-300)
        residual = torch.linalg.vector_norm(diff, dim=0) / scale
        done = residual <= tol
        if k == max_iter:
            done = torch.ones_like(done)
        if bool(done.any()):
            worst = max(worst, float(residual[done].max()))
            result[:, active[done]] = g[:, done]
            keep = ~done
            if not bool(keep.any()):
                return result, k, worst
            active = active[keep]
            x = g[:, keep].contiguous()
            bb = b[:, active].contiguous()
            g, diff = torch.empty_like(x), torch.empty_like(x)
            apply_a = build(active)
        else:
            x, g = g, x
    raise AssertionError("unreachable: the last iteration ends every head")


def cgs_forward_sparse(graph, heads=8, hidden=32, gamma=None, tol=1e-10, max_iter=5000, seed=0, impl="index_add",
                       weights=None, tensors=None):
    """Prediction [N, T] (numpy; target units with a loaded model) and the fixed-point iteration
    count. graph: load_graph's dict; weights: load_anneal_model's or make_weights' (default: random of
    heads × hidden); gamma: default the weights' (a model's γ), else 1.
    impl: "index_add" (edges sorted by dst once per call, then per iteration gather x[src] into a
    kept [E, H] buffer, scale by A, index_add_ into dst: the fastest of the torch ways measured here)
    or "csr" (block-diagonal CSR matrix of all heads, torch.sparse.mm; about 4x slower at 10^5 nodes).
    Seconds of the encoder, the solve and the decoder go to cgs_forward_sparse.last_phases; A, b, h
    and x of the last call to cgs_forward_sparse.last_maps."""
    t, weights, gamma = _inputs(graph, tensors, weights, heads, hidden, seed, gamma)
    start = time.perf_counter()
    with torch.no_grad():
        A, b, h = encode(weights, t)
        encoded = time.perf_counter()
        n, H = b.shape
        if impl == "index_add":
            # Sorted destinations make index_add_ walk the output in order (about 2.5x faster at 10^5 nodes).
            order = torch.argsort(t["dst"])
            src, dst, w_all = t["src"][order], t["dst"][order], A[order]

            def build(cols):
                w = w_all if len(cols) == H else w_all[:, cols].contiguous()
                gathered = torch.empty_like(w)

                def apply_a(x, out):
                    torch.index_select(x, 0, src, out=gathered)
                    gathered.mul_(w)
                    out.zero_()
                    out.index_add_(0, dst, gathered)
                return apply_a
        elif impl == "csr":
            def build(cols):
                # Row dst·H' + h, column src·H' + h: x [N, H'] flattened row-major is the matching vector.
                k = len(cols)
                hh = torch.arange(k)
                rows = (t["dst"][:, None] * k + hh).reshape(-1)
                columns = (t["src"][:, None] * k + hh).reshape(-1)
                M = torch.sparse_coo_tensor(torch.stack([rows, columns]), A[:, cols].reshape(-1), (n * k, n * k))
                M = M.coalesce().to_sparse_csr()

                def apply_a(x, out):
                    out.copy_((M @ x.reshape(-1, 1)).reshape(n, k))
                return apply_a
        else:
            raise ValueError(f"impl: index_add or csr, not {impl!r}")
        x, iterations, residual = _picard(build, b, gamma, tol, max_iter)
        solved = time.perf_counter()
        y = decode(weights, x)
    done = time.perf_counter()
    cgs_forward_sparse.last_residual = residual
    cgs_forward_sparse.last_phases = {"encode": encoded - start, "solve": solved - encoded, "decode": done - solved}
    cgs_forward_sparse.last_maps = {"A": A, "b": b, "h": h, "x": x}
    return y.numpy(), iterations


def dense_bytes(graph, heads=8):
    """Bytes cgs_forward_dense holds at once: I − γA of the largest graph, [H, n, n], plus LU's copy."""
    n_max = int(np.diff(graph["node_offsets"]).max())
    return 2 * heads * n_max * n_max * 8


def cgs_forward_dense(graph, heads=8, hidden=32, gamma=None, seed=0, budget_bytes=4 * GIB, weights=None,
                      tensors=None):
    """As cgs_forward_sparse, with A dense per head and graph ([H, n, n]) and torch.linalg.solve.
    Returns (prediction, 1) or (None, reason) when the dense matrices would pass budget_bytes."""
    heads = weights["heads"] if weights is not None else heads
    need = dense_bytes(graph, heads)
    if need > budget_bytes:
        return None, (f"dense A would need {need / GIB:.1f} GiB (2 × {heads} heads × n² × 8 bytes, "
                      f"n = {int(np.diff(graph['node_offsets']).max())}) > budget {budget_bytes / GIB:.1f} GiB")
    t, weights, gamma = _inputs(graph, tensors, weights, heads, hidden, seed, gamma)
    start = time.perf_counter()
    with torch.no_grad():
        A, b, h = encode(weights, t)
        encoded = time.perf_counter()
        H = b.shape[1]
        x = torch.empty_like(b)
        no, eo = t["node_offsets"], t["edge_offsets"]
        for g in range(len(no) - 1):
            n0, n1, e0, e1 = int(no[g]), int(no[g + 1]), int(eo[g]), int(eo[g + 1])
            m = n1 - n0
            if m == 0:
                continue
            M = torch.zeros((H, m, m), dtype=DTYPE)
            dst, src = t["dst"][e0:e1] - n0, t["src"][e0:e1] - n0
            hh = torch.arange(H)[:, None].expand(H, e1 - e0)
            M.index_put_((hh, dst.expand(H, -1), src.expand(H, -1)), A[e0:e1].T.contiguous(), accumulate=True)
            M.mul_(-gamma).diagonal(dim1=1, dim2=2).add_(1.0)  # I − γA in place
            x[n0:n1] = torch.linalg.solve(M, b[n0:n1].T.unsqueeze(2)).squeeze(2).T
            del M
        solved = time.perf_counter()
        y = decode(weights, x)
    done = time.perf_counter()
    cgs_forward_dense.last_phases = {"encode": encoded - start, "solve": solved - encoded, "decode": done - solved}
    return y.numpy(), 1


def _inputs(graph, tensors, weights, heads, hidden, seed, gamma):
    """The graph as tensors, the weights (random ones of this size unless given) and γ (the model's unless given)."""
    t = tensors or _tensors(graph)
    weights = weights or _weights_for(graph, heads, hidden, seed)
    return t, weights, weights.get("gamma", 1.0) if gamma is None else gamma


def _weights_for(graph, heads, hidden, seed):
    edge_in = 0 if graph["edge_features"] is None else graph["edge_features"].shape[1]
    target = 1 if graph["targets"] is None else graph["targets"].shape[1]
    return make_weights(graph["node_features"].shape[1], edge_in, target, heads=heads, hidden=hidden, seed=seed)


# -------------------------------------------------------------------------------------- timing


def blas_libraries():
    """The BLAS/LAPACK shared objects this process has mapped (after a matmul), by real file name."""
    torch.ones(64, 64, dtype=DTYPE) @ torch.ones(64, 64, dtype=DTYPE)
    torch.linalg.solve(torch.eye(4, dtype=DTYPE), torch.ones(4, 1, dtype=DTYPE))
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path).lower()
                if any(k in base for k in ("blas", "lapack", "mkl")):
                    found.add(os.path.basename(os.path.realpath(path)))
    except OSError:
        pass
    return sorted(found) or ["unknown (torch: " + ("MKL" if torch.backends.mkl.is_available() else "no MKL") + ")"]


def _max_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def time_once(path, variant, threads, repeats=3, heads=8, hidden=32, gamma=None, tol=1e-10, max_iter=5000, seed=0,
              budget_bytes=4 * GIB, impl="index_add", model=None, predictions=None):
    """In this process: median seconds of `repeats` forward passes after one warm-up (graph loaded and
    weights read or drawn outside the timing). model: an anneal CGS model file (its weights, γ and
    contraction; heads, hidden and seed are then ignored); none: random weights. predictions: write
    the last pass's prediction [N, T] (target units with a model) there as .npy. gamma: default the
    model's, else 1. Returns the JSON-able record."""
    torch.set_num_threads(threads)
    graph = load_graph(path)
    tensors = _tensors(graph)
    if model is not None:
        weights = load_anneal_model(model)
        check_compatible(weights, graph, path)
    else:
        weights = _weights_for(graph, heads, hidden, seed)
    gamma = weights["gamma"] if gamma is None else gamma
    record = {"variant": variant, "impl": impl if variant == "sparse" else "linalg.solve", "threads": threads,
              "nodes": graph["nodes"], "edges": graph["edges"], "graphs": graph["graphs"],
              "model": weights["source"], "heads": weights["heads"], "hidden": weights["hidden"],
              "layers": weights["layers"], "activation": weights["activation"], "contraction": weights["contraction"],
              "gamma": gamma, "tol": tol, "max_iter": max_iter, "dtype": "f64", "torch": torch.__version__,
              "blas": blas_libraries()}
    if variant == "sparse":
        run = lambda: cgs_forward_sparse(graph, gamma=gamma, tol=tol, max_iter=max_iter, impl=impl,  # noqa: E731
                                         weights=weights, tensors=tensors)
    elif variant == "dense":
        run = lambda: cgs_forward_dense(graph, gamma=gamma, budget_bytes=budget_bytes,  # noqa: E731
                                        weights=weights, tensors=tensors)
    else:
        raise ValueError(f"variant: sparse or dense, not {variant!r}")
    rss_before = _max_rss_mb()
    y, iterations = run()
    if y is None:
        record.update(skipped=iterations, max_rss_mb=rss_before)
        return record
    forward = cgs_forward_sparse if variant == "sparse" else cgs_forward_dense
    runs, phases = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        y, iterations = run()
        runs.append(time.perf_counter() - start)
        phases.append(forward.last_phases)
    median_phase = {k: statistics.median(p[k] for p in phases) for k in phases[0]}
    residual = cgs_forward_sparse.last_residual if variant == "sparse" else None
    record.update(seconds=statistics.median(runs), runs=runs, iterations=iterations,
                  converged=None if residual is None else bool(residual <= tol),
                  encode_seconds=median_phase["encode"], solve_seconds=median_phase["solve"],
                  decode_seconds=median_phase["decode"], seconds_per_iteration=median_phase["solve"] / iterations,
                  residual=residual, prediction_checksum=float(np.abs(y).sum()), max_rss_mb=_max_rss_mb(),
                  rss_growth_mb=_max_rss_mb() - rss_before)
    if predictions is not None:
        with open(predictions, "wb") as out:  # the name as given (np.save(name) would add .npy)
            np.save(out, y)
        record["predictions"] = os.path.abspath(predictions)
    return record


def _env(threads):
    """torch.set_num_threads does not reach OpenBLAS's own pool: pin every pool (bench/nn/run_nn.py)."""
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def time_subprocess(path, variant, threads, repeats=3, extra=()):
    """One fresh process per timing (so that its ru_maxrss is this run's alone); its JSON record."""
    cmd = [sys.executable, os.path.abspath(__file__), "--time", str(path), "--variant", variant,
           "--threads", str(threads), "--repeats", str(repeats), *map(str, extra)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(threads))
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return {"variant": variant, "threads": threads, "error": lines[-1] if lines else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_peer(path, variant, repeats=3, model=None, tol=1e-10, max_iter=5000, predictions=None, threads=(1, 2),
              extra=()):
    """Median forward seconds at the faster of 1 and 2 threads (each in its own process), with the
    weights of the anneal model file `model` (random weights without one). The record of the faster
    run, with `by_threads` {threads: seconds} of all. predictions: the faster run's prediction [N, T]
    (target units with a model) is written there as .npy (every run writes its own beside it first)."""
    common = ["--tol", tol, "--max-iter", max_iter, *(["--model", model] if model is not None else []), *extra]
    results = []
    for t in threads:
        own = [] if predictions is None else ["--predictions", f"{predictions}.threads{t}.npy"]
        results.append(time_subprocess(path, variant, t, repeats, [*common, *own]))
    timed = [r for r in results if "seconds" in r]
    out = dict(min(timed, key=lambda r: r["seconds"])) if timed else dict(results[-1])
    out["by_threads"] = {str(r["threads"]): r.get("seconds", r.get("skipped", r.get("error"))) for r in results}
    if predictions is not None:
        for r in results:
            own = r.get("predictions")
            if own and os.path.exists(own):
                if "seconds" in r and r.get("threads") == out.get("threads"):
                    os.replace(own, predictions)
                    out["predictions"] = os.path.abspath(predictions)
                else:
                    os.remove(own)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", required=True, metavar="GRAPHS.h5", help="graph batch (anneal cgs generate)")
    ap.add_argument("--model", metavar="MODEL.h5", help="anneal CGS model (anneal cgs train): run its weights "
                                                        "(default: random weights of --heads x --hidden)")
    ap.add_argument("--variant", choices=("sparse", "dense"), default="sparse")
    ap.add_argument("--threads", type=int, help="run here at this many threads (default: best of 1 and 2, "
                                                "each in its own process)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--heads", type=int, default=8, help="random weights only")
    ap.add_argument("--hidden", type=int, default=32, help="random weights only")
    ap.add_argument("--seed", type=int, default=0, help="random weights only")
    ap.add_argument("--gamma", type=float, default=None, help="default: the model's γ, else 1")
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--max-iter", type=int, default=5000)
    ap.add_argument("--predictions", metavar="OUT.npy", help="write the prediction [N, T] (target units) here")
    ap.add_argument("--budget-gib", type=float, default=4.0, help="dense: refuse beyond this (default: 4)")
    ap.add_argument("--impl", choices=("index_add", "csr"), default="index_add", help="sparse: how A x is applied")
    args = ap.parse_args()
    if args.threads is None:
        extra = ["--heads", args.heads, "--hidden", args.hidden, "--seed", args.seed, "--budget-gib", args.budget_gib,
                 "--impl", args.impl] + (["--gamma", args.gamma] if args.gamma is not None else [])
        print(json.dumps(time_peer(args.time, args.variant, args.repeats, model=args.model, tol=args.tol,
                                   max_iter=args.max_iter, predictions=args.predictions, extra=extra)))
        return
    print(json.dumps(time_once(args.time, args.variant, args.threads, args.repeats, args.heads, args.hidden, args.gamma,
                               args.tol, args.max_iter, args.seed, args.budget_gib * GIB, args.impl, model=args.model,
                               predictions=args.predictions)))


if __name__ == "__main__":
    main()
