"""scikit-learn's multi-output regression on linnerud (weight, waist, pulse from chins, situps,
jumps), with the split pgml's core test uses: rows whose index is a multiple of 4 are the test set.

Estimators scikit-learn fits natively on a 2-D y get it directly; the others are wrapped in
MultiOutputRegressor, as PostgresML's train_joint does. Scores are scikit-learn's multi-output
defaults (multioutput='uniform_average'). Run (scikit-learn 1.5.2):

    /opt/skl/bin/python benches/joint_accuracy_sklearn.py

and compare with `cargo test -p pgml-core --test joint -- --nocapture`.
"""
import csv
import pathlib

import numpy as np
from sklearn.ensemble import ExtraTreesRegressor, GradientBoostingRegressor, RandomForestRegressor
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import (BayesianRidge, ElasticNet, HuberRegressor, Lars, Lasso, LassoLars,
                                  LinearRegression, OrthogonalMatchingPursuit, Ridge)
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.multioutput import MultiOutputRegressor
from sklearn.svm import SVR

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"
LABELS = ["weight", "waist", "pulse"]

with open(DATA / "linnerud.csv") as f:
    rows = list(csv.DictReader(f))
features = [c for c in rows[0] if c not in LABELS]
x = np.array([[float(r[c]) for c in features] for r in rows])
y = np.array([[float(r[c]) for c in LABELS] for r in rows])
test = np.arange(len(rows)) % 4 == 0
xtr, ytr, xte, yte = x[~test], y[~test], x[test], y[test]

# (pgml algorithm, estimator, natively multi-output in scikit-learn)
CASES = [
    ("linear", LinearRegression(), True),
    ("ridge", Ridge(), True),
    ("lasso", Lasso(), True),
    ("elastic_net", ElasticNet(), True),
    ("least_angle", Lars(), True),
    ("lasso_least_angle", LassoLars(), True),
    ("orthogonal_matching_pursuit", OrthogonalMatchingPursuit(), True),
    ("kernel_ridge", KernelRidge(), True),
    ("bayesian_ridge", BayesianRidge(), False),
    ("huber", HuberRegressor(), False),
    ("svm", SVR(), False),
    ("gradient_boosting_trees", GradientBoostingRegressor(random_state=0), False),
    # Natively multi-output with coupled targets: one multi-output tree per estimator (pgml too);
    # single seeds swing on 15 training rows, so the seed averages below are what is compared.
    ("random_forest", RandomForestRegressor(random_state=0), True),
    ("extra_trees", ExtraTreesRegressor(random_state=0), True),
    ("gaussian_process", GaussianProcessRegressor(), True),
]

for name, model, native in CASES:
    m = model if native else MultiOutputRegressor(model)
    m.fit(xtr, ytr)
    pred = m.predict(xte)
    # The per-target fit, as pgml does it, for the estimators that couple their targets.
    per = np.column_stack([type(model)(**model.get_params()).fit(xtr, ytr[:, k]).predict(xte)
                           for k in range(3)])
    print(f"{name:28} r2 {r2_score(yte, pred):9.4f} mse {mean_squared_error(yte, pred):10.4f} "
          f"mae {mean_absolute_error(yte, pred):8.4f}   per-target r2 {r2_score(yte, per):9.4f}   "
          f"first test row {np.round(pred[0], 4).tolist()}")

# GaussianProcessRegressor couples its targets through one kernel; pgml fits it jointly too. With
# normalize_y and a kernel whose length scale is learned, the joint and per-target fits differ.
print()
for kernel_name, kernel in [("1.0 * RBF(10.0) + WhiteKernel(1.0)",
                             ConstantKernel(1.0) * RBF(10.0) + WhiteKernel(1.0))]:
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True).fit(xtr, ytr)
    pred = gp.predict(xte)
    per = np.column_stack([GaussianProcessRegressor(kernel=kernel, normalize_y=True)
                           .fit(xtr, ytr[:, k]).predict(xte) for k in range(3)])
    print(f"gaussian_process {kernel_name}, normalize_y: joint r2 {r2_score(yte, pred):.4f} "
          f"mse {mean_squared_error(yte, pred):.4f} mae {mean_absolute_error(yte, pred):.4f} "
          f"first test row {np.round(pred[0], 4).tolist()} kernel {gp.kernel_}; "
          f"per-target r2 {r2_score(yte, per):.4f}")

# RANSACRegressor picks one inlier set for all targets; its draws are random, so over seeds.
from sklearn.linear_model import RANSACRegressor  # noqa: E402

joint_r2, per_r2 = [], []
for seed in range(1000):
    joint_r2.append(r2_score(yte, RANSACRegressor(random_state=seed).fit(xtr, ytr).predict(xte)))
    per = np.column_stack([RANSACRegressor(random_state=seed).fit(xtr, ytr[:, k]).predict(xte)
                           for k in range(3)])
    per_r2.append(r2_score(yte, per))
print(f"ransac joint mean r2 over 1000 seeds {np.mean(joint_r2):.4f}; per-target {np.mean(per_r2):.4f}")

# Forests: one multi-output tree per estimator (scikit-learn's 2-D fit), the mean over seeds
# 0..4 (and 0..49) of the uniform-average scores; pgml's `forests_grow_multi_output_trees_as_scikit_learn`
# averages its own seeds the same way. The per-target fit (MultiOutputRegressor) for comparison.
print()
for name, cls in [("random_forest", RandomForestRegressor), ("extra_trees", ExtraTreesRegressor)]:
    for seeds in (5, 50):
        joint, per = [], []
        for seed in range(seeds):
            pred = cls(random_state=seed).fit(xtr, ytr).predict(xte)
            joint.append((r2_score(yte, pred), mean_squared_error(yte, pred), mean_absolute_error(yte, pred)))
            per_pred = MultiOutputRegressor(cls(random_state=seed)).fit(xtr, ytr).predict(xte)
            per.append(r2_score(yte, per_pred))
        r2, mse, mae = np.mean(joint, axis=0)
        print(f"{name} joint mean over {seeds} seeds: r2 {r2:.4f} mse {mse:.4f} mae {mae:.4f}; "
              f"per-target r2 {np.mean(per):.4f}")
