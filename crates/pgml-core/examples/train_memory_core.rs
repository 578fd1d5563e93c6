//! Where the training backend's memory goes inside pgml-core (benches/train_memory.rs measures the
//! whole backend): `training::run` on ROWS × 20 random f32 features, the same shape, with a counting
//! allocator for Rust's heap (peak bytes live at once) and `/proc/self/status` for what libraries
//! such as libxgboost allocate in C++.
//!
//!   cargo run --release -p pgml-core --example train_memory_core [ROWS] [ALGORITHM] [TASK]
#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark program: a panic is its report

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use pgml_core::algorithms::Algorithm;
use pgml_core::split::{Sampling, SplitMix64};
use pgml_core::training::{self, Target};
use pgml_core::{Matrix, Task};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator and only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: ptr was allocated by System with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Count the moment both blocks may exist, as a moving realloc has them.
        let now = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
        PEAK.fetch_max(now, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as dealloc and alloc.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let algorithm = args.get(2).map_or("xgboost", String::as_str);
    let task = match args.get(3).map_or("regression", String::as_str) {
        "classification" => Task::Classification,
        _ => Task::Regression,
    };
    let p = 20;
    let mut rng = SplitMix64(0);
    let x = Matrix::from_columns(n, p, (0..n * p).map(|_| rng.unit() as f32).collect()).unwrap();
    let values: Vec<f32> = (0..n)
        .map(|i| x.get(i, 0) * 3.0 + x.get(i, 1) * x.get(i, 2) - x.get(i, 3))
        .collect();
    let codes: Vec<u32> = values.iter().map(|&v| u32::from(v > 1.2)).collect();
    let matrix = n * p * 4;
    let base_live = LIVE.load(Ordering::Relaxed);
    PEAK.store(base_live, Ordering::Relaxed);
    let base_hwm = status_kb("VmHWM:");
    let a = Algorithm::parse(algorithm).expect("algorithm");
    let params = a.resolve(task, &serde_json::json!({})).expect("params");
    let target = match task {
        Task::Classification => Target::Classes {
            codes: &codes,
            num_classes: 2,
        },
        _ => Target::Values(&values),
    };
    let outcome = training::run_owned(
        task,
        a,
        &params,
        x, // handed over, as the backend does (run_owned)
        target,
        0.25,
        Sampling::Random,
        42,
        &|| {},
    )
    .expect("train");
    let peak = PEAK.load(Ordering::Relaxed) - base_live;
    println!(
        "{algorithm} {task:?} {n} × {p}: the f32 matrix {:.0} MB (already in memory, as the backend's is); \
         Rust heap peak added by training::run {:.0} MB ({:.2}× the matrix); process VmHWM {:.0} MB before, \
         {:.0} MB after; fit_time {:.1} s",
        mb(matrix),
        mb(peak),
        peak as f64 / matrix as f64,
        base_hwm as f64 / 1e3,
        status_kb("VmHWM:") as f64 / 1e3,
        outcome.metrics["fit_time"]
    );
}
