"""Read one field of an anneal HDF5 file and cut the 2-D slice that gets drawn.

The layout is DESIGN.md section 4: node coordinates in /grid/x, /grid/y, /grid/z, fields in
/fields/<name> in C order [nz][ny][nx] (2-D: [ny][nx]), an optional trailing component axis of
length 2 or 3 for vectors, an optional leading time axis [nt] matched by /grid/t, and an optional
`units` attribute on each dataset.

Only the plane being drawn is read from disk, so slicing a large 3-D field stays cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import h5py
import numpy as np

AXES = ("x", "y", "z")
# Index letter per axis, as a numerical code names them (x[i], y[j], z[k]).
_INDEX_LETTER = {"x": "i", "y": "j", "z": "k"}


class PostError(Exception):
    """A user mistake (bad file, name, option); the CLI prints it as one line, no traceback."""


@dataclass(frozen=True)
class Slice:
    """A 2-D array ready to draw, with the physical coordinates of its two axes.

    data is indexed [vertical][horizontal]. h and v hold node coordinates (same length as the
    data axis) or cell edges (one longer) when the field is cell-centred.
    """

    data: np.ndarray
    h: np.ndarray
    v: np.ndarray
    h_name: str
    v_name: str
    h_units: str | None
    v_units: str | None
    label: str  # the quantity drawn: "p", "|u|", "u[1]"
    units: str | None
    where: str  # which slice, for the title: "z = 0.5 (k = 4)"; "" for a plain 2-D field


@dataclass(frozen=True)
class _Layout:
    """How a dataset's axes map onto time, space and components."""

    timed: bool
    spatial: tuple[str, ...]  # ("z", "y", "x") or ("y", "x"), in storage order
    components: int  # 0 for a scalar field
    cell: dict[str, bool]  # per axis: data sits on cells (coords are one longer)


def dataset_path(field: str) -> str:
    """A bare name lives under /fields; a name starting with '/' is taken as a full path."""
    return field if field.startswith("/") else "/fields/" + field


def read_slice(
    path: str | os.PathLike,
    field: str,
    *,
    axis: str | None = None,
    index: int | None = None,
    component: int | str | None = None,
    time: int | None = None,
) -> Slice:
    """Read the 2-D slice of `field` in the file at `path` that `render` draws.

    3-D fields are cut normal to `axis` (default "z") at plane `index` (default the middle one;
    negative counts from the end). Vector fields give `component` (an int) or "magnitude"
    (default). Time series give step `time` (default the last). Raises PostError on bad input.
    """
    path = os.fspath(path)
    with _open(path) as f:
        dset = _dataset(f, path, field)
        grid = _grid(f, path)
        nt = len(grid["t"][0]) if "t" in grid else None
        layout = _layout(dset.shape, grid, nt)
        if layout is None:
            raise PostError(
                f"{dset.name} in {path} has shape {dset.shape}, which does not fit the grid "
                f"({_grid_summary(grid)}) as a scalar or 2/3-component vector field"
            )
        if not (np.issubdtype(dset.dtype, np.number) or dset.dtype == np.bool_) or np.issubdtype(
            dset.dtype, np.complexfloating
        ):
            raise PostError(f"{dset.name} in {path} has dtype {dset.dtype}; only real numbers can be drawn")

        selection: list = []
        where: list[str] = []

        if layout.timed:
            step = _check_index(time, nt, "--time", "time steps", default=nt - 1)
            selection.append(step)
            where.append(f"t = {grid['t'][0][step]:.4g} (step {step})")
        elif time is not None:
            raise PostError(f"{dset.name} is not a time series; --time does not apply")

        if len(layout.spatial) == 3:
            axis = "z" if axis is None else axis
            if axis not in AXES:
                raise PostError(f"bad axis '{axis}': use x, y or z")
            n = dset.shape[len(selection) + layout.spatial.index(axis)]
            plane = _check_index(index, n, "--index", f"planes along {axis}", default=n // 2)
            coord = _node_or_centre(grid[axis][0], plane, layout.cell[axis])
            where.insert(0, f"{axis} = {coord:.4g} ({_INDEX_LETTER[axis]} = {plane})")
            for a in layout.spatial:
                selection.append(plane if a == axis else slice(None))
            h_name, v_name = [a for a in ("x", "y", "z") if a != axis][:2]
        else:
            if axis is not None or index is not None:
                raise PostError(f"{dset.name} is a 2-D field; --axis and --index apply to 3-D fields only")
            selection += [slice(None), slice(None)]
            h_name, v_name = "x", "y"

        name = dset.name.rsplit("/", 1)[-1]
        if layout.components:
            if component is None or component == "magnitude":
                data = np.linalg.norm(_read(dset, path, selection + [slice(None)]).astype(np.float64), axis=-1)
                label = f"|{name}|"
            else:
                c = _component(component, layout.components, dset.name)
                data = _read(dset, path, selection + [c])
                label = f"{name}[{c}]"
        else:
            if component is not None:
                raise PostError(f"{dset.name} is a scalar field; --component applies to vector fields only")
            data = _read(dset, path, selection)
            label = name

        # Storage order is (z, y, x), so every 2-D cut comes out [vertical][horizontal] as wanted.
        return Slice(
            data=np.asarray(data, dtype=np.float64),
            h=grid[h_name][0],
            v=grid[v_name][0],
            h_name=h_name,
            v_name=v_name,
            h_units=grid[h_name][1],
            v_units=grid[v_name][1],
            label=label,
            units=units_of(dset),
            where=", ".join(where),
        )


def units_of(obj: h5py.HLObject) -> str | None:
    """The `units` attribute as text, whether h5py hands it back as str, bytes or an array."""
    value = obj.attrs.get("units")
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value) if value not in (None, "") else None


def open_output(path: str | os.PathLike) -> tuple[str, h5py.File]:
    """An anneal output opened for reading, with its path as text (the plots' entry point)."""
    path = os.fspath(path)
    try:
        return path, h5py.File(path, "r")
    except OSError as e:
        raise PostError(f"cannot open {path}: {e}") from None


def require_datasets(f: h5py.File, path: str, what: str, names) -> None:
    """PostError naming the first of `names` that `f` lacks: "<path> is not <what>: <name> is missing"."""
    for name in names:
        if name not in f:
            raise PostError(f"{path} is not {what}: {name} is missing")


def _open(path: str) -> h5py.File:
    if not os.path.exists(path):
        raise PostError(f"no such file: {path}")
    if os.path.isdir(path):
        raise PostError(f"{path} is a directory, not an HDF5 file")
    try:
        if not h5py.is_hdf5(path):
            raise PostError(f"{path} is not an HDF5 file")
        return h5py.File(path, "r")
    except OSError as e:
        raise PostError(f"cannot open {path}: {e}") from None


def _dataset(f: h5py.File, path: str, field: str) -> h5py.Dataset:
    name = dataset_path(field)
    obj = f.get(name)
    if obj is None:
        fields = f.get("/fields")
        have = ", ".join(sorted(fields.keys())) if isinstance(fields, h5py.Group) else ""
        hint = f"; fields there: {have}" if have else "; the file has no /fields"
        raise PostError(f"no dataset {name} in {path}{hint}")
    if not isinstance(obj, h5py.Dataset):
        raise PostError(f"{name} in {path} is a group, not a dataset")
    return obj


def _grid(f: h5py.File, path: str) -> dict[str, tuple[np.ndarray, str | None]]:
    """Coordinates and units per axis present; x and y are required, z and t optional."""
    grid = {}
    for a in ("x", "y", "z", "t"):
        d = f.get(f"/grid/{a}")
        if d is None:
            continue
        if not isinstance(d, h5py.Dataset) or d.ndim != 1 or d.shape[0] == 0:
            raise PostError(f"/grid/{a} in {path} must be a non-empty 1-D dataset")
        grid[a] = (np.asarray(d[()], dtype=np.float64), units_of(d))
    for a in ("x", "y"):
        if a not in grid:
            raise PostError(f"{path} has no /grid/{a}; rendering needs a structured-grid file (DESIGN §4)")
    return grid


def _layout(shape: tuple[int, ...], grid: dict, nt: int | None) -> _Layout | None:
    """The first reading of `shape` that fits the grid; plain fields win over time series."""
    spatials = ([("z", "y", "x")] if "z" in grid else []) + [("y", "x")]
    for timed in (False, True) if nt is not None else (False,):
        for spatial in spatials:
            for vector in (False, True):
                rank = timed + len(spatial) + vector
                if len(shape) != rank or (timed and shape[0] != nt):
                    continue
                if vector and shape[-1] not in (2, 3):
                    continue
                dims = shape[int(timed): int(timed) + len(spatial)]
                cell = {}
                for a, n in zip(spatial, dims):
                    ncoord = len(grid[a][0])
                    if n not in (ncoord, ncoord - 1):
                        break
                    # Equal to the coordinate count is node data; one less is cell data.
                    cell[a] = n == ncoord - 1
                else:
                    return _Layout(timed, spatial, shape[-1] if vector else 0, cell)
    return None


def _grid_summary(grid: dict) -> str:
    return ", ".join(f"n{a} = {len(grid[a][0])}" for a in ("t", "z", "y", "x") if a in grid)


def _check_index(value: int | None, n: int, option: str, things: str, *, default: int) -> int:
    if value is None:
        return default
    if not -n <= value < n:
        raise PostError(f"{option} {value} is out of range: {n} {things} (0..{n - 1}, or negative from the end)")
    return value % n


def _component(value: int | str, n: int, name: str) -> int:
    try:
        c = int(value)
    except (TypeError, ValueError):
        raise PostError(f"bad component '{value}': give an integer or 'magnitude'") from None
    if not 0 <= c < n:
        raise PostError(f"component {c} is out of range: {name} has {n} components (0..{n - 1})")
    return c


def _node_or_centre(coords: np.ndarray, i: int, cell: bool) -> float:
    return float(0.5 * (coords[i] + coords[i + 1])) if cell else float(coords[i])


def _read(dset: h5py.Dataset, path: str, selection: list) -> np.ndarray:
    try:
        return dset[tuple(selection)]
    except OSError as e:  # a truncated or corrupt file shows up only when the data is read
        raise PostError(f"cannot read {dset.name} from {path}: {e}") from None
