"""bench/lpinn: Lagrangian PINNs against ordinary PINNs, and anneal against PyTorch, in one run.

1. Failure-mode sweep: periodic convection u_t + βu_x = 0, u0 = sin x, β ∈ {1, 10, 30, 50, 70, 100},
   pinn and lpinn, the standard setup (4×50 tanh, 256×100 evaluation grid; data/lpinn/convection.toml):
   relative L2 error, training time, and the time to reach 1e-1 and 1e-3.
2. Burgers: Raissi's benchmark and the moving shock u0 = C + sin x, ν = 0.01 (C = 0.5, 10 and 30 over the
   paper's window t ∈ [0, 1]; C = 0.5 past the shock, to t = 1.5), pinn and lpinn; the released diffusion form.
3. f32 against f64 on the same runs.
4. PyTorch: the same pinn and lpinn (bench/lpinn/torch_peer.py) — seconds per Adam step at each side's
   best thread count (medians), and a whole lpinn training (β = 30) on the same schedule: time and error.
Writes bench/results/lpinn.json and bench/results/lpinn.md.

    scripts/setup.sh --with-bench
    python3 bench/lpinn/run_lpinn.py [--anneal build/release/bin/anneal] [--quick]
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "data" / "lpinn"
BETAS = [1, 10, 30, 50, 70, 100]
SHOCK_CASES = [(0.5, 1.0), (10, 1.0), (30, 1.0), (0.5, 1.5)]  # (C in u0 = C + sin x, t_end)


def run_anneal(anneal, config, out, threads=2, extra=()):
    cmd = [anneal, "lpinn", "train", "--config", str(config), "-o", str(out), "--quiet", "--no-plot",
           "--threads", str(threads), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1]}
    with h5py.File(out, "r") as f:
        h = f["history"]
        # The error relative to the wave, u_ref − its mean: with u0 = C + sin x the plain relative
        # error is C-fold smaller (the authors' code measures u − C).
        error, reference = f["fields/error"][:], f["fields/u_ref"][:]
        wave_l2 = float(np.linalg.norm(error) / np.linalg.norm(reference - reference.mean()))
        row = {"rel_l2": float(f.attrs["rel_l2"]), "wave_l2": wave_l2, "max_error": float(f.attrs["max_error"]),
               "crossed_rows": int(f.attrs["crossed_rows"]),
               "seconds": float(f.attrs["train_seconds"]), "steps": int(f.attrs["steps"]),
               "stop": f.attrs["stop"].decode() if isinstance(f.attrs["stop"], bytes) else str(f.attrs["stop"]),
               "monitor": list(zip(h["monitor_step"][:].tolist(), h["monitor_seconds"][:].tolist(),
                                   h["monitor_error"][:].tolist())),
               "step_seconds": np.diff(h["seconds"][:]).tolist()}
    for target in (1e-1, 1e-3):
        hit = [s for _, s, e in row["monitor"] if e <= target]
        row[f"seconds_to_{target:g}"] = hit[0] if hit else None
    return row


def shock_config(workdir, offset, t_end, diffusion="physical"):
    """data/lpinn/burgers_shock.toml with u0 = offset + sin x over [0, t_end] and the lpinn's diffusion form."""
    text = (DATA / "burgers_shock.toml").read_text()
    text = re.sub(r"(?m)^t_end = .*$", f"t_end = {t_end}", text)
    text = re.sub(r"(?m)^offset = .*$", f"offset = {offset}", text)
    text = re.sub(r"(?m)^\[model\]$", f'[model]\ndiffusion = "{diffusion}"', text)
    path = workdir / f"shock_{offset:g}_{t_end:g}_{diffusion}.toml"
    path.write_text(text)
    return path


def peer_env(threads):
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def run_peer(args, threads):
    proc = subprocess.run([sys.executable, str(HERE / "torch_peer.py"), *map(str, args)], capture_output=True,
                          text=True, env=peer_env(threads))
    if proc.returncode != 0:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def step_times(anneal, method, workdir, steps):
    """Median seconds per Adam step, each side at its faster of 1 and 2 threads."""
    ours, peer = {}, {}
    for threads in (1, 2):
        r = run_anneal(anneal, DATA / "convection.toml", workdir / f"step_{method}_{threads}.h5", threads,
                       ["--method", method, "--adam-steps", str(steps + 5), "--lbfgs-iterations", "0"])
        if "step_seconds" in r:
            ours[threads] = statistics.median(r["step_seconds"][5:])
        p = run_peer(["step", method, 30, "f64", threads, steps], threads)
        if "times" in p:
            peer[threads] = statistics.median(p["times"])
    best = lambda d: min(d.items(), key=lambda kv: kv[1]) if d else (None, None)
    (ot, om), (pt, pm) = best(ours), best(peer)
    return {"method": method, "anneal_median": om, "anneal_threads": ot, "anneal_all": ours,
            "pytorch_median": pm, "pytorch_threads": pt, "pytorch_all": peer,
            "ratio": pm / om if om and pm else None}


def fmt(x, spec=".2e"):
    return "—" if x is None else format(x, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anneal", default=str(ROOT / "build/release/bin/anneal"))
    ap.add_argument("--quick", action="store_true", help="β ∈ {1, 30}, no Burgers, fewer steps (a smoke run)")
    args = ap.parse_args()
    betas = [1, 30] if args.quick else BETAS
    import torch  # noqa: E402  (the driver only reports the version)

    results = {"meta": {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                        "pytorch": torch.__version__}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sweep = []
        for beta in betas:
            for method in ("pinn", "lpinn"):
                print(f"bench/lpinn: convection β = {beta}, {method} ...", flush=True)
                r = run_anneal(args.anneal, DATA / "convection.toml", work / f"c_{method}_{beta}.h5", 2,
                               ["--method", method, "--beta", str(beta)])
                r.update(beta=beta, method=method)
                sweep.append(r)
        results["sweep"] = sweep

        burgers = []
        if not args.quick:
            # The lpinn on Raissi's problem diverges once X_x0 -> 0 in the shock (u_xx ~ 1/X_x0^3):
            # a short run records how far it gets.
            short = ["--adam-steps", "2000", "--lbfgs-iterations", "0"]
            runs = [("raissi", DATA / "burgers_raissi.toml", method, extra)
                    for method, extra in (("pinn", []), ("lpinn", short))]
            # The moving shock over the paper's window t in [0, 1], in which the front steepens tenfold
            # and the shock forms at its end, for slow and fast waves; then past the shock.
            for offset, t_end in SHOCK_CASES:
                config = shock_config(work, offset, t_end)
                runs += [(f"shock {offset:g} + sin x, t ≤ {t_end:g}", config, method, [])
                         for method in ("pinn", "lpinn")]
            runs.append(("shock 0.5 + sin x, t ≤ 1, released u_xx", shock_config(work, 0.5, 1.0, "released"),
                         "lpinn", []))
            for i, (name, config, method, extra) in enumerate(runs):
                print(f"bench/lpinn: Burgers {name}, {method} ...", flush=True)
                r = run_anneal(args.anneal, config, work / f"b_{i}.h5", 2, ["--method", method, *extra])
                r.update(case=name, method=method)
                burgers.append(r)
        results["burgers"] = burgers

        precision = []
        for method, beta in (("lpinn", 30), ("pinn", 10)):
            for dtype in ("f32", "f64"):
                print(f"bench/lpinn: {method} β = {beta} in {dtype} ...", flush=True)
                r = run_anneal(args.anneal, DATA / "convection.toml", work / f"p_{method}_{dtype}.h5", 2,
                               ["--method", method, "--beta", str(beta), "--dtype", dtype])
                r.update(method=method, beta=beta, dtype=dtype)
                precision.append(r)
        results["precision"] = precision

        print("bench/lpinn: seconds per step beside PyTorch ...", flush=True)
        results["step"] = [step_times(args.anneal, m, work, 30 if args.quick else 100) for m in ("pinn", "lpinn")]
        print("bench/lpinn: a whole lpinn training (β = 30) beside PyTorch ...", flush=True)
        adam, lbfgs = (200, 200) if args.quick else (1000, 1000)
        ours = run_anneal(args.anneal, DATA / "convection.toml", work / "whole.h5", 2,
                          ["--adam-steps", str(adam), "--lbfgs-iterations", str(lbfgs)])
        threads = results["step"][1]["pytorch_threads"] or 1
        peer = run_peer(["train", "lpinn", 30, "f64", threads, adam, lbfgs], threads)
        results["whole"] = {"adam": adam, "lbfgs": lbfgs, "anneal": ours, "pytorch": peer, "pytorch_threads": threads}

    for r in results["sweep"] + results["burgers"] + results["precision"]:
        r.pop("step_seconds", None)
    results["whole"]["anneal"].pop("step_seconds", None)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "lpinn.json").write_text(json.dumps(results, indent=2))

    lines = ["# bench/lpinn: pinn vs lpinn, anneal vs PyTorch (CPU)", "",
             f"{results['meta']['machine']}, {results['meta']['cpus']} CPUs; PyTorch {results['meta']['pytorch']}. "
             "anneal at 2 threads unless stated; f64 unless stated.", "",
             "## Convection u_t + βu_x = 0, u0 = sin x (4×50 tanh, hard initial condition, 64×32 collocation grid, "
             "Adam 1000 + L-BFGS 2000 steps, 256×100 evaluation grid)", "",
             "| β | pinn rel. L2 | lpinn rel. L2 | pinn s | lpinn s | lpinn s to 1e-3 |", "|---|---|---|---|---|---|"]
    by = {(r["beta"], r["method"]): r for r in results["sweep"]}
    for beta in betas:
        p, l = by[(beta, "pinn")], by[(beta, "lpinn")]
        lines.append(f"| {beta} | {fmt(p.get('rel_l2'))} | {fmt(l.get('rel_l2'))} | {fmt(p.get('seconds'), '.1f')} | "
                     f"{fmt(l.get('seconds'), '.1f')} | {fmt(l.get('seconds_to_0.001'), '.1f')} |")
    if results["burgers"]:
        lines += ["", "## Burgers (data/lpinn/burgers_raissi.toml: 8×20, soft, random points; burgers_shock.toml: "
                  "4×50, hard, random points, Adam 2000 + L-BFGS 3000; the shock forms at t ≈ 1)", "",
                  "Rel. L2 of the wave: the error over ‖u_ref − ū_ref‖ (the authors' code's measure; with u0 = C + sin x "
                  "the plain relative error is about C times smaller). Crossed: output times at which the lpinn's "
                  "characteristics cross.", "",
                  "| case | method | rel. L2 | rel. L2 of the wave | max error | crossed | s | steps | s to 1e-3 |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in results["burgers"]:
            r.setdefault("seconds_to_0.001", None)
            crossed = r.get("crossed_rows", "") if r["method"] == "lpinn" else ""
            lines.append(f"| {r['case']} | {r['method']} | {fmt(r.get('rel_l2'))} | {fmt(r.get('wave_l2'))} | "
                         f"{fmt(r.get('max_error'))} | {crossed} | {fmt(r.get('seconds'), '.1f')} | "
                         f"{r.get('steps', r.get('error', ''))} | {fmt(r.get('seconds_to_0.001'), '.1f')} |")
    lines += ["", "## f32 against f64 (same runs)", "", "| method | β | dtype | rel. L2 | s |", "|---|---|---|---|---|"]
    for r in results["precision"]:
        lines.append(f"| {r['method']} | {r['beta']} | {r['dtype']} | {fmt(r.get('rel_l2'))} | {fmt(r.get('seconds'), '.1f')} |")
    lines += ["", "## Seconds per Adam step beside PyTorch (β = 30, 2048 points, f64; each side at its faster of 1 "
              "and 2 threads, median)", "", "| method | anneal s | threads | PyTorch s | threads | ratio (PyTorch / anneal) |",
              "|---|---|---|---|---|---|"]
    for r in results["step"]:
        lines.append(f"| {r['method']} | {fmt(r['anneal_median'], '.4f')} | {r['anneal_threads']} | "
                     f"{fmt(r['pytorch_median'], '.4f')} | {r['pytorch_threads']} | {fmt(r['ratio'], '.2f')} |")
    w = results["whole"]
    lines += ["", f"## A whole lpinn training, β = 30 (Adam {w['adam']} + L-BFGS {w['lbfgs']})", "",
              "| | seconds | rel. L2 |", "|---|---|---|",
              f"| anneal | {fmt(w['anneal'].get('seconds'), '.1f')} | {fmt(w['anneal'].get('rel_l2'))} |",
              f"| PyTorch ({w['pytorch_threads']} threads) | {fmt(w['pytorch'].get('seconds'), '.1f')} | "
              f"{fmt(w['pytorch'].get('rel_l2'))} |"]
    (out_dir / "lpinn.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
