"""XGBoost's Python package on the same shape of data as benches/model_load.sh: 100 000 rows x 20
features, 100 trees, depth 6, hist, 1 thread (pgml.training_threads defaults to 1).

    python3 benches/train_speed_xgboost.py      # in a venv with xgboost 1.7 and numpy
"""
import time

import numpy as np
import xgboost

rng = np.random.default_rng(0)
x = rng.random((100_000, 20), dtype=np.float32)
y = x[:, 0] * 3 + x[:, 1] * x[:, 2] - x[:, 3] + rng.random(100_000, dtype=np.float32) / 10
d = xgboost.DMatrix(x, label=y)
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    xgboost.train({"tree_method": "hist", "max_depth": 6, "eta": 0.3, "nthread": 1, "verbosity": 0}, d, 100)
    best = min(best, time.perf_counter() - start)
print(f"xgboost {xgboost.__version__} (Python), 100 trees on 100k x 20, 1 thread: {best:.2f} s (best of 3)")
