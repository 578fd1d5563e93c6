"""The Python side of benches/train_speed.sh: fit time only, data in memory, 2 threads, the train
split (75%) of the same shapes as pgml trains on."""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
import numpy as np  # noqa: E402
import xgboost  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402


def data(rows):
    rng = np.random.default_rng(0)
    x = rng.random((rows, 20), dtype=np.float32)
    y = x[:, 0] * 3 + x[:, 1] * x[:, 2] - x[:, 3] + rng.random(rows, dtype=np.float32) / 10
    c = x[:, 0] + x[:, 1] * x[:, 2] > 0.75 + rng.random(rows, dtype=np.float32) / 4
    n = int(rows * 0.75)
    return x[:n], y[:n], c[:n]


def best(f, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


x, y, c = data(1_000_000)
print(f"python {'linear regression':28} {1_000_000:8} rows  fit {best(lambda: LinearRegression().fit(x, y)):6.2f} s  (scikit-learn)")
print(f"python {'logistic regression':28} {1_000_000:8} rows  fit {best(lambda: LogisticRegression().fit(x, c)):6.2f} s  (scikit-learn)")
x, y, c = data(200_000)
d = xgboost.DMatrix(x, label=y)
params = {"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": 2, "verbosity": 0}
print(f"python {'xgboost 100 trees depth 6':28} {200_000:8} rows  fit {best(lambda: xgboost.train(params, d, 100)):6.2f} s  (XGBoost {xgboost.__version__})")
