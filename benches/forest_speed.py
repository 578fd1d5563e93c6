"""random_forest training time: pgml's (crates/pgml-core/examples/forest_speed.rs) against
scikit-learn's RandomForest with n_jobs=2, on the same synthetic rows (200 000 x 20 by default),
100 trees, 2 threads each, both sides in one run. Needs scikit-learn 1.5 and numpy (a venv under
/tmp) and the release example built first:

    cargo build --release -p pgml-core --example forest_speed
    python3 benches/forest_speed.py [rows] [tasks...]
"""
import os
import pathlib
import struct
import subprocess
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.metrics import accuracy_score, r2_score

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
EXAMPLE = pathlib.Path(TARGET) / "release/examples/forest_speed"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
TASKS = sys.argv[2:] or ["classification", "regression"]
P, TEST = 20, 20_000


def data(task, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, P)).astype(np.float32)
    signal = x[:, 0] + 2 * x[:, 1] * x[:, 2] - np.abs(x[:, 3]) + np.sin(3 * x[:, 4]) + 0.5 * x[:, 5:10].sum(axis=1)
    noisy = signal + rng.normal(scale=1.0, size=n)
    y = (noisy > 0).astype(np.float32) if task == "classification" else noisy.astype(np.float32)
    return x, y


def write(path, x, y):
    with open(path, "wb") as f:
        f.write(struct.pack("<II", *x.shape))
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
        f.write(np.ascontiguousarray(y, dtype="<f4").tobytes())


print(f"random_forest, 100 trees, {ROWS} x {P} training rows, {TEST} test rows, 2 threads each")
print("task            pgml fit s  score    scikit-learn fit s  score    pgml / scikit-learn  (pgml: nodes, model MiB, predict µs/row)")
for task in TASKS:
    xtr, ytr = data(task, ROWS, 1)
    xte, yte = data(task, TEST, 2)
    write("/tmp/forest_speed_train.bin", xtr, ytr)
    write("/tmp/forest_speed_test.bin", xte, yte)
    out = subprocess.run([EXAMPLE, "/tmp/forest_speed_train.bin", "/tmp/forest_speed_test.bin", task, "random_forest",
                          '{"nthread": 2, "random_state": 0}'], check=True, capture_output=True, text=True).stdout
    ours = dict(line.split() for line in out.splitlines())
    model = (RandomForestClassifier if task == "classification" else RandomForestRegressor)(
        n_estimators=100, n_jobs=2, random_state=0)
    started = time.perf_counter()
    model.fit(xtr, ytr)
    theirs = time.perf_counter() - started
    pred = model.predict(xte)
    score = accuracy_score(yte, pred) if task == "classification" else r2_score(yte, pred)
    ratio = float(ours["fit_seconds"]) / theirs
    print(f"{task:15} {float(ours['fit_seconds']):10.1f}  {float(ours['score']):.4f}   {theirs:18.1f}  {score:.4f}   {ratio:.2f}x   ({ours.get('nodes')}, {ours.get('model_mib')}, {ours.get('predict_us_per_row')})")
