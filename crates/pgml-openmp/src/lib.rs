//! OpenMP's settings for the C++ libraries pgml loads at their first use (XGBoost, LightGBM).
//!
//! Both libraries use the system's one libgomp, and libgomp reads its environment once, in its
//! constructor, when the first of them is loaded. So the environment is set here, by whichever
//! library loads first, and nowhere else: a second copy of this logic could only disagree.
#![forbid(unsafe_code)]

use std::sync::Once;

static PREPARED: Once = Once::new();

/// Call before loading a library that links libgomp. Makes OpenMP's idle workers sleep
/// (`OMP_WAIT_POLICY=passive`) unless the environment already says otherwise: with a core busy,
/// two spinning workers made an XGBoost train 13 times slower than one thread, and a backend's
/// workers must not burn a core between two calls.
pub fn prepare() {
    PREPARED.call_once(|| {
        if std::env::var_os("OMP_WAIT_POLICY").is_none() {
            // Before any OpenMP thread exists: the libraries are loaded after this returns.
            std::env::set_var("OMP_WAIT_POLICY", "passive");
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn sets_a_passive_wait_policy_unless_one_is_given() {
        let before = std::env::var_os("OMP_WAIT_POLICY");
        super::prepare();
        let after = std::env::var_os("OMP_WAIT_POLICY");
        match before {
            Some(v) => assert_eq!(after, Some(v)),
            None => assert_eq!(after.as_deref(), Some(std::ffi::OsStr::new("passive"))),
        }
    }
}
