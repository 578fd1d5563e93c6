"""scikit-learn's side of issue 11's training times: LinearRegression and SGDRegressor /
SGDClassifier on 1 000 000 × 20 random float32 rows (the 75 % training split), best of 3, and
with `svm` SVC (rbf) on 20 000 rows (one run); 2 threads, data in memory. Run right after pgml's
side so that both see the same machine:

    cargo run --release -p pgml-core --example linear_speed [rows] [svm] && python3 benches/linear_speed.py [rows] [svm]

`svm-only` times only SVC, with shrinking (its default) and without.
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import numpy as np  # noqa: E402
from sklearn.linear_model import LinearRegression, SGDClassifier, SGDRegressor  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

rows = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1_000_000
rng = np.random.default_rng(0)
n = rows * 3 // 4
x = rng.random((n, 20), dtype=np.float32)
y = x[:, 0] * 3 + x[:, 1] * x[:, 2] - x[:, 3] + rng.random(n, dtype=np.float32) / 10
c = x[:, 0] + x[:, 1] * x[:, 2] > 0.75 + rng.random(n, dtype=np.float32) / 4


def best(f, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


svm_only = "svm-only" in sys.argv
if svm_only:
    m = 15_000
    for shrinking in (True, False):
        t = best(lambda: SVC(shrinking=shrinking).fit(x[:m], c[:m]), 1)
        print(f"python svm (rbf) classification        20000 rows  fit {t:6.2f} s  shrinking {shrinking}  (scikit-learn)")
    sys.exit(0)

print(f"python linear regression            {rows:8} rows  fit {best(lambda: LinearRegression().fit(x, y)):6.2f} s  (scikit-learn)")
print(f"python sgd regression                {rows:8} rows  fit {best(lambda: SGDRegressor().fit(x, y)):6.2f} s  (scikit-learn)")
print(f"python sgd classification            {rows:8} rows  fit {best(lambda: SGDClassifier().fit(x, c)):6.2f} s  (scikit-learn)")
if "svm" in sys.argv:
    m = 15_000
    print(f"python svm (rbf) classification        20000 rows  fit {best(lambda: SVC().fit(x[:m], c[:m]), 1):6.2f} s  (scikit-learn)")
