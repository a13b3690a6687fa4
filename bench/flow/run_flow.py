"""bench/flow: the flow solver's speed on the 3-D jet (64 x 64 x 128 cells, data/scenes/jet_3d.toml).

Runs `anneal flow run` for a short simulated time in each configuration — 1 rank x 2 threads and
2 ranks x 1 thread, and each algebraic multigrid PETSc offers here (GAMG, the default; hypre
BoomerAMG) — REPEATS times, and reports medians: steps per
second, seconds per step (three projections), Krylov iterations per projection, and the wall time the full scene
(to time.end) would take at that rate. Writes bench/results/flow.json and bench/results/flow.md.

    python3 bench/flow/run_flow.py [--anneal build/release/bin/anneal] [--end-time 0.3] [--repeats 3]
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCENE = ROOT / "data" / "scenes" / "jet_3d.toml"
SOLVERS = {
    "cg + gamg": [],
    "cg + hypre": ["-pc_type", "hypre"],
}
LAYOUTS = [(1, 2), (2, 1)]  # (ranks, threads per rank)
SUMMARY = re.compile(r"flow: (\d+) steps to t = ([0-9.e+-]+) .*?, ([0-9.]+) s, ([0-9.]+) .*? iterations per projection")


def run_once(anneal, ranks, threads, extra, end_time, workdir):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [anneal, "flow", "run", "--config", str(SCENE), "-o", str(workdir / "jet.h5"), "--quiet",
           "--threads", str(threads), "--end-time", str(end_time)]
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe"] + cmd
    if extra:
        cmd += ["--"] + extra
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1]}
    m = SUMMARY.search(out.stdout)
    steps, t, seconds, iterations = int(m[1]), float(m[2]), float(m[3]), float(m[4])
    return {"steps": steps, "time": t, "seconds": seconds, "iterations": iterations}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anneal", default=str(ROOT / "build" / "release" / "bin" / "anneal"))
    parser.add_argument("--end-time", type=float, default=0.3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    full_end = 8.0  # time.end of jet_3d.toml
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for solver, extra in SOLVERS.items():
            for ranks, threads in LAYOUTS:
                runs = [run_once(args.anneal, ranks, threads, extra, args.end_time, Path(tmp)) for _ in range(args.repeats)]
                if any("error" in r for r in runs):
                    rows.append({"solver": solver, "ranks": ranks, "threads": threads,
                                 "error": next(r["error"] for r in runs if "error" in r)})
                    continue
                rate = statistics.median(r["steps"] / r["seconds"] for r in runs)
                per_time = statistics.median(r["seconds"] / r["time"] for r in runs)
                rows.append({
                    "solver": solver, "ranks": ranks, "threads": threads,
                    "steps_per_second": rate,
                    "seconds_per_step": 1.0 / rate,
                    "iterations_per_projection": statistics.median(r["iterations"] for r in runs),
                    "seconds_per_unit_time": per_time,
                    "projected_full_run_minutes": per_time * full_end / 60.0,
                })
    result = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "scene": str(SCENE.relative_to(ROOT)), "cells": 64 * 64 * 128, "end_time": args.end_time,
        "repeats": args.repeats, "rows": rows,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "flow.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# bench/flow: the 3-D jet, 64 x 64 x 128 cells",
        "",
        f"`python3 bench/flow/run_flow.py` — {args.repeats} runs of t = 0 → {args.end_time} each, medians. "
        "The early steps are representative: the time step is set by the jet speed from the start. "
        f"Projected: the full scene (t = {full_end}) at the same rate.",
        "",
        "| pressure solver | ranks x threads | steps/s | s per step (3 projections) | iterations per projection | projected full run |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['solver']} | {r['ranks']} x {r['threads']} | failed: {r['error']} | | | |")
            continue
        lines.append(f"| {r['solver']} | {r['ranks']} x {r['threads']} | {r['steps_per_second']:.2f} | "
                     f"{r['seconds_per_step']:.2f} | {r['iterations_per_projection']:.1f} | "
                     f"{r['projected_full_run_minutes']:.1f} min |")
    (out_dir / "flow.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
