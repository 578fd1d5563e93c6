"""scikit-learn 1.5.2's clusterings of pgml's toy datasets, written as the fixture
`crates/pgml-core/tests/fixtures/cluster_labels.json` that `crates/pgml-core/tests/cluster_accuracy.rs`
compares pgml's labelings with (adjusted Rand index). Every row of iris, wine (standardized:
mean 0, population standard deviation 1 per feature) and digits, read from
crates/pgml-core/datasets as float32 as pgml reads them; each algorithm with the same
parameters on both sides (pgml's hyperparameter names are scikit-learn's). Regenerate with
(scikit-learn 1.5.2 in a venv):

    python3 benches/cluster_accuracy_sklearn.py
    cargo test -p pgml-core --test cluster_accuracy -- --nocapture
"""
import csv
import json
import pathlib
import time

import numpy as np
import sklearn
from sklearn.cluster import DBSCAN, OPTICS, AffinityPropagation, Birch, MeanShift

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "crates/pgml-core/datasets"
OUT = ROOT / "crates/pgml-core/tests/fixtures/cluster_labels.json"

# (dataset, pgml algorithm, parameters): chosen so that each gives a sensible clustering.
RUNS = [
    ("iris", "dbscan", {"eps": 0.5, "min_samples": 5}),
    ("iris", "optics", {"min_samples": 10}),
    ("iris", "birch", {"n_clusters": 3}),
    ("iris", "mean_shift", {}),
    ("iris", "affinity_propagation", {}),
    ("wine", "dbscan", {"eps": 2.3, "min_samples": 5}),
    ("wine", "optics", {"min_samples": 5, "cluster_method": "dbscan", "eps": 2.3}),
    ("wine", "birch", {"n_clusters": 3, "threshold": 1.5}),
    ("wine", "mean_shift", {"bandwidth": 3.5}),
    ("wine", "affinity_propagation", {"preference": -200}),
    ("digits", "dbscan", {"eps": 20, "min_samples": 10}),
    ("digits", "optics", {"min_samples": 10, "xi": 0.01}),
    ("digits", "birch", {"n_clusters": 10, "threshold": 20}),
    ("digits", "mean_shift", {"bandwidth": 16, "bin_seeding": True}),
    ("digits", "affinity_propagation", {"damping": 0.9, "preference": -50000}),
]

ESTIMATORS = {
    "dbscan": DBSCAN,
    "optics": OPTICS,
    "birch": Birch,
    "mean_shift": MeanShift,
    "affinity_propagation": AffinityPropagation,
}


def load(name):
    with open(DATA / f"{name}.csv") as f:
        rows = list(csv.DictReader(f))
    if name == "digits":
        x = [[float(v) for v in r["image"].replace("{", "").replace("}", "").split(",")] for r in rows]
    else:
        x = [[float(r[c]) for c in r if c != "target"] for r in rows]
    x = np.array(x, dtype=np.float32).astype(np.float64)
    if name == "wine":
        x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype(np.float32).astype(np.float64)
    return x


def main():
    out = []
    for dataset, algorithm, params in RUNS:
        x = load(dataset)
        kwargs = dict(params)
        if algorithm == "affinity_propagation":
            kwargs["random_state"] = 0
        started = time.perf_counter()
        labels = ESTIMATORS[algorithm](**kwargs).fit(x).labels_
        seconds = time.perf_counter() - started
        clusters = len(set(labels.tolist()) - {-1})
        print(f"{dataset:7} {algorithm:21} {json.dumps(params):50} {clusters:3} clusters "
              f"{int((labels == -1).sum()):5} noise  {seconds:6.2f} s")
        out.append({
            "dataset": dataset,
            "algorithm": algorithm,
            "params": params,
            "labels": labels.tolist(),
        })
    OUT.write_text(json.dumps({"scikit-learn": sklearn.__version__, "runs": out}) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
