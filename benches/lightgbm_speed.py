"""lightgbm training time: pgml's `lightgbm` (LightGBM 4.7.0's C library installed by scripts/install-lightgbm,
driven by crates/pgml-core/examples/lightgbm_speed.rs) against LightGBM 4.7.0 from PyPI, on the same
synthetic rows (1 000 000 x 20 by default), 100 iterations, 2 threads each, LightGBM's defaults otherwise.
Each side trains in its own process, one after the other, RUNS times (env RUNS, default 3); the best time of
each is compared. PyPI runs twice a round: as installed (its OpenMP threads spin while waiting) and with
OMP_WAIT_POLICY=passive (the policy pgml sets, crates/pgml-openmp), since on a busy machine spinning threads
slow each other down. Each fit's CPU seconds (user + system of the whole process) are printed too: unlike wall
time they hardly depend on what else the machine runs. PGML_LIGHTGBM_LIB chooses the library pgml loads (default: the one scripts/install-lightgbm installed).

    cargo build --release -p pgml-core --example lightgbm_speed
    /opt/skl/bin/python benches/lightgbm_speed.py [rows]

Prints per side: fit seconds (each run), and the ratio pgml / PyPI of the best runs; then the largest
difference between the two sides' predictions on 50 000 test rows (0 when identical).
"""
import os
import pathlib
import re
import struct
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
EXAMPLE = pathlib.Path(TARGET) / "release/examples/lightgbm_speed"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
P, TEST = 20, 50_000
RUNS = int(os.environ.get("RUNS", "3"))
TRAIN_FILE, TEST_FILE, OUT = "/tmp/lightgbm_speed_train.bin", "/tmp/lightgbm_speed_test.bin", "/tmp/lightgbm_speed_pred.bin"


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


PYPI = """
import sys, time, struct, numpy as np, lightgbm as lgb
def read(path):
    with open(path, "rb") as f:
        n, p = struct.unpack("<II", f.read(8))
        x = np.frombuffer(f.read(n * p * 4), dtype="<f4").reshape(n, p)
        y = np.frombuffer(f.read(n * 4), dtype="<f4")
    return x, y
x, y = read(sys.argv[1])
params = {"objective": "regression", "num_threads": 2, "verbosity": -1}
t = time.perf_counter()
b = lgb.train(params, lgb.Dataset(x, y), num_boost_round=100)
print("fit_seconds %.3f" % (time.perf_counter() - t))
xt, _ = read(sys.argv[2])
b.predict(xt).astype("<f8").tofile(sys.argv[3])
"""


def run(cmd, env=None):
    """Wall seconds of the fit (as the child measured it) and CPU seconds of the whole child process."""
    before = os.times()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env={**os.environ, **(env or {})}).stdout
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return float(re.search(r"fit_seconds ([0-9.]+)", out).group(1)), cpu


def main():
    x, y = data(ROWS, 0)
    write(TRAIN_FILE, x, y)
    xt, yt = data(TEST, 1)
    write(TEST_FILE, xt, yt)
    del x, y
    import lightgbm
    print(f"{ROWS} x {P}, 100 iterations, 2 threads; LightGBM {lightgbm.__version__} from PyPI")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    sides = {"pgml": [], "PyPI": [], "PyPI passive": []}
    for _ in range(RUNS):
        sides["pgml"].append(run([str(EXAMPLE), "regression", TRAIN_FILE, TEST_FILE,
                                  '{"n_estimators": 100, "nthread": 2}', OUT]))
        sides["PyPI"].append(run([sys.executable, "-c", PYPI, TRAIN_FILE, TEST_FILE, OUT + ".pypi"]))
        sides["PyPI passive"].append(run([sys.executable, "-c", PYPI, TRAIN_FILE, TEST_FILE, OUT + ".pypi"],
                                         {"OMP_WAIT_POLICY": "passive"}))
    for name, runs in sides.items():
        print(f"{name:>12}: fit seconds " + " ".join(f"{w:.2f}" for w, _ in runs)
              + "; process CPU seconds " + " ".join(f"{c:.1f}" for _, c in runs))
    best = {name: min(w for w, _ in runs) for name, runs in sides.items()}
    for ref in ("PyPI", "PyPI passive"):
        print(f"ratio pgml / {ref} (best of {RUNS}): {best['pgml'] / best[ref]:.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    a = np.fromfile(OUT, dtype="<f8")
    b = np.fromfile(OUT + ".pypi", dtype="<f8")
    print(f"largest prediction difference on {TEST} test rows: {np.abs(a - b).max():.3g}")


if __name__ == "__main__":
    main()
