"""bench/ftle peers: what TBarrier and numbacs do to compute an FTLE field from gridded velocity data.

Particle advection with fixed-step classical RK4 in a velocity field sampled on a uniform grid:
bilinear (2-D) / trilinear (3-D) interpolation in space (cell index floor((x − x0)/dx), clamped to
the last cell, so that a point outside extrapolates linearly from the boundary cell), linear
interpolation in time between the two bracketing frames (clamped likewise), periodic axes wrapped
with a modulo in the lookup only (positions stay unwrapped, so that gradients across the period are
right). Two implementations, the same arithmetic in the same order:

- `advect_numpy`: vectorised NumPy over all particles (arrays of shape [n]); one thread.
- `advect_numba`: numba @njit(parallel=True, fastmath=False), prange over particles with the RK4
  loop inside; the thread count is numba.set_num_threads(n) (call `warm_up` once before timing).

The particles are the finite-difference auxiliary points of FTLE seeds: 2·d per seed at ±δ along
each axis, seed-major, in the order (+δ e_x, −δ e_x, +δ e_y, −δ e_y[, +δ e_z, −δ e_z]); the seeds
are in C order ([nz][ny][nx], x fastest). `ftle_from_fd` turns the final positions into the FTLE.

    /usr/bin/python3 bench/ftle/peers.py DATA.h5 --impl numba --threads 2 --T 10 --step 0.01 --seeds 256x128
"""
import argparse
import json
import math
import statistics
import time

import h5py
import numpy as np


# ---------------------------------------------------------------------------------------- data


class Flow:
    """Velocity frames on a uniform grid, in the layout `anneal ftle` reads (bench/ftle/make_data.py)."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            names = [a for a in ("x", "y", "z") if f"/grid/{a}" in f]
            coords = [f[f"/grid/{a}"][:] for a in names]
            self.periodic = [bool(int(f[f"/grid/{a}"].attrs.get("periodic", 0))) for a in names]
            self.t = f["/grid/t"][:]
            self.velocity = np.ascontiguousarray(f["/fields/velocity"][:], dtype=np.float64)
        self.dim = len(names)
        if self.dim not in (2, 3):
            raise ValueError(f"{path}: expected /grid/x, /grid/y and optionally /grid/z")
        self.n = [len(c) for c in coords]
        self.origin = [float(c[0]) for c in coords]
        self.spacing = [float(c[1] - c[0]) for c in coords]
        for name, c in zip(names, coords):
            if not np.allclose(np.diff(c), c[1] - c[0], rtol=1e-9, atol=0):
                raise ValueError(f"{path}: /grid/{name} is not uniform; the peers need a uniform grid")
        if len(self.t) < 2 or not np.allclose(np.diff(self.t), self.t[1] - self.t[0], rtol=1e-9, atol=0):
            raise ValueError(f"{path}: /grid/t must hold two or more uniformly spaced frames")
        self.t_first, self.t_spacing = float(self.t[0]), float(self.t[1] - self.t[0])
        expected = (len(self.t), *reversed(self.n), self.dim)
        if self.velocity.shape != expected:
            raise ValueError(f"{path}: /fields/velocity has shape {self.velocity.shape}, expected {expected}")
        # The extent along each axis: node span, or the full period when the last node is not repeated.
        self.length = [s * (n if p else n - 1) for s, n, p in zip(self.spacing, self.n, self.periodic)]


def seed_grid(flow, shape, coords=None):
    """Seed coordinates per axis (x, y[, z]). Default: cell centres of an n_s-cell partition of each
    non-periodic axis (so that every ±δ point lies inside the domain), x0 + i L / n_s on periodic ones."""
    if coords is not None:
        return [np.asarray(c, dtype=np.float64) for c in coords]
    out = []
    for a, ns in enumerate(shape):
        i = np.arange(ns, dtype=np.float64)
        offset = 0.0 if flow.periodic[a] else 0.5
        out.append(flow.origin[a] + (i + offset) * flow.length[a] / ns)
    return out


def default_delta(flow):
    """δ = 1e-3 of the shortest domain length."""
    return 1e-3 * min(flow.length)


def fd_particles(axes, delta):
    """[d][2·d·n_seeds] starting positions: the ±δ points of every seed (module docstring for order)."""
    d = len(axes)
    mesh = np.meshgrid(*reversed(axes), indexing="ij")[::-1]  # x, y, (z), each [(nz)][ny][nx]
    seeds = np.stack([m.ravel() for m in mesh])  # [d][n_seeds]
    out = np.repeat(seeds[:, :, None], 2 * d, axis=2)  # [d][n_seeds][2d]
    for a in range(d):
        out[a, :, 2 * a] += delta
        out[a, :, 2 * a + 1] -= delta
    return np.ascontiguousarray(out.reshape(d, -1))


def ftle_from_fd(final, shape, delta, T):
    """FTLE [(nz)][ny][nx] = log σ_max(F) / |T|, F from central differences of the ±δ points."""
    d = final.shape[0]
    p = final.reshape(d, -1, d, 2)  # [component][seed][axis][±]
    F = (p[..., 0] - p[..., 1]) / (2.0 * delta)  # [component i][seed][axis j] = ∂x_i/∂X_j
    F = np.moveaxis(F, 1, 0)  # [seed][i][j]
    C = np.einsum("sik,sil->skl", F, F)
    lam = np.linalg.eigvalsh(C)[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ftle = np.log(lam) / (2.0 * abs(T))
    return ftle.reshape(tuple(reversed(shape)))


def steps_and_h(T, step):
    n = int(round(abs(T) / step))
    if n < 1 or abs(n * step - abs(T)) > 1e-9 * abs(T):
        raise ValueError(f"T = {T} is not a whole number of steps {step}")
    return n, math.copysign(step, T)


def _params(flow):
    """Grid scalars in the order the kernels take them."""
    inv = [1.0 / s for s in flow.spacing]
    return (flow.origin, inv, flow.n, [int(p) for p in flow.periodic],
            flow.t_first, 1.0 / flow.t_spacing, len(flow.t))


# -------------------------------------------------------------------------------------- NumPy


def _axis_numpy(x, x0, inv, n, periodic):
    s = (x - x0) * inv
    if periodic:
        s = s - n * np.floor(s / n)
        i = np.minimum(np.floor(s).astype(np.int64), n - 1)
        w = s - i
        i1 = np.where(i + 1 == n, 0, i + 1)
    else:
        i = np.clip(np.floor(s).astype(np.int64), 0, n - 2)
        w = s - i
        i1 = i + 1
    return i, i1, w


def _time_index(t, t_first, inv_dt, nt):
    s = (t - t_first) * inv_dt
    k = min(max(int(math.floor(s)), 0), nt - 2)
    return k, s - k


def _velocity_numpy(vel, pos, t, prm):
    origin, inv, n, periodic, t_first, inv_dt, nt = prm
    d = len(pos)
    k, wt = _time_index(t, t_first, inv_dt, nt)
    idx = [_axis_numpy(pos[a], origin[a], inv[a], n[a], periodic[a]) for a in range(d)]
    out = []
    for frame in (vel[k].reshape(-1, d), vel[k + 1].reshape(-1, d)):
        (i0, i1, wx), (j0, j1, wy) = idx[0], idx[1]
        nx = n[0]
        if d == 2:
            def corner(j, i):
                return frame[j * nx + i]
            lo = (1.0 - wx)[:, None] * corner(j0, i0) + wx[:, None] * corner(j0, i1)
            hi = (1.0 - wx)[:, None] * corner(j1, i0) + wx[:, None] * corner(j1, i1)
            v = (1.0 - wy)[:, None] * lo + wy[:, None] * hi
        else:
            l0, l1, wz = idx[2]
            ny = n[1]

            def plane(l):
                def corner(j, i):
                    return frame[(l * ny + j) * nx + i]
                lo = (1.0 - wx)[:, None] * corner(j0, i0) + wx[:, None] * corner(j0, i1)
                hi = (1.0 - wx)[:, None] * corner(j1, i0) + wx[:, None] * corner(j1, i1)
                return (1.0 - wy)[:, None] * lo + wy[:, None] * hi
            v = (1.0 - wz)[:, None] * plane(l0) + wz[:, None] * plane(l1)
        out.append(v)
    v = (1.0 - wt) * out[0] + wt * out[1]  # [n][d]
    return [v[:, a] for a in range(d)]


def advect_numpy(flow, start, t0, T, step):
    """Final positions [d][n] after RK4 from t0 over T (vectorised over the particles)."""
    nsteps, h = steps_and_h(T, step)
    prm = _params(flow)
    pos = [start[a].copy() for a in range(flow.dim)]
    d = flow.dim
    for s in range(nsteps):
        t = t0 + s * h
        k1 = _velocity_numpy(flow.velocity, pos, t, prm)
        k2 = _velocity_numpy(flow.velocity, [pos[a] + 0.5 * h * k1[a] for a in range(d)], t + 0.5 * h, prm)
        k3 = _velocity_numpy(flow.velocity, [pos[a] + 0.5 * h * k2[a] for a in range(d)], t + 0.5 * h, prm)
        k4 = _velocity_numpy(flow.velocity, [pos[a] + h * k3[a] for a in range(d)], t + h, prm)
        for a in range(d):
            pos[a] = pos[a] + (h / 6.0) * (k1[a] + 2.0 * k2[a] + 2.0 * k3[a] + k4[a])
    return np.stack(pos)


# -------------------------------------------------------------------------------------- numba

_kernels = {}


def _numba_kernels():
    """Compiled lazily so that the NumPy peer and the tools above need no numba."""
    if _kernels:
        return _kernels
    import numba
    from numba import njit, prange

    @njit(fastmath=False)
    def axis(x, x0, inv, n, periodic):
        s = (x - x0) * inv
        if periodic:
            s = s - n * math.floor(s / n)
            i = min(int(math.floor(s)), n - 1)
            w = s - i
            i1 = 0 if i + 1 == n else i + 1
        else:
            i = min(max(int(math.floor(s)), 0), n - 2)
            w = s - i
            i1 = i + 1
        return i, i1, w

    @njit(fastmath=False)
    def time_index(t, t_first, inv_dt, nt):
        s = (t - t_first) * inv_dt
        k = min(max(int(math.floor(s)), 0), nt - 2)
        return k, s - k

    @njit(fastmath=False)
    def bilinear(vel, k, c, i0, i1, wx, j0, j1, wy):
        lo = (1.0 - wx) * vel[k, j0, i0, c] + wx * vel[k, j0, i1, c]
        hi = (1.0 - wx) * vel[k, j1, i0, c] + wx * vel[k, j1, i1, c]
        return (1.0 - wy) * lo + wy * hi

    @njit(fastmath=False)
    def velocity2(vel, x, y, t, x0, y0, ix, iy, nx, ny, px, py, t_first, inv_dt, nt):
        k, wt = time_index(t, t_first, inv_dt, nt)
        i0, i1, wx = axis(x, x0, ix, nx, px)
        j0, j1, wy = axis(y, y0, iy, ny, py)
        u = (1.0 - wt) * bilinear(vel, k, 0, i0, i1, wx, j0, j1, wy) \
            + wt * bilinear(vel, k + 1, 0, i0, i1, wx, j0, j1, wy)
        v = (1.0 - wt) * bilinear(vel, k, 1, i0, i1, wx, j0, j1, wy) \
            + wt * bilinear(vel, k + 1, 1, i0, i1, wx, j0, j1, wy)
        return u, v

    @njit(parallel=True, fastmath=False)
    def advect2(px_, py_, vel, x0, y0, ix, iy, nx, ny, perx, pery, t_first, inv_dt, nt, t0, h, nsteps):
        for p in prange(px_.shape[0]):
            x = px_[p]
            y = py_[p]
            for s in range(nsteps):
                t = t0 + s * h
                k1x, k1y = velocity2(vel, x, y, t, x0, y0, ix, iy, nx, ny, perx, pery, t_first, inv_dt, nt)
                k2x, k2y = velocity2(vel, x + 0.5 * h * k1x, y + 0.5 * h * k1y, t + 0.5 * h,
                                     x0, y0, ix, iy, nx, ny, perx, pery, t_first, inv_dt, nt)
                k3x, k3y = velocity2(vel, x + 0.5 * h * k2x, y + 0.5 * h * k2y, t + 0.5 * h,
                                     x0, y0, ix, iy, nx, ny, perx, pery, t_first, inv_dt, nt)
                k4x, k4y = velocity2(vel, x + h * k3x, y + h * k3y, t + h,
                                     x0, y0, ix, iy, nx, ny, perx, pery, t_first, inv_dt, nt)
                x = x + (h / 6.0) * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
                y = y + (h / 6.0) * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
            px_[p] = x
            py_[p] = y

    @njit(fastmath=False)
    def trilinear(vel, k, c, i0, i1, wx, j0, j1, wy, l0, l1, wz):
        lo = (1.0 - wx) * vel[k, l0, j0, i0, c] + wx * vel[k, l0, j0, i1, c]
        hi = (1.0 - wx) * vel[k, l0, j1, i0, c] + wx * vel[k, l0, j1, i1, c]
        p0 = (1.0 - wy) * lo + wy * hi
        lo = (1.0 - wx) * vel[k, l1, j0, i0, c] + wx * vel[k, l1, j0, i1, c]
        hi = (1.0 - wx) * vel[k, l1, j1, i0, c] + wx * vel[k, l1, j1, i1, c]
        p1 = (1.0 - wy) * lo + wy * hi
        return (1.0 - wz) * p0 + wz * p1

    @njit(fastmath=False)
    def velocity3(vel, x, y, z, t, o, inv, n, per, t_first, inv_dt, nt):
        k, wt = time_index(t, t_first, inv_dt, nt)
        i0, i1, wx = axis(x, o[0], inv[0], n[0], per[0])
        j0, j1, wy = axis(y, o[1], inv[1], n[1], per[1])
        l0, l1, wz = axis(z, o[2], inv[2], n[2], per[2])
        u = (1.0 - wt) * trilinear(vel, k, 0, i0, i1, wx, j0, j1, wy, l0, l1, wz) \
            + wt * trilinear(vel, k + 1, 0, i0, i1, wx, j0, j1, wy, l0, l1, wz)
        v = (1.0 - wt) * trilinear(vel, k, 1, i0, i1, wx, j0, j1, wy, l0, l1, wz) \
            + wt * trilinear(vel, k + 1, 1, i0, i1, wx, j0, j1, wy, l0, l1, wz)
        w = (1.0 - wt) * trilinear(vel, k, 2, i0, i1, wx, j0, j1, wy, l0, l1, wz) \
            + wt * trilinear(vel, k + 1, 2, i0, i1, wx, j0, j1, wy, l0, l1, wz)
        return u, v, w

    @njit(parallel=True, fastmath=False)
    def advect3(px_, py_, pz_, vel, o, inv, n, per, t_first, inv_dt, nt, t0, h, nsteps):
        for p in prange(px_.shape[0]):
            x = px_[p]
            y = py_[p]
            z = pz_[p]
            for s in range(nsteps):
                t = t0 + s * h
                k1x, k1y, k1z = velocity3(vel, x, y, z, t, o, inv, n, per, t_first, inv_dt, nt)
                k2x, k2y, k2z = velocity3(vel, x + 0.5 * h * k1x, y + 0.5 * h * k1y, z + 0.5 * h * k1z,
                                          t + 0.5 * h, o, inv, n, per, t_first, inv_dt, nt)
                k3x, k3y, k3z = velocity3(vel, x + 0.5 * h * k2x, y + 0.5 * h * k2y, z + 0.5 * h * k2z,
                                          t + 0.5 * h, o, inv, n, per, t_first, inv_dt, nt)
                k4x, k4y, k4z = velocity3(vel, x + h * k3x, y + h * k3y, z + h * k3z,
                                          t + h, o, inv, n, per, t_first, inv_dt, nt)
                x = x + (h / 6.0) * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
                y = y + (h / 6.0) * (k1y + 2.0 * k2y + 2.0 * k3y + k4y)
                z = z + (h / 6.0) * (k1z + 2.0 * k2z + 2.0 * k3z + k4z)
            px_[p] = x
            py_[p] = y
            pz_[p] = z

    _kernels.update(numba=numba, advect2=advect2, advect3=advect3)
    return _kernels


def advect_numba(flow, start, t0, T, step, threads=None):
    """Final positions [d][n]; threads: numba.set_num_threads before the call (None: leave as is)."""
    kern = _numba_kernels()
    if threads is not None:
        kern["numba"].set_num_threads(int(threads))
    nsteps, h = steps_and_h(T, step)
    origin, inv, n, periodic, t_first, inv_dt, nt = _params(flow)
    pos = np.array(start, dtype=np.float64, copy=True)
    if flow.dim == 2:
        kern["advect2"](pos[0], pos[1], flow.velocity, origin[0], origin[1], inv[0], inv[1], n[0], n[1],
                        periodic[0], periodic[1], t_first, inv_dt, nt, float(t0), float(h), nsteps)
    else:
        kern["advect3"](pos[0], pos[1], pos[2], flow.velocity, tuple(origin), tuple(inv), tuple(n),
                        tuple(periodic), t_first, inv_dt, nt, float(t0), float(h), nsteps)
    return pos


def warm_up(flow):
    """Compile the numba kernel for this dimension (one tiny call) so that no timing includes it."""
    start = fd_particles(seed_grid(flow, [2] * flow.dim), default_delta(flow))
    step = flow.t_spacing / 4
    advect_numba(flow, start, flow.t_first, step, step)


def numba_info():
    kern = _numba_kernels()
    numba = kern["numba"]
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = None
    return {"numba": numba.__version__, "threading_layer": layer, "max_threads": numba.config.NUMBA_NUM_THREADS}


def timed(fn, repeats):
    """(median seconds, seconds of every run, the last result)."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), seconds, result


def _shape(text):
    try:
        shape = [int(v) for v in text.lower().split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad seed grid '{text}': give NXxNY or NXxNYxNZ") from None
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"bad seed grid '{text}': give NXxNY or NXxNYxNZ")
    return shape


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data")
    ap.add_argument("--impl", choices=("numba", "numpy"), default="numba")
    ap.add_argument("--threads", type=int, default=1, help="numba threads (NumPy runs on one)")
    ap.add_argument("--t0", type=float, default=0.0)
    ap.add_argument("--T", type=float, default=10.0)
    ap.add_argument("--step", type=float, default=0.01)
    ap.add_argument("--seeds", type=_shape, default=[256, 128])
    ap.add_argument("--delta", type=float, help="finite-difference offset (default: 1e-3 of the shortest length)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    flow = Flow(args.data)
    if len(args.seeds) != flow.dim:
        ap.error(f"--seeds has {len(args.seeds)} axes, the data {flow.dim}")
    delta = args.delta or default_delta(flow)
    start = fd_particles(seed_grid(flow, args.seeds), delta)
    nsteps, _ = steps_and_h(args.T, args.step)
    if args.impl == "numba":
        warm_up(flow)
        fn = lambda: advect_numba(flow, start, args.t0, args.T, args.step, args.threads)  # noqa: E731
    else:
        fn = lambda: advect_numpy(flow, start, args.t0, args.T, args.step)  # noqa: E731
    median, runs, final = timed(fn, args.repeats)
    ftle = ftle_from_fd(final, args.seeds, delta, args.T)
    steps = start.shape[1] * nsteps
    print(json.dumps({"impl": args.impl, "threads": args.threads if args.impl == "numba" else 1,
                      "particles": start.shape[1], "steps": nsteps, "particle_steps": steps, "seconds": median,
                      "runs": runs, "steps_per_second": steps / median, "delta": delta,
                      "ftle_max": float(np.nanmax(ftle))}))


if __name__ == "__main__":
    main()
