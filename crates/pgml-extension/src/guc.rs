//! pgml's settings (GUCs).

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};

/// Upper bound on the threads one training call may use (XGBoost's `nthread` is capped by it).
/// Default 1: a training call on a production primary takes one core, like any other query,
/// unless an administrator allows more. SUSET so that a role cannot raise its own share.
pub static TRAINING_THREADS: GucSetting<i32> = GucSetting::<i32>::new(1);

/// Most distinct classes a classification may have: a label column of ids or free text (10 000
/// distinct values) would otherwise train for minutes and store a huge model before anyone noticed.
pub static MAX_CLASSES: GucSetting<i32> = GucSetting::<i32>::new(1000);

/// Seconds a distributed job waits for a shard (to join, to answer the tracker, inside each
/// collective exchange) before the whole job fails: the bound on how long a dead or hung shard can
/// hold the others.
pub static DISTRIBUTED_TIMEOUT: GucSetting<i32> = GucSetting::<i32>::new(30);

/// The coordinator's address on the shards' private network, where a distributed job's tracker
/// listens (an IP address; the port is chosen per job).
pub static DISTRIBUTED_ADDRESS: GucSetting<Option<std::ffi::CString>> =
    GucSetting::<Option<std::ffi::CString>>::new(Some(c"127.0.0.1"));

/// How the idle OpenMP workers of XGBoost and LightGBM wait (`pgml_openmp::WaitPolicy`). libgomp
/// reads it once per process, when a session first trains with either library, so it can only be
/// set where it holds for a whole session: in postgresql.conf, or by a superuser when connecting
/// (a spinning worker keeps a core busy for as long as its backend lives).
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum OpenmpWaitPolicy {
    #[name = c"passive"]
    Passive,
    #[name = c"spin_then_sleep"]
    SpinThenSleep,
    #[name = c"active"]
    Active,
}

pub static OPENMP_WAIT_POLICY: GucSetting<OpenmpWaitPolicy> =
    GucSetting::<OpenmpWaitPolicy>::new(OpenmpWaitPolicy::Passive);

/// Hands `pgml.openmp_wait_policy` to OpenMP's loader: call before anything that may load XGBoost
/// or LightGBM. The setting cannot change within a session, so a later call agrees with the first.
pub fn choose_openmp_wait_policy() {
    pgml_openmp::choose(match OPENMP_WAIT_POLICY.get() {
        OpenmpWaitPolicy::Passive => pgml_openmp::WaitPolicy::Passive,
        OpenmpWaitPolicy::SpinThenSleep => pgml_openmp::WaitPolicy::SpinThenSleep,
        OpenmpWaitPolicy::Active => pgml_openmp::WaitPolicy::Active,
    });
}

pub fn distributed_address() -> String {
    DISTRIBUTED_ADDRESS
        .get()
        .and_then(|c| c.to_str().ok().map(str::to_string))
        .unwrap_or_else(|| "127.0.0.1".to_string())
}

pub fn init() {
    GucRegistry::define_int_guc(
        c"pgml.distributed_timeout",
        c"Seconds a distributed training job waits for a shard before it fails.",
        c"Bounds how long a shard that died or hangs holds the others (joining, each exchange, the end).",
        &DISTRIBUTED_TIMEOUT,
        1,
        3600,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"pgml.distributed_address",
        c"This server's IP address on the shards' private network, where distributed jobs listen.",
        c"The collective has no authentication: use a private network (docs/distributed-training.md).",
        &DISTRIBUTED_ADDRESS,
        GucContext::Suset,
        GucFlags::default(),
    );
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
    GucRegistry::define_enum_guc(
        c"pgml.openmp_wait_policy",
        c"How idle OpenMP workers of XGBoost and LightGBM wait: passive (sleep), spin_then_sleep, active.",
        c"Read when a session first trains with XGBoost or LightGBM. passive keeps idle workers off the CPU; spin_then_sleep (OpenMP's own default, what Python users get) and active are faster on an idle server dedicated to training and slower on a busy one.",
        &OPENMP_WAIT_POLICY,
        GucContext::SuBackend,
        GucFlags::default(),
    );
}
