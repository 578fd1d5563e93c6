"""scikit-learn's accuracy on pgml's built-in toy datasets, with the split pgml's core test uses.

Rows whose index is a multiple of 4 are the test set, the rest train: deterministic, so both
sides see exactly the same rows. Run (needs scikit-learn 1.5, e.g. in a venv):

    python3 benches/toy_accuracy_sklearn.py

and compare with `cargo test -p pgml-core --test toy_accuracy -- --nocapture`.
"""
import csv
import pathlib

from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, RidgeClassifier
from sklearn.metrics import accuracy_score, f1_score, r2_score

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


CASES = [
    ("diabetes", "target", "linear", LinearRegression()),
    ("diabetes", "target", "ridge", Ridge()),
    ("diabetes", "target", "lasso", Lasso(alpha=0.1)),
    ("diabetes", "target", "elastic_net", ElasticNet(alpha=0.01)),
    ("breast_cancer", "malignant", "linear", LogisticRegression(max_iter=10000)),
    ("breast_cancer", "malignant", "ridge", RidgeClassifier()),
    ("iris", "target", "linear", LogisticRegression(max_iter=10000)),
    ("iris", "target", "ridge", RidgeClassifier()),
    ("wine", "target", "linear", LogisticRegression(max_iter=10000)),
    ("digits", "target", "linear", LogisticRegression(max_iter=10000)),
    ("digits", "target", "ridge", RidgeClassifier()),
]

for name, label, algorithm, model in CASES:
    xtr, ytr, xte, yte = load(name, label)
    model.fit(xtr, ytr)
    pred = model.predict(xte)
    if name == "diabetes":
        print(f"{name:14} {algorithm:12} r2 {r2_score(yte, pred):.4f}")
    else:
        print(f"{name:14} {algorithm:12} accuracy {accuracy_score(yte, pred):.4f} f1 {f1_score(yte, pred, average='macro'):.4f}")

# Unsupervised, on digits: PCA's explained variance (train split) and KMeans' silhouette (test split).
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

xtr, _, xte, _ = load("digits", "target")
pca = PCA(n_components=3).fit(xtr)
print(f"{'digits':14} {'pca':12} explained_variance_ratio(3) {sum(pca.explained_variance_ratio_):.4f}")
scores = []
for seed in range(5):
    km = KMeans(n_clusters=10, n_init=1, random_state=seed).fit(xtr)
    scores.append(silhouette_score(xte, km.predict(xte)))
print(f"{'digits':14} {'kmeans':12} silhouette mean of 5 seeds {sum(scores) / len(scores):.4f} (min {min(scores):.4f})")

# Tree ensembles: XGBoost (Python package 1.7, same defaults pgml passes) and scikit-learn's random forest.
import xgboost
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

for name, label, kind in [("diabetes", "target", "r"), ("breast_cancer", "malignant", "c"), ("iris", "target", "c"),
                          ("wine", "target", "c"), ("digits", "target", "c")]:
    xtr, ytr, xte, yte = load(name, label)
    if kind == "r":
        for algorithm, model in [("xgboost", xgboost.XGBRegressor(tree_method="hist", n_estimators=100, max_depth=6,
                                                                     learning_rate=0.3, nthread=1)),
                                 ]:
            model.fit(xtr, ytr)
            print(f"{name:14} {algorithm:12} r2 {r2_score(yte, model.predict(xte)):.4f}")
        scores = [r2_score(yte, RandomForestRegressor(random_state=s).fit(xtr, ytr).predict(xte)) for s in range(5)]
        print(f"{name:14} random_forest r2 mean of 5 seeds {sum(scores) / 5:.4f}")
    else:
        for algorithm, model in [("xgboost", xgboost.XGBClassifier(tree_method="hist", n_estimators=100, max_depth=6,
                                                                      learning_rate=0.3, nthread=1)),
                                 ]:
            model.fit(xtr, ytr)
            print(f"{name:14} {algorithm:12} accuracy {accuracy_score(yte, model.predict(xte)):.4f}")
        scores = [accuracy_score(yte, RandomForestClassifier(random_state=s).fit(xtr, ytr).predict(xte)) for s in range(5)]
        print(f"{name:14} random_forest accuracy mean of 5 seeds {sum(scores) / 5:.4f}")
