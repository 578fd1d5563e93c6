"""The PyPI `catboost` package on pgml's toy datasets, with the split pgml's
`crates/pgml-core/tests/toy_accuracy.rs` uses (rows whose index is a multiple of 4 are the test
set), CatBoost's defaults (1000 iterations, depth 6, automatic learning rate, ...), averaged over
random_seed 0..5. Run (needs catboost and scikit-learn, e.g. in a venv):

    python3 benches/catboost_accuracy.py
    cargo test --release -p pgml-core --test toy_accuracy catboost -- --nocapture

`--learning-rates` prints the learning rate CatBoost chooses by itself for a grid of row counts
and iterations (what `catboost::auto_learning_rate` reproduces).
"""
import itertools
import sys

import numpy as np
import catboost

import csv
import pathlib

from sklearn.metrics import accuracy_score, r2_score

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"
DATASETS = [("diabetes", "target"), ("breast_cancer", "malignant"), ("digits", "target"), ("iris", "target"),
            ("wine", "target")]


def load(name, label):
    """The toy set's rows, split as toy_accuracy.rs splits them (the same as tree_accuracy_sklearn.py)."""
    with open(DATA / f"{name}.csv") as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != label]
    def num(v):
        return 1.0 if v == "true" else 0.0 if v == "false" else float(v)
    x = []
    for r in rows:
        if name == "digits":
            x.append([float(v) for v in r["image"].replace("{", "").replace("}", "").split(",")])
        else:
            x.append([num(r[c]) for c in features])
    y = [num(r[label]) for r in rows]
    train = [i for i in range(len(rows)) if i % 4 != 0]
    test = [i for i in range(len(rows)) if i % 4 == 0]
    pick = lambda v, idx: [v[i] for i in idx]
    return pick(x, train), pick(y, train), pick(x, test), pick(y, test)


if "--learning-rates" in sys.argv:
    rng = np.random.default_rng(0)
    for loss in ["RMSE", "Logloss", "MultiClass"]:
        for n, it in itertools.product([50, 150, 442, 569, 3000, 20000], [300, 700, 1000, 2000]):
            X = rng.normal(size=(n, 3))
            y = {"RMSE": X[:, 0], "Logloss": (X[:, 0] > 0).astype(int),
                 "MultiClass": (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)}[loss]
            m = catboost.CatBoost({"loss_function": loss, "iterations": it, "depth": 1,
                                   "verbose": 0, "allow_writing_files": False})
            m.fit(X, y)
            print(loss, n, it, m.get_all_params()["learning_rate"])
    sys.exit(0)

print(f"catboost {catboost.__version__}")
for name, label in DATASETS:
    xtr, ytr, xte, yte = load(name, label)
    regression = name == "diabetes"
    scores = []
    for seed in range(5):
        cls = catboost.CatBoostRegressor if regression else catboost.CatBoostClassifier
        m = cls(random_seed=seed, verbose=0, allow_writing_files=False, thread_count=2)
        m.fit(np.array(xtr), np.array(ytr))
        pred = m.predict(np.array(xte))
        if regression:
            scores.append(r2_score(yte, pred))
        else:
            scores.append(accuracy_score(yte, np.asarray(pred).ravel().astype(float)))
    print(f"{name:14} catboost {np.mean(scores):.4f}  (per seed: {', '.join(f'{s:.4f}' for s in scores)})")
