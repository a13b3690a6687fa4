"""bench/cgs: convergent graph solvers on pore networks, beside the two baselines and a PyTorch peer.

Accuracy (issue 9): train on pore networks of 50–200 nodes, evaluate on networks of exactly 200, 300,
400 and 500 nodes and on one 10⁵-node network. Models, each trained for the same epochs on the same
file: CGS (γ = 1, the smooth softmax·tanh contraction: anneal's default), CGS as the authors run it
(γ = 0.5, clipped logits divided by the in-degree), the explicit message-passing stack (mpnn) and the
implicit GNN (ignn). Metric: MSE of the non-dimensional pressure (and MAPE), per test size.

Other systems: CGS and mpnn on heat networks, PageRank (trained on 50–200 nodes, tested on 400) and
the paper's random MDPs (test MSE; MDPs also the policy accuracy).

Cost against size: one pore network each of 10³ … 10⁵ nodes, the forward pass of each model
(`anneal cgs eval`, its own timing of the forward pass, median of REPEATS) and the process's peak
resident memory; for CGS the fixed-point solve runs Anderson at every size, so the figure per edge
and per iteration shows whether the work is linear in the edges. Peer: the same CGS forward pass in
PyTorch (bench/cgs/peers.py: random weights, sparse index_add_ fixed point; and the authors' dense
per-head matrices where they fit in memory), at its faster of 1 and 2 threads. Target: 10⁵ nodes on
2 cores in seconds.

    python3 bench/cgs/run_cgs.py [--anneal build/perf/bin/anneal] [--quick] [--repeats 3]
Writes bench/results/cgs.json and bench/results/cgs.md.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

MODELS = [  # label, train arguments
    ("cgs", ["--model", "cgs"]),
    ("cgs (authors: γ=0.5, clipped)", ["--model", "cgs", "--gamma", "0.5", "--contraction", "clipped"]),
    ("mpnn", ["--model", "mpnn"]),
    ("ignn", ["--model", "ignn"]),
]
TEST_SIZES = [200, 300, 400, 500]
PICARD_STEPS = 200  # fixed-point iterations of the side-by-side forward pass
SCALING_SIZES = {"full": [1000, 3000, 10000, 30000, 100000], "quick": [1000, 10000]}


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


def timed(cmd):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    p = run(["/usr/bin/time", "-f", "MAXRSS %M"] + list(cmd))
    wall = time.perf_counter() - start
    rss = [line for line in p.stderr.splitlines() if line.startswith("MAXRSS")]
    return wall, (int(rss[-1].split()[1]) / 1024 if rss else float("nan"))


def attrs(path):
    with h5py.File(path, "r") as f:
        return {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}


def generate(anneal, out, graphs, nodes, seed, system="pore"):
    if not out.exists():
        cmd = [anneal, "cgs", "generate", "--system", system, "--graphs", graphs, "--seed", seed, "-o", out]
        run(cmd + (["--nodes", nodes] if nodes else []))
    return out


# The other systems: train on small graphs, test on larger ones (MDPs: the paper's one distribution).
SYSTEMS = [("heat", "50:200", "400"), ("pagerank", "50:200", "400"), ("mdp", None, None)]


def other_systems(anneal, work, epochs):
    """CGS and mpnn on heat networks, PageRank and MDPs: test MSE, MAPE and (MDPs) policy accuracy."""
    out = {}
    for system, train_nodes, test_nodes in SYSTEMS:
        train = generate(anneal, work / f"{system}_train.h5", 200, train_nodes, 1, system)
        test = generate(anneal, work / f"{system}_test.h5", 50, test_nodes, 2, system)
        out[system] = {}
        for label in ("cgs", "mpnn"):
            model = work / f"{system}_{label}.h5"
            run([anneal, "cgs", "train", "--data", train, "-o", model, "--epochs", epochs, "--quiet", "--model", label])
            ev = work / f"{system}_{label}_eval.h5"
            run([anneal, "cgs", "eval", "--model", model, "--data", test, "-o", ev, "--no-plot"])
            e = attrs(ev)
            out[system][label] = {"mse": e["mse"], "mape": e["mape"], "policy_accuracy": e.get("policy_accuracy"),
                                  "train_seconds": attrs(model)["train_seconds"]}
            print(f"{system} {label}: MSE {e['mse']:.3e}, MAPE {e['mape']:.3e}"
                  + (f", policy accuracy {e['policy_accuracy']:.3f}" if "policy_accuracy" in e else ""), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--anneal", default=str(ROOT / "build/perf/bin/anneal"))
    ap.add_argument("--quick", action="store_true", help="fewer epochs and sizes (a smoke run)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--work", default=None, help="keep data and models here (default: a temporary directory)")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--render", action="store_true", help="only rewrite cgs.md from bench/results/cgs.json")
    ap.add_argument("--systems-only", action="store_true",
                    help="only the other systems (heat, PageRank, MDP), added to bench/results/cgs.json")
    args = ap.parse_args()
    if args.render:
        results = json.loads((ROOT / "bench/results/cgs.json").read_text())
        (ROOT / "bench/results/cgs.md").write_text(markdown(results))
        return
    anneal = Path(args.anneal)
    if not anneal.exists():
        sys.exit(f"no anneal binary at {anneal}; build it (cmake --preset release) or pass --anneal")
    epochs = args.epochs or (10 if args.quick else 100)
    mode = "quick" if args.quick else "full"
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="anneal-bench-cgs-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.systems_only:
        results = json.loads((ROOT / "bench/results/cgs.json").read_text())
        results["systems"] = other_systems(anneal, work, epochs)
        (ROOT / "bench/results/cgs.json").write_text(json.dumps(results, indent=2) + "\n")
        (ROOT / "bench/results/cgs.md").write_text(markdown(results))
        return

    # Data: one training file, four test sizes, one network per scaling size.
    train = generate(anneal, work / "train.h5", 200, "50:200", 1)
    tests = {n: generate(anneal, work / f"test_{n}.h5", 50 if not args.quick else 10, n, 10 + n) for n in TEST_SIZES}
    scaling = {n: generate(anneal, work / f"net_{n}.h5", 1, n, 7) for n in SCALING_SIZES[mode]}
    biggest = max(scaling)

    results = {"machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                           "python": platform.python_version()},
               "epochs": epochs, "models": {}, "scaling": {}, "peer": {}}
    for label, extra in MODELS:
        model = work / (label.split()[0] + ("_authors" if "authors" in label else "") + ".h5")
        wall, _ = timed([anneal, "cgs", "train", "--data", train, "-o", model, "--epochs", epochs, "--quiet"] + extra)
        a = attrs(model)
        entry = {"train_seconds": a["train_seconds"], "validation_mse": a["validation_mse"],
                 "parameters": a["parameters"], "test": {}}
        print(f"{label}: trained in {a['train_seconds']:.1f} s, validation MSE {a['validation_mse']:.3e}", flush=True)
        for n, data in list(tests.items()) + [(biggest, scaling[biggest])]:
            out = work / f"eval_{model.stem}_{n}.h5"
            wall, rss = timed([anneal, "cgs", "eval", "--model", model, "--data", data, "-o", out, "--no-plot"])
            e = attrs(out)
            entry["test"][str(n)] = {"mse": e["mse"], "mape": e["mape"], "forward_iterations": e["forward_iterations"],
                                     "converged": bool(e["converged"]), "eval_seconds": e["eval_seconds"],
                                     "peak_rss_mib": rss}
            print(f"  {n:>6} nodes: MSE {e['mse']:.3e}  MAPE {e['mape']:.3e}", flush=True)
        entry["model_file"] = str(model)
        results["models"][label] = entry

    # Cost against size: the forward pass alone (the eval's own timing), median of repeats.
    for label in ("cgs", "mpnn", "ignn"):
        model = results["models"][label]["model_file"]
        rows = []
        for n, data in scaling.items():
            with h5py.File(data, "r") as f:
                edges = int(f["edge_offsets"][-1])
            seconds, rss, iterations = [], [], 0
            for _ in range(args.repeats):
                out = work / f"scale_{label}_{n}.h5"
                cmd = [anneal, "cgs", "eval", "--model", model, "--data", data, "-o", out, "--no-plot"]
                if label == "cgs":
                    cmd += ["--forward-solver", "anderson", "--max-iterations", "5000"]
                _, r = timed(cmd)
                e = attrs(out)
                seconds.append(e["eval_seconds"])
                rss.append(r)
                iterations = e["forward_iterations"]
            s = statistics.median(seconds)
            rows.append({"nodes": n, "edges": edges, "seconds": s, "peak_rss_mib": max(rss),
                         "iterations": iterations, "ns_per_edge": 1e9 * s / edges,
                         "ns_per_edge_iteration": 1e9 * s / edges / max(iterations, 1)})
            print(f"{label} forward, {n} nodes ({edges} edges): {s:.3f} s, {max(rss):.0f} MiB, "
                  f"{iterations} iterations", flush=True)
        results["scaling"][label] = rows

    # Same trained CGS, same work: a fixed number of plain fixed-point iterations (PICARD_STEPS) on
    # both sides, so the comparison is per identical computation; the peer's predictions are checked
    # against anneal's on the smallest network.
    if not args.no_peer:
        try:
            import peers
            import numpy as np
            model = results["models"]["cgs"]["model_file"]
            rows = []
            for n, data in scaling.items():
                out = work / f"picard_{n}.h5"
                seconds = []
                for _ in range(args.repeats):
                    run([anneal, "cgs", "eval", "--model", model, "--data", data, "-o", out, "--no-plot",
                         "--forward-solver", "picard", "--max-iterations", PICARD_STEPS, "--log-level", "error"])
                    seconds.append(attrs(out)["eval_seconds"])
                ours = statistics.median(seconds)
                row = {"nodes": n, "iterations": PICARD_STEPS, "anneal_seconds": ours}
                for variant in ("sparse", "dense"):
                    npy = work / f"peer_{variant}_{n}.npy"
                    r = peers.time_peer(str(data), variant, repeats=args.repeats, model=str(model), tol=0.0,
                                        max_iter=PICARD_STEPS, predictions=str(npy) if n == min(scaling) else None)
                    if r is None or r.get("seconds") is None:
                        r = r or {}
                        row[variant] = {"skipped": r.get("skipped") or r.get("reason") or r.get("error") or "not run"}
                        continue
                    row[variant] = {k: r.get(k) for k in ("seconds", "iterations", "encode_seconds", "solve_seconds",
                                                          "max_rss_mb", "threads", "torch", "blas")}
                    if variant == "sparse" and n == min(scaling) and npy.exists():  # the same algorithm
                        with h5py.File(out, "r") as f:
                            a = f["predictions"][...]
                        row[variant]["max_abs_difference"] = float(np.max(np.abs(np.load(npy) - a)))
                    print(f"peer torch {variant}, {n} nodes: {r['seconds']:.3f} s against anneal {ours:.3f} s "
                          f"({PICARD_STEPS} iterations; torch at {r.get('threads')} threads)", flush=True)
                rows.append(row)
            results["peer"] = {"picard_steps": PICARD_STEPS, "rows": rows}
        except ImportError as e:
            results["peer"] = {"error": f"peer not available: {e}"}

    results["systems"] = other_systems(anneal, work, epochs)
    out_dir = ROOT / "bench/results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cgs.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "cgs.md").write_text(markdown(results))
    print(f"wrote {out_dir / 'cgs.json'} and {out_dir / 'cgs.md'}")


def slope(rows, key="seconds"):
    """Least-squares slope of log(key) against log(edges): 1 is linear in the edges."""
    pts = [(math.log(r["edges"]), math.log(r[key])) for r in rows if r.get(key)]
    if len(pts) < 2:
        return float("nan")
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)


def markdown(r):
    lines = ["# bench/cgs: convergent graph solvers on pore networks", "",
             f"Machine: {r['machine']['cores']} cores ({r['machine']['cpu']}). Trained {r['epochs']} epochs each on 200 "
             "pore networks of 50–200 nodes (`anneal cgs train`, defaults otherwise). MSE of the non-dimensional "
             "pressure (p − p_out)/(p_in − p_out).", ""]
    sizes = list(next(iter(r["models"].values()))["test"].keys())
    lines.append("| model | params | train s | " + " | ".join(f"MSE {s}" for s in sizes) + " |")
    lines.append("|---|---|---|" + "---|" * len(sizes))
    for label, m in r["models"].items():
        cells = [f"{m['test'][s]['mse']:.2e}" + ("" if m["test"][s]["converged"] else " (unconverged)") for s in sizes]
        lines.append(f"| {label} | {m['parameters']} | {m['train_seconds']:.0f} | " + " | ".join(cells) + " |")
    lines += ["", "Forward pass against size (one network each; median of repeats; CGS solves with Anderson):", "",
              "| model | nodes | edges | seconds | peak RSS MiB | iterations | ns/edge | ns/(edge·iteration) |",
              "|---|---|---|---|---|---|---|---|"]
    for label, rows in r["scaling"].items():
        for x in rows:
            per_iteration = f"{x['ns_per_edge_iteration']:.2f}" if x["iterations"] else "—"
            lines.append(f"| {label} | {x['nodes']} | {x['edges']} | {x['seconds']:.3f} | {x['peak_rss_mib']:.0f} | "
                         f"{x['iterations'] or '—'} | {x['ns_per_edge']:.0f} | {per_iteration} |")
        lines.append(f"| {label}: log-log slope of seconds against edges | | | {slope(rows):.2f} | | | | |")
    if r.get("systems"):
        lines += ["", "Other systems, CGS beside mpnn (same training; heat and PageRank trained on 50–200 nodes and tested on "
                  "400, MDPs on the paper's distribution, 20–49 states):", "",
                  "| system | model | test MSE | MAPE | policy accuracy |", "|---|---|---|---|---|"]
        for system, models in r["systems"].items():
            for label, m in models.items():
                acc = f"{m['policy_accuracy']:.3f}" if m.get("policy_accuracy") is not None else ""
                lines.append(f"| {system} | {label} | {m['mse']:.2e} | {m['mape']:.2e} | {acc} |")
    peer = r.get("peer", {})
    if "error" in peer:
        lines += ["", f"PyTorch peer: {peer['error']}"]
    elif peer:
        lines += ["", f"Side by side with PyTorch (bench/cgs/peers.py): the same trained CGS (anneal's weights), the whole "
                  f"forward pass with {peer['picard_steps']} plain fixed-point iterations on both sides, float64; torch "
                  "at its faster of 1 and 2 threads, anneal at 2 threads. 'dense' is the authors' way (a dense [H, N, N] "
                  "matrix per graph, torch.linalg.solve), where it fits in 4 GiB.", "",
                  "| nodes | anneal s | torch sparse s | ratio | torch dense s | ratio | torch peak RSS MiB |",
                  "|---|---|---|---|---|---|---|"]
        for x in peer["rows"]:
            cells = []
            for variant in ("sparse", "dense"):
                v = x.get(variant, {})
                if "seconds" in v:
                    cells += [f"{v['seconds']:.3f}", f"{v['seconds'] / x['anneal_seconds']:.1f}×"]
                else:
                    cells += [f"— ({v.get('skipped', 'not run')})", ""]
            rss = x.get("sparse", {}).get("max_rss_mb")
            lines.append(f"| {x['nodes']} | {x['anneal_seconds']:.3f} | " + " | ".join(cells) +
                         f" | {rss if rss is None else round(rss)} |")
        agree = [x[v]["max_abs_difference"] for x in peer["rows"] for v in ("sparse", "dense")
                 if isinstance(x.get(v), dict) and "max_abs_difference" in x[v]]
        if agree:
            lines.append(f"\nThe sparse peer's predictions and anneal's on the smallest network differ by at most "
                         f"{max(agree):.1e} (the dense peer solves exactly, so it differs from {peer['picard_steps']} "
                         "iterations by their residual).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
