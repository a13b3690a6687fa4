"""The figure of an `anneal cgs eval` output: the first graph coloured by the exact target and by
the prediction (on the node positions when the file has them), and predicted against exact for
every node of the batch, in one PNG.

The layout is the graph batch of DESIGN.md section 4 plus the eval datasets: /node_offsets,
/edge_offsets, /edge_index (ids local to each graph), /targets, /predictions [N][T], optional
/positions [N][3]; attributes mse, mape, optional policy_accuracy, model and system on "/".
Only the first graph's slice of the ragged arrays is read for panels (a) and (b), so a file of
10^5 nodes draws in seconds.
"""

from __future__ import annotations

import json
import os

import h5py
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from .fields import PostError, open_output, require_datasets
from .render import save_png

MAX_SCATTER = 20_000   # points in the predicted-against-exact panel (a random subset beyond)
MAX_EDGES = 50_000     # a first graph with more edges is drawn without them
_REQUIRED = ("/node_offsets", "/edge_offsets", "/edge_index", "/targets", "/predictions")


def _attr(obj, name: str, default=None):
    value = obj.attrs.get(name, default)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return value.item()
    return value


def _names(dset, count: int) -> list[str]:
    """The `names` attribute (a JSON list) of a dataset, or t0, t1, ... when it is absent or malformed."""
    text = _attr(dset, "names")
    try:
        names = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        names = None
    if not isinstance(names, list) or len(names) != count:
        return [f"target {i}" for i in range(count)]
    return [str(n) for n in names]


def _float_attr(f: h5py.File, name: str):
    value = _attr(f, name)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _plane(positions: np.ndarray) -> tuple[int, int]:
    """Axes to draw: x–z for 3-D networks (pore networks flow along x), x–y when z is flat."""
    if positions.shape[1] >= 3 and np.ptp(positions[:, 2]) > 0:
        return 0, 2
    return 0, 1


def _columns(d, path: str, name: str, rows: int) -> np.ndarray:
    """Dataset `name` as a float64 [rows][T] array ([N] is read as one column)."""
    a = np.asarray(d[()], dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != rows:
        raise PostError(f"{path}: {name} has shape {d.shape}, expected [{rows}][T]")
    return a


def plot_cgs(path: str | os.PathLike, out: str | os.PathLike, dpi: float = 120) -> str:
    path, f = open_output(path)
    with f:
        require_datasets(f, path, "an `anneal cgs eval` output", _REQUIRED)
        node_offsets = np.asarray(f["/node_offsets"][()], dtype=np.int64).ravel()
        edge_offsets = np.asarray(f["/edge_offsets"][()], dtype=np.int64).ravel()
        n_total = int(f["/targets"].shape[0]) if f["/targets"].ndim >= 1 else 0
        e_total = int(f["/edge_index"].shape[0])
        graphs = len(node_offsets) - 1
        if (graphs < 1 or len(edge_offsets) != graphs + 1 or node_offsets[0] != 0 or edge_offsets[0] != 0
                or np.any(np.diff(node_offsets) < 0) or np.any(np.diff(edge_offsets) < 0)
                or node_offsets[-1] != n_total or edge_offsets[-1] != e_total):
            raise PostError(f"{path}: /node_offsets and /edge_offsets do not describe a batch of {n_total} nodes "
                            f"and {e_total} edges (each [G+1], from 0, non-decreasing)")
        targets = _columns(f["/targets"], path, "/targets", n_total)
        predictions = _columns(f["/predictions"], path, "/predictions", n_total)
        if predictions.shape != targets.shape:
            raise PostError(f"{path}: /predictions has shape {predictions.shape}, /targets {targets.shape}")
        names = _names(f["/targets"], targets.shape[1])

        n0, n1 = int(node_offsets[0]), int(node_offsets[1])
        e0, e1 = int(edge_offsets[0]), int(edge_offsets[1])
        nodes = n1 - n0
        positions = edges = None
        if "/positions" in f:
            d = f["/positions"]
            if d.ndim != 2 or d.shape[0] != n_total or d.shape[1] < 2:
                raise PostError(f"{path}: /positions has shape {d.shape}, expected [{n_total}][3]")
            positions = np.asarray(d[n0:n1], dtype=np.float64)
            if e1 - e0 <= MAX_EDGES:
                d = f["/edge_index"]
                if d.ndim != 2 or d.shape[1] != 2:
                    raise PostError(f"{path}: /edge_index has shape {d.shape}, expected [E][2]")
                edges = np.asarray(d[e0:e1], dtype=np.int64)
                if edges.size and (edges.min() < 0 or edges.max() >= nodes):
                    raise PostError(f"{path}: /edge_index of graph 0 has ids outside [0, {nodes}) "
                                    "(ids are local to each graph)")
        model, system = _attr(f, "model", "?"), _attr(f, "system", "?")
        mse, mape = _float_attr(f, "mse"), _float_attr(f, "mape")
        policy_accuracy = _float_attr(f, "policy_accuracy")

    fig = Figure(figsize=(14, 4.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 3)
    fig.suptitle(f"{model} on {system}: {graphs} graph{'s' if graphs != 1 else ''}, {n_total} nodes, "
                 f"{e_total} edges", fontsize=11)

    exact, predicted = targets[n0:n1, 0], predictions[n0:n1, 0]
    finite = exact[np.isfinite(exact)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    skipped = ", edges not drawn" if positions is not None and edges is None else ""
    graph_label = f"graph 0 ({nodes} nodes, {e1 - e0} edges{skipped})"
    for ax, values, what in ((axes[0], exact, "exact"), (axes[1], predicted, "predicted")):
        if positions is not None:
            i, j = _plane(positions)
            if edges is not None and len(edges):
                segments = np.stack([positions[edges[:, 0]][:, [i, j]], positions[edges[:, 1]][:, [i, j]]], axis=1)
                ax.add_collection(LineCollection(segments, colors="0.7", linewidths=0.3, zorder=1))
            size = max(1.0, min(20.0, 4000.0 / max(nodes, 1)))
            points = ax.scatter(positions[:, i], positions[:, j], c=values, s=size, cmap="viridis",
                                vmin=lo, vmax=hi, linewidths=0, zorder=2)
            fig.colorbar(points, ax=ax, label=f"{names[0]} ({what})")
            ax.set(xlabel="xyz"[i], ylabel="xyz"[j], aspect="equal")
            ax.autoscale_view()
        else:
            ax.scatter(np.arange(nodes), values, s=4, color="C0" if what == "exact" else "C1", linewidths=0)
            # Shared y limits over both panels: no predicted point falls outside.
            both = np.concatenate([exact, predicted])
            both = both[np.isfinite(both)]
            ylo, yhi = (min(lo, float(both.min())), max(hi, float(both.max()))) if both.size else (lo, hi)
            pad = 0.05 * (yhi - ylo)
            ax.set(xlabel="node", ylabel=names[0], ylim=(ylo - pad, yhi + pad))
        ax.set_title(f"{what}: {graph_label}", fontsize=9)

    ax = axes[2]
    total = targets.size
    rows = max(1, MAX_SCATTER // targets.shape[1])  # at most MAX_SCATTER points over all target columns
    rng = np.random.default_rng(0)
    chosen = np.sort(rng.choice(targets.shape[0], rows, replace=False)) if targets.shape[0] > rows else slice(None)
    x_all, y_all = targets[chosen], predictions[chosen]
    shown = x_all.size
    alpha = float(np.clip(2000.0 / max(shown, 1), 0.05, 1.0))
    for c in range(targets.shape[1]):
        ax.scatter(x_all[:, c], y_all[:, c], s=3 if shown > 2000 else 8, alpha=alpha, linewidths=0,
                   color=f"C{c % 10}", label=names[c] if targets.shape[1] > 1 else None, rasterized=True)
    both = np.concatenate([x_all.ravel(), y_all.ravel()])
    both = both[np.isfinite(both)]
    a, b = (float(both.min()), float(both.max())) if both.size else (0.0, 1.0)
    ax.plot([a, b], [a, b], color="k", linewidth=0.8, label="y = x")
    ax.legend(fontsize=8, loc="upper left", markerscale=3)
    ax.set(xlabel="exact", ylabel="predicted")
    metrics = [f"MSE {mse:.3g}" if mse is not None else None, f"MAPE {mape:.3g}" if mape is not None else None,
               f"policy accuracy {policy_accuracy:.3g}" if policy_accuracy is not None else None]
    subset = f"\n(a random {shown} of {total} values)" if shown < total else ""
    ax.set_title(f"{model}, {system}: " + ", ".join(m for m in metrics if m) + subset, fontsize=9)
    return save_png(fig, out)
