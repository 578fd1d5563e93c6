"""pgml's xgboost fit against XGBoost 1.7.6 from PyPI (XGBRegressor, tree_method=hist, n_jobs=2) on the same
shape: the 75% training split of 200 000 random rows x 20, 100 trees of depth 6, 2 threads, interleaved.

    cargo build --release -p pgml-core --example xgboost_phases
    /opt/skl/bin/python benches/xgboost_fit_speed.py [RUNS] [PHASES_BINARY]

pgml's side is `xgboost_phases 2` ("pgml's whole fit": the QuantileDMatrix from the column-major matrix,
100 rounds, JSON export, reading the trees, the self-check), in its own process; Python's is the
XGBRegressor.fit call with the data in memory (its QuantileDMatrix included), in this process. Each run
prints both and their ratio; the load average comes with each run, since this machine is shared.
"""
import os
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np  # noqa: E402
import xgboost  # noqa: E402

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
phases = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.environ.get("CARGO_TARGET_DIR", "target"), "release/examples/xgboost_phases")

rng = np.random.default_rng(0)
rows = 200_000
x = rng.random((rows, 20), dtype=np.float32)
y = x[:, 0] * 3 + x[:, 1] * x[:, 2] - x[:, 3] + rng.random(rows, dtype=np.float32) / 10
n = int(rows * 0.75)
x, y = x[:n], y[:n]

for run in range(runs):
    out = subprocess.run([phases, "2"], check=True, capture_output=True, text=True).stdout
    pgml = float(next(l for l in out.splitlines() if l.startswith("pgml's whole fit")).split()[3])
    model = xgboost.XGBRegressor(n_estimators=100, tree_method="hist", n_jobs=2, max_depth=6,
                                 learning_rate=0.3)
    start = time.perf_counter()
    model.fit(x, y)
    python = time.perf_counter() - start
    load = os.getloadavg()[0]
    print(f"run {run + 1}: pgml {pgml:.3f} s, XGBoost {xgboost.__version__} XGBRegressor {python:.3f} s, "
          f"ratio {pgml / python:.2f}x (load average {load:.2f})", flush=True)
