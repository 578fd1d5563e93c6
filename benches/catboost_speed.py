"""catboost training time: pgml's (crates/pgml-core/examples/catboost_speed.rs) with 1 and 2 threads against the
PyPI catboost package with thread_count=2, on the same synthetic rows (100 000 x 20 by default, hist_gb_speed.py's
data), CatBoost's defaults but `iterations` 300 (learning rate automatic on both sides), interleaved: each run trains
pgml 1 thread, pgml 2 threads, catboost 2 threads, each in its own process. Run on a quiet machine, and report the
load average printed at the start and end.

    cargo build --release -p pgml-core --example catboost_speed
    /opt/skl/bin/python benches/catboost_speed.py [rows] [runs] [iterations]

Prints each run's fit seconds (wall), the process's CPU seconds (user + system, the whole process: reading the
data included) and r2, then the medians and the ratios. On a loaded machine the wall ratios mean little; the CPU
seconds say what each side spends.
"""
import os
import pathlib
import resource
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from hist_gb_speed import data, write  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
EXAMPLE = pathlib.Path(TARGET) / "release/examples/catboost_speed"
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ITERATIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 300
TEST = 20_000
TRAIN_FILE, TEST_FILE = "/tmp/catboost_speed_train.bin", "/tmp/catboost_speed_test.bin"

SIDE = """
import sys, time
sys.path.insert(0, {here!r})
from hist_gb_speed import read
from sklearn.metrics import r2_score
import catboost
x, y = read({train!r}); xt, yt = read({test!r})
m = catboost.CatBoostRegressor(iterations={iterations}, thread_count=2, random_seed=0, verbose=0,
                               allow_writing_files=False)
t = time.perf_counter(); m.fit(x, y); fit = time.perf_counter() - t
print("fit_seconds", fit); print("score", r2_score(yt, m.predict(xt)))
"""


def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd):
    before = cpu()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    values = dict(line.split()[:2] for line in out.stdout.splitlines() if len(line.split()) >= 2)
    return float(values["fit_seconds"]), float(values["score"]), cpu() - before


def load():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    x, y = data(ROWS, 1)
    write(TRAIN_FILE, x, y)
    write(TEST_FILE, *data(TEST, 2))
    del x, y
    here = str(pathlib.Path(__file__).resolve().parent)
    code = SIDE.format(here=here, train=TRAIN_FILE, test=TEST_FILE, iterations=ITERATIONS)
    sides = {
        "pgml 1 thread": [str(EXAMPLE), TRAIN_FILE, TEST_FILE, f'{{"iterations": {ITERATIONS}, "nthread": 1}}'],
        "pgml 2 threads": [str(EXAMPLE), TRAIN_FILE, TEST_FILE, f'{{"iterations": {ITERATIONS}, "nthread": 2}}'],
        "catboost 2 threads": [sys.executable, "-c", code],
    }
    print(f"catboost regression, {ITERATIONS} iterations, {ROWS} x 20 training rows, {TEST} test rows; load {load()}")
    times = {name: [] for name in sides}
    cpus = {name: [] for name in sides}
    for r in range(RUNS):
        for name, cmd in sides.items():
            fit, score, used = run(cmd)
            times[name].append(fit)
            cpus[name].append(used)
            print(f"run {r}  {name:<20} fit {fit:8.2f} s wall  process {used:8.2f} s CPU  r2 {score:.4f}  load {load()}", flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, t in median.items():
        print(f"median {name:<20} {t:8.2f} s wall  {statistics.median(cpus[name]):8.2f} s CPU")
    print(f"pgml 1 thread / pgml 2 threads: {median['pgml 1 thread'] / median['pgml 2 threads']:.2f}x")
    print(f"pgml 2 threads / catboost 2 threads: {median['pgml 2 threads'] / median['catboost 2 threads']:.2f}x")
    print(f"load at the end {load()}")
