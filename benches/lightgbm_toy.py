"""lightgbm predictions against LightGBM from PyPI on the toy datasets: the same training rows, the same
parameters, LightGBM 4.7.0 on both sides (pgml: the C library installed by scripts/install-lightgbm, driven by
crates/pgml-core/examples/lightgbm_speed.rs, predictions by pgml's Rust tree evaluator; PyPI: lgb.train
and Booster.predict). Prints, per dataset and parameter set, the largest difference between the two
sides' outputs (values, or class probabilities) on the held-out rows: 0 means identical.

    cargo build --release -p pgml-core --example lightgbm_speed
    /opt/skl/bin/python benches/lightgbm_toy.py
"""
import json
import os
import pathlib
import struct
import subprocess
import sys

import lightgbm as lgb
import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = os.environ.get("CARGO_TARGET_DIR", ROOT / "target")
EXAMPLE = pathlib.Path(TARGET) / "release/examples/lightgbm_speed"
TRAIN, TEST, OUT = "/tmp/lightgbm_toy_train.bin", "/tmp/lightgbm_toy_test.bin", "/tmp/lightgbm_toy_pred.bin"

SETS = [
    ("diabetes", datasets.load_diabetes, "regression"),
    ("breast_cancer", datasets.load_breast_cancer, "classification"),
    ("iris", datasets.load_iris, "classification"),
    ("wine", datasets.load_wine, "classification"),
    ("digits", datasets.load_digits, "classification"),
]
PARAMS = [
    {},
    {"n_estimators": 50, "learning_rate": 0.05, "num_leaves": 7, "min_child_samples": 5},
    {"boosting_type": "dart", "n_estimators": 30},
    {"subsample": 0.7, "subsample_freq": 1, "colsample_bytree": 0.8, "reg_lambda": 1.0, "random_state": 3},
]


def write(path, x, y):
    with open(path, "wb") as f:
        f.write(struct.pack("<II", *x.shape))
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
        f.write(np.ascontiguousarray(y, dtype="<f4").tobytes())


def pypi(task, x, y, xt, given):
    # What pgml hands LightGBM: its objective by the labels, threads, no output; then the given names.
    k = int(y.max()) + 1
    params = {"objective": "regression", "num_threads": 1, "verbosity": -1}
    if task == "classification":
        params["objective"] = "binary" if k == 2 else "multiclass"
        if k > 2:
            params["num_class"] = k
    given = dict(given)
    rounds = given.pop("n_estimators", 100)
    params.update(given)
    b = lgb.train(params, lgb.Dataset(x, y), num_boost_round=rounds)
    return b.predict(xt).reshape(-1)


def main():
    print(f"LightGBM {lgb.__version__} from PyPI against pgml's lightgbm")
    worst = 0.0
    for name, load, task in SETS:
        x, y = load(return_X_y=True)
        x = x.astype(np.float32)
        y = y.astype(np.float32)
        strat = y if task == "classification" else None
        x, xt, y, yt = train_test_split(x, y, test_size=0.25, random_state=0, stratify=strat)
        write(TRAIN, x, y)
        write(TEST, xt, yt)
        for given in PARAMS:
            hp = dict(given, nthread=1)
            subprocess.run([str(EXAMPLE), task, TRAIN, TEST, json.dumps(hp), OUT], check=True,
                           capture_output=True)
            ours = np.fromfile(OUT, dtype="<f8")
            theirs = pypi(task, x, y, xt, given)
            diff = float(np.abs(ours - theirs).max()) if ours.shape == theirs.shape else float("inf")
            worst = max(worst, diff)
            print(f"{name:14} {json.dumps(given):90} max |pgml - PyPI| = {diff:.3g}")
    print(f"largest difference over every case: {worst:.3g}")
    sys.exit(0 if worst == 0.0 else 1)


if __name__ == "__main__":
    main()
