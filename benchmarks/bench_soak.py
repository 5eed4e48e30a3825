"""Soak: memory and time at the engine's limits, before and after the limits existed (issue 16).

Each case runs in its own child process, capped by resource limits so that the machine survives the old
code (address space 4 GB, CPU 240 s): the child reports its wall time, its peak resident memory
(VmHWM, reset after the imports) above what the imports left, and how the call ended (a result, a ValueError, a
MemoryError). The same cases run twice, against this tree ("after") and against the commit before the
limits, checked out with ``git worktree add`` ("before", default ffb55e7; the engine then lived in
explainer/*.py). Sizes beyond the new limits are refused "after"; "before" they run until they finish
or hit the caps.

    .venv/bin/python benchmarks/bench_soak.py            # ~5 minutes, both columns
    .venv/bin/python benchmarks/bench_soak.py --quick    # the small cases only, ~1 minute

Not a test: figures vary with the machine and its load; the table is for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_COMMIT = "ffb55e7"
ADDRESS_SPACE = 4 * 2**30
CPU_SECONDS = 240

# The child's frame: limits first, then imports, then the case's body (which sets `result`).
CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({address}, {address}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
import numpy as np
import explainer
from explainer import Network, TrainingSession, load_csv, make_dataset, train
try:
    from explainer.course.efficiency import compare_gradient_costs
except ImportError:
    from explainer.efficiency import compare_gradient_costs

def status_kb(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

def rss():  # the peak resident memory since the reset below (Linux), else since the start
    try:
        return status_kb("VmHWM:")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def forget_peak():  # "5" resets VmHWM to the current VmRSS (Linux ≥ 4.0); the new base
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return status_kb("VmRSS:")
    except OSError:
        return rss()

base = forget_peak()  # forget the imports' transient peak
start = time.perf_counter()
status = "ok"
try:
{body}
except MemoryError:
    status = "MemoryError"
except ValueError as err:
    status = "ValueError: " + str(err)[:70]
seconds = time.perf_counter() - start
print(json.dumps({{"seconds": seconds, "peak": rss(), "base": base, "status": status, "where": explainer.__file__}}))
"""

CSV_ALLOWED = Path(tempfile.gettempdir()) / "bpx_soak_64mb.csv"
CSV_100MB = Path(tempfile.gettempdir()) / "bpx_soak_100mb.csv"

# (name, body, quick): a body sets `result` and may use the names the frame imports.
CASES = [
    (
        "largest network 2-4096-240-1, backprop on 256 samples",
        """
net = Network([2, 4096, 240, 1], activation="tanh", output_activation="identity", seed=0)
X = np.random.default_rng(0).normal(size=(256, 2))
result = net.backprop(X, np.zeros(256)).loss
""",
        True,
    ),
    (
        "largest network, 1 training step on 5,000 samples",
        """
net = Network([2, 4096, 240, 1], activation="tanh", output_activation="identity", seed=0)
X = np.random.default_rng(0).normal(size=(5000, 2))
result = len(train(net, X, np.zeros(5000), lr=1e-3, steps=1))
""",
        False,
    ),
    ("Network([2, 10**8, 2])", "result = Network([2, 10**8, 2])", True),
    ("Network([2, 2**62, 2])", "result = Network([2, 2**62, 2])", True),
    ("make_dataset('xor', n_samples=10**5), the largest", "result = make_dataset('xor', 10**5).n_samples", True),
    ("make_dataset('xor', n_samples=10**6)", "result = make_dataset('xor', 10**6).n_samples", True),
    ("make_dataset('xor', n_samples=10**8)", "result = make_dataset('xor', 10**8).n_samples", True),
    ("load_csv, 64 MB (the largest allowed)", f"result = load_csv({str(CSV_ALLOWED)!r}).n_samples", False),
    ("load_csv, 100 MB", f"result = load_csv({str(CSV_100MB)!r}).n_samples", False),
    (
        "train 2-2-1, steps=10**6 (the cap), 4 samples",
        """
h = train(Network([2, 2, 1], seed=0), np.eye(4)[:, :2], [0.0, 1.0, 1.0, 0.0], lr=0.1, steps=10**6)
result = len(h)
""",
        False,
    ),
    (
        "train 2-2-1, steps=10**8",
        "result = len(train(Network([2, 2, 1], seed=0), np.eye(2), [0.0, 1.0], steps=10**8))",
        True,
    ),
    (
        "TrainingSession 2-8-8-1, 20,000 steps in ticks of 10 (the Playground's way)",
        """
ds = make_dataset('circles', n_samples=200, seed=0)
s = TrainingSession(Network([2, 8, 8, 1], activation='tanh', loss='bce', seed=0), ds.X, ds.targets(), lr=0.3)
for _ in range(2000):
    s.step(10)
    h = s.history
result = len(h)
""",
        True,
    ),
    ("compare_gradient_costs([10**5])", "result = compare_gradient_costs([10**5]).n_parameters", True),
    (
        "BackpropExplorer, 20,000 steps (train N = 1,000, drawn after each); growth after step 2,000",
        """
from explainer.widgets import BackpropExplorer
app = BackpropExplorer()
for k in range(20):
    app.train(1000)
    app.flush()
    if k == 1:
        base = forget_peak()  # the growth from step 2,000 on
result = len(app.session.history) if hasattr(app, "session") else len(app.history)
app.close()
""",
        True,
    ),
    (
        "Playground, 20,000 steps (2,000 ticks of 10, drawn after each); growth after step 2,000",
        """
from explainer.widgets import Playground
try:
    app = Playground(steps_per_frame=10)
except TypeError:  # before: the same knob had another name
    app = Playground(steps_per_update=10)
for k in range(2000):
    app.step(1)
    getattr(app, "flush", lambda: app._coalescer.flush())()
    if k == 199:
        base = forget_peak()  # the growth from step 2,000 on
result = len(app.history)
app.close()
""",
        False,
    ),
]


def write_csvs() -> None:
    """The two CSV files: 100,000 rows × 35 features (~64 MB), and 1.1 M rows × 9 features (~100 MB)."""
    import numpy as np

    if not CSV_ALLOWED.exists():
        rng = np.random.default_rng(0)
        with open(CSV_ALLOWED, "w") as f:
            for start in range(0, 99_990, 10_000):
                block = rng.normal(size=(min(10_000, 99_990 - start), 35))
                for i, row in enumerate(block):
                    f.write(",".join(f"{v:.14f}" for v in row) + f",{'ab'[(start + i) % 2]}\n")
        assert CSV_ALLOWED.stat().st_size <= 64 * 2**20, CSV_ALLOWED.stat().st_size
    if not CSV_100MB.exists():
        rng = np.random.default_rng(1)
        with open(CSV_100MB, "w") as f:
            for _ in range(110):
                block = rng.normal(size=(10_000, 9))
                f.write("".join(",".join(f"{v:.7f}" for v in row) + f",{i % 2}\n" for i, row in enumerate(block)))


def before_tree(commit: str) -> Path:
    """A worktree of ``commit`` in the temp folder (made once, reused)."""
    path = Path(tempfile.gettempdir()) / f"bpx_before_{commit}"
    if not (path / "explainer").is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=ROOT, check=True)
    return path


def run(tree: Path, body: str) -> dict:
    code = CHILD.format(address=ADDRESS_SPACE, cpu=CPU_SECONDS, body=textwrap.indent(textwrap.dedent(body), "    "))
    env = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=CPU_SECONDS + 60
        )
    except subprocess.TimeoutExpired:
        return {"status": "timed out", "seconds": float("nan"), "peak": 0, "base": 0}
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        reason = "CPU limit" if done.returncode in (-24, 128 + 24) else last[:60]
        return {"status": f"died: {reason}", "seconds": float("nan"), "peak": 0, "base": 0}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["where"]).resolve().is_relative_to(tree.resolve()), (out["where"], tree)
    return out


def cell(out: dict) -> str:
    status = out["status"]
    if status.startswith("ValueError"):
        status = "ValueError"
    grown = (out["peak"] - out["base"]) / 2**20
    seconds = out["seconds"]
    time_text = "—" if seconds != seconds else (f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s")
    memory_text = "—" if not out["peak"] else f"+{grown:,.0f} MB"
    return f"{time_text:>9} {memory_text:>10}  {status:<12}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the cases that take seconds")
    parser.add_argument("--before", default=BEFORE_COMMIT, help="the commit to compare with (default ffb55e7)")
    args = parser.parse_args()
    cases = [c for c in CASES if c[2] or not args.quick]
    if not args.quick:
        write_csvs()
    before = before_tree(args.before)
    load = os.getloadavg()[0]
    print(f"limits per child: {ADDRESS_SPACE / 2**30:.0f} GB address space, {CPU_SECONDS} s CPU; 1 BLAS thread")
    print(f"{os.cpu_count()} cores, load average {load:.1f}; memory is peak RSS above the imports")
    width = max(len(c[0]) for c in cases)
    columns = f"{'time':>9} {'memory':>10}  {'result':<12}"
    head = f"{'case':<{width}} | before: {columns} | after: {columns}"
    print(head)
    print("-" * len(head))
    for name, body, _ in cases:
        old, new = run(before, body), run(ROOT, body)
        print(f"{name:<{width}} | before: {cell(old)} | after: {cell(new)}", flush=True)
    print("\nValueError: refused at the door with a message naming the argument and its allowed range.")


if __name__ == "__main__":
    main()
