"""The cgs figure (`anneal_post cgs`): drawn from a small synthetic eval file with the documented
layout (with and without node positions), and a clear one-line error otherwise."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np
from matplotlib.image import imread

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, HEIGHT = 1680, 540  # 14 × 4.5 in at the default 120 dpi


def write_eval(path, positions=True, predictions=True, policy=False, nodes=(30, 20)):
    """Two ring graphs with chords, local edge ids, a linear target along x and a noisy prediction."""
    rng = np.random.default_rng(1)
    edges, node_offsets, edge_offsets = [], [0], [0]
    for n in nodes:
        i = np.arange(n)
        local = np.concatenate([np.stack([i, (i + 1) % n], 1), np.stack([(i + 1) % n, i], 1),
                                np.stack([i, (i + 5) % n], 1)])
        edges.append(local)
        node_offsets.append(node_offsets[-1] + n)
        edge_offsets.append(edge_offsets[-1] + len(local))
    edge_index = np.concatenate(edges).astype(np.int64)
    n_total = node_offsets[-1]
    pos = rng.random((n_total, 3))
    targets = np.stack([pos[:, 0], 1 - pos[:, 0]], 1)
    pred = targets + 0.05 * rng.standard_normal(targets.shape)
    with h5py.File(path, "w") as f:
        f["/node_offsets"] = np.array(node_offsets, dtype=np.int64)
        f["/edge_offsets"] = np.array(edge_offsets, dtype=np.int64)
        f["/edge_index"] = edge_index
        f["/node_features"] = pos[:, :1]
        f["/node_features"].attrs["names"] = json.dumps(["inlet"])
        f["/edge_features"] = np.ones((len(edge_index), 1))
        f["/edge_features"].attrs["names"] = json.dumps(["conductance"])
        f["/targets"] = targets
        f["/targets"].attrs["names"] = json.dumps(["pressure", "head"])
        if predictions:
            f["/predictions"] = pred
        f["/graph_mse"] = np.array([np.mean((pred[a:b] - targets[a:b]) ** 2)
                                    for a, b in zip(node_offsets[:-1], node_offsets[1:])])
        if positions:
            f["/positions"] = pos
        if policy:
            f["/policy"] = np.zeros(n_total, dtype=np.int64)
            f.attrs["policy_accuracy"] = 0.9
        f.attrs["mse"], f.attrs["mape"] = float(np.mean((pred - targets) ** 2)), 0.1
        f.attrs["model"], f.attrs["system"] = "cgs", "pore" if positions else "pagerank"
        f.attrs["nodes"], f.attrs["edges"], f.attrs["eval_seconds"] = n_total, len(edge_index), 0.01


def run(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "anneal_post", *args], capture_output=True, text=True, env=env)


class CgsPlotTest(unittest.TestCase):
    def test_draws_with_and_without_positions(self):
        with tempfile.TemporaryDirectory() as tmp:
            for positions in (True, False):
                h5, png = os.path.join(tmp, f"eval{positions}.h5"), os.path.join(tmp, f"eval{positions}.png")
                write_eval(h5, positions=positions, policy=not positions)
                r = run("cgs", h5, "-o", png)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout.strip(), png)
                self.assertGreater(os.path.getsize(png), 0)
                image = imread(png)
                self.assertEqual(image.shape[:2], (HEIGHT, WIDTH))
                self.assertGreater(image[..., :3].std(), 0.0)  # something was drawn
                self.assertFalse(os.path.exists(png + ".tmp"))

    def test_subsamples_and_skips_edges_of_large_graphs(self):
        """More scatter points than the cap and more edges than the cap: still one figure."""
        from anneal_post import cgs_plot
        with tempfile.TemporaryDirectory() as tmp:
            h5, png = os.path.join(tmp, "big.h5"), os.path.join(tmp, "big.png")
            write_eval(h5, nodes=(400, 300))
            caps = cgs_plot.MAX_SCATTER, cgs_plot.MAX_EDGES
            cgs_plot.MAX_SCATTER, cgs_plot.MAX_EDGES = 100, 50
            try:
                self.assertEqual(cgs_plot.plot_cgs(h5, png), png)
            finally:
                cgs_plot.MAX_SCATTER, cgs_plot.MAX_EDGES = caps
            self.assertEqual(imread(png).shape[:2], (HEIGHT, WIDTH))

    def test_missing_predictions(self):
        with tempfile.TemporaryDirectory() as tmp:
            h5, png = os.path.join(tmp, "gen.h5"), os.path.join(tmp, "x.png")
            write_eval(h5, predictions=False)
            r = run("cgs", h5, "-o", png)
            self.assertEqual(r.returncode, 2)
            self.assertIn("/predictions is missing", r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
            self.assertFalse(os.path.exists(png))

    def test_edge_ids_must_be_local(self):
        with tempfile.TemporaryDirectory() as tmp:
            h5, png = os.path.join(tmp, "global.h5"), os.path.join(tmp, "x.png")
            write_eval(h5)
            with h5py.File(h5, "a") as f:
                ids = f["/edge_index"][()]
                ids[0] = [0, 10_000]
                f["/edge_index"][...] = ids
            r = run("cgs", h5, "-o", png)
            self.assertEqual(r.returncode, 2)
            self.assertIn("local to each graph", r.stderr)
            self.assertFalse(os.path.exists(png))


if __name__ == "__main__":
    unittest.main()
