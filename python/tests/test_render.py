"""Tests for anneal_post: slicing against the arrays written, colours against the colormap,
and every user error through the real command line (exit status 2, one line, no output)."""

import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from matplotlib import colormaps
from matplotlib.image import imread

from anneal_post import PostError, plot_slice, read_slice, render, save_png

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Grid sizes all differ so a transposed or mis-ordered axis cannot pass by accident.
NX, NY, NZ, NT = 17, 9, 5, 4
# Non-uniform x: slicing must follow the stored coordinates, not assume a spacing.
X = np.linspace(0.0, 1.0, NX) ** 1.5
Y = np.linspace(-0.5, 0.5, NY)
Z = np.linspace(2.0, 3.0, NZ)
T = np.array([0.0, 0.1, 0.25, 0.5])


def index_code():
    """g[k, j, i] = 100 k + 10 j + i: every plane and line is distinguishable."""
    k, j, i = np.meshgrid(np.arange(NZ), np.arange(NY), np.arange(NX), indexing="ij")
    return (100.0 * k + 10.0 * j + i)


def write_3d(path):
    with h5py.File(path, "w") as f:
        f["/grid/x"], f["/grid/y"], f["/grid/z"] = X, Y, Z
        f["/grid/x"].attrs["units"] = "m"
        f["/fields/f"] = np.broadcast_to(X, (NZ, NY, NX)).copy()  # f = x
        f["/fields/f"].attrs["units"] = "K"
        f["/fields/g"] = index_code()
        u = np.stack([index_code(), -2.0 * index_code(), np.full((NZ, NY, NX), 3.0)], axis=-1)
        f["/fields/u"] = u
        f["/fields/u"].attrs["units"] = np.bytes_(b"m/s")  # fixed-length bytes, as C++ writers store it
        f["/fields/mask"] = (index_code() % 2).astype(np.uint8)
        f["/fields/cells"] = index_code()[:-1, :-1, :-1]  # one less per axis: cell-centred
        f["/other/g"] = index_code()
        f["/fields/bad_shape"] = np.zeros((NZ, NY, NX + 3))
        f["/fields/name"] = np.array([b"a", b"b"])


def write_2d(path):
    with h5py.File(path, "w") as f:
        f["/grid/x"], f["/grid/y"], f["/grid/t"] = X, Y, T
        f["/fields/p"] = index_code()[0]
        f["/fields/v"] = np.stack([index_code()[0], index_code()[1]], axis=-1)
        f["/fields/series"] = np.stack([index_code()[0] + 1000.0 * n for n in range(NT)])


class FileCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.h5 = os.path.join(self.dir, "out.h5")
        self.h5_2d = os.path.join(self.dir, "flat.h5")
        write_3d(self.h5)
        write_2d(self.h5_2d)

    def tearDown(self):
        self.tmp.cleanup()


class TestSlices(FileCase):
    def test_default_is_middle_z_plane(self):
        s = read_slice(self.h5, "g")
        np.testing.assert_array_equal(s.data, index_code()[NZ // 2])
        self.assertEqual((s.h_name, s.v_name), ("x", "y"))
        np.testing.assert_array_equal(s.h, X)
        np.testing.assert_array_equal(s.v, Y)
        self.assertIn(f"z = {Z[NZ // 2]:.4g}", s.where)
        self.assertIn(f"k = {NZ // 2}", s.where)

    def test_each_axis_picks_its_plane(self):
        g = index_code()
        cases = {
            "z": (3, g[3], "x", "y"),
            "y": (6, g[:, 6, :], "x", "z"),
            "x": (11, g[:, :, 11], "y", "z"),
        }
        for axis, (k, expected, h, v) in cases.items():
            with self.subTest(axis=axis):
                s = read_slice(self.h5, "g", axis=axis, index=k)
                np.testing.assert_array_equal(s.data, expected)
                self.assertEqual((s.h_name, s.v_name), (h, v))
                self.assertEqual(s.data.shape, (len(s.v), len(s.h)))

    def test_negative_index_counts_from_end(self):
        np.testing.assert_array_equal(read_slice(self.h5, "g", axis="y", index=-1).data, index_code()[:, -1, :])

    def test_full_dataset_path(self):
        np.testing.assert_array_equal(read_slice(self.h5, "/other/g", index=0).data, index_code()[0])

    def test_vector_magnitude_and_components(self):
        g = index_code()[2]
        u = np.stack([g, -2.0 * g, np.full_like(g, 3.0)], axis=-1)
        s = read_slice(self.h5, "u", index=2)  # magnitude is the default
        np.testing.assert_allclose(s.data, np.sqrt(g**2 + 4.0 * g**2 + 9.0))
        np.testing.assert_allclose(read_slice(self.h5, "u", index=2, component="magnitude").data,
                                   np.linalg.norm(u, axis=-1))
        np.testing.assert_array_equal(read_slice(self.h5, "u", index=2, component=1).data, -2.0 * g)
        self.assertEqual(s.label, "|u|")
        self.assertEqual(s.units, "m/s")

    def test_uint8_mask(self):
        np.testing.assert_array_equal(read_slice(self.h5, "mask", index=1).data, index_code()[1] % 2)

    def test_cell_centred_field_uses_coordinates_as_edges(self):
        s = read_slice(self.h5, "cells", axis="x", index=4)
        np.testing.assert_array_equal(s.data, index_code()[:-1, :-1, 4])
        self.assertIn(f"x = {0.5 * (X[4] + X[5]):.4g}", s.where)  # the cell centre, not a node
        fig = plot_slice(s)
        mesh = fig.axes[0].collections[0]
        self.assertEqual(fig.axes[0].get_xlim(), (Y[0], Y[-1]))
        np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(s.data.shape), s.data)

    def test_2d_field_and_vector(self):
        s = read_slice(self.h5_2d, "p")
        np.testing.assert_array_equal(s.data, index_code()[0])
        self.assertEqual(s.where, "")
        np.testing.assert_array_equal(read_slice(self.h5_2d, "v", component=1).data, index_code()[1])

    def test_time_series_steps(self):
        s = read_slice(self.h5_2d, "series")  # the last step by default
        np.testing.assert_array_equal(s.data, index_code()[0] + 1000.0 * (NT - 1))
        s = read_slice(self.h5_2d, "series", time=1)
        np.testing.assert_array_equal(s.data, index_code()[0] + 1000.0)
        self.assertIn(f"t = {T[1]:.4g}", s.where)

    def test_errors(self):
        cases = [
            (dict(field="nope"), "no dataset /fields/nope"),
            (dict(field="g", index=NZ), "out of range"),
            (dict(field="g", axis="y", index=-NY - 1), "out of range"),
            (dict(field="u", component=3), "component 3 is out of range"),
            (dict(field="g", component=0), "scalar field"),
            (dict(field="bad_shape"), "does not fit the grid"),
            (dict(field="name"), "does not fit the grid"),
            (dict(field="/grid"), "is a group"),
            (dict(field="g", time=0), "not a time series"),
        ]
        for kwargs, message in cases:
            with self.subTest(**kwargs):
                with self.assertRaisesRegex(PostError, message):
                    read_slice(self.h5, **kwargs)
        with self.assertRaisesRegex(PostError, "2-D field"):
            read_slice(self.h5_2d, "p", index=0)


class TestColours(FileCase):
    """f = x drawn with known limits: the left edge of the plot must show the colormap's low
    end and the right edge its high end, read back from the PNG pixels."""

    def pixels_at_edges(self, fig, png):
        fig.canvas.draw()  # lay out (aspect, colorbar) so the axes box is final
        box = fig.axes[0].get_window_extent()
        img = imread(png)[..., :3]
        height = img.shape[0]
        self.assertEqual(img.shape[:2], (round(fig.bbox.height), round(fig.bbox.width)))
        row = int(height - 0.5 * (box.y0 + box.y1))  # display y counts up, image rows down
        inset = 4  # stay clear of the axes' frame line
        return img[row, int(box.x0) + inset], img[row, int(box.x1) - inset], img[row, int(0.5 * (box.x0 + box.x1))]

    def check(self, cmap, vmin=None, vmax=None, low=0.0, high=1.0):
        s = read_slice(self.h5, "f", index=1)
        np.testing.assert_array_equal(s.data, np.broadcast_to(X, (NY, NX)))
        fig = plot_slice(s, cmap=cmap, vmin=vmin, vmax=vmax, dpi=100)
        png = save_png(fig, os.path.join(self.dir, f"{cmap}.png"))
        left, right, middle = self.pixels_at_edges(fig, png)
        colormap = colormaps[cmap]
        np.testing.assert_allclose(left, colormap(low)[:3], atol=2 / 255)
        np.testing.assert_allclose(right, colormap(high)[:3], atol=2 / 255)
        self.assertGreater(np.abs(middle - left).max(), 0.05)
        self.assertGreater(np.abs(middle - right).max(), 0.05)
        # Interior nodes carry the colour of their value under the stated limits.
        lo = X[0] if vmin is None else vmin
        hi = X[-1] if vmax is None else vmax
        ax, img = fig.axes[0], imread(png)[..., :3]
        for i in (3, NX // 2, NX - 4):
            px, py = ax.transData.transform((X[i], Y[NY // 2]))
            expected = colormap((X[i] - lo) / (hi - lo))[:3]
            np.testing.assert_allclose(img[int(img.shape[0] - py), int(px)], expected, atol=2 / 255,
                                       err_msg=f"node {i}")

    def test_data_range(self):
        self.check("viridis")

    def test_other_colormap(self):
        self.check("plasma")

    def test_fixed_limits(self):
        # Data spans [0, 1]; with limits [-1, 3] the ends sit at 1/4 and 1/2 of the colormap.
        self.check("viridis", vmin=-1.0, vmax=3.0, low=0.25, high=0.5)

    def test_axes_and_labels_are_physical(self):
        fig = plot_slice(read_slice(self.h5, "f"))
        ax = fig.axes[0]
        x0, x1 = ax.get_xlim()
        # Cells centred on nodes: half a cell beyond the first and last node.
        self.assertAlmostEqual(x0, X[0] - 0.5 * (X[1] - X[0]))
        self.assertAlmostEqual(x1, X[-1] + 0.5 * (X[-1] - X[-2]))
        self.assertEqual(ax.get_xlabel(), "x [m]")
        self.assertEqual(ax.get_ylabel(), "y")
        self.assertEqual(fig.axes[1].get_ylabel(), "f [K]")  # the colorbar
        self.assertEqual(ax.get_title(), f"f, z = {Z[NZ // 2]:.4g} (k = {NZ // 2})")

    def test_render_writes_png_atomically(self):
        out = os.path.join(self.dir, "r.png")
        self.assertEqual(render(self.h5, "u", out, axis="x", title="T"), out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertFalse(os.path.exists(out + ".tmp"))

    def test_render_refuses_to_overwrite_input(self):
        with self.assertRaisesRegex(PostError, "overwrite the input"):
            render(self.h5, "f", self.h5)
        self.assertTrue(h5py.is_hdf5(self.h5))


class TestCommandLine(FileCase):
    def run_cli(self, *args):
        env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
        return subprocess.run([sys.executable, "-m", "anneal_post", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    def test_success_prints_path_and_writes_decodable_png(self):
        out = os.path.join(self.dir, "slice.png")
        r = self.run_cli("render", self.h5, "f", "-o", out, "--axis", "y", "--index", "2",
                         "--cmap", "magma", "--dpi", "80")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), out)
        img = imread(out)
        self.assertEqual(img.shape[:2], (round(4.8 * 80), round(6.4 * 80)))
        self.assertFalse(os.path.exists(out + ".tmp"))

    def test_cli_matches_library_pixels(self):
        # The options reach the drawing: the CLI's PNG equals the library's for the same call.
        a, b = os.path.join(self.dir, "a.png"), os.path.join(self.dir, "b.png")
        r = self.run_cli("render", self.h5_2d, "v", "-o", a, "--component", "0", "--cmap", "cividis",
                         "--vmin", "-5", "--vmax", "50", "--title", "v0")
        self.assertEqual(r.returncode, 0, r.stderr)
        render(self.h5_2d, "v", b, component=0, cmap="cividis", vmin=-5, vmax=50, title="v0")
        np.testing.assert_array_equal(imread(a), imread(b))

    def test_errors_exit_2_with_one_line_and_no_output(self):
        text = os.path.join(self.dir, "notes.h5")
        with open(text, "w") as f:
            f.write("not hdf5\n")
        cases = {
            "missing file": ([os.path.join(self.dir, "absent.h5"), "f"], "no such file"),
            "not hdf5": ([text, "f"], "not an HDF5 file"),
            "missing field": ([self.h5, "nope"], "no dataset /fields/nope"),
            "component out of range": ([self.h5, "u", "--component", "7"], "component 7 is out of range"),
            "component not a number": ([self.h5, "u", "--component", "two"], "bad component 'two'"),
            "component on scalar": ([self.h5, "f", "--component", "0"], "scalar field"),
            "index out of range": ([self.h5, "f", "--axis", "x", "--index", str(NX)], "out of range"),
            "bad axis": ([self.h5, "f", "--axis", "w"], "invalid choice"),
            "unknown colormap": ([self.h5, "f", "--cmap", "no_such_map"], "unknown colormap"),
            "limits reversed": ([self.h5, "f", "--vmin", "2", "--vmax", "1"], "above --vmax"),
        }
        for name, (args, message) in cases.items():
            with self.subTest(name):
                out = os.path.join(self.dir, "err.png")
                r = self.run_cli("render", *args, "-o", out)
                self.assertEqual(r.returncode, 2)
                lines = r.stderr.splitlines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("anneal_post: error: "), lines[0])
                self.assertIn(message, lines[0])
                self.assertNotIn("Traceback", r.stderr)
                self.assertFalse(os.path.exists(out))
                self.assertFalse(os.path.exists(out + ".tmp"))

    def test_unwritable_output_leaves_nothing(self):
        out = os.path.join(self.dir, "no_such_dir", "x.png")
        r = self.run_cli("render", self.h5, "f", "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"^anneal_post: error: cannot write .*x\.png")
        self.assertEqual(len(r.stderr.splitlines()), 1)

    def test_failed_rename_removes_temporary(self):
        # The PNG is written, then the rename onto OUT (a directory here) fails.
        out = os.path.join(self.dir, "taken")
        os.mkdir(out)
        r = self.run_cli("render", self.h5, "f", "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"^anneal_post: error: cannot write ")
        self.assertTrue(os.path.isdir(out))
        self.assertFalse(os.path.exists(out + ".tmp"))

    def test_missing_output_option_is_a_usage_error(self):
        r = self.run_cli("render", self.h5, "f")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1)
        self.assertIn("-o/--output", r.stderr)


if __name__ == "__main__":
    unittest.main()
