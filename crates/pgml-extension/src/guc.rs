//! pgml's settings (GUCs).

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};

/// Upper bound on the threads one training call may use (XGBoost's `nthread` is capped by it).
/// Default 1: a training call on a production primary takes one core, like any other query,
/// unless an administrator allows more. SUSET so that a role cannot raise its own share.
pub static TRAINING_THREADS: GucSetting<i32> = GucSetting::<i32>::new(1);

/// Most distinct classes a classification may have: a label column of ids or free text (10 000
/// distinct values) would otherwise train for minutes and store a huge model before anyone noticed.
pub static MAX_CLASSES: GucSetting<i32> = GucSetting::<i32>::new(1000);

pub fn init() {
    GucRegistry::define_int_guc(
        c"pgml.max_classes",
        c"Maximum number of distinct labels a classification may have.",
        c"A train whose label has more distinct values is refused before training starts.",
        &MAX_CLASSES,
        2,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"pgml.training_threads",
        c"Maximum number of threads one pgml.train call may use.",
        c"XGBoost's nthread hyperparameter is capped by this; 0 in nthread means use this many.",
        &TRAINING_THREADS,
        1,
        1024,
        GucContext::Suset,
        GucFlags::default(),
    );
}
