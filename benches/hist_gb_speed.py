"""hist_gradient_boosting training time and memory: pgml's (crates/pgml-core/examples/hist_gb_speed.rs)
against scikit-learn's HistGradientBoostingRegressor and XGBoost's hist trees (PyPI), on the same
synthetic rows (1 000 000 x 20 by default), 100 iterations, 2 threads each, early stopping off, in one run.
Each side trains in its own process under /usr/bin/time -v, so its peak RSS is its own.

    cargo build --release -p pgml-core --example hist_gb_speed
    ROUNDS=5 /opt/skl/bin/python benches/hist_gb_speed.py [rows]

Prints per side: fit seconds, test r2, peak RSS (MiB), and the ratios pgml / reference. The f32 feature
matrix is rows x 20 x 4 bytes; the memory goal is a peak RSS of at most 3 times that.
"""
import os
import pathlib
import re
import struct
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
EXAMPLE = pathlib.Path(TARGET) / "release/examples/hist_gb_speed"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
P, TEST = 20, 50_000
TRAIN_FILE, TEST_FILE = "/tmp/hist_gb_speed_train.bin", "/tmp/hist_gb_speed_test.bin"


def data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, P)).astype(np.float32)
    signal = x[:, 0] + 2 * x[:, 1] * x[:, 2] - np.abs(x[:, 3]) + np.sin(3 * x[:, 4]) + 0.5 * x[:, 5:10].sum(axis=1)
    y = (signal + rng.normal(scale=1.0, size=n)).astype(np.float32)
    return x, y


def write(path, x, y):
    with open(path, "wb") as f:
        f.write(struct.pack("<II", *x.shape))
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
        f.write(np.ascontiguousarray(y, dtype="<f4").tobytes())


def read(path):
    with open(path, "rb") as f:
        n, p = struct.unpack("<II", f.read(8))
        x = np.frombuffer(f.read(n * p * 4), dtype="<f4").reshape(n, p)
        y = np.frombuffer(f.read(n * 4), dtype="<f4")
    return x, y


# One side, run in a child process: python hist_gb_speed.py --side sklearn|xgboost
SIDE = """
import sys, time, json
sys.path.insert(0, {here!r})
import numpy as np
from hist_gb_speed import read
from sklearn.metrics import r2_score
x, y = read({train!r}); xt, yt = read({test!r})
side = {side!r}
if side == "sklearn":
    from sklearn.ensemble import HistGradientBoostingRegressor
    m = HistGradientBoostingRegressor(max_iter=100, early_stopping=False, random_state=0)
else:
    import xgboost
    m = xgboost.XGBRegressor(n_estimators=100, tree_method="hist", n_jobs=2, random_state=0)
t = time.perf_counter(); m.fit(x, y); fit = time.perf_counter() - t
print("fit_seconds", fit); print("score", r2_score(yt, m.predict(xt)))
"""


def run(cmd, env_extra=None):
    env = dict(os.environ, OMP_NUM_THREADS="2", **(env_extra or {}))
    out = subprocess.run(["/usr/bin/time", "-v", *cmd], check=True, capture_output=True, text=True, env=env)
    values = dict(line.split()[:2] for line in out.stdout.splitlines() if len(line.split()) >= 2)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return float(values["fit_seconds"]), float(values["score"]), rss / 1024


if __name__ == "__main__":
    x, y = data(ROWS, 1)
    write(TRAIN_FILE, x, y)
    write(TEST_FILE, *data(TEST, 2))
    del x, y
    matrix_mib = ROWS * P * 4 / (1 << 20)
    here = str(pathlib.Path(__file__).resolve().parent)
    # ROUNDS > 1 runs the three sides in turn that many times (the machine's speed drifts
    # between runs) and takes each side's fastest fit.
    rounds = int(os.environ.get("ROUNDS", "1"))
    wait = os.environ.get("OMP_WAIT_POLICY", "")
    runs = {"pgml": [], "sklearn": [], "xgboost": []}
    for _ in range(rounds):
        runs["pgml"].append(run([str(EXAMPLE), TRAIN_FILE, TEST_FILE, '{"max_iter": 100, "early_stopping": false, "nthread": 2}']))
        for side in ["sklearn", "xgboost"]:
            code = SIDE.format(here=here, train=TRAIN_FILE, test=TEST_FILE, side=side)
            runs[side].append(run([sys.executable, "-c", code]))
    sides = {name: min(r) for name, r in runs.items()}
    print(f"hist_gradient_boosting, 100 iterations, {ROWS} x {P} training rows, {TEST} test rows, 2 threads each")
    print(f"f32 feature matrix: {matrix_mib:.0f} MiB; OMP_WAIT_POLICY={wait or '(unset)'}; best of {rounds} rounds")
    print("side       fit s    r2       peak RSS MiB  RSS / matrix  every round's fit s")
    for name, (fit, score, rss) in sides.items():
        every = ", ".join(f"{r[0]:.2f}" for r in runs[name])
        print(f"{name:<10} {fit:7.2f}  {score:.4f}  {rss:12.0f}  {rss / matrix_mib:6.2f}x       {every}")
    for ref in ["sklearn", "xgboost"]:
        print(f"pgml / {ref}: {sides['pgml'][0] / sides[ref][0]:.2f}x time")
