"""Figures of the turbulence outputs: an `anneal ftle` file (the FTLE of one case, or the diffusive
momentum barriers) and a turbulent/non-turbulent interface file (scalar and interfaces, cluster
labels, forward FTLE, averages conditioned on the distance to each interface).

3-D fields are drawn on their middle z plane; interfaces are drawn in 2-D only.
"""

from __future__ import annotations

import os

import h5py
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .fields import PostError, open_output, require_datasets
from .render import save_png

FAILED_GREY = "0.6"  # particles that left the domain or met masked data
_INTERFACE_STYLE = {"tnti": dict(color="k", linestyle="-", linewidth=1.2),
                    "internal": dict(color="w", linestyle="--", linewidth=1.0)}


def _grid(f: h5py.File):
    """x, y and z (None in 2-D) of the file's grid."""
    z = f["/grid/z"][:] if "/grid/z" in f else None
    return f["/grid/x"][:], f["/grid/y"][:], z


def _plane(f: h5py.File, path: str, name: str, lead: tuple, z) -> np.ndarray:
    """The [ny][nx] plane of dataset `name` after the leading indices `lead` (a case, a T index):
    the middle z plane in 3-D. Checks the rank against the grid."""
    d = f[name]
    spatial = 3 if z is not None else 2
    if d.ndim != len(lead) + spatial:
        raise PostError(f"{path}: {name} has {d.ndim} axes, expected {len(lead) + spatial} "
                        f"({'case/time, ' if lead else ''}{'z, ' if z is not None else ''}y, x)")
    index = lead + ((len(z) // 2,) if z is not None else ())
    return np.asarray(d[index] if index else d[()], dtype=np.float64)


def _mid_z(z) -> str:
    return "" if z is None else f", z = {z[len(z) // 2]:.3g} (middle plane)"


def _mesh(fig, ax, x, y, data, *, label, cmap="viridis", symmetric=False, bad=None, title=""):
    data = np.ma.masked_invalid(data)
    colormap = colormaps[cmap]
    if bad is not None:
        colormap = colormap.with_extremes(bad=bad)
    kwargs = {}
    if data.count():
        lo, hi = float(data.min()), float(data.max())
        if symmetric:
            hi = max(abs(lo), abs(hi)) or 1.0
            lo = -hi
        kwargs = dict(vmin=lo, vmax=hi)
    mesh = ax.pcolormesh(x, y, data, shading="nearest", cmap=colormap, **kwargs)
    fig.colorbar(mesh, ax=ax, label=label)
    ax.set(title=title, xlabel="x", ylabel="y", xlim=(x[0], x[-1]), ylim=(y[0], y[-1]))
    ax.set_aspect("equal")
    return mesh


def _panel_height(x, y, width):
    """Figure height (inches) for equal-aspect panels of `width` inches of plot: no empty bands."""
    ratio = abs(y[-1] - y[0]) / abs(x[-1] - x[0]) if len(x) > 1 and x[-1] != x[0] else 1.0
    return float(np.clip(width * ratio, 2.0, 8.0)) + 1.3


def _interfaces(f: h5py.File):
    """{name: (points [m][2], elements [e][2] or None)} of the 2-D interfaces stored in the file."""
    out = {}
    if "/interfaces" not in f:
        return out
    for name, group in f["/interfaces"].items():
        if not isinstance(group, h5py.Group) or "points" not in group:
            continue
        points = group["points"][:]
        elements = group["elements"][:] if "elements" in group else None
        if points.ndim == 2 and points.shape[1] == 2:
            out[name] = (points, elements)
    return out


def _draw_interfaces(ax, interfaces, legend=True):
    handles = []
    for name, (points, elements) in interfaces.items():
        style = _INTERFACE_STYLE.get(name, dict(color="r", linestyle="-", linewidth=1.0))
        if elements is not None and len(elements):
            ax.add_collection(LineCollection(points[elements.astype(np.int64)], **style))
        elif len(points):
            ax.plot(points[:, 0], points[:, 1], ".", color=style["color"], markersize=1.5)
        handles.append(Line2D([], [], label=name, **style))
    if legend and handles:
        ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.6, facecolor="0.8")


# ------------------------------------------------------------------------------------ ftle


def plot_ftle(path: str | os.PathLike, out: str | os.PathLike, case: int = 0, dpi: float = 120) -> str:
    """An `anneal ftle` output: the FTLE of case `case` (failed particles grey, interfaces on top),
    and the momentum-barrier fields (mean vorticity, barrier strength, active FTLE) where present."""
    path, f = open_output(path)
    with f:
        require_datasets(f, path, "an `anneal ftle` output", ("/grid/x", "/grid/y"))
        names = [n for n in ("/fields/ftle", "/fields/vorticity_mean", "/fields/barrier_strength",
                             "/fields/active_ftle") if n in f]
        if "/fields/ftle" not in names and "/fields/barrier_strength" not in names:
            raise PostError(f"{path} is not an `anneal ftle` output: /fields/ftle is missing")
        x, y, z = _grid(f)
        n_cases = f[names[0]].shape[0] if f[names[0]].ndim else 0
        if not -n_cases <= case < n_cases:
            raise PostError(f"--case {case} is out of range: {path} holds {n_cases} case(s)")
        case %= n_cases
        t0 = f["/cases/t0"][case] if "/cases/t0" in f else None
        T = f["/cases/T"][case] if "/cases/T" in f else None
        planes = {}
        for name in names:
            # The mean vorticity is 2-D only: [n][ny][nx].
            planes[name] = _plane(f, path, name, (case,), None if name == "/fields/vorticity_mean" else z)
        status = (_plane(f, path, "/fields/particle_status", (case,), z)
                  if "/fields/particle_status" in f else None)
        interfaces = _interfaces(f) if z is None else {}

    when = ", ".join(s for s in (f"t0 = {t0:g}" if t0 is not None else "", f"T = {T:g}" if T is not None else "") if s)
    fig = Figure(figsize=(6.4 * len(planes), _panel_height(x, y, 5.0)), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(planes)))
    fig.suptitle(f"{os.path.basename(path)}: case {case}" + (f", {when}" if when else "") + _mid_z(z), fontsize=10)
    for ax, (name, data) in zip(axes, planes.items()):
        if name == "/fields/ftle":
            failed = ~np.isfinite(data)
            if status is not None:
                failed |= status != 0
            data = np.where(failed, np.nan, data)
            title = "FTLE" + (f" ({int(failed.sum())} failed particles, grey)" if failed.any() else "")
            _mesh(fig, ax, x, y, data, label="FTLE", cmap="viridis", bad=FAILED_GREY, title=title)
            _draw_interfaces(ax, interfaces)
        elif name == "/fields/vorticity_mean":
            _mesh(fig, ax, x, y, data, label="mean vorticity", cmap="RdBu_r", symmetric=True,
                  title="mean vorticity (z-averaged)" if z is not None else "mean vorticity")
        elif name == "/fields/barrier_strength":
            _mesh(fig, ax, x, y, data, label="barrier strength", cmap="magma", bad=FAILED_GREY,
                  title="diffusive momentum barrier strength")
            _draw_interfaces(ax, interfaces, legend=False)
        else:
            _mesh(fig, ax, x, y, data, label="active FTLE", cmap="viridis", bad=FAILED_GREY,
                  title="active (momentum) FTLE")
    return save_png(fig, out)


# ------------------------------------------------------------------------------------ tnti

_CONDITIONED = ("ftle_forward", "barrier_strength")
_TNTI_REQUIRED = ("/grid/x", "/grid/y", "/grid/t", "/fields/scalar", "/fields/cluster", "/fields/ftle_forward")


def _cluster_axes(fig, ax, x, y, labels):
    k = int(np.nanmax(labels)) + 1 if labels.size else 1
    colours = colormaps["viridis"](np.linspace(0.0, 1.0, max(k, 2)))[:k]
    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(k + 1) - 0.5, k)
    mesh = ax.pcolormesh(x, y, labels, shading="nearest", cmap=cmap, norm=norm)
    bar = fig.colorbar(mesh, ax=ax, ticks=np.arange(k), label="cluster")
    names = [str(i) for i in range(k)]
    names[0] = "0 ambient"
    if k > 1:
        names[-1] = f"{k - 1} core"
    bar.ax.set_yticklabels(names, fontsize=7)
    ax.set(title=f"cluster labels ({k} clusters)", xlabel="x", ylabel="y", xlim=(x[0], x[-1]), ylim=(y[0], y[-1]))
    ax.set_aspect("equal")


def _conditional(f: h5py.File, path: str, n_T: int):
    """{interface: {"distance", "count", q: [n_T][nb]}} for the interfaces with conditional averages."""
    out = {}
    for name in ("tnti", "internal"):
        base = f"/conditional/{name}"
        if base not in f or "distance" not in f[base]:
            continue
        g = f[base]
        entry = {"distance": g["distance"][:]}
        entry["count"] = g["count"][:] if "count" in g else None
        for q in _CONDITIONED:
            if q in g:
                values = np.asarray(g[q][:], dtype=np.float64)
                if values.ndim == 1:
                    values = values[None, :]
                if values.shape != (n_T, len(entry["distance"])):
                    raise PostError(f"{path}: {base}/{q} has shape {values.shape}, expected "
                                    f"({n_T}, {len(entry['distance'])})")
                if entry["count"] is not None:
                    values = np.where(entry["count"][None, :] > 0, values, np.nan)
                entry[q] = values
        out[name] = entry
    return out


def plot_tnti(path: str | os.PathLike, out: str | os.PathLike, dpi: float = 120) -> str:
    """A turbulent/non-turbulent interface output, 2 × 2: the scalar with both interfaces, the cluster
    labels, the forward FTLE at the largest T with the interfaces, and the conditional averages of
    the forward FTLE and the barrier strength against the signed distance to each interface (one
    curve per T / T_L; TNTI solid, internal interface dashed)."""
    path, f = open_output(path)
    with f:
        require_datasets(f, path, "a turbulent/non-turbulent interface output", _TNTI_REQUIRED)
        x, y, z = _grid(f)
        Ts = np.atleast_1d(f["/grid/t"][:]).astype(np.float64)
        if Ts.size == 0:
            raise PostError(f"{path}: /grid/t is empty")
        last = int(np.argmax(np.abs(Ts)))
        scalar = _plane(f, path, "/fields/scalar", (), z)
        labels = _plane(f, path, "/fields/cluster", (), z)
        ftle = _plane(f, path, "/fields/ftle_forward", (last,), z)
        if f["/fields/ftle_forward"].shape[0] != Ts.size:
            raise PostError(f"{path}: /fields/ftle_forward holds {f['/fields/ftle_forward'].shape[0]} integration "
                            f"times, /grid/t {Ts.size}")
        T_L = float(f.attrs.get("integral_time_scale", np.nan))
        conditional = _conditional(f, path, Ts.size)
        interfaces = _interfaces(f) if z is None else {}

    scaled = np.isfinite(T_L) and T_L > 0
    fig = Figure(figsize=(12.8, 2 * _panel_height(x, y, 5.0) + 0.4), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 2)
    where = _mid_z(z) + (" (interfaces not drawn in 3-D)" if z is not None else "")
    fig.suptitle(f"{os.path.basename(path)}" + (f": integral time scale T_L = {T_L:.3g}" if scaled else "") + where,
                 fontsize=10)

    ax = fig.add_subplot(grid[0, 0])
    _mesh(fig, ax, x, y, scalar, label="scalar", cmap="cividis",
          title="scalar and interfaces" if interfaces else "scalar")
    _draw_interfaces(ax, interfaces)

    _cluster_axes(fig, fig.add_subplot(grid[0, 1]), x, y, labels)

    ax = fig.add_subplot(grid[1, 0])
    when = f"T = {Ts[last]:g}" + (f", T/T_L = {Ts[last] / T_L:.3g}" if scaled else "")
    _mesh(fig, ax, x, y, ftle, label="forward FTLE", cmap="inferno", bad=FAILED_GREY, title=f"forward FTLE, {when}")
    _draw_interfaces(ax, interfaces)

    sub = grid[1, 1].subgridspec(2, 1)
    top = fig.add_subplot(sub[0])
    bottom = fig.add_subplot(sub[1], sharex=top)
    colours = colormaps["plasma"](np.linspace(0.0, 0.85, max(Ts.size, 1)))
    for ax, q, label in ((top, "ftle_forward", "⟨forward FTLE⟩"), (bottom, "barrier_strength", "⟨barrier strength⟩")):
        drawn = False
        for name, style in (("tnti", "-"), ("internal", "--")):
            entry = conditional.get(name)
            if entry is None or q not in entry:
                continue
            for i, T in enumerate(Ts):
                tag = f"T/T_L = {T / T_L:.3g}" if scaled else f"T = {T:g}"
                ax.plot(entry["distance"], entry[q][i], style, color=colours[i], linewidth=1.0,
                        label=tag if name == "tnti" or "tnti" not in conditional else None)
                drawn = True
        ax.axvline(0.0, color="0.5", linewidth=0.6)
        ax.set_ylabel(label)
        if not drawn:
            ax.text(0.5, 0.5, f"no /conditional/*/{q}", transform=ax.transAxes, ha="center", va="center")
    handles, names = top.get_legend_handles_labels()
    handles += [Line2D([], [], color="k", linestyle="-", label="TNTI"),
                Line2D([], [], color="k", linestyle="--", label="internal interface")]
    top.legend(handles=handles, fontsize=6, ncol=2, loc="best")
    top.set_title("averages conditioned on the signed distance to the interface", fontsize=9)
    top.tick_params(labelbottom=False)
    bottom.set_xlabel("signed distance to the interface")
    return save_png(fig, out)
