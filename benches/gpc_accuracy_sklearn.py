"""scikit-learn's GaussianProcessClassifier on pgml's toy classification datasets, with the split
pgml's core test uses (rows whose index is a multiple of 4 are the test set). Run (scikit-learn
1.5.2):

    /opt/skl/bin/python benches/gpc_accuracy_sklearn.py

and compare with `cargo test --release -p pgml-core --test gaussian_process_classifier -- --nocapture`.
"""
import csv
import pathlib
import warnings

import numpy as np
from sklearn.gaussian_process import GaussianProcessClassifier
from sklearn.gaussian_process.kernels import RBF, ConstantKernel
from sklearn.metrics import accuracy_score, log_loss

warnings.filterwarnings("ignore")
DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/pgml-core/datasets"


def load(name, label):
    with open(DATA / f"{name}.csv") as f:
        rows = list(csv.DictReader(f))
    features = [c for c in rows[0] if c != label]
    num = lambda v: 1.0 if v == "true" else 0.0 if v == "false" else float(v)
    x = np.array([[num(r[c]) for c in features] for r in rows])
    y = np.array([num(r[label]) for r in rows])
    test = np.arange(len(rows)) % 4 == 0
    return x[~test], y[~test], x[test], y[test]


CASES = [
    ("iris", "target", "default", {}),
    ("wine", "target", "default", {}),
    ("breast_cancer", "malignant", "default", {}),
    ("iris", "target", "1.0 * RBF(1.0)", {"kernel": ConstantKernel(1.0) * RBF(1.0)}),
    ("breast_cancer", "malignant", "1.0 * RBF(100.0)", {"kernel": ConstantKernel(1.0) * RBF(100.0)}),
]
for name, label, kernel, kw in CASES:
    xtr, ytr, xte, yte = load(name, label)
    m = GaussianProcessClassifier(**kw).fit(xtr, ytr)
    proba = m.predict_proba(xte)
    print(f"{name:14} {kernel:18} accuracy {accuracy_score(yte, m.predict(xte)):.4f} "
          f"log_loss {log_loss(yte, proba):.4f} first proba {np.round(proba[0], 4).tolist()} "
          f"kernel {m.kernel_ if hasattr(m, 'kernel_') else [e.kernel_ for e in m.base_estimator_.estimators_]}")
