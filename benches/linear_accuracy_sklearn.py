"""scikit-learn's side of the accuracy table for the linear, kernel and SVM algorithms (issue 11).

Each estimator with scikit-learn's defaults on every toy dataset of its task, on the split pgml's
`linear_accuracy` example uses (rows whose index is a multiple of 4 are the test set). Estimators
whose default random_state is None are averaged over random_state 0..200, as pgml's side is. Run in
a venv with scikit-learn 1.5.2 (never committed):

    python3 -m venv /tmp/venv-linear && /tmp/venv-linear/bin/pip install scikit-learn==1.5.2
    /tmp/venv-linear/bin/python benches/linear_accuracy_sklearn.py [algorithm ...]
    cargo run --release -p pgml-core --example linear_accuracy [algorithm ...]
"""
import csv
import os
import pathlib
import sys
import warnings

from sklearn import gaussian_process, kernel_ridge, linear_model, svm
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"
REGRESSION = [("diabetes", "target"), ("linnerud", "weight")]
CLASSIFICATION = [("breast_cancer", "malignant"), ("digits", "target"), ("iris", "target"), ("wine", "target")]


def load(name, label):
    with open(DATA / f"{name}.csv") as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != label]

    def num(v):
        return 1.0 if v == "true" else 0.0 if v == "false" else float(v)

    x = []
    for r in rows:
        row = []
        for c in features:
            if r[c].startswith("{"):
                row.extend(float(v) for v in r[c].replace("{", ",").replace("}", ",").split(",") if v)
            else:
                row.append(num(r[c]))
        x.append(row)
    y = [num(r[label]) for r in rows]
    train = [i for i in range(len(rows)) if i % 4 != 0]
    test = [i for i in range(len(rows)) if i % 4 == 0]
    pick = lambda v, idx: [v[i] for i in idx]
    return pick(x, train), pick(y, train), pick(x, test), pick(y, test)


# (pgml algorithm, regressor factory or None, classifier factory or None, randomized)
ALGORITHMS = [
    ("stochastic_gradient_descent", linear_model.SGDRegressor, linear_model.SGDClassifier, True),
    ("perceptron", None, linear_model.Perceptron, True),
    ("passive_aggressive", linear_model.PassiveAggressiveRegressor, linear_model.PassiveAggressiveClassifier, True),
    ("svm", svm.SVR, svm.SVC, False),
    ("nu_svm", svm.NuSVR, svm.NuSVC, False),
    ("kernel_ridge", kernel_ridge.KernelRidge, None, False),
    ("bayesian_ridge", linear_model.BayesianRidge, None, False),
    ("orthogonal_matching_pursuit", linear_model.OrthogonalMatchingPursuit, None, False),
    ("huber", linear_model.HuberRegressor, None, False),
    ("linear_svm", svm.LinearSVR, svm.LinearSVC, False),
    ("least_angle", linear_model.Lars, None, False),
    ("lasso_least_angle", linear_model.LassoLars, None, False),
    ("automatic_relevance_determination", linear_model.ARDRegression, None, False),
    ("ransac", linear_model.RANSACRegressor, None, True),
    ("theil_sen", linear_model.TheilSenRegressor, None, True),
    ("quantile", linear_model.QuantileRegressor, None, False),
    ("gaussian_process", gaussian_process.GaussianProcessRegressor, gaussian_process.GaussianProcessClassifier, False),
]

SEEDS = int(os.environ.get("SEEDS", 200))
only = sys.argv[1:]
warnings.simplefilter("ignore", ConvergenceWarning)
for name, regressor, classifier, randomized in ALGORITHMS:
    if only and name not in only:
        continue
    for factory, sets, metric in [(regressor, REGRESSION, "r2"), (classifier, CLASSIFICATION, "accuracy")]:
        if factory is None:
            continue
        for dataset, label in sets:
            xtr, ytr, xte, yte = load(dataset, label)
            scores = []
            try:
                for seed in range(SEEDS) if randomized else [None]:
                    model = factory(random_state=seed) if randomized else factory()
                    pred = model.fit(xtr, ytr).predict(xte)
                    scores.append(r2_score(yte, pred) if metric == "r2" else accuracy_score(yte, pred))
                print(f"{dataset:14} {name:34} {metric:8} {sum(scores) / len(scores):.4f}")
            except Exception as e:  # noqa: BLE001 (the table records scikit-learn's failures too)
                print(f"{dataset:14} {name:34} {metric:8} error: {e}")
