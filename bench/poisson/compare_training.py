"""bench/poisson: does DCDM's training recipe matter? Two comparisons at 32³ under one training budget.

1. The training data (issue 6: "show at 32³ that your choice trains as well as the paper's recipe").
   Kaneda et al. build right-hand sides from m = 10 000 Lanczos steps and train on 20 000 of them; at
   64³ that basis alone is 21 GB (f64), so anneal's shipped network uses m = 1 000 and 10 000 vectors.
   Both recipes are made here on the all-Neumann 32³ box (where m = 10 000 fits: 2.6 GB) and a network
   is trained on each with the same budget: one epoch over the first --train-vectors of each set (90 %
   train, 10 % validation), same seeds, same schedule. One epoch means no vector is seen twice, so
   the set sizes do not enter; what differs is the spectrum the vectors are drawn from.
2. The input (Lan et al., ICML 2024): the residual alone (the paper) against the residual plus the
   cell-type image, both trained on one obstacle system (a sphere and a plate in the 32³ box) with the
   same budget, then applied to geometries they never saw.

Every network is scored by DCDM iterations to rtol 1e-6 and 1e-4 on held-out systems: a 32³ box
right-hand side from another seed, a 64³ box with other obstacles, and, when present in --data-dir,
the plume's 64³ pressure systems of bench/poisson/run_poisson.py (made there, ~10 min). The shipped
network (3 epochs of anneal's recipe) is scored beside them. Files already in --work-dir are reused,
so an interrupted run resumes (the Lanczos run of the paper's recipe takes about 40 min on 2 cores).

    /usr/bin/python3 bench/poisson/compare_training.py [--anneal build/perf/bin/anneal]
        [--work-dir bench/poisson/data/training] [--data-dir bench/poisson/data]
        [--train-vectors 10000] [--obstacle-vectors 6000] [--quick]

Writes bench/results/poisson_training.{json,md} (--quick: tiny sizes, poisson_training_quick.*).
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import h5py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import run_poisson as rp  # noqa: E402  (the benchmark's machine record and anneal discovery)

ROOT = HERE.parent.parent
SHIPPED = ROOT / "data" / "poisson" / "dcdm_box32.h5"
RTOLS = [1e-6, 1e-4]

# (name, lanczos steps, vectors) at full size and under --quick
RECIPES = {"paper": (10000, 20000), "anneal": (1000, 10000)}
QUICK_RECIPES = {"paper": (400, 300), "anneal": (40, 300)}
TRAIN_GEOMETRY = ["--sphere", "0.5,0.5,0.4,0.18", "--box", "0.15,0.15,0.75,0.5,0.5,0.82"]
TEST_GEOMETRY = ["--sphere", "0.3,0.6,0.3,0.12", "--sphere", "0.7,0.35,0.6,0.15", "--box", "0.2,0.6,0.8,0.8,0.9,0.85"]


def run(cmd, log):
    """Runs an anneal command, its output to log; returns wall seconds (raises on failure)."""
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.run([str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, env=rp.mpi_env())
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n  see {log}")
    return wall


def make(path, cmd, log, timings):
    """Runs cmd unless path exists; records its wall time, kept beside it in <path>.seconds so that a
    resumed run still reports it (None: made without one)."""
    seconds = path.with_name(path.name + ".seconds")
    if path.exists():
        timings[path.name] = float(seconds.read_text()) if seconds.exists() else None
        print(f"reusing {path} (made in {timings[path.name]} s)", flush=True)
        return
    print(f"making {path.name}: {' '.join(map(str, cmd))}", flush=True)
    timings[path.name] = round(run(cmd, log), 1)
    seconds.write_text(f"{timings[path.name]}\n")
    print(f"  {timings[path.name]} s", flush=True)


def train_cmd(anneal, system, data, out, vectors, extra=()):
    return [anneal, "poisson", "train", "--system", system, "--data", data, "-o", out, "--epochs", 1,
            "--max-vectors", vectors, "--learning-rate", "1e-3", "--schedule", "cosine", "--check-rtol", "1e-4",
            "--seed", 0, "--shuffle-seed", 0, "--quiet", *extra]


def history(model):
    with h5py.File(model, "r") as f:
        h = f["history"]
        return {"train_loss": float(h["train_loss"][-1]), "validation_loss": float(h["validation_loss"][-1]),
                "train_seconds": float(sum(h["seconds"][()])), "epochs": int(len(h["epoch"]))}


def iterations(anneal, system, model, rtol, work):
    out = work / "score.h5"
    out.unlink(missing_ok=True)
    cmd = [anneal, "poisson", "solve", "--system", system, "--model", model, "-o", out, "--rtol", rtol,
           "--no-plot", "--max-iterations", 500]
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=rp.mpi_env())
    if not out.exists():
        return {"iterations": None, "error": rp.last_error(proc.stderr or proc.stdout)}
    a, _ = rp.read_result(out)
    result = {"iterations": int(a["iterations"]), "converged": bool(a["converged"]),
              "solve_seconds": float(a["solve_seconds"])}
    out.unlink()
    (work / "score.xmf").unlink(missing_ok=True)
    return result


def score(anneal, models, systems, work):
    table = {}
    for sname, spath in systems.items():
        for mname, mpath in models.items():
            for rtol in RTOLS:
                r = iterations(anneal, spath, mpath, rtol, work)
                table[f"{mname}|{sname}|{rtol:g}"] = r
                print(f"  {mname:>22} on {sname:<14} rtol {rtol:g}: {r.get('iterations')} iterations", flush=True)
    return table


def cell(scores, model, system, rtol):
    r = scores.get(f"{model}|{system}|{rtol:g}")
    if r is None:
        return "—"
    if r["iterations"] is None:
        return "failed"
    return str(r["iterations"]) + ("" if r["converged"] else " (not converged)")


def markdown(res):
    m = res["machine"]
    lines = ["# bench/poisson: DCDM training recipes compared under one budget", "",
             "`" + res["command"] + "`", "",
             f"Machine: {m['cpu']}, {m['cores']} cores. anneal: {m['anneal']} ({m['anneal_build_type']} build). "
             "Every network: the paper's architecture (16 channels, 97 457 parameters), one epoch, Adam 1e-3 with "
             "a cosine schedule, batch 10, seeds 0. Scores are DCDM iterations to ‖b − Ax‖/‖b‖ ≤ rtol on systems "
             "no network was trained on. The loss is the paper's (residual left after the line search along "
             "the network's direction), each network on its own held-out 10 %.", ""]
    systems = list(res["systems"])
    head = "| network | data | train loss | validation loss | train s | " + \
        " | ".join(f"{s} {r:g}" for s in systems for r in RTOLS) + " |"
    sep = "|" + "---|" * (5 + len(systems) * len(RTOLS))

    def row(name, label, data):
        h = res["networks"][name]
        cells = [cell(res["scores"], name, s, r) for s in systems for r in RTOLS]
        return (f"| {label} | {data} | {h['train_loss']:.3e} | {h['validation_loss']:.3e} | {h['train_seconds']:.0f} | "
                + " | ".join(cells) + " |")

    lines += [f"## 1. Training data: the paper's Lanczos size against anneal's (all-Neumann {res['cells']}³ box)", "", head, sep]
    for recipe, (m_steps, count) in res["recipes"].items():
        t = res["timings"].get(f"ritz_{recipe}.h5")
        made = f"made in {t:.0f} s" if t else "time not recorded"
        lines.append(row(f"recipe_{recipe}", f"{recipe} recipe",
                         f"m = {m_steps}, {count} vectors, first {res['train_vectors']} used ({made})"))
    if "shipped" in res["networks"]:
        lines.append(row("shipped", "shipped (anneal recipe, 3 epochs)", "m = 1000, 10 000 vectors"))
    lines += ["", "## 2. Input: the residual (Kaneda et al.) against residual + cell types (Lan et al.)", "",
              f"Both trained on one obstacle system ({res['cells']}³ box, a sphere and a plate; "
              f"{res['obstacle_vectors']} vectors from m = {res['obstacle_lanczos']}).", "", head, sep]
    for name, label in (("obstacle_residual", "residual"), ("obstacle_cell-type", "residual + cell types")):
        lines.append(row(name, label, "obstacle box"))
    lines += ["", "Systems: " + "; ".join(f"`{k}`: {v}" for k, v in res["system_notes"].items()), ""]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--anneal", help="anneal binary (default: as bench/poisson/run_poisson.py chooses)")
    ap.add_argument("--work-dir", default=str(HERE / "data" / "training"))
    ap.add_argument("--data-dir", default=str(HERE / "data"), help="where run_poisson.py keeps the plume systems")
    ap.add_argument("--train-vectors", type=int, default=10000)
    ap.add_argument("--obstacle-vectors", type=int, default=6000)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke check of the script")
    args = ap.parse_args()

    anneal, why = rp.choose_anneal(args.anneal)
    if why:
        raise SystemExit(f"no usable anneal: {why}")
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    cells, test_cells = (8, 16) if args.quick else (32, 64)
    recipes = QUICK_RECIPES if args.quick else RECIPES
    train_vectors = 200 if args.quick else args.train_vectors
    obstacle_vectors = 200 if args.quick else args.obstacle_vectors
    obstacle_lanczos = 40 if args.quick else 1000
    timings = {}
    P = [anneal, "poisson", "problem"]

    box, obst = work / f"box{cells}.h5", work / f"obst{cells}.h5"
    make(box, P + ["--cells", cells, "--walls", "neumann", "-o", box], work / "box.log", timings)
    make(obst, P + ["--cells", cells, "--walls", "neumann", *TRAIN_GEOMETRY, "-o", obst], work / "obst.log", timings)
    systems = {f"box{cells}": work / f"test_box{cells}.h5", f"obstacles{test_cells}": work / f"test_obst{test_cells}.h5"}
    make(systems[f"box{cells}"], P + ["--cells", cells, "--walls", "neumann", "--seed", 7, "-o", systems[f"box{cells}"]],
         work / "test_box.log", timings)
    make(systems[f"obstacles{test_cells}"], P + ["--cells", test_cells, "--walls", "neumann", *TEST_GEOMETRY, "--seed", 3,
                                                 "-o", systems[f"obstacles{test_cells}"]], work / "test_obst.log", timings)
    notes = {f"box{cells}": f"the {cells}³ Neumann box, b = A·z (seed 7)",
             f"obstacles{test_cells}": f"a {test_cells}³ Neumann box with two spheres and a plate placed unlike the "
                                       "training geometry, b = A·z (seed 3)"}
    if not args.quick:
        for step in rp.scene_frames(64):
            p = Path(args.data_dir) / f"plume64.pressure_{step}.h5"
            if p.exists():
                systems[f"plume64@{step}"] = p
                notes[f"plume64@{step}"] = f"the plume's 64³ pressure system at step {step} (flow solver, singular)"

    models = {}
    for recipe, (m_steps, count) in recipes.items():
        data = work / f"ritz_{recipe}.h5"
        make(data, [anneal, "poisson", "dataset", "--system", box, "-o", data, "--lanczos-steps", m_steps,
                    "--vectors", count, "--seed", 0, "--quiet"], work / f"ritz_{recipe}.log", timings)
        models[f"recipe_{recipe}"] = work / f"model_{recipe}.h5"
        make(models[f"recipe_{recipe}"], train_cmd(anneal, box, data, models[f"recipe_{recipe}"], train_vectors),
             work / f"train_{recipe}.log", timings)
    data = work / "ritz_obst.h5"
    make(data, [anneal, "poisson", "dataset", "--system", obst, "-o", data, "--lanczos-steps", obstacle_lanczos,
                "--vectors", obstacle_vectors, "--seed", 0, "--quiet"], work / "ritz_obst.log", timings)
    for inp in ("residual", "cell-type"):
        models[f"obstacle_{inp}"] = work / f"model_obst_{inp}.h5"
        make(models[f"obstacle_{inp}"], train_cmd(anneal, obst, data, models[f"obstacle_{inp}"], obstacle_vectors,
                                                  ["--input", inp]), work / f"train_obst_{inp}.log", timings)
    if not args.quick and SHIPPED.exists():
        models["shipped"] = SHIPPED

    print("scoring", flush=True)
    res = {"command": " ".join(["/usr/bin/python3", "bench/poisson/compare_training.py", *sys.argv[1:]]),
           "machine": rp.machine_info(anneal), "recipes": recipes, "train_vectors": train_vectors,
           "cells": cells, "obstacle_vectors": obstacle_vectors, "obstacle_lanczos": obstacle_lanczos, "timings": timings,
           "systems": {k: str(v) for k, v in systems.items()}, "system_notes": notes,
           "networks": {k: history(v) for k, v in models.items()},
           "scores": score(anneal, models, systems, work)}
    name = "poisson_training_quick" if args.quick else "poisson_training"
    out = ROOT / "bench" / "results"
    (out / f"{name}.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (out / f"{name}.md").write_text(markdown(res))
    print(f"wrote {out / name}.md", flush=True)


if __name__ == "__main__":
    main()
