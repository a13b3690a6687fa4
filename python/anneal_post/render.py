"""Render one field of an anneal HDF5 file to a PNG: a 2-D slice on its physical coordinates."""

from __future__ import annotations

import contextlib
import os

import numpy as np
# Figure + the Agg canvas directly, not pyplot: no display is needed, no global backend is
# switched under a caller's feet, and figures are not kept alive by pyplot's registry.
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .fields import PostError, Slice, read_slice

# Beyond this ratio of extents a true-to-scale plot becomes a sliver; stretch it instead.
_MAX_EQUAL_ASPECT = 10.0


def plot_slice(
    s: Slice,
    *,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    dpi: float = 150,
) -> Figure:
    """Draw `s` with pcolormesh on its physical coordinates, with a colorbar; returns the figure.

    vmin/vmax default to the finite data range; NaN and Inf are left blank.
    """
    try:
        colormap = colormaps[cmap]
    except KeyError:
        raise PostError(f"unknown colormap '{cmap}'") from None
    data = np.ma.masked_invalid(s.data)
    if data.count() == 0:
        raise PostError(f"the slice of {s.label} has no finite values to draw")
    vmin = float(data.min()) if vmin is None else float(vmin)
    vmax = float(data.max()) if vmax is None else float(vmax)
    if vmin > vmax:
        raise PostError(f"--vmin {vmin:g} is above --vmax {vmax:g}")

    fig = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    # Explicit cell edges: node data gets cells centred on its nodes, so the plot shows each
    # value where it was computed, on non-uniform grids too.
    h = _edges(s.h, s.data.shape[1])
    v = _edges(s.v, s.data.shape[0])
    mesh = ax.pcolormesh(h, v, data, cmap=colormap, vmin=vmin, vmax=vmax, shading="flat")
    ax.set_xlim(h[0], h[-1])
    ax.set_ylim(v[0], v[-1])
    ax.set_xlabel(_with_units(s.h_name, s.h_units))
    ax.set_ylabel(_with_units(s.v_name, s.v_units))
    width, height = abs(h[-1] - h[0]), abs(v[-1] - v[0])
    if width > 0 and height > 0 and max(width / height, height / width) <= _MAX_EQUAL_ASPECT:
        ax.set_aspect("equal")
    fig.colorbar(mesh, ax=ax, label=_with_units(s.label, s.units))
    ax.set_title(title if title is not None else ", ".join(p for p in (s.label, s.where) if p))
    return fig


def save_png(fig: Figure, out: str | os.PathLike) -> str:
    """Write `fig` as PNG to `out` atomically: a failure leaves nothing under the final name."""
    out = os.fspath(out)
    tmp = out + ".tmp"
    try:
        fig.savefig(tmp, format="png", dpi="figure")
        os.replace(tmp, out)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(e, OSError):
            raise PostError(f"cannot write {out}: {e.strerror or e}") from None
        raise
    return out


def render(
    path: str | os.PathLike,
    field: str,
    out: str | os.PathLike,
    *,
    axis: str | None = None,
    index: int | None = None,
    component: int | str | None = None,
    time: int | None = None,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    title: str | None = None,
    dpi: float = 150,
) -> str:
    """Read a slice of `field` (see read_slice), draw it (see plot_slice), write PNG `out`."""
    path, out = os.fspath(path), os.fspath(out)
    # Inputs are never overwritten (DESIGN §4), even by a slip of the -o argument.
    with contextlib.suppress(OSError):
        if os.path.samefile(path, out):
            raise PostError(f"refusing to overwrite the input {path} with the PNG")
    s = read_slice(path, field, axis=axis, index=index, component=component, time=time)
    return save_png(plot_slice(s, cmap=cmap, vmin=vmin, vmax=vmax, title=title, dpi=dpi), out)


def _edges(coords: np.ndarray, n: int) -> np.ndarray:
    """Cell edges for n values: the coordinates themselves if they already are edges (n + 1 of
    them, cell data), else midpoints between nodes, extended by half a cell at both ends."""
    c = np.asarray(coords, dtype=np.float64)
    if len(c) == n + 1:
        return c
    if n == 1:  # a single node has no spacing to go by; give it a unit-wide cell
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = 0.5 * (c[:-1] + c[1:])
    return np.concatenate(([2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]))


def _with_units(name: str, units: str | None) -> str:
    return f"{name} [{units}]" if units else name
