"""The PyPI `catboost` package with categorical (text) features, on toy sets turned into data with text
columns by the rule below (the same as crates/pgml-core/tests/catboost_categorical.rs), split as pgml's
toy_accuracy.rs splits them (rows whose index is a multiple of 4 are the test set), CatBoost's defaults,
averaged over random_seed 0..5. Run (needs catboost and scikit-learn, e.g. in a venv):

    python3 benches/catboost_categorical.py
    cargo test --release -p pgml-core --test catboost_categorical -- --nocapture

The rule: each of the first three features is cut into deciles by rank (ties by row order); features 0 and 1
become one text column "p<a><b>" (up to 100 categories) and feature 2 a text column "c<a>", where a decile d
is written (7 d) mod 10 (and (3 d) mod 10 for feature 1's digit), so the sorted text says nothing of the
order of the values; the other features stay numbers. The text columns are passed as `cat_features`. `--no-combinations` sets `max_ctr_complexity` 1 (no
combinations of categorical features; CatBoost's default is 4 from 200 iterations, as pgml's).
"""
import sys
import csv
import pathlib

import numpy as np
import catboost
from sklearn.metrics import accuracy_score, r2_score

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"
DATASETS = [("diabetes", "target"), ("breast_cancer", "malignant"), ("iris", "target"), ("wine", "target")]


def deciles(values):
    n = len(values)
    order = sorted(range(n), key=lambda i: (values[i], i))
    out = [0] * n
    for rank, i in enumerate(order):
        out[i] = rank * 10 // n
    return out


def load(name, label):
    with open(DATA / f"{name}.csv") as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != label]
    x = [[float(r[c]) for c in features] for r in rows]
    y = [r[label] for r in rows]
    d = [deciles([row[j] for row in x]) for j in range(3)]
    out = []
    for i, row in enumerate(x):
        pair = f"p{(7 * d[0][i]) % 10}{(3 * d[1][i]) % 10}"
        single = f"c{(7 * d[2][i]) % 10}"
        out.append([pair, single] + row[3:])
    return out, y


for name, label in DATASETS:
    x, y = load(name, label)
    regression = name == "diabetes"
    if regression:
        y = [float(v) for v in y]
    else:
        classes = sorted(set(y))
        y = [classes.index(v) for v in y]
    train = [i for i in range(len(x)) if i % 4 != 0]
    test = [i for i in range(len(x)) if i % 4 == 0]
    xtr, ytr = [x[i] for i in train], [y[i] for i in train]
    xte, yte = [x[i] for i in test], [y[i] for i in test]
    scores = []
    for seed in range(5):
        cls = catboost.CatBoostRegressor if regression else catboost.CatBoostClassifier
        extra = {"max_ctr_complexity": 1} if "--no-combinations" in sys.argv else {}
        m = cls(random_seed=seed, verbose=0, allow_writing_files=False, thread_count=2, **extra)
        m.fit(catboost.Pool(xtr, ytr, cat_features=[0, 1]))
        pred = m.predict(catboost.Pool(xte, cat_features=[0, 1]))
        if regression:
            scores.append(r2_score(yte, pred))
        else:
            scores.append(accuracy_score(yte, np.asarray(pred).ravel().astype(int)))
    print(f"{name:14} catboost {np.mean(scores):.4f}  (per seed: {', '.join(f'{s:.4f}' for s in scores)})", flush=True)
