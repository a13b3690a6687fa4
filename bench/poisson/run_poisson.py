"""bench/poisson: DCDM (issue 6) beside PETSc's Krylov baselines on flow-solver pressure systems.

Systems: the pressure Poisson systems the flow solver dumps while a smoke plume rises past a sphere,
a cylinder and a plate (bench/poisson/plume_64.toml: steps 60 and 120 at 64³;
bench/poisson/plume_128.toml: steps 30 and 60 at 128³ — the same physical times). Each file holds
/A, /b, /cell_type and the flow solver's own solution /x (at rtol 1e-10), so every run also reports
its error against /x. The model (default data/poisson/dcdm_box32.h5) is trained on other systems:
these frames are not in its training data.

For each size x frame x relative tolerance (1e-6, 1e-4) x method, `anneal poisson solve` runs on
1 rank (threads = all cores) and on 2 ranks (threads = cores / 2 each) and the faster layout (by
median total = setup + solve) is kept; both are in the JSON. Methods:

    cg          -ksp_type cg -pc_type none
    icpcg       -ksp_type cg -pc_type icc             (1 rank: PETSc's ICC is sequential)
                -ksp_type cg -pc_type bjacobi -sub_pc_type icc   (2 ranks: "cg + bjacobi/icc")
    gamg        -ksp_type cg -pc_type gamg
    boomeramg   -ksp_type cg -pc_type hypre -pc_hypre_type boomeramg
    deflation   -ksp_type cg -pc_type deflation       (PETSc's default Haar-wavelet space)
    dcdm        --model MODEL                         (-ksp_type dcdm; 2 ranks: halo overlap)

Every residual is the unpreconditioned ‖b − Ax‖/‖b‖ (anneal sets it for CG), so iteration counts
compare like with like. setup s (anneal's `setup_seconds`) is everything before KSPSolve: reading
the system file, assembling the PETSc matrix, loading the model (DCDM) and KSPSetUp (the AMG
hierarchy, the ICC factor, the deflation space); plain CG's setup is therefore the floor (read +
assemble) that every method pays. solve s is KSPSolve alone. Timings are medians of --repeats runs
(DCDM at 128³ and above: --dcdm-repeats, default 1, because one solve can take minutes; deflated
CG: --deflation-repeats, default 1, because its setup alone takes minutes: 138 s at 64³ on 1 rank
of a shared 2-core machine); a run that fails, times out (--timeout) or does not converge is
recorded with its reason and not repeated. --quick: 64³, its last frame (step 120), rtol 1e-6,
one run each: a smoke check of the script, not the benchmark.

    /usr/bin/python3 bench/poisson/run_poisson.py [--anneal build/perf/bin/anneal] [--model M.h5]
        [--data-dir bench/poisson/data] [--repeats 3] [--dcdm-repeats 1] [--deflation-repeats 1]
        [--sizes 64,128] [--rtols 1e-6,1e-4] [--methods cg,icpcg,gamg,boomeramg,deflation,dcdm]
        [--ranks 1,2] [--max-iterations 2000] [--timeout 3600] [--quick]

Writes bench/results/poisson.json and bench/results/poisson.md (--quick: poisson_quick.*).
"""
import argparse
import json
import os
import platform
import re
import signal
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
SCENES = {64: HERE / "plume_64.toml", 128: HERE / "plume_128.toml"}
DEFAULT_MODEL = ROOT / "data" / "poisson" / "dcdm_box32.h5"
TOLERANCES = [1e-6, 1e-4]
METHODS = ["cg", "icpcg", "gamg", "boomeramg", "deflation", "dcdm"]
LABELS = {"cg": "cg", "icpcg": "cg + icc (ICPCG)", "gamg": "cg + gamg", "boomeramg": "cg + hypre boomeramg",
          "deflation": "deflated cg", "dcdm": "dcdm"}
TARGET_ICPCG_RATIO = 0.1  # DCDM iterations ÷ ICPCG iterations at 128³
TARGET_GROWTH = 1.3       # DCDM iterations 128³ ÷ 64³
GROWTH_FROM, GROWTH_TO = 64, 128
ICPCG_SIZE = 128


def petsc_options(method, ranks):
    """(PETSc options, label) for a baseline on this many ranks."""
    if method == "cg":
        return ["-ksp_type", "cg", "-pc_type", "none"], "cg"
    if method == "icpcg":
        if ranks == 1:
            return ["-ksp_type", "cg", "-pc_type", "icc"], "cg + icc"
        return ["-ksp_type", "cg", "-pc_type", "bjacobi", "-sub_pc_type", "icc"], "cg + bjacobi/icc"
    if method == "gamg":
        return ["-ksp_type", "cg", "-pc_type", "gamg"], "cg + gamg"
    if method == "boomeramg":
        return ["-ksp_type", "cg", "-pc_type", "hypre", "-pc_hypre_type", "boomeramg"], "cg + boomeramg"
    if method == "deflation":
        return ["-ksp_type", "cg", "-pc_type", "deflation"], "cg + deflation"
    raise ValueError(method)


# ---------------------------------------------------------------------------------------------
# Machine and versions

def run_text(cmd, timeout=60):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return proc.stdout.strip() if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def build_type(anneal):
    cache = Path(anneal).resolve().parent.parent / "CMakeCache.txt"
    try:
        m = re.search(r"^CMAKE_BUILD_TYPE:STRING=(.*)$", cache.read_text(errors="replace"), re.M)
        return m[1] if m else None
    except OSError:
        return None


def packages(names):
    out = run_text(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n"] + names)
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line) if out else {}


def machine_info(anneal):
    sha = run_text(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    dirty = run_text(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    mpi = run_text(["mpiexec", "--version"])
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "load_average_at_start": load_average(),
        "gpu": gpu_present(),
        "python": platform.python_version(),
        "petsc": run_text(["pkg-config", "--modversion", "PETSc"]),
        "mpi": mpi.splitlines()[0] if mpi else None,
        "packages": packages(["libpetsc-real3.18", "libhypre-2.26.0", "openmpi-bin", "libopenblas0-pthread",
                              "libblas3"]),
        "anneal": run_text([anneal, "--version"]), "anneal_binary": str(anneal), "anneal_build_type": build_type(anneal),
        "git_sha": sha, "git_dirty": bool(dirty) if dirty is not None else None,
    }


def gpu_present():
    return any(Path("/dev").glob("nvidia[0-9]*"))


# ---------------------------------------------------------------------------------------------
# Running anneal

def has_poisson_solve(anneal):
    """None when `anneal poisson solve` runs, else why not."""
    if not Path(anneal).is_file():
        return f"{anneal} does not exist"
    try:
        proc = subprocess.run([str(anneal), "poisson", "solve", "--help"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return f"{anneal} cannot run: {e}"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return f"`{anneal} poisson solve` is not available: {lines[-1] if lines else proc.returncode}"
    return None


def choose_anneal(requested):
    if requested:
        return Path(requested), has_poisson_solve(requested)
    notes = []
    for preset in ("perf", "release", "ci"):
        candidate = ROOT / "build" / preset / "bin" / "anneal"
        why = has_poisson_solve(candidate)
        if why is None:
            for note in notes:
                print(f"note: not using {note}", flush=True)
            return candidate, None
        notes.append(why)
    return ROOT / "build" / "ci" / "bin" / "anneal", "; ".join(notes)


def mpi_env():
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def run_process(cmd, timeout, log=None):
    """Run cmd in its own process group; (returncode or None on timeout, output tail, wall s)."""
    start = time.perf_counter()
    with open(log, "w") if log else tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([str(c) for c in cmd], env=mpi_env(), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, text=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            rc = None
        except KeyboardInterrupt:
            kill_group(proc)
            raise
        if rc is None:
            kill_group(proc)
        wall = time.perf_counter() - start
        out.flush()
    text = Path(log).read_text(errors="replace") if log else ""
    return rc, text, wall


def kill_group(proc):
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def last_error(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        if "error" in line.lower():
            return line.strip()
    return lines[-1].strip() if lines else "no output"


def read_result(path):
    with h5py.File(path, "r") as f:
        attrs = {}
        for key, value in f.attrs.items():
            if isinstance(value, bytes):
                value = value.decode()
            elif hasattr(value, "item") and getattr(value, "size", 1) == 1:
                value = value.item()
            elif hasattr(value, "tolist"):
                value = value.tolist()
            attrs[key] = value
        history = [float(f"{v:.4e}") for v in f["history/residual"][()]] if "history/residual" in f else []
    return attrs, history


def solve_once(anneal, system, out, method, ranks, threads, rtol, args, model):
    cmd = [anneal, "poisson", "solve", "--system", system, "-o", out, "--rtol", repr(rtol), "--no-plot",
           "--threads", threads, "--max-iterations", args.max_iterations, "--log-level", "info"]
    if method == "dcdm":
        cmd += ["--model", model]
        label = "dcdm"
        options = []
    else:
        options, label = petsc_options(method, ranks)
        cmd += ["--"] + options
    if ranks > 1:
        cmd = ["mpiexec", "-n", ranks, "--oversubscribe"] + cmd
    if out.exists():
        out.unlink()
    log = out.with_suffix(".log")
    rc, text, wall = run_process(cmd, args.timeout, log)
    run = {"label": label, "options": options, "returncode": rc, "wall_seconds": round(wall, 4)}
    written = out.exists()
    if written:
        try:
            attrs, history = read_result(out)
            run.update({k: attrs.get(k) for k in ("iterations", "converged", "reason", "method", "norm",
                                                   "setup_seconds", "solve_seconds", "relative_residual",
                                                   "error_vs_reference")})
            run["converged"] = bool(run["converged"])
            run["history"] = history
        except (OSError, KeyError, ValueError) as e:
            written = False
            run["error"] = f"cannot read {out.name}: {e}"
    if rc is None:
        run["error"] = f"timed out after {args.timeout:g} s" + (" (its output file was written)" if written else "")
        run["ok"] = False
    elif not written:
        run.setdefault("error", last_error(text))
        run["ok"] = False
    else:
        run["ok"] = bool(run.get("converged"))
        if rc != 0 and run["ok"]:  # converged but the command failed afterwards
            run["ok"] = False
            run["error"] = last_error(text)
        elif not run["ok"]:
            run["error"] = f"not converged: {run.get('reason')} after {run.get('iterations')} iterations " \
                           f"(relative residual {fmt_sci(run.get('relative_residual'))})"
    for p in (out, out.with_suffix(".xmf"), log):
        if p.exists():
            p.unlink()
    return run


def measure(anneal, system, work, method, ranks, threads, rtol, repeats, args, model):
    """Repeat one configuration; medians of the converged runs (none if any run is not ok)."""
    runs = []
    for i in range(repeats):
        run = solve_once(anneal, system, work / f"out_{method}_{ranks}.h5", method, ranks, threads, rtol, args, model)
        runs.append(run)
        tail = f"{run['iterations']} it, setup {run['setup_seconds']:.3f} s, solve {run['solve_seconds']:.3f} s" \
            if run["ok"] else f"FAILED: {run['error']}"
        print(f"    {run['label']:<18} {ranks} rank(s) x {threads} thread(s) run {i + 1}/{repeats}: {tail}", flush=True)
        if not run["ok"]:
            break
    entry = {"ranks": ranks, "threads": threads, "label": runs[0]["label"], "options": runs[0]["options"],
             "repeats": len(runs), "runs": [{k: v for k, v in r.items() if k != "history"} for r in runs],
             "history": runs[0].get("history", [])}
    bad = next((r for r in runs if not r["ok"]), None)
    if bad:
        entry.update({"ok": False, "error": bad["error"]})
        for k in ("iterations", "reason", "relative_residual", "error_vs_reference", "setup_seconds", "solve_seconds"):
            entry[k] = bad.get(k)
        return entry
    entry["ok"] = True
    its = [r["iterations"] for r in runs]
    entry["iterations"] = int(statistics.median(its))
    if len(set(its)) > 1:
        entry["iterations_all"] = its
    entry["reason"] = runs[0]["reason"]
    entry["relative_residual"] = runs[0]["relative_residual"]
    entry["error_vs_reference"] = runs[0].get("error_vs_reference")
    entry["setup_seconds"] = statistics.median(r["setup_seconds"] for r in runs)
    entry["solve_seconds"] = statistics.median(r["solve_seconds"] for r in runs)
    entry["total_seconds"] = statistics.median(r["setup_seconds"] + r["solve_seconds"] for r in runs)
    entry["wall_seconds"] = statistics.median(r["wall_seconds"] for r in runs)
    return entry


# ---------------------------------------------------------------------------------------------
# Data

def scene_frames(size):
    text = SCENES[size].read_text()
    m = re.search(r"^pressure_systems\s*=\s*\[([^\]]*)\]", text, re.M)
    return [int(v) for v in m[1].split(",") if v.strip()]


def ensure_systems(anneal, data_dir, size, args):
    """{step: path} of the size's pressure systems, generated when absent; plus a note."""
    frames = scene_frames(size)
    stem = data_dir / f"plume{size}"
    paths = {step: Path(f"{stem}.pressure_{step}.h5") for step in frames}
    missing = [s for s, p in paths.items() if not p.exists()]
    if not missing:
        print(f"{size}³: systems present in {data_dir} ({', '.join(p.name for p in paths.values())})", flush=True)
        return paths, {"generated": False}
    data_dir.mkdir(parents=True, exist_ok=True)
    steps = max(frames)
    cmd = [anneal, "flow", "run", "--scene", SCENES[size], "-o", f"{stem}.h5", "--max-steps", steps, "--quiet"]
    print(f"{size}³: generating the pressure systems (steps {frames}) with `{' '.join(map(str, cmd))}` — "
          f"this takes a while (64³: ~10 min, 128³: much longer on 2 cores)", flush=True)
    rc, text, wall = run_process(cmd, None, data_dir / f"plume{size}.flow.log")
    note = {"generated": True, "seconds": round(wall, 1), "command": " ".join(map(str, cmd)), "returncode": rc}
    print(f"{size}³: flow run took {wall:.0f} s (exit status {rc})", flush=True)
    if rc != 0:
        note["error"] = last_error(text)
    return {s: p for s, p in paths.items() if p.exists()}, note


def system_info(path):
    with h5py.File(path, "r") as f:
        a = f.attrs
        info = {"file": str(path), "unknowns": int(f["b"].shape[0]), "has_reference": "x" in f}
        for key in ("step", "time"):
            if key in a:
                info[key] = a[key].item() if hasattr(a[key], "item") else a[key]
        if "cell_type" in f:
            ct = f["cell_type"][()]
            values, counts = np.unique(ct, return_counts=True)
            info["cell_types"] = {int(v): int(c) for v, c in zip(values, counts)}
    return info


# ---------------------------------------------------------------------------------------------
# Report

def fmt_sci(v):
    return "—" if v is None else f"{v:.1e}"


def fmt_s(v):
    if v is None:
        return "—"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r, digits=2):
    return "not measured" if r is None else f"{r:.{digits}f}"


def best(cell):
    """The faster ok layout of a method cell (by median total), or None."""
    ok = [e for e in cell.get("layouts", []) if e.get("ok")]
    return min(ok, key=lambda e: e["total_seconds"]) if ok else None


def layout(cell, ranks):
    return next((e for e in cell.get("layouts", []) if e["ranks"] == ranks), None)


def find(results, size, step, rtol, method):
    for c in results["cells"]:
        if c["size"] == size and c["step"] == step and c["rtol"] == rtol and c["method"] == method:
            return c
    return None


def status_text(cell, e):
    if cell.get("skipped"):
        return cell["skipped"]
    failed = [f"{x['ranks']} rank(s): {x['error']}" for x in cell.get("layouts", []) if not x.get("ok")]
    if e is None:
        return "; ".join(failed) if failed else "not measured"
    return "; ".join([e["reason"]] + failed)


def markdown(results):
    m = results["machine"]
    cfg = results["config"]
    lines = [
        "# bench/poisson: DCDM beside PETSc's Krylov baselines on the plume's pressure systems",
        "",
        f"`{cfg['command']}`{' (quick mode: a smoke run, not the benchmark)' if cfg['quick'] else ''}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (load average {m['load_average_at_start']} at the start, "
        f"{results.get('load_average_at_end')} at the end: the machine may be shared). PETSc {m['petsc']}, "
        f"hypre {m['packages'].get('libhypre-2.26.0', '?')}, {m['mpi']}. anneal: {m['anneal']} "
        f"({m['anneal_binary']}, {m['anneal_build_type']} build).",
        "",
        f"Model: {cfg['model']} ({'present' if cfg['model_present'] else 'absent: DCDM rows are not measured'}). "
        f"Iterations to ‖b − Ax‖/‖b‖ ≤ rtol (unpreconditioned for every method); setup s = read + assemble + "
        f"model load + KSPSetUp; solve s = KSPSolve; total = setup + solve. Medians of {cfg['repeats']} run(s) "
        f"(DCDM at ≥ 128³: {cfg['dcdm_repeats']}; deflated CG: {cfg.get('deflation_repeats', 1)}). Each method ran on "
        f"{' and '.join(f'{r} rank(s) × {t} thread(s)' for r, t in cfg['threads'].items())}; the faster total is "
        f"shown and every layout's total is listed. Error: max |x − x_ref| / max |x_ref| against the flow solver's own solution (rtol 1e-10), "
        f"both mean-free.",
        "",
    ]
    for size in cfg["sizes"]:
        for rtol in cfg["rtols"]:
            cells = [c for c in results["cells"] if c["size"] == size and c["rtol"] == rtol]
            if not cells:
                continue
            lines += [f"## {size}³, rtol {rtol:g}", "",
                      "| frame (step, t) | method | iterations | setup s | solve s | total s | best layout | "
                      "1-rank total s | 2-rank total s | rel. residual | error vs /x | status |",
                      "|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for c in cells:
                e = best(c)
                one, two = layout(c, 1), layout(c, 2)
                frame = f"{c['step']} (t = {c['time']:.3f})" if c.get("time") is not None else str(c["step"])
                lay = f"{e['ranks']} × {e['threads']} ({e['label']})" if e else "—"
                tot = lambda x: fmt_s(x["total_seconds"]) if x and x.get("ok") else ("failed" if x else "—")
                shown = e or next((x for x in c.get("layouts", [])), None)
                lines.append(
                    f"| {frame} | {LABELS[c['method']]} | {shown['iterations'] if shown and shown.get('iterations') is not None else '—'} | "
                    f"{fmt_s(e['setup_seconds']) if e else '—'} | {fmt_s(e['solve_seconds']) if e else '—'} | "
                    f"{fmt_s(e['total_seconds']) if e else '—'} | {lay} | {tot(one)} | {tot(two)} | "
                    f"{fmt_sci(shown.get('relative_residual')) if shown else '—'} | "
                    f"{fmt_sci(shown.get('error_vs_reference')) if shown else '—'} | "
                    f"{status_text(c, e)} |")
            lines.append("")
    lines += acceptance(results)
    return "\n".join(lines) + "\n"


def dcdm_iterations(results, size, step, rtol):
    c = find(results, size, step, rtol, "dcdm")
    e = best(c) if c else None
    return e["iterations"] if e else None


def acceptance(results):
    cfg = results["config"]
    out = ["## Acceptance figures (issue 6), from the rows above", ""]
    # 1. DCDM ÷ ICPCG iterations at 128³ (ICPCG: true ICC on 1 rank).
    out.append(f"**DCDM iterations ÷ ICPCG iterations at {ICPCG_SIZE}³** (target ≤ {TARGET_ICPCG_RATIO:g}; "
               "ICPCG = CG + ICC(0) on 1 rank, PETSc's sequential ICC):")
    out.append("")
    for rtol in cfg["rtols"]:
        for step in results["frames"].get(str(ICPCG_SIZE), []) or [None]:
            if step is None:
                out.append(f"- rtol {rtol:g}: not measured ({ICPCG_SIZE}³ not run)")
                continue
            d = dcdm_iterations(results, ICPCG_SIZE, step, rtol)
            c = find(results, ICPCG_SIZE, step, rtol, "icpcg")
            i = layout(c, 1) if c else None
            i_its = i["iterations"] if i and i.get("ok") else None
            r = ratio(d, i_its)
            verdict = "" if r is None else (" — met" if r <= TARGET_ICPCG_RATIO else " — not met")
            out.append(f"- rtol {rtol:g}, step {step}: DCDM {d if d is not None else 'not measured'} / ICPCG "
                       f"{i_its if i_its is not None else 'not measured'} = {fmt_ratio(r, 3)}{verdict}")
    out.append("")
    # 2. Growth 64³ -> 128³, frames paired in order (same physical time).
    out.append(f"**DCDM iteration growth {GROWTH_FROM}³ → {GROWTH_TO}³** (target ≤ {TARGET_GROWTH:g}×; frames paired "
               "at the same physical time):")
    out.append("")
    small = results["frames"].get(str(GROWTH_FROM), [])
    large = results["frames"].get(str(GROWTH_TO), [])
    pairs = list(zip(scene_frames(GROWTH_FROM), scene_frames(GROWTH_TO)))
    for rtol in cfg["rtols"]:
        for s, l in pairs:
            d1 = dcdm_iterations(results, GROWTH_FROM, s, rtol) if s in small else None
            d2 = dcdm_iterations(results, GROWTH_TO, l, rtol) if l in large else None
            r = ratio(d2, d1)
            verdict = "" if r is None else (" — met" if r <= TARGET_GROWTH else " — not met")
            shown = f"{fmt_ratio(r)}×{verdict}" if r is not None else "not measured"
            out.append(f"- rtol {rtol:g}, step {s} ({GROWTH_FROM}³) → step {l} ({GROWTH_TO}³): "
                       f"{d1 if d1 is not None else 'not measured'} → {d2 if d2 is not None else 'not measured'}: "
                       f"{shown}")
    out.append("")
    # 3. DCDM against the AMGs.
    out += ["**DCDM against the algebraic multigrids** (ratios DCDM ÷ AMG, each at its faster layout; > 1: DCDM "
            "needs more / is slower):", "",
            "| size | step | rtol | AMG | AMG iterations | DCDM iterations | iterations ratio | AMG total s | "
            "DCDM total s | total ratio | AMG solve s | DCDM solve s | solve ratio |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for size in cfg["sizes"]:
        for step in results["frames"].get(str(size), []):
            for rtol in cfg["rtols"]:
                cd = find(results, size, step, rtol, "dcdm")
                d = best(cd) if cd else None
                for amg in ("gamg", "boomeramg"):
                    ca = find(results, size, step, rtol, amg)
                    a = best(ca) if ca else None
                    g = lambda e, k: e[k] if e else None
                    nm = lambda v, f: "not measured" if v is None else f(v)
                    out.append(
                        f"| {size}³ | {step} | {rtol:g} | {LABELS[amg]} | {nm(g(a, 'iterations'), str)} | "
                        f"{nm(g(d, 'iterations'), str)} | {fmt_ratio(ratio(g(d, 'iterations'), g(a, 'iterations')))} | "
                        f"{nm(g(a, 'total_seconds'), fmt_s)} | {nm(g(d, 'total_seconds'), fmt_s)} | "
                        f"{fmt_ratio(ratio(g(d, 'total_seconds'), g(a, 'total_seconds')))} | "
                        f"{nm(g(a, 'solve_seconds'), fmt_s)} | {nm(g(d, 'solve_seconds'), fmt_s)} | "
                        f"{fmt_ratio(ratio(g(d, 'solve_seconds'), g(a, 'solve_seconds')))} |")
    out.append("")
    # 4. Setup for a changing geometry: every new obstacle layout means a new matrix.
    out += ["**Setup cost when the geometry changes** (a new matrix each time: AMG rebuilds its hierarchy, DCDM "
            "only loads its model; median setup s at the faster layout, first tolerance; plain CG's setup is the "
            "read + assemble floor every method pays):", "",
            "| size | step | cg (floor) | cg + gamg | cg + hypre boomeramg | deflated cg | cg + icc | dcdm (model load) |",
            "|---|---|---|---|---|---|---|---|"]
    rtol0 = cfg["rtols"][0] if cfg["rtols"] else None
    for size in cfg["sizes"]:
        for step in results["frames"].get(str(size), []):
            row = []
            for method in ("cg", "gamg", "boomeramg", "deflation", "icpcg", "dcdm"):
                c = find(results, size, step, rtol0, method)
                e = best(c) if c else None
                row.append(fmt_s(e["setup_seconds"]) if e else "not measured")
            out.append(f"| {size}³ | {step} | " + " | ".join(row) + " |")
    # 5. DCDM on 1 and 2 ranks: with the halo the direction equals the serial one.
    same = []
    for c in results["cells"]:
        if c["method"] != "dcdm" or c.get("skipped"):
            continue
        its = {e["ranks"]: e.get("iterations") for e in c.get("layouts", []) if e.get("ok")}
        if len(its) > 1:
            same.append(f"{c['size']}³ step {c['step']} rtol {c['rtol']:g}: "
                        + ", ".join(f"{r} rank(s) {i}" for r, i in sorted(its.items())))
    out += ["", "**DCDM iterations by layout** (the 2-rank halo should reproduce the serial directions): "
            + ("; ".join(same) if same else "not measured (no DCDM cell converged on more than one layout)") + "."]
    out += ["", "GPU rows: not measured (no GPU on this machine)" if not results["machine"]["gpu"] else
            "GPU rows: not measured (this script runs the CPU build; no GPU build was timed)", ""]
    gen = [f"{k}³: generated in {v['seconds']:.0f} s" for k, v in results["data"].items() if v.get("generated")]
    if gen:
        out += ["Data: " + "; ".join(gen) + ".", ""]
    return out


def write_results(results, out_dir, name):
    out_dir.mkdir(parents=True, exist_ok=True)
    results["load_average_at_end"] = load_average()
    (out_dir / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / f"{name}.md").write_text(markdown(results))


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--anneal", help="the anneal binary (default: the first of build/perf, build/release, build/ci "
                                     "whose bin/anneal has `poisson solve`)")
    ap.add_argument("--model", default=str(DEFAULT_MODEL), help="DCDM model (default: %(default)s); absent: DCDM rows "
                                                               "are 'no model' and the rest still runs")
    ap.add_argument("--data-dir", default=str(HERE / "data"), help="where the pressure systems are (made when absent; "
                                                                  "default: %(default)s)")
    ap.add_argument("--sizes", default="64,128", help="grid sizes (default: %(default)s)")
    ap.add_argument("--rtols", default=",".join(f"{t:g}" for t in TOLERANCES), help="relative tolerances "
                                                                                   "(default: %(default)s)")
    ap.add_argument("--methods", default=",".join(METHODS), help="subset of %(default)s")
    ap.add_argument("--ranks", default="1,2", help="rank counts to time, the faster is kept (default: %(default)s)")
    ap.add_argument("--repeats", type=int, help="runs per configuration, the median is reported (default 3; --quick 1)")
    ap.add_argument("--dcdm-repeats", type=int, default=1, help="runs per DCDM configuration at 128³ and above "
                                                                "(default: %(default)s: one solve can take minutes)")
    ap.add_argument("--deflation-repeats", type=int, default=1, help="runs per deflated-CG configuration "
                                                                     "(default: %(default)s: its setup takes minutes)")
    ap.add_argument("--max-deflation-size", type=int, default=64,
                    help="largest grid deflated CG runs on (its setup grows fast; default: %(default)s)")
    ap.add_argument("--max-iterations", type=int, default=2000, help="iteration limit of every solve "
                                                                     "(default: %(default)s)")
    ap.add_argument("--timeout", type=float, help="seconds per solve before it is killed and recorded as timed out "
                                                  "(default 3600; --quick 600)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 64³ only, one frame, rtol 1e-6, one run each")
    ap.add_argument("--results-dir", default=str(ROOT / "bench" / "results"), help="default: %(default)s")
    ap.add_argument("--name", help="results file stem (default: poisson; --quick: poisson_quick)")
    args = ap.parse_args()

    sizes = [int(s) for s in args.sizes.split(",")]
    rtols = [float(t) for t in args.rtols.split(",")]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    ranks_list = [int(r) for r in args.ranks.split(",")]
    for m in methods:
        if m not in METHODS:
            ap.error(f"unknown method '{m}' (choose from {', '.join(METHODS)})")
    for s in sizes:
        if s not in SCENES:
            ap.error(f"no scene for size {s} (sizes: {', '.join(map(str, SCENES))})")
    if args.quick:
        sizes, rtols = [64], rtols[:1]
    repeats = args.repeats or (1 if args.quick else 3)
    args.timeout = args.timeout or (600.0 if args.quick else 3600.0)
    name = args.name or ("poisson_quick" if args.quick else "poisson")

    anneal, why = choose_anneal(args.anneal)
    if why:
        sys.exit(f"run_poisson: cannot use anneal: {why} (build it: scripts/setup.sh --preset release, or pass --anneal)")
    print(f"anneal: {anneal} ({build_type(anneal)} build)", flush=True)
    if build_type(anneal) not in ("Release", None):
        print(f"note: {anneal} is a {build_type(anneal)} build; a Release build (build/perf or build/release) is the one to time",
              flush=True)
    model = Path(args.model)
    model_present = model.is_file()
    if not model_present and "dcdm" in methods:
        print(f"note: no model at {model}: DCDM rows will be 'no model'", flush=True)
    cores = os.cpu_count() or 1
    threads = {r: max(1, cores // r) for r in ranks_list}

    results = {
        "machine": machine_info(anneal),
        "config": {"command": "python3 " + " ".join([str(Path(sys.argv[0]))] + sys.argv[1:]), "quick": args.quick,
                   "sizes": sizes, "rtols": rtols, "methods": methods, "ranks": ranks_list,
                   "threads": {str(r): threads[r] for r in ranks_list},
                   "repeats": repeats, "dcdm_repeats": args.dcdm_repeats,
                   "deflation_repeats": args.deflation_repeats, "max_iterations": args.max_iterations,
                   "timeout_seconds": args.timeout, "model": str(model), "model_present": model_present,
                   "data_dir": str(args.data_dir)},
        "data": {}, "frames": {}, "systems": {}, "cells": [],
    }
    out_dir = Path(args.results_dir)
    data_dir = Path(args.data_dir)
    with tempfile.TemporaryDirectory(prefix="anneal-bench-poisson-") as tmp:
        work = Path(tmp)
        try:
            for size in sizes:
                paths, note = ensure_systems(anneal, data_dir, size, args)
                results["data"][str(size)] = note
                steps = sorted(paths)
                if args.quick:
                    steps = steps[-1:]
                results["frames"][str(size)] = steps
                if not steps:
                    print(f"{size}³: no systems ({note.get('error', 'missing')}); skipped", flush=True)
                    continue
                for step in steps:
                    info = system_info(paths[step])
                    results["systems"][f"{size}/{step}"] = info
                    for rtol in rtols:
                        print(f"{size}³ step {step} rtol {rtol:g}:", flush=True)
                        for method in methods:
                            cell = {"size": size, "step": step, "time": info.get("time"), "rtol": rtol,
                                    "method": method, "layouts": []}
                            results["cells"].append(cell)
                            if method == "deflation" and step != steps[-1]:
                                cell["skipped"] = "not measured: deflated CG runs on the last frame only (slow setup)"
                                print("    deflation: last frame only", flush=True)
                                continue
                            if method == "deflation" and size > args.max_deflation_size:
                                cell["skipped"] = (f"not measured: deflated CG runs up to --max-deflation-size "
                                                   f"{args.max_deflation_size} only (its setup took 21-138 s at 64³ "
                                                   f"on a loaded machine)")
                                print("    deflation: skipped (size)", flush=True)
                                continue
                            if method == "dcdm" and not model_present:
                                cell["skipped"] = f"no model ({model} not found)"
                                print("    dcdm: no model", flush=True)
                                continue
                            n = repeats
                            if method == "dcdm" and size >= 128:
                                n = args.dcdm_repeats
                            elif method == "deflation":
                                n = args.deflation_repeats
                            for ranks in ranks_list:
                                cell["layouts"].append(measure(anneal, paths[step], work, method, ranks,
                                                               threads[ranks], rtol, n, args, model))
                            e = best(cell)
                            if e and len(cell["layouts"]) > 1:
                                print(f"    -> {e['label']}: {e['ranks']} rank(s) faster "
                                      f"(total {e['total_seconds']:.3f} s)", flush=True)
                            write_results(results, out_dir, name)  # partial results survive an interruption
        except KeyboardInterrupt:
            print("interrupted: writing what was measured", flush=True)
    write_results(results, out_dir, name)
    print((out_dir / f"{name}.md").read_text())
    print(f"wrote {out_dir / (name + '.json')} and {out_dir / (name + '.md')}")


if __name__ == "__main__":
    main()
