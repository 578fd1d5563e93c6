"""scikit-learn's numbers for `crates/pgml-core/tests/class_weight.rs`: LogisticRegression and
DecisionTreeClassifier with `class_weight` given per class (and 'balanced'), on the 60 rows that
test builds. Run (scikit-learn 1.5.2):

    /opt/skl/bin/python benches/class_weight_sklearn.py

and compare with `cargo test --release -p pgml-core --test class_weight`.
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import NuSVC
from sklearn.tree import DecisionTreeClassifier

n = 60
X = np.array([[((i * 7) % 31) / 3.0, ((i * 11) % 17) / 2.0 + 0.01 * i] for i in range(n)])
y = np.array(
    [
        ((i // 5) % 3)
        if i % 5 == 0
        else (0 if X[i, 0] + 0.5 * X[i, 1] < 6 else (1 if X[i, 0] < 8 else 2))
        for i in range(n)
    ]
)
print("rows per class", np.bincount(y).tolist())
cw = {0: 1.0, 1: 5.0}
for c in [None, cw, "balanced"]:
    m = LogisticRegression(class_weight=c, tol=1e-10, max_iter=10000).fit(X, y)
    print("LogisticRegression", c, np.round(m.coef_.ravel(), 6).tolist(), np.round(m.intercept_, 6).tolist())
yb = (y == 1).astype(int)
for c in [None, {0: 1.0, 1: 3.0}]:
    m = LogisticRegression(class_weight=c, tol=1e-10, max_iter=10000).fit(X, yb)
    print("LogisticRegression binary", c, np.round(m.coef_.ravel(), 6).tolist(), np.round(m.intercept_, 6).tolist())
for c in [None, cw]:
    t = DecisionTreeClassifier(class_weight=c, max_depth=3, random_state=0).fit(X, y)
    print("DecisionTreeClassifier", c, np.round(t.predict_proba(X[:8]), 6).tolist())
# libsvm's nu-SVC has no per-class C: scikit-learn's NuSVC ignores class_weight.
a = NuSVC().fit(X, y).dual_coef_
b = NuSVC(class_weight={0: 1, 1: 5}).fit(X, y).dual_coef_
print("NuSVC dual_coef_ change with class_weight", float(np.abs(a - b).max()))
