"""scikit-learn's side of `linear` regression's training time (issue 11): LinearRegression on
1 000 000 × 20 random float32 rows (the 75 % training split), best of 3, 2 threads, data in
memory. Run right after pgml's side so that both see the same machine:

    cargo run --release -p pgml-core --example linear_speed && python3 benches/linear_speed.py
"""
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import numpy as np  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = np.random.default_rng(0)
n = rows * 3 // 4
x = rng.random((n, 20), dtype=np.float32)
y = x[:, 0] * 3 + x[:, 1] * x[:, 2] - x[:, 3] + rng.random(n, dtype=np.float32) / 10
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    LinearRegression().fit(x, y)
    best = min(best, time.perf_counter() - start)
print(f"python linear regression            {rows:8} rows  fit {best:6.2f} s  (scikit-learn)")
