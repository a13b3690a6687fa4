"""The figure of an `anneal lpinn train` output: the prediction u(x, t), its error against the
reference, the characteristics (lpinn) and the loss history, in one PNG."""

from __future__ import annotations

import os

import h5py
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .fields import open_output, require_datasets
from .render import save_png


def _attr(f: h5py.File, name: str, default=None):
    value = f.attrs.get(name, default)
    return value.decode() if isinstance(value, bytes) else value


def _fold(positions, t, lo, length):
    """One unwrapped characteristic as a polyline inside [lo, lo + length), broken (NaN) at each
    wrap, with the boundary crossing interpolated so that no piece stops short of the edge."""
    xs, ts = [], []
    period = np.floor((positions - lo) / length)
    for i in range(len(t)):
        if i > 0 and period[i] != period[i - 1]:
            step = 1.0 if period[i] > period[i - 1] else -1.0
            edge = lo + length * max(period[i], period[i - 1])  # the unwrapped boundary crossed
            w = (edge - positions[i - 1]) / (positions[i] - positions[i - 1])
            tc = t[i - 1] + w * (t[i] - t[i - 1])
            xs += [lo + length if step > 0 else lo, np.nan, lo if step > 0 else lo + length]
            ts += [tc, np.nan, tc]
        xs.append(lo + (positions[i] - lo) - length * period[i])
        ts.append(t[i])
    return np.array(xs), np.array(ts)


def plot_lpinn(path: str | os.PathLike, out: str | os.PathLike, dpi: float = 120) -> str:
    path, f = open_output(path)
    with f:
        require_datasets(f, path, "an `anneal lpinn train` output",
                         ("/grid/x", "/grid/t", "/fields/u", "/fields/error", "/history/loss"))
        x, t = f["/grid/x"][:], f["/grid/t"][:]
        u, error = f["/fields/u"][:], f["/fields/error"][:]
        step, loss = f["/history/step"][:], f["/history/loss"][:]
        curves = f["/characteristics/X"][:] if "/characteristics/X" in f else None
        method, rel_l2 = _attr(f, "method", "?"), float(_attr(f, "rel_l2", np.nan))
        problem = _attr(f, "problem", "")

    fig = Figure(figsize=(12, 8.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2)
    fig.suptitle(f"{method}: {problem}\nrelative L2 error {rel_l2:.2e}", fontsize=10)

    mesh = axes[0, 0].pcolormesh(x, t, u, shading="nearest", cmap="RdBu_r")
    fig.colorbar(mesh, ax=axes[0, 0], label="u")
    axes[0, 0].set(title="prediction u(x, t)", xlabel="x", ylabel="t")

    limit = float(np.nanmax(np.abs(error))) or 1.0
    mesh = axes[0, 1].pcolormesh(x, t, error, shading="nearest", cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(mesh, ax=axes[0, 1], label="u − u_ref")
    axes[0, 1].set(title="error against the reference", xlabel="x", ylabel="t")

    ax = axes[1, 0]
    if curves is not None:
        # Characteristics folded back into a periodic domain, each wrap split at the boundary.
        # At most 12 curves: fast characteristics wrap many times and would fill the panel.
        periodic = "(periodic)" in problem  # the problem's description says so (lpinn_run.cpp)
        lo = x[0]
        length = (x[-1] - x[0]) * (len(x) / max(len(x) - 1, 1) if periodic else 1.0)
        for j in np.unique(np.linspace(0, curves.shape[1] - 1, min(12, curves.shape[1])).astype(int)):
            xs, ts = _fold(curves[:, j], t, lo, length) if periodic else (curves[:, j], t)
            ax.plot(xs, ts, color="k", linewidth=0.7)
        ax.set(title="characteristics X(x₀, t)", xlabel="x", ylabel="t", xlim=(x[0], x[0] + length))
    else:
        ax.plot(x, u[-1], label=f"prediction, t = {t[-1]:g}")
        ax.plot(x, u[-1] - error[-1], "--", label="reference")
        ax.legend()
        ax.set(title="final time", xlabel="x", ylabel="u")

    ax = axes[1, 1]
    ax.semilogy(step, loss, linewidth=0.8)
    ax.set(title="training loss", xlabel="step (Adam, then L-BFGS iterations)", ylabel="loss")
    return save_png(fig, out)
