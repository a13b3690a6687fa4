"""The figure of one or more `anneal poisson solve` outputs: the residual histories of all of them
on a log axis, and the mid-z slice of the first file's solution with solid cells greyed out.

The layout: /x (the solution, [nz][ny][nx] on a grid, 1-D otherwise; also /fields/x),
optional /fields/cell_type [nz][ny][nx] (0 fluid, 1 solid), /grid/x, /grid/y, /grid/z (cell
centres) when the system has a grid, /history/residual [k+1] (relative residual per iteration),
and attributes method, iterations, converged, reason, setup_seconds, solve_seconds,
relative_residual and ranks on "/". A first file without /grid gives the histories only.
Only the plane drawn is read from /x, so a large solution draws quickly.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass

import h5py
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .fields import PostError, open_output, require_datasets
from .render import save_png

WHAT = "an `anneal poisson solve` output"
SOLID_COLOUR = "0.6"  # masked (solid) cells in the slice


@dataclass(frozen=True)
class _Run:
    """What the histories panel needs of one file."""

    path: str
    residual: np.ndarray
    method: str
    iterations: int
    converged: bool | None  # None when the file does not say
    solve_seconds: float | None


@dataclass(frozen=True)
class _Plane:
    """The mid-z slice of the first file's solution, solids masked."""

    x: np.ma.MaskedArray  # [ny][nx]
    gx: np.ndarray
    gy: np.ndarray
    z: float
    k: int
    nz: int


def _attr(f: h5py.File, name: str, default=None):
    value = f.attrs.get(name, default)
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value


def _number(f: h5py.File, name: str, kind):
    value = _attr(f, name)
    try:
        return None if value is None else kind(value)
    except (TypeError, ValueError):
        return None


def _read(d, path: str, selection=()):
    try:
        return d[selection]
    except OSError as e:  # a truncated or corrupt file shows up only when the data is read
        raise PostError(f"cannot read {d.name} from {path}: {e}") from None


def _read_run(f: h5py.File, path: str) -> _Run:
    require_datasets(f, path, WHAT, ("/history/residual",))
    d = f["/history/residual"]
    if not isinstance(d, h5py.Dataset) or d.ndim != 1 or not np.issubdtype(d.dtype, np.number):
        raise PostError(f"{path}: /history/residual must be a 1-D numeric dataset "
                        f"(got {'a group' if isinstance(d, h5py.Group) else f'shape {d.shape}, dtype {d.dtype}'})")
    residual = np.asarray(_read(d, path, ()), dtype=np.float64)
    iterations = _number(f, "iterations", int)
    converged = _number(f, "converged", int)
    return _Run(path=path, residual=residual, method=str(_attr(f, "method", "?")),
                iterations=max(len(residual) - 1, 0) if iterations is None else iterations,
                converged=None if converged is None else bool(converged),
                solve_seconds=_number(f, "solve_seconds", float))


def _read_plane(f: h5py.File, path: str) -> _Plane | None:
    """The mid-z plane of /x, or None when the file has no grid (a matrix-only system)."""
    if "/grid" not in f:
        return None
    require_datasets(f, path, WHAT, ("/grid/x", "/grid/y", "/grid/z", "/x"))
    grid = []
    for a in ("x", "y", "z"):
        d = f[f"/grid/{a}"]
        if not isinstance(d, h5py.Dataset) or d.ndim != 1 or d.shape[0] == 0:
            raise PostError(f"{path}: /grid/{a} must be a non-empty 1-D dataset")
        grid.append(np.asarray(_read(d, path, ()), dtype=np.float64))
    gx, gy, gz = grid
    shape = (len(gz), len(gy), len(gx))
    x = f["/x"]
    if not isinstance(x, h5py.Dataset) or x.shape != shape:
        raise PostError(f"{path}: /x has shape {getattr(x, 'shape', '(a group)')}, expected [nz][ny][nx] = "
                        f"{list(shape)} from /grid")
    k = shape[0] // 2
    plane = np.asarray(_read(x, path, k), dtype=np.float64)
    mask = ~np.isfinite(plane)
    if "/fields/cell_type" in f:
        c = f["/fields/cell_type"]
        if not isinstance(c, h5py.Dataset) or c.shape != shape:
            raise PostError(f"{path}: /fields/cell_type has shape {getattr(c, 'shape', '(a group)')}, expected "
                            f"{list(shape)} like /x")
        mask |= np.asarray(_read(c, path, k)) != 0
    return _Plane(x=np.ma.masked_array(plane, mask=mask), gx=gx, gy=gy, z=float(gz[k]), k=k, nz=shape[0])


def _label(run: _Run, tag: str) -> str:
    parts = [f"{run.iterations} its"]
    if run.solve_seconds is not None:
        parts.append(f"{run.solve_seconds:.3g} s")
    label = f"{run.method}: {', '.join(parts)}"
    if run.converged is False:
        label += " (not converged)"
    return label + tag


def _extent(centres: np.ndarray) -> tuple[float, float]:
    """Outer cell edges of uniformly spaced cell centres (a single cell spans [0, 2 c])."""
    if len(centres) > 1:
        half = 0.5 * (centres[-1] - centres[0]) / (len(centres) - 1)
    else:
        half = abs(centres[0]) or 0.5
    return float(centres[0] - half), float(centres[-1] + half)


def draw_poisson(paths, dpi: float = 120) -> Figure:
    """The figure for the `anneal poisson solve` outputs at `paths` (one or more).

    Left: one line per file, the relative residual against iteration on a log y axis, labelled
    "method: N its, S s" (S the solve time), "(not converged)" appended for a failed run and the
    file name appended where methods repeat. Right, when the first file has a grid: the mid-z
    slice of its solution x with solid cells masked (grey). Raises PostError on bad input.
    """
    paths = [os.fspath(p) for p in ([paths] if isinstance(paths, (str, os.PathLike)) else paths)]
    if not paths:
        raise PostError("no files given")
    runs, plane = [], None
    for i, p in enumerate(paths):
        if not os.path.exists(p):
            raise PostError(f"no such file: {p}")
        path, f = open_output(p)
        with f:
            runs.append(_read_run(f, path))
            if i == 0:
                plane = _read_plane(f, path)

    repeated = Counter(r.method for r in runs)
    tags = [f" [{os.path.basename(r.path)}]" if repeated[r.method] > 1 else "" for r in runs]

    fig = Figure(figsize=(13, 5) if plane is not None else (7, 5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2 if plane is not None else 1, squeeze=False)[0]

    ax = axes[0]
    for run, tag in zip(runs, tags):
        ax.plot(np.arange(len(run.residual)), run.residual, label=_label(run, tag),
                linestyle="--" if run.converged is False else "-", marker="." if len(run.residual) < 40 else None)
    ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="relative residual", title="residual history")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)

    if plane is not None:
        ax = axes[1]
        cmap = colormaps["viridis"].with_extremes(bad=SOLID_COLOUR)
        fluid = plane.x.compressed()
        lo, hi = (float(fluid.min()), float(fluid.max())) if fluid.size else (0.0, 1.0)
        image = ax.imshow(plane.x, origin="lower", cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest",
                          extent=(*_extent(plane.gx), *_extent(plane.gy)))
        fig.colorbar(image, ax=ax, label="x")
        ax.set(xlabel="x", ylabel="y")
        solids = int(np.count_nonzero(plane.x.mask))
        note = f", {solids} solid cell{'s' if solids != 1 else ''} grey" if solids else ""
        ax.set_title(f"{runs[0].method}: x at z = {plane.z:.4g} (k = {plane.k} of {plane.nz}){note}", fontsize=10)
    return fig


def plot_poisson(paths, out: str | os.PathLike, dpi: float = 120) -> str:
    """Draw `draw_poisson(paths)` to the PNG `out` (atomically); returns its path."""
    return save_png(draw_poisson(paths, dpi=dpi), out)
