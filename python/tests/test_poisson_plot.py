"""The poisson figure (`anneal_post poisson`): residual histories of several small synthetic
`anneal poisson solve` outputs and the mid-z slice of the first one's solution, solids masked;
one panel for a system without a grid, and a clear one-line error otherwise."""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from matplotlib.image import imread

from anneal_post import PostError, poisson_plot

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NX, NY, NZ = 8, 6, 4
SPACING = (0.5, 0.25, 1.0)
SOLID = (2, 3, 4)  # (k, j, i) of the one solid cell; k = NZ // 2, so it lies in the drawn plane
WIDTH, HEIGHT = 1560, 600  # 13 × 5 in at the default 120 dpi


def solution():
    """x[k][j][i] = 100 k + 10 j + i: every plane and cell is told apart by its values."""
    k, j, i = np.meshgrid(np.arange(NZ), np.arange(NY), np.arange(NX), indexing="ij")
    return (100.0 * k + 10.0 * j + i).astype(np.float64)


def history(n, rate):
    return rate ** np.arange(n, dtype=np.float64)


def write_output(path, method, residual, *, converged=1, grid=True, cell_type=True, solve_seconds=0.0125,
                 drop=()):
    """A file laid out like `anneal poisson solve` writes it; `drop` names datasets to leave out."""
    with h5py.File(path, "w") as f:
        if grid:
            f["/x"] = solution()
            f["/fields/x"] = f["/x"]  # a hard link, as the C++ writer makes it
            for a, n, h in zip("xyz", (NX, NY, NZ), SPACING):
                f[f"/grid/{a}"] = (np.arange(n) + 0.5) * h
            if cell_type:
                ct = np.zeros((NZ, NY, NX), dtype=np.uint8)
                ct[SOLID] = 1
                f["/fields/cell_type"] = ct
        else:
            f["/x"] = np.linspace(0.0, 1.0, 17)
        f["/history/residual"] = residual
        for name in drop:
            del f[name]
        f.attrs["method"] = method
        f.attrs["iterations"] = np.int64(len(residual) - 1)
        f.attrs["converged"] = np.int64(converged)
        f.attrs["reason"] = "CONVERGED_RTOL" if converged else "DIVERGED_ITS"
        f.attrs["setup_seconds"] = 0.5
        f.attrs["solve_seconds"] = solve_seconds
        f.attrs["relative_residual"] = float(residual[-1])
        f.attrs["ranks"] = np.int64(1)


def run(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "anneal_post", *args], capture_output=True, text=True, env=env)


class PoissonPlotTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name
        self.addCleanup(self._tmp.cleanup)
        self.histories = {"dcdm": history(6, 0.1), "cg + icc": history(13, 0.3), "cg + gamg": history(4, 0.01)}
        self.paths = []
        for n, (method, residual) in enumerate(self.histories.items()):
            p = os.path.join(self.tmp, f"run{n}.h5")
            write_output(p, method, residual, converged=method != "cg + icc")
            self.paths.append(p)

    def test_cli_writes_png(self):
        png = os.path.join(self.tmp, "plot.png")
        r = run("poisson", *self.paths, "-o", png)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), png)
        image = imread(png)
        self.assertEqual(image.shape[:2], (HEIGHT, WIDTH))
        self.assertGreater(image[..., :3].std(), 0.0)  # something was drawn
        self.assertFalse(os.path.exists(png + ".tmp"))

    def test_one_line_per_file_with_its_history_and_label(self):
        fig = poisson_plot.draw_poisson(self.paths)
        history_ax = fig.axes[0]
        self.assertEqual(history_ax.get_yscale(), "log")
        lines = history_ax.get_lines()
        self.assertEqual(len(lines), len(self.paths))
        for line, (method, residual) in zip(lines, self.histories.items()):
            np.testing.assert_array_equal(line.get_ydata(), residual)
            np.testing.assert_array_equal(line.get_xdata(), np.arange(len(residual)))
            label = line.get_label()
            self.assertTrue(label.startswith(f"{method}: {len(residual) - 1} its"), label)
            self.assertIn("0.0125 s", label)
            self.assertEqual("not converged" in label, method == "cg + icc", label)
        legend = [t.get_text() for t in history_ax.get_legend().get_texts()]
        self.assertEqual(legend, [line.get_label() for line in lines])

    def test_repeated_methods_are_told_apart_by_file_name(self):
        again = os.path.join(self.tmp, "again.h5")
        write_output(again, "dcdm", history(3, 0.5))
        labels = [line.get_label() for line in poisson_plot.draw_poisson([self.paths[0], again]).axes[0].get_lines()]
        self.assertIn("[run0.h5]", labels[0])
        self.assertIn("[again.h5]", labels[1])

    def test_slice_is_mid_z_of_the_first_file_with_solids_masked(self):
        fig = poisson_plot.draw_poisson(self.paths)
        self.assertEqual(len(fig.axes), 3)  # histories, slice, colorbar
        ax = fig.axes[1]
        self.assertEqual(len(ax.images), 1)
        shown = ax.images[0].get_array()
        k = NZ // 2
        np.testing.assert_array_equal(shown.data, solution()[k])
        expected_mask = np.zeros((NY, NX), dtype=bool)
        expected_mask[SOLID[1:]] = True
        np.testing.assert_array_equal(np.ma.getmaskarray(shown), expected_mask)
        np.testing.assert_allclose(ax.images[0].cmap.get_bad()[:3], (0.6, 0.6, 0.6))  # solids grey
        # Colours span the fluid cells only; the solid's value does not stretch the scale.
        fluid = np.ma.masked_array(solution()[k], expected_mask)
        self.assertEqual(ax.images[0].get_clim(), (fluid.min(), fluid.max()))
        # Axes in grid coordinates: the outer edges of the cell centres.
        np.testing.assert_allclose(ax.images[0].get_extent(), (0.0, NX * SPACING[0], 0.0, NY * SPACING[1]))
        self.assertEqual(ax.get_xlabel(), "x")
        self.assertEqual(ax.get_ylabel(), "y")
        self.assertIn("dcdm", ax.get_title())
        self.assertIn(f"k = {k}", ax.get_title())
        self.assertIn(f"z = {(k + 0.5) * SPACING[2]:.4g}", ax.get_title())

    def test_without_cell_type_nothing_is_masked(self):
        p = os.path.join(self.tmp, "open.h5")
        write_output(p, "cg + gamg", history(5, 0.2), cell_type=False)
        shown = poisson_plot.draw_poisson([p]).axes[1].images[0].get_array()
        self.assertFalse(np.ma.getmaskarray(shown).any())
        np.testing.assert_array_equal(shown.data, solution()[NZ // 2])

    def test_no_grid_gives_one_panel(self):
        p = os.path.join(self.tmp, "matrix.h5")
        write_output(p, "cg + icc", history(9, 0.4), grid=False)
        fig = poisson_plot.draw_poisson([p, self.paths[0]])
        self.assertEqual(len(fig.axes), 1)
        self.assertEqual(len(fig.axes[0].get_lines()), 2)
        png = os.path.join(self.tmp, "matrix.png")
        r = run("poisson", p, "-o", png)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(imread(png).shape[:2], (600, 840))  # 7 × 5 in

    def test_later_file_without_grid_keeps_the_slice(self):
        p = os.path.join(self.tmp, "matrix.h5")
        write_output(p, "cg + icc", history(9, 0.4), grid=False)
        self.assertEqual(len(poisson_plot.draw_poisson([self.paths[0], p]).axes), 3)

    def assert_fails(self, args, message):
        png = os.path.join(self.tmp, "x.png")
        r = run("poisson", *args, "-o", png)
        self.assertEqual(r.returncode, 2, r.stdout)
        self.assertIn(message, r.stderr)
        self.assertTrue(r.stderr.startswith("anneal_post: error: "), r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(png))

    def test_missing_history(self):
        p = os.path.join(self.tmp, "nohist.h5")
        write_output(p, "dcdm", history(3, 0.1), drop=("/history/residual",))
        self.assert_fails([self.paths[0], p], "/history/residual is missing")
        with self.assertRaisesRegex(PostError, "/history/residual"):
            poisson_plot.draw_poisson([p])

    def test_missing_solution(self):
        p = os.path.join(self.tmp, "nox.h5")
        write_output(p, "dcdm", history(3, 0.1), drop=("/x",))
        self.assert_fails([p], "/x is missing")

    def test_missing_file(self):
        self.assert_fails([self.paths[0], os.path.join(self.tmp, "absent.h5")], "no such file: ")

    def test_solution_shape_must_match_grid(self):
        p = os.path.join(self.tmp, "bad.h5")
        write_output(p, "dcdm", history(3, 0.1))
        with h5py.File(p, "a") as f:
            del f["/grid/x"]
            f["/grid/x"] = np.arange(NX + 1) + 0.5
        self.assert_fails([p], "/x has shape")

    def test_no_files(self):
        with self.assertRaisesRegex(PostError, "no files"):
            poisson_plot.draw_poisson([])
        r = run("poisson", "-o", os.path.join(self.tmp, "x.png"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
