"""scikit-learn's tree ensembles on pgml's toy datasets, with the split pgml's
`crates/pgml-core/examples/tree_accuracy.rs` uses (rows whose index is a multiple of 4 are the
test set), each estimator with its defaults, averaged over random_state 0..5. Run (needs
scikit-learn 1.5, e.g. in a venv under /tmp):

    python3 benches/tree_accuracy_sklearn.py
    cargo run --release -p pgml-core --example tree_accuracy

With arguments `<dataset> <estimator class> '<json kwargs>'` it prints that model's test-set
predictions, one a line, as the example does with its arguments.
"""
import csv
import json
import pathlib
import sys

from sklearn import ensemble, tree
from sklearn.metrics import accuracy_score, r2_score

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"


def load(name, label):
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

DATASETS = [("diabetes", "target"), ("breast_cancer", "malignant"), ("digits", "target"), ("iris", "target"),
            ("wine", "target")]
ESTIMATORS = [("random_forest", "RandomForest"), ("extra_trees", "ExtraTrees"), ("bagging", "Bagging"),
              ("ada_boost", "AdaBoost"), ("gradient_boosting_trees", "GradientBoosting"),
              ("hist_gradient_boosting", "HistGradientBoosting")]
# SAMME: pgml's ada_boost (scikit-learn 1.5's default SAMME.R is deprecated, and gone in 1.6).
EXTRA = {"AdaBoostClassifier": {"algorithm": "SAMME"}}


def estimator(cls, regression):
    name = cls + ("Regressor" if regression else "Classifier")
    return getattr(ensemble, name, None) or getattr(tree, name)


if len(sys.argv) == 4:
    name, cls, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    label = dict(DATASETS)[name]
    xtr, ytr, xte, yte = load(name, label)
    model = getattr(ensemble, cls, None) or getattr(tree, cls)
    pred = model(**kwargs).fit(xtr, ytr).predict(xte)
    for p in pred:
        print(float(p))
    score = r2_score(yte, pred) if name == "diabetes" else accuracy_score(yte, pred)
    print(f"score {score:.4f}", file=sys.stderr)
    sys.exit(0)

print("dataset        algorithm      metric    scikit-learn (mean of 5 seeds)")
for name, label in DATASETS:
    xtr, ytr, xte, yte = load(name, label)
    regression = name == "diabetes"
    for algorithm, cls in ESTIMATORS:
        scores = []
        for seed in range(5):
            model = estimator(cls, regression)
            pred = model(random_state=seed, **EXTRA.get(model.__name__, {})).fit(xtr, ytr).predict(xte)
            scores.append(r2_score(yte, pred) if regression else accuracy_score(yte, pred))
        metric = "r2" if regression else "accuracy"
        print(f"{name:14} {algorithm:14} {metric:9} {sum(scores) / len(scores):.4f}")
