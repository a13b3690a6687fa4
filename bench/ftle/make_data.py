"""bench/ftle: the two benchmark flows, sampled in the layout `anneal ftle` reads.

    /grid/x [nx], /grid/y [ny], (/grid/z [nz]), /grid/t [nt]       f64, strictly increasing
    /fields/velocity [nt][ny][nx][2] or [nt][nz][ny][nx][3]          f64
    attribute `periodic` (int 0/1) on each spatial /grid dataset; root attribute `viscosity`

- double_gyre: the time-periodic double gyre (A = 0.1, ε = 0.25, ω = 2π/10; Shadden et al. 2005) on
  a uniform 513 × 257 node grid of [0, 2] × [0, 1], frames every 0.1 over t ∈ [0, 10.5] (106 frames).
- abc: the steady ABC flow (A = √3, B = √2, C = 1) on a uniform 64³ grid of [0, 2π)³, periodic on
  every axis (x_i = 2π i / 64, the last node not repeated), two identical frames at t = 0 and 100.

    /usr/bin/python3 bench/ftle/make_data.py OUTDIR      # writes OUTDIR/double_gyre.h5, OUTDIR/abc.h5
"""
import argparse
import os
from pathlib import Path

import h5py
import numpy as np

GYRE = {"A": 0.1, "eps": 0.25, "omega": 2.0 * np.pi / 10.0}
ABC = {"A": np.sqrt(3.0), "B": np.sqrt(2.0), "C": 1.0}


def double_gyre_velocity(x, y, t, A=GYRE["A"], eps=GYRE["eps"], omega=GYRE["omega"]):
    """(u, v) of the double gyre at points (x, y) and time t (arrays broadcast)."""
    a = eps * np.sin(omega * t)
    b = 1.0 - 2.0 * eps * np.sin(omega * t)
    f = a * x * x + b * x
    dfdx = 2.0 * a * x + b
    u = -np.pi * A * np.sin(np.pi * f) * np.cos(np.pi * y)
    v = np.pi * A * np.cos(np.pi * f) * np.sin(np.pi * y) * dfdx
    return u, v


def abc_velocity(x, y, z, A=ABC["A"], B=ABC["B"], C=ABC["C"]):
    return (A * np.sin(z) + C * np.cos(y), B * np.sin(x) + A * np.cos(z), C * np.sin(y) + B * np.cos(x))


def _write(path, grid, t, velocity, periodic, viscosity=0.0, description=""):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with h5py.File(tmp, "w") as f:
        for name, values in grid.items():
            d = f.create_dataset(f"/grid/{name}", data=values)
            d.attrs["periodic"] = np.int32(periodic)
        f["/grid/t"] = t
        f.create_dataset("/fields/velocity", data=velocity)
        f.attrs["viscosity"] = float(viscosity)
        f.attrs["description"] = description
    os.replace(tmp, path)
    return path


def double_gyre(path, nx=513, ny=257, t_end=10.5, dt=0.1):
    x = np.linspace(0.0, 2.0, nx)
    y = np.linspace(0.0, 1.0, ny)
    t = np.round(np.arange(int(round(t_end / dt)) + 1) * dt, 12)
    vel = np.empty((len(t), ny, nx, 2))
    X, Y = np.meshgrid(x, y)  # [ny][nx]
    for k, tk in enumerate(t):
        vel[k, ..., 0], vel[k, ..., 1] = double_gyre_velocity(X, Y, tk)
    return _write(path, {"x": x, "y": y}, t, vel, periodic=0,
                  description="double gyre A = 0.1, eps = 0.25, omega = 2 pi / 10")


def abc(path, n=64, t_frames=(0.0, 100.0)):
    x = 2.0 * np.pi * np.arange(n) / n
    Z, Y, X = np.meshgrid(x, x, x, indexing="ij")  # [nz][ny][nx]
    frame = np.stack(abc_velocity(X, Y, Z), axis=-1)
    vel = np.stack([frame] * len(t_frames))
    return _write(path, {"x": x, "y": x.copy(), "z": x.copy()}, np.asarray(t_frames, float), vel, periodic=1,
                  description="steady ABC flow A = sqrt 3, B = sqrt 2, C = 1, periodic [0, 2 pi)^3")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    args = ap.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    print(double_gyre(out / "double_gyre.h5"))
    print(abc(out / "abc.h5"))


if __name__ == "__main__":
    main()
