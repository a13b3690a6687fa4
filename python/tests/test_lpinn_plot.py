"""The lpinn figure: drawn from a file with the documented layout, and a clear error otherwise."""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from matplotlib.image import imread

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_run(path, characteristics=True):
    x = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    t = np.linspace(0, 1, 10)
    u = np.sin(x[None, :] - 3 * t[:, None])
    with h5py.File(path, "w") as f:
        f["/grid/x"], f["/grid/t"] = x, t
        f["/fields/u"], f["/fields/error"] = u, 1e-3 * u
        f["/history/step"], f["/history/loss"] = np.arange(5), np.logspace(0, -4, 5)
        if characteristics:
            f["/characteristics/X"] = np.linspace(0, 2 * np.pi, 4)[None, :] + 3 * t[:, None]
        f.attrs["method"], f.attrs["rel_l2"], f.attrs["problem"] = "lpinn", 1e-3, "convection"


def run(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "anneal_post", *args], capture_output=True, text=True, env=env)


class LpinnPlotTest(unittest.TestCase):
    def test_fold_splits_each_wrap_on_the_boundary(self):
        """X = x0 + 3t on [0, 2π): the wraps fall at t = (2πk − x0)/3, and every piece stays inside."""
        from anneal_post.lpinn_plot import _fold
        t = np.linspace(0, 4, 401)
        x0 = 1.0
        xs, ts = _fold(x0 + 3 * t, t, 0.0, 2 * np.pi)
        inside = ~np.isnan(xs)
        self.assertTrue(np.all((xs[inside] >= 0) & (xs[inside] <= 2 * np.pi)))
        breaks = np.flatnonzero(np.isnan(xs))
        expected = [(2 * np.pi * k - x0) / 3 for k in (1, 2)]
        self.assertEqual(len(breaks), len(expected))
        for b, tc in zip(breaks, expected):
            self.assertAlmostEqual(xs[b - 1], 2 * np.pi)  # leaves at the right edge ...
            self.assertAlmostEqual(xs[b + 1], 0.0)        # ... comes back at the left one
            self.assertAlmostEqual(ts[b - 1], tc, places=12)
            self.assertAlmostEqual(ts[b + 1], tc, places=12)

    def test_draws_both_methods(self):
        with tempfile.TemporaryDirectory() as tmp:
            for characteristics in (True, False):
                h5, png = os.path.join(tmp, "run.h5"), os.path.join(tmp, f"run{characteristics}.png")
                write_run(h5, characteristics)
                r = run("lpinn", h5, "-o", png)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(imread(png).ndim, 3)

    def test_not_an_lpinn_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            h5, png = os.path.join(tmp, "other.h5"), os.path.join(tmp, "x.png")
            with h5py.File(h5, "w") as f:
                f["/grid/x"] = np.arange(3.0)
            r = run("lpinn", h5, "-o", png)
            self.assertEqual(r.returncode, 2)
            self.assertIn("not an `anneal lpinn train` output", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
            self.assertFalse(os.path.exists(png))


if __name__ == "__main__":
    unittest.main()
