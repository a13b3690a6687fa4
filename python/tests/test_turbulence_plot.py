"""The turbulence figures (`anneal_post ftle`, `anneal_post tnti`): drawn from synthetic files with the
documented layouts, in 2-D and 3-D, and a clear one-line error otherwise."""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.image import imread

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NX, NY, NZ = 40, 20, 8  # all different: a transposed axis cannot pass


def circle(n=24, r=0.3, cx=1.0, cy=0.5):
    """A closed polygon as points [n][2] and segments [n][2] (2-D interface elements)."""
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    points = np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)
    elements = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1).astype(np.int64)
    return points, elements


def grid(f, dim):
    x, y = np.linspace(0, 2, NX), np.linspace(0, 1, NY)
    f["/grid/x"], f["/grid/y"] = x, y
    if dim == 3:
        f["/grid/z"] = np.linspace(0, 1, NZ)
    return x, y


def spatial(dim):
    return (NZ, NY, NX) if dim == 3 else (NY, NX)


def write_ftle(path, dim=2, failures=True, interfaces=True, n_cases=2):
    with h5py.File(path, "w") as f:
        x, y = grid(f, dim)
        f["/cases/t0"] = np.zeros(n_cases)
        f["/cases/T"] = np.linspace(5, 10, n_cases)
        shape = spatial(dim)
        ftle = np.empty((n_cases, *shape))
        for c in range(n_cases):
            ftle[c] = (c + 1) * np.abs(np.sin(np.pi * x))[None, :] * np.ones(shape)
        status = np.zeros(ftle.shape, dtype=np.uint8)
        if failures:
            ftle[:, ..., :3, :3] = np.nan  # a corner of particles that left the domain
            status[:, ..., :3, :3] = 1
            status[:, ..., -3:, -3:] = 2  # masked data: finite value, still drawn grey
        f["/fields/ftle"] = ftle
        f["/fields/particle_status"] = status
        if interfaces:
            points, elements = circle()
            f["/interfaces/tnti/points"], f["/interfaces/tnti/elements"] = points, elements


def write_barriers(path, dim=2):
    with h5py.File(path, "w") as f:
        x, y = grid(f, dim)
        f["/cases/t0"], f["/cases/T"] = [0.0], [1.0]
        shape = spatial(dim)
        if dim == 2:
            f["/fields/vorticity_mean"] = np.sin(np.pi * x)[None, None, :] * np.cos(np.pi * y)[None, :, None]
        f["/fields/barrier_strength"] = np.ones((1, *shape)) * np.linspace(0, 1, NX)
        f["/fields/active_ftle"] = np.ones((1, *shape)) * np.linspace(0, 1, NY)[:, None]


def write_tnti(path, dim=2, drop=None):
    Ts = np.array([0.5, 1.0, 2.0])
    with h5py.File(path, "w") as f:
        x, y = grid(f, dim)
        f["/grid/t"] = Ts
        shape = spatial(dim)
        r = np.hypot(x[None, :] - 1.0, y[:, None] - 0.5) * np.ones(shape)
        f["/fields/scalar"] = np.exp(-(r / 0.3) ** 4)
        f["/fields/cluster"] = np.digitize(-r, [-0.3, -0.15]).astype(np.uint8)  # 0 ambient, 1, 2 core
        f["/fields/distance_tnti"] = 0.3 - r
        f["/fields/distance_internal"] = 0.15 - r
        f["/fields/ftle_forward"] = np.stack([T * np.exp(-((r - 0.3) / 0.05) ** 2) for T in Ts])
        f["/fields/ftle_backward"] = f["/fields/ftle_forward"][:] * 0.5
        f["/fields/barrier_strength"] = np.stack([np.exp(-((r - 0.3) / 0.1) ** 2) / T for T in Ts])
        if dim == 2:
            for name, radius in (("tnti", 0.3), ("internal", 0.15)):
                points, elements = circle(r=radius)
                f[f"/interfaces/{name}/points"], f[f"/interfaces/{name}/elements"] = points, elements
        d = np.linspace(-0.2, 0.2, 11)
        for name in ("tnti", "internal"):
            g = f"/conditional/{name}"
            f[f"{g}/distance"], f[f"{g}/count"] = d, np.where(np.abs(d) < 0.19, 10, 0)
            f[f"{g}/ftle_forward"] = np.stack([T * np.exp(-(d / 0.05) ** 2) for T in Ts])
            f[f"{g}/ftle_backward"] = np.stack([0.5 * T * np.exp(-(d / 0.05) ** 2) for T in Ts])
            f[f"{g}/barrier_strength"] = np.stack([np.exp(-(d / 0.1) ** 2) / T for T in Ts])
            f[f"{g}/scalar"], f[f"{g}/vorticity"] = np.tanh(d / 0.05), np.tanh(d / 0.05) + 1
        f.attrs["integral_time_scale"] = 0.5
        if drop:
            del f[drop]


def run(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "anneal_post", *args], capture_output=True, text=True, env=env)


def grey_pixels(png):
    """Pixels inside 3 × 3 blocks of the failed-particle grey (0.6, 0.6, 0.6): no viridis colour is
    neutral, and anti-aliased text makes no such blocks."""
    rgb = imread(png)[..., :3]
    grey = np.all(np.abs(rgb - 0.6) < 0.01, axis=-1)
    h, w = grey.shape
    block = np.ones((h - 2, w - 2), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            block &= grey[dy:h - 2 + dy, dx:w - 2 + dx]
    return int(block.sum())


class FtlePlotTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def assert_png(self, r, png):
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), png)
        image = imread(png)
        self.assertEqual(image.ndim, 3)
        self.assertGreater(image.shape[0], 100)

    def assert_error(self, r, png, text):
        self.assertEqual(r.returncode, 2)
        self.assertIn(text, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        self.assertFalse(os.path.exists(png))

    def test_ftle_2d_each_case_with_failures_grey(self):
        h5 = self.path("ftle.h5")
        write_ftle(h5)
        for case in ("0", "1", "-1"):
            png = self.path(f"ftle{case}.png")
            self.assert_png(run("ftle", h5, "-o", png, "--case", case), png)
        self.assertGreater(grey_pixels(self.path("ftle0.png")), 0)
        clean, png = self.path("clean.h5"), self.path("clean.png")
        write_ftle(clean, failures=False, interfaces=False)
        self.assert_png(run("ftle", clean, "-o", png), png)
        self.assertEqual(grey_pixels(png), 0)

    def test_ftle_3d_draws_the_middle_plane(self):
        from anneal_post.turbulence_plot import _plane
        h5, png = self.path("ftle3.h5"), self.path("ftle3.png")
        write_ftle(h5, dim=3)
        with h5py.File(h5, "r+") as f:
            f["/fields/ftle"][1] = np.arange(NZ)[:, None, None] * np.ones((NZ, NY, NX))
            z = f["/grid/z"][:]
            plane = _plane(f, h5, "/fields/ftle", (1,), z)
        self.assertEqual(plane.shape, (NY, NX))
        np.testing.assert_array_equal(plane, NZ // 2)
        self.assert_png(run("ftle", h5, "-o", png, "--case", "1"), png)

    def test_barriers_2d_and_3d(self):
        for dim in (2, 3):
            h5, png = self.path(f"barriers{dim}.h5"), self.path(f"barriers{dim}.png")
            write_barriers(h5, dim)
            self.assert_png(run("ftle", h5, "-o", png), png)

    def test_interface_segments_join_their_points(self):
        from anneal_post.turbulence_plot import _draw_interfaces
        points, elements = circle(n=6)
        fig = Figure()
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        _draw_interfaces(ax, {"tnti": (points, elements)})
        lines = [c for c in ax.collections if isinstance(c, LineCollection)]
        self.assertEqual(len(lines), 1)
        segments = lines[0].get_segments()
        self.assertEqual(len(segments), 6)
        for s, (a, b) in zip(segments, elements):
            np.testing.assert_allclose(s, points[[a, b]])

    def test_ftle_errors(self):
        h5, png = self.path("other.h5"), self.path("x.png")
        with h5py.File(h5, "w") as f:
            grid(f, 2)
        self.assert_error(run("ftle", h5, "-o", png), png, "is not an `anneal ftle` output: /fields/ftle is missing")
        write_ftle(h5)
        self.assert_error(run("ftle", h5, "-o", png, "--case", "2"), png, "--case 2 is out of range")
        with h5py.File(h5, "r+") as f:
            del f["/fields/ftle"]
            f["/fields/ftle"] = np.zeros((2, NX))  # a missing spatial axis
        self.assert_error(run("ftle", h5, "-o", png), png, "/fields/ftle has 2 axes, expected 3")
        self.assert_error(run("ftle", self.path("absent.h5"), "-o", png), png, "cannot open")

    def test_tnti_2d_and_3d(self):
        for dim in (2, 3):
            h5, png = self.path(f"tnti{dim}.h5"), self.path(f"tnti{dim}.png")
            write_tnti(h5, dim)
            self.assert_png(run("tnti", h5, "-o", png), png)

    def test_tnti_without_conditional_averages(self):
        h5, png = self.path("tnti.h5"), self.path("tnti.png")
        write_tnti(h5, drop="/conditional")
        self.assert_png(run("tnti", h5, "-o", png), png)

    def test_tnti_errors(self):
        png = self.path("x.png")
        for missing in ("/fields/cluster", "/grid/t", "/fields/ftle_forward"):
            h5 = self.path("bad.h5")
            write_tnti(h5, drop=missing)
            self.assert_error(run("tnti", h5, "-o", png), png,
                              f"is not a turbulent/non-turbulent interface output: {missing} is missing")
        h5 = self.path("bad.h5")
        write_tnti(h5)
        with h5py.File(h5, "r+") as f:
            del f["/conditional/tnti/ftle_forward"]
            f["/conditional/tnti/ftle_forward"] = np.zeros((2, 11))
        self.assert_error(run("tnti", h5, "-o", png), png, "/conditional/tnti/ftle_forward has shape (2, 11)")


if __name__ == "__main__":
    unittest.main()
