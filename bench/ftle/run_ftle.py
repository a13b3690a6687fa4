"""bench/ftle: FTLE particle advection, anneal against the TBarrier/numbacs way (NumPy, numba), in one run.

The work is the finite-difference FTLE: 2·d auxiliary particles per seed at ±δ, advected by
fixed-step RK4 through gridded velocity (bilinear / trilinear in space, linear in time):
- 2-D: the time-periodic double gyre (513 × 257 nodes, 106 frames), seeds 256 × 128, t0 = 0, T = 10,
  step 0.01 (131 072 particles × 1000 steps);
- 3-D: the steady ABC flow (64³ periodic nodes, two frames), seeds 32³, t0 = 0, T = 1, step 0.01
  (196 608 particles × 100 steps).
Rows per case: anneal at 1 thread, 2 threads and 2 ranks × 1 thread (`anneal ftle`, its own count of
particle steps over its advection seconds), numba at 1 and 2 threads, NumPy (one thread, over a
shorter T: the rate does not depend on it). Metric: particle RK4 steps per second, the median of
REPEATS runs. The peers advect anneal's own seeds with anneal's δ (read from its output) when anneal
ran, so that both sides do the same work. Guards: numba and NumPy final positions agree (≤ 1e-10),
numba at 1 and 2 threads agree, and anneal's FTLE agrees with the FTLE of numba's positions.
Targets: ≥ 2×10⁷ steps/s per core in 2-D (anneal, 1 thread), ≥ 2× numba on the same cores (numba at
its faster thread count up to that many cores), ≥ 80 % parallel efficiency at 2 ranks.
Writes bench/results/ftle.json and bench/results/ftle.md.

    scripts/setup.sh --with-bench      # python3-numba
    python3 bench/ftle/run_ftle.py [--anneal build/release/bin/anneal] [--quick] [--repeats 3] [--peers-only]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
import make_data  # noqa: E402
import peers  # noqa: E402

# name, data builder, seeds, t0, T, step, T for the NumPy peer
CASES = {
    "full": [("2-D double gyre", make_data.double_gyre, [256, 128], 0.0, 10.0, 0.01, 0.3),
             ("3-D ABC", make_data.abc, [32, 32, 32], 0.0, 1.0, 0.01, 0.1)],
    "quick": [("2-D double gyre", make_data.double_gyre, [128, 64], 0.0, 2.0, 0.01, 0.2),
              ("3-D ABC", make_data.abc, [16, 16, 16], 0.0, 0.5, 0.01, 0.05)],
}
ANNEAL_LAYOUTS = [(1, 1), (1, 2), (2, 1)]  # (ranks, threads per rank)
TARGET_PER_CORE_2D = 2e7
TARGET_RATIO = 2.0
TARGET_EFFICIENCY = 0.8
AGREE = 1e-10
FTLE_AGREE = 1e-6


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_seconds():
    """(CPU seconds all processes have used, CPU seconds this process and its children have used)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        busy = None
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system


def last_line(proc):
    lines = (proc.stderr or proc.stdout or "").strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def anneal_available(anneal):
    """None when `anneal ftle` can run, else the reason why not."""
    if not Path(anneal).is_file():
        return f"{anneal} does not exist (build it: scripts/setup.sh --preset release)"
    try:
        proc = subprocess.run([anneal, "ftle", "--help"], capture_output=True, text=True, timeout=60)
    except OSError as e:
        return f"{anneal} cannot run: {e}"
    if proc.returncode != 0:
        return f"`{anneal} ftle` is not available: {last_line(proc)}"
    return None


def anneal_version(anneal):
    try:
        proc = subprocess.run([anneal, "--version"], capture_output=True, text=True, timeout=60)
        return proc.stdout.strip() or None
    except OSError:
        return None


def run_anneal(anneal, data, out, ranks, threads, seeds, t0, T, step):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [anneal, "ftle", "--input", str(data), "--output", str(out), "--t0", repr(t0), "--T", repr(T),
           "--step", repr(step), "--integrator", "rk4", "--gradient", "fd",
           "--space", "linear", "--time", "linear", "--seeds", "x".join(map(str, seeds)),
           "--threads", str(threads), "--quiet", "--no-plot"]
    if ranks > 1:
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe"] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        return {"error": last_line(proc)}
    try:
        with h5py.File(out, "r") as f:
            return {"particle_steps": int(f.attrs["particle_steps"]),
                    "seconds": float(f.attrs["advection_seconds"])}
    except (OSError, KeyError) as e:
        return {"error": f"{out}: {e}"}


def read_anneal_output(path, dim):
    """anneal's seed axes, δ and FTLE (case 0) with its particle status."""
    with h5py.File(path, "r") as f:
        axes = [f[f"/grid/{a}"][:] for a in "xyz"[:dim]]
        delta = float(f.attrs["fd_delta"])
        ftle = f["/fields/ftle"][0]
        status = f["/fields/particle_status"][0] if "/fields/particle_status" in f else None
    return axes, delta, ftle, status


def anneal_rows(anneal, data, work, seeds, t0, T, step, repeats):
    rows = []
    for ranks, threads in ANNEAL_LAYOUTS:
        runs = []
        for r in range(repeats):
            out = work / f"anneal_{ranks}x{threads}_{r}.h5"
            runs.append(run_anneal(anneal, data, out, ranks, threads, seeds, t0, T, step))
            if "error" in runs[-1]:
                break
        row = {"impl": "anneal", "ranks": ranks, "threads": threads, "cores": ranks * threads}
        if any("error" in r for r in runs):
            row["error"] = next(r["error"] for r in runs if "error" in r)
            print(f"bench/ftle:   anneal {ranks} rank(s) × {threads} thread(s): {row['error']}", flush=True)
        else:
            rates = [r["particle_steps"] / r["seconds"] for r in runs]
            row.update(particle_steps=runs[0]["particle_steps"], seconds=[r["seconds"] for r in runs],
                       steps_per_second=statistics.median(rates))
            print(f"bench/ftle:   anneal {ranks} rank(s) × {threads} thread(s): "
                  f"{row['steps_per_second']:.3e} steps/s", flush=True)
        rows.append(row)
    return rows


def case_result(name, builder, seeds, t0, T, step, T_numpy, args, work, anneal_reason):
    print(f"bench/ftle: {name}: writing the data ...", flush=True)
    data = builder(work / f"{builder.__name__}.h5")
    flow = peers.Flow(data)
    nsteps, _ = peers.steps_and_h(T, step)
    result = {"case": name, "data": data.name, "grid": flow.n, "frames": len(flow.t), "periodic": flow.periodic,
              "seeds": seeds, "t0": t0, "T": T, "step": step, "steps": nsteps, "T_numpy": T_numpy, "rows": []}

    anneal_ftle = None
    axes, delta = peers.seed_grid(flow, seeds), peers.default_delta(flow)
    if anneal_reason is None:
        print(f"bench/ftle: {name}: anneal ...", flush=True)
        result["rows"] += anneal_rows(args.anneal, data, work, seeds, t0, T, step, args.repeats)
        first = work / "anneal_1x1_0.h5"
        if "error" not in result["rows"][0] and first.exists():
            axes, delta, ftle, status = read_anneal_output(first, flow.dim)
            anneal_ftle = (ftle, status)
            result["seeds_from"] = "anneal output (/grid, fd_delta)"
    else:
        result["seeds_from"] = "peers.seed_grid (cell centres; periodic: x0 + i L / n), δ = 1e-3 of the shortest length"
    result["delta"] = delta
    start = peers.fd_particles(axes, delta)
    particles = start.shape[1]
    result["particles"] = particles
    for row in result["rows"]:
        if "particle_steps" in row:
            row["fraction_of_peer_steps"] = row["particle_steps"] / (particles * nsteps)

    print(f"bench/ftle: {name}: numba ({particles} particles × {nsteps} steps) ...", flush=True)
    peers.warm_up(flow)
    finals = {}
    for threads in (1, 2):
        if threads > peers.numba_info()["max_threads"]:
            continue
        med, runs, final = peers.timed(lambda: peers.advect_numba(flow, start, t0, T, step, threads), args.repeats)
        finals[threads] = final
        result["rows"].append({"impl": "numba", "ranks": 1, "threads": threads, "cores": threads,
                               "particle_steps": particles * nsteps, "seconds": runs,
                               "steps_per_second": particles * nsteps / med})
        print(f"bench/ftle:   numba {threads} thread(s): {particles * nsteps / med:.3e} steps/s", flush=True)

    n_np, _ = peers.steps_and_h(T_numpy, step)
    print(f"bench/ftle: {name}: NumPy ({particles} particles × {n_np} steps) ...", flush=True)
    med, runs, final_np = peers.timed(lambda: peers.advect_numpy(flow, start, t0, T_numpy, step), args.repeats)
    result["rows"].append({"impl": "NumPy", "ranks": 1, "threads": 1, "cores": 1, "particle_steps": particles * n_np,
                           "seconds": runs, "steps_per_second": particles * n_np / med})
    print(f"bench/ftle:   NumPy: {particles * n_np / med:.3e} steps/s", flush=True)

    short = peers.advect_numba(flow, start, t0, T_numpy, step, 1)
    guards = {"numba_vs_numpy_max_abs": float(np.max(np.abs(short - final_np)))}
    if 1 in finals and 2 in finals:
        guards["numba_1_vs_2_threads_max_abs"] = float(np.max(np.abs(finals[1] - finals[2])))
    if anneal_ftle is not None:
        ftle, status = anneal_ftle
        ours = peers.ftle_from_fd(finals[1], [len(a) for a in axes], delta, T)
        ok = np.isfinite(ftle) & np.isfinite(ours)
        if status is not None:
            ok &= status == 0
        # anneal takes one-sided differences at seeds within δ of a non-periodic edge (the peers'
        # outer point would start outside): compare the centred seeds only.
        grids = np.meshgrid(*axes[::-1], indexing="ij")[::-1]
        for a in range(flow.dim):
            if not flow.periodic[a]:
                lo, hi = flow.origin[a], flow.origin[a] + flow.length[a]
                ok &= ((grids[a] - delta >= lo) & (grids[a] + delta <= hi)).reshape(ok.shape)
        guards["anneal_vs_numba_ftle_max_abs"] = float(np.max(np.abs(ftle[ok] - ours[ok]))) if ok.any() else None
        guards["anneal_ftle_points_compared"] = int(ok.sum())
        guards["anneal_ftle_points"] = int(ftle.size)
    result["guards"] = guards
    return result


def derive(case):
    """Per core rates, ratios to numba on the same cores, parallel efficiency; in place."""
    rows = case["rows"]
    numba = {r["threads"]: r["steps_per_second"] for r in rows if r["impl"] == "numba"}
    best_numba = {c: max(v for t, v in numba.items() if t <= c) for c in (1, 2) if any(t <= c for t in numba)}
    for r in rows:
        if "steps_per_second" not in r:
            continue
        r["steps_per_second_per_core"] = r["steps_per_second"] / r["cores"]
        ref = best_numba.get(r["cores"])
        r["numba_reference"] = ref
        r["ratio_to_numba"] = r["steps_per_second"] / ref if ref else None
    by = {(r["impl"], r["ranks"], r["threads"]): r.get("steps_per_second") for r in rows}
    one, ranks2 = by.get(("anneal", 1, 1)), by.get(("anneal", 2, 1))
    threads2 = by.get(("anneal", 1, 2))
    case["efficiency_2_ranks"] = ranks2 / (2 * one) if one and ranks2 else None
    case["efficiency_2_threads"] = threads2 / (2 * one) if one and threads2 else None
    n1, n2 = numba.get(1), numba.get(2)
    case["numba_efficiency_2_threads"] = n2 / (2 * n1) if n1 and n2 else None


def checks(cases):
    out = []
    two_d = cases[0]
    one = next((r for r in two_d["rows"] if (r["impl"], r["ranks"], r["threads"]) == ("anneal", 1, 1)), {})
    v = one.get("steps_per_second_per_core")
    out.append({"check": f"2-D: anneal ≥ {TARGET_PER_CORE_2D:.0e} steps/s per core (1 thread)", "value": v,
                "pass": None if v is None else v >= TARGET_PER_CORE_2D})
    for case in cases:
        if not any(r["impl"] == "anneal" for r in case["rows"]):
            out.append({"check": f"{case['case']}: anneal ≥ {TARGET_RATIO:g}× numba on the same cores", "value": None,
                        "pass": None})
        for r in case["rows"]:
            if r["impl"] != "anneal":
                continue
            v = r.get("ratio_to_numba")
            out.append({"check": f"{case['case']}: anneal {r['ranks']} rank(s) × {r['threads']} thread(s) ≥ "
                                 f"{TARGET_RATIO:g}× numba on {r['cores']} core(s)", "value": v,
                        "pass": None if v is None else v >= TARGET_RATIO})
        v = case.get("efficiency_2_ranks")
        out.append({"check": f"{case['case']}: parallel efficiency at 2 ranks ≥ {TARGET_EFFICIENCY:.0%}", "value": v,
                    "pass": None if v is None else v >= TARGET_EFFICIENCY})
    for case in cases:
        g = case["guards"]
        out.append({"check": f"{case['case']}: numba and NumPy final positions agree (≤ {AGREE:g})",
                    "value": g["numba_vs_numpy_max_abs"], "pass": g["numba_vs_numpy_max_abs"] <= AGREE})
        if "numba_1_vs_2_threads_max_abs" in g:
            v = g["numba_1_vs_2_threads_max_abs"]
            out.append({"check": f"{case['case']}: numba at 1 and 2 threads agree (≤ {AGREE:g})", "value": v,
                        "pass": v <= AGREE})
        if "anneal_vs_numba_ftle_max_abs" in g:
            v = g["anneal_vs_numba_ftle_max_abs"]
            out.append({"check": f"{case['case']}: anneal's FTLE and the FTLE of numba's positions agree "
                                 f"(≤ {FTLE_AGREE:g}, {g['anneal_ftle_points_compared']} of "
                                 f"{g['anneal_ftle_points']} seeds)", "value": v,
                        "pass": None if v is None else v <= FTLE_AGREE})
    return out


def fmt(x, spec=".3e"):
    return "—" if x is None else format(x, spec)


def markdown(results):
    m = results["meta"]
    lines = ["# bench/ftle: FTLE particle advection, anneal vs NumPy and numba (the TBarrier / numbacs way)", "",
             f"{m['cpu']}, {m['cpus']} CPUs (other processes: {fmt(m.get('other_processes_cores'), '.2f')} cores "
             f"busy on average during the run); Python "
             f"{m['python']}, NumPy {m['numpy']}, numba {m['numba']} (threading layer {m['numba_threading_layer']}); "
             f"anneal: {m['anneal']}. Median of {m['repeats']} runs; f64. "
             "Work: 2·d finite-difference particles per seed, fixed-step RK4, bilinear / trilinear in space, "
             "linear in time. The ratio compares with numba on the same number of cores (numba at its faster "
             "thread count up to that many).", ""]
    others = m.get("other_processes_cores")
    if others is not None and others > 0.1:
        lines += [f"**The machine was busy**: other processes kept {others:.2f} of the {m['cpus']} cores busy on "
                  "average during the run, so these rates, the 2-core ones most, are low and noisy.", ""]
    if m.get("anneal_skipped"):
        lines += [f"anneal rows skipped: {m['anneal_skipped']}", ""]
    for case in results["cases"]:
        lines += [f"## {case['case']}: {' × '.join(map(str, case['grid']))} nodes, {case['frames']} frames; seeds "
                  f"{' × '.join(map(str, case['seeds']))}, {case['particles']} particles (δ = {case['delta']:.3g}), "
                  f"t0 = {case['t0']:g}, T = {case['T']:g}, step {case['step']:g} ({case['steps']} steps; NumPy: "
                  f"T = {case['T_numpy']:g})", "",
                  "| implementation | ranks × threads | steps/s | steps/s per core | ratio to numba (same cores) |",
                  "|---|---|---|---|---|"]
        for r in case["rows"]:
            layout = f"{r['ranks']} × {r['threads']}"
            if "error" in r:
                lines.append(f"| {r['impl']} | {layout} | failed: {r['error']} | | |")
                continue
            lines.append(f"| {r['impl']} | {layout} | {fmt(r['steps_per_second'])} | "
                         f"{fmt(r['steps_per_second_per_core'])} | {fmt(r['ratio_to_numba'], '.2f')} |")
        lines += ["", f"Parallel efficiency: anneal 2 ranks {fmt(case['efficiency_2_ranks'], '.0%')}, anneal 2 threads "
                  f"{fmt(case['efficiency_2_threads'], '.0%')}, numba 2 threads "
                  f"{fmt(case['numba_efficiency_2_threads'], '.0%')}. Seeds and δ: {case['seeds_from']}."]
        fractions = [r["fraction_of_peer_steps"] for r in case["rows"] if "fraction_of_peer_steps" in r]
        if any(abs(v - 1.0) > 1e-12 for v in fractions):
            lines.append(f"anneal advanced {min(fractions):.4%} of the peers' particle steps (particles that "
                         "leave the domain stop; each side's rate counts its own steps).")
        lines.append("")
    lines += ["## Checks", "", "| check | value | result |", "|---|---|---|"]
    for c in results["checks"]:
        verdict = {True: "pass", False: "**FAIL**", None: "not run"}[c["pass"]]
        value = c["value"]
        text = fmt(value, ".2f") if isinstance(value, float) and 1e-3 < abs(value) < 1e3 else fmt(value, ".2e")
        lines.append(f"| {c['check']} | {text} | {verdict} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    builds = [ROOT / "build" / preset / "bin" / "anneal" for preset in ("release", "ci")]
    ap.add_argument("--anneal", default=str(next((b for b in builds if b.is_file()), builds[0])),
                    help="the anneal binary (default: build/release/bin/anneal, else build/ci/bin/anneal)")
    ap.add_argument("--peers-only", action="store_true", help="skip the anneal rows")
    ap.add_argument("--quick", action="store_true", help="smaller problems, one run each (a smoke run)")
    ap.add_argument("--repeats", type=int, help="runs per row, the median is reported (default: 3; --quick: 1)")
    ap.add_argument("--output-dir", default=str(ROOT / "bench" / "results"), help="where ftle.json and ftle.md go")
    args = ap.parse_args()
    args.repeats = args.repeats or (1 if args.quick else 3)
    started = time.perf_counter()
    busy0, own0 = cpu_seconds()

    reason = "--peers-only" if args.peers_only else anneal_available(args.anneal)
    if reason:
        print(f"bench/ftle: skipping the anneal rows: {reason}", flush=True)
    import numba  # noqa: E402  (the kernels import it too; here for the version)
    info = peers.numba_info()
    results = {"meta": {"cpu": cpu_model(), "cpus": os.cpu_count(), "load_average": list(os.getloadavg()),
                        "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
                        "numba_max_threads": info["max_threads"], "anneal": anneal_version(args.anneal) if not reason
                        else None, "anneal_path": args.anneal, "anneal_skipped": reason, "repeats": args.repeats,
                        "quick": args.quick}}
    cases = []
    with tempfile.TemporaryDirectory(prefix="bench_ftle_") as tmp:
        for name, builder, seeds, t0, T, step, T_numpy in CASES["quick" if args.quick else "full"]:
            case = case_result(name, builder, seeds, t0, T, step, T_numpy, args, Path(tmp), reason)
            derive(case)
            cases.append(case)
    results["meta"]["numba_threading_layer"] = peers.numba_info()["threading_layer"]
    results["cases"] = cases
    results["checks"] = checks(cases)
    results["meta"]["seconds"] = wall = time.perf_counter() - started
    busy1, own1 = cpu_seconds()
    results["meta"]["load_average_end"] = list(os.getloadavg())
    results["meta"]["other_processes_cores"] = (max(0.0, (busy1 - busy0) - (own1 - own0)) / wall
                                                if busy0 is not None and busy1 is not None else None)

    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ftle.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (out_dir / "ftle.md").write_text(text)
    print(text)
    print(f"bench/ftle: {results['meta']['seconds']:.0f} s; wrote {out_dir / 'ftle.json'} and {out_dir / 'ftle.md'}")


if __name__ == "__main__":
    main()
