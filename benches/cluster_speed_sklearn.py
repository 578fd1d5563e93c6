"""scikit-learn's KMeans and MiniBatchKMeans on 1 000 000 × 20 rows (make_blobs, 10 centers,
random_state 0, float32 as pgml stores `real`), 10 clusters, 2 threads, against pgml's on the
same rows. Writes the rows to a file that `crates/pgml-core/examples/cluster_speed.rs` reads:

    OMP_NUM_THREADS=2 python3 benches/cluster_speed_sklearn.py /tmp/blobs.f32
    cargo run --release -p pgml-core --example cluster_speed -- /tmp/blobs.f32

Each fit is timed three times; the best is printed, with the inertia (sum of squared distances
to the nearest center) of the result, so that speed is compared at equal quality.
"""
import sys
import time

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

N, P, K = 1_000_000, 20, 10


def inertia(x, centers):
    d = (x ** 2).sum(1)[:, None] - 2 * x @ centers.T + (centers ** 2).sum(1)[None, :]
    return float(np.maximum(d.min(1), 0).sum())


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/blobs.f32"
    x, _ = make_blobs(n_samples=N, n_features=P, centers=K, cluster_std=2.0, random_state=0)
    x = x.astype(np.float32)
    x.tofile(path)
    print(f"wrote {path}: {N} x {P} float32, row-major")
    with threadpool_limits(limits=2):
        for name, make in [
            ("kmeans", lambda: KMeans(n_clusters=K, random_state=0)),
            ("mini_batch_kmeans", lambda: MiniBatchKMeans(n_clusters=K, random_state=0)),
        ]:
            times = []
            for _ in range(3):
                model = make()
                started = time.perf_counter()
                model.fit(x)
                times.append(time.perf_counter() - started)
            print(f"scikit-learn {name:18} fit {min(times):7.3f} s (best of 3)  "
                  f"inertia {inertia(x.astype(np.float64), model.cluster_centers_.astype(np.float64)):.6e}")


if __name__ == "__main__":
    main()
