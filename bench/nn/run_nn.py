"""bench/nn: anneal's neural backend beside PyTorch on the same machine, in one run.

Each workload runs in both at 1 and at 2 threads (each side keeps its faster count, as the peer must
run at its best), REPEATS timed iterations after a warm-up; medians are compared. Writes
bench/results/nn.json and bench/results/nn.md.

    scripts/setup.sh --with-bench     # PyTorch + OpenBLAS, and the release build
    python3 bench/nn/run_nn.py [--anneal build/release/bench/bench_nn] [--repeats 7] [--only pinn_step,...]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORKLOADS = [  # name, dtype, target ratio (PyTorch time / anneal time)
    ("pinn_step", "f32", 2.0),
    ("pinn_step", "f64", 2.0),
    ("mlp", "f32", 1.1),
    ("conv3d", "f32", 0.8),
    ("message_passing", "f32", 1.5),
    ("gemm", "f32", None),
]


def peer_env():
    """OPENBLAS_CORETYPE pins old OpenBLAS builds to a safe kernel on this CPU; the peer runs without
    it when its GEMM is still correct, so that it uses its best kernel."""
    env = dict(os.environ)
    trial = {k: v for k, v in env.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    check = ("import torch; a=torch.randn(300,300,dtype=torch.float64); b=torch.randn(300,300,dtype=torch.float64);"
             "r=(a.float()@b.float()).double(); assert (r-a@b).abs().max() < 1e-2")
    ok = subprocess.run([sys.executable, "-c", check], env=trial, capture_output=True).returncode == 0
    return (trial, "unset") if ok else (env, env.get("OPENBLAS_CORETYPE", "unset"))


def run(cmd, env=None):
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1] if (out.stderr or out.stdout) else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def with_threads(env, threads):
    """torch.set_num_threads does not reach OpenBLAS's own thread pool: pin both."""
    env = dict(env if env is not None else os.environ)
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def best_of_threads(cmd_for, env=None):
    """Runs at 1 and 2 threads, returns the result with the lower median."""
    results = [run(cmd_for(t), with_threads(env, t)) for t in (1, 2)]
    good = [r for r in results if "times" in r]
    if not good:
        return results[0]
    best = min(good, key=lambda r: statistics.median(r["times"]))
    best["median"] = statistics.median(best["times"])
    best["all_threads"] = {r["threads"]: statistics.median(r["times"]) for r in good}
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anneal", default=str(ROOT / "build/release/bench/bench_nn"))
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    env, coretype = peer_env()
    import torch  # noqa: E402  (after the check: this process is only the driver)

    rows = []
    for name, dtype, target in WORKLOADS:
        if only and name not in only:
            continue
        print(f"bench/nn: {name} {dtype} ...", flush=True)
        ours = best_of_threads(lambda t: [args.anneal, name, dtype, str(t), str(args.repeats)])
        peer = best_of_threads(lambda t: [sys.executable, str(HERE / "torch_peer.py"), name, dtype, str(t),
                                          str(args.repeats)], env)
        row = {"workload": name, "dtype": dtype, "target_ratio": target, "anneal": ours, "pytorch": peer}
        if "median" in ours and "median" in peer:
            row["ratio"] = peer["median"] / ours["median"]  # > 1: anneal is faster
            if ours.get("flops"):
                row["anneal_gflops"] = ours["flops"] / ours["median"] / 1e9
                row["pytorch_gflops"] = ours["flops"] / peer["median"] / 1e9
        rows.append(row)

    gemm = next((r for r in rows if r["workload"] == "gemm" and "pytorch_gflops" in r), None)
    machine_gemm = max(gemm["anneal_gflops"], gemm["pytorch_gflops"]) if gemm else None
    for r in rows:
        if machine_gemm and "anneal_gflops" in r:
            r["anneal_fraction_of_machine_gemm"] = r["anneal_gflops"] / machine_gemm

    meta = {
        "machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "pytorch": torch.__version__, "pytorch_blas": "OpenBLAS (Debian libopenblas0-pthread via libblas.so.3)",
        "pytorch_conv": "oneDNN (mkldnn) " + str(torch.backends.mkldnn.is_available()),
        "openblas_coretype_for_peer": coretype, "repeats": args.repeats,
        "machine_gemm_gflops_f32": machine_gemm,
    }
    out_dir = ROOT / "bench/results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "nn.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))

    lines = ["# bench/nn: anneal vs PyTorch (CPU)", "",
             f"PyTorch {meta['pytorch']}, {meta['pytorch_blas']}; each side at its faster of 1 and 2 threads; "
             f"median of {args.repeats}. Ratio = PyTorch time / anneal time (> 1: anneal is faster).", "",
             "| workload | dtype | anneal median (s) | threads | PyTorch median (s) | threads | ratio | target | anneal GFLOP/s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, p = r["anneal"], r["pytorch"]
        fmt = lambda d: f"{d['median']:.4f}" if "median" in d else d.get("error", "n/a")
        lines.append(f"| {r['workload']} | {r['dtype']} | {fmt(a)} | {a.get('threads', '')} | {fmt(p)} | "
                     f"{p.get('threads', '')} | {r.get('ratio', float('nan')):.2f} | {r['target_ratio'] or ''} | "
                     f"{r.get('anneal_gflops', float('nan')):.1f} |")
    if machine_gemm:
        lines += ["", f"Machine's measured f32 GEMM rate (best of anneal and PyTorch, 2048³): {machine_gemm:.1f} GFLOP/s."]
    (out_dir / "nn.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
