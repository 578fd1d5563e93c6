//! OpenMP's settings for the C++ libraries pgml loads at their first use (XGBoost, LightGBM).
//!
//! Both libraries use the system's one libgomp, and libgomp reads its environment once, in its
//! constructor, when the first of them is loaded. So the environment is set here, by whichever
//! library loads first, and nowhere else: a second copy of this logic could only disagree.
#![forbid(unsafe_code)]

use std::sync::{Mutex, Once, PoisonError};

static PREPARED: Once = Once::new();

/// The policy a caller chose with [`choose`], if any.
static CHOSEN: Mutex<Option<WaitPolicy>> = Mutex::new(None);

/// How OpenMP's idle workers wait for the next piece of work (what `OMP_WAIT_POLICY` tells
/// libgomp).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitPolicy {
    /// Sleep at once (`OMP_WAIT_POLICY=passive`): an idle worker costs no CPU, and a train with
    /// two threads on a machine with a busy core is no slower than with one. pgml's default.
    Passive,
    /// libgomp's own default (no `OMP_WAIT_POLICY`): spin for a while (300 000 turns, or
    /// `GOMP_SPINCOUNT`), then sleep. What a Python user of XGBoost or LightGBM gets; faster on
    /// an idle machine, slower than one thread when another process keeps a core busy.
    SpinThenSleep,
    /// Never sleep (`OMP_WAIT_POLICY=active`): an idle worker keeps its core busy for as long
    /// as the process lives.
    Active,
}

/// One change [`prepare`] makes to the environment libgomp reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Set(&'static str, &'static str),
    Remove(&'static str),
}

const POLICY: &str = "OMP_WAIT_POLICY";
const SPINCOUNT: &str = "GOMP_SPINCOUNT";

/// The changes for a chosen policy (or none) and whether the environment already names one. A
/// choice made through [`choose`] wins over the environment, `GOMP_SPINCOUNT` included (libgomp
/// lets it override even `passive`), except that it still tunes how long `SpinThenSleep` spins.
/// Without a choice, a policy found in the environment is left alone (programs such as the
/// benchmarks set it that way), and otherwise workers sleep.
fn changes(chosen: Option<WaitPolicy>, in_environment: bool) -> Vec<Change> {
    match (chosen, in_environment) {
        (None, true) => vec![],
        (None, false) => vec![Change::Set(POLICY, "passive")],
        (Some(WaitPolicy::Passive), _) => {
            vec![Change::Set(POLICY, "passive"), Change::Remove(SPINCOUNT)]
        }
        (Some(WaitPolicy::Active), _) => {
            vec![Change::Set(POLICY, "active"), Change::Remove(SPINCOUNT)]
        }
        (Some(WaitPolicy::SpinThenSleep), _) => vec![Change::Remove(POLICY)],
    }
}

/// Chooses the wait policy the libraries will start OpenMP with. Only the first library load of
/// a process reads it: call it before anything that may train with XGBoost or LightGBM. Returns
/// false when OpenMP's settings were already made (the choice then has no effect).
pub fn choose(policy: WaitPolicy) -> bool {
    *CHOSEN.lock().unwrap_or_else(PoisonError::into_inner) = Some(policy);
    !PREPARED.is_completed()
}

fn chosen() -> Option<WaitPolicy> {
    *CHOSEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Call before loading a library that links libgomp. Sets `OMP_WAIT_POLICY` as [`choose`] asked,
/// or, with no choice made, to `passive` unless the environment already names a policy: with a
/// core busy, two spinning workers made an XGBoost train 13 times slower than one thread, and a
/// backend's workers must not burn a core between two calls.
pub fn prepare() {
    PREPARED.call_once(|| {
        // Before any OpenMP thread exists: the libraries are loaded after this returns.
        for c in changes(chosen(), std::env::var_os(POLICY).is_some()) {
            match c {
                Change::Set(name, value) => std::env::set_var(name, value),
                Change::Remove(name) => std::env::remove_var(name),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::{changes, Change, WaitPolicy, POLICY, SPINCOUNT};

    #[test]
    fn workers_sleep_unless_the_environment_or_a_choice_says_otherwise() {
        assert_eq!(changes(None, false), [Change::Set(POLICY, "passive")]);
        assert_eq!(changes(None, true), []);
    }

    #[test]
    fn a_choice_wins_over_the_environment() {
        for env in [false, true] {
            assert_eq!(
                changes(Some(WaitPolicy::Passive), env),
                [Change::Set(POLICY, "passive"), Change::Remove(SPINCOUNT)]
            );
            assert_eq!(
                changes(Some(WaitPolicy::Active), env),
                [Change::Set(POLICY, "active"), Change::Remove(SPINCOUNT)]
            );
            assert_eq!(
                changes(Some(WaitPolicy::SpinThenSleep), env),
                [Change::Remove(POLICY)]
            );
        }
    }

    #[test]
    fn the_choice_is_read_back_and_ignored_once_openmp_is_prepared() {
        // One test touches the process-wide state, so nothing else races it.
        for p in [
            WaitPolicy::Passive,
            WaitPolicy::SpinThenSleep,
            WaitPolicy::Active,
        ] {
            assert!(super::choose(p));
            assert_eq!(super::chosen(), Some(p));
        }
        super::choose(WaitPolicy::Passive);
        super::prepare();
        assert_eq!(std::env::var(POLICY).as_deref(), Ok("passive"));
        assert!(
            !super::choose(WaitPolicy::Active),
            "too late: libgomp has read it"
        );
    }
}
