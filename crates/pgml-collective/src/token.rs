//! The per-job token. Rabit has no authentication; the one thing every worker sends the tracker
//! on every connection is its task id (`DMLC_TASK_ID`), so the job's task ids are
//! `<token>-<worker index>` and the tracker refuses any connection whose task id does not start
//! with this job's token. A stray or stale worker (another job, a port scanner) cannot take a rank.
//! The token is sent in clear text: it keeps out mistakes and strangers who cannot read the
//! network, not an eavesdropper (see docs/distributed-training.md).

use std::fmt;
use std::io::Read;

/// 128 random bits, as 32 lowercase hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct JobToken(String);

impl fmt::Debug for JobToken {
    // Not printed in full: logs and panics should not hand it out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JobToken({}…)", &self.0[..4])
    }
}

impl JobToken {
    /// A fresh token from the kernel's random source.
    pub fn random() -> std::io::Result<JobToken> {
        let mut bytes = [0u8; 16];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Ok(JobToken(bytes.iter().map(|b| format!("{b:02x}")).collect()))
    }

    /// The task id worker `index` joins with.
    pub fn task_id(&self, index: usize) -> String {
        format!("{}-{index}", self.0)
    }

    /// The worker index in `task_id`, if it carries this token.
    pub fn index_of(&self, task_id: &str) -> Option<usize> {
        let (token, index) = task_id.split_once('-')?;
        if !constant_time_eq(token.as_bytes(), self.0.as_bytes()) {
            return None;
        }
        // Only plain decimal digits: "+1" or "01" would be a second spelling of the same index.
        if index.is_empty()
            || !index.bytes().all(|b| b.is_ascii_digit())
            || (index.len() > 1 && index.starts_with('0'))
        {
            return None;
        }
        index.parse().ok()
    }
}

/// Compares without returning at the first difference, so response time does not reveal how much
/// of a guessed token is right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_carry_the_token_and_only_it() {
        let t = JobToken::random().unwrap();
        let other = JobToken::random().unwrap();
        assert_ne!(t, other, "two jobs get different tokens");
        assert_eq!(t.task_id(7).len(), 32 + 2);
        assert_eq!(t.index_of(&t.task_id(7)), Some(7));
        assert_eq!(t.index_of(&t.task_id(0)), Some(0));
        assert_eq!(t.index_of(&other.task_id(7)), None);
        let token = &t.task_id(0)[..32];
        for bad in [
            "NULL",
            "",
            "-1",
            &format!("{token}-"),
            &format!("{token}-01"),
            &format!("{token}-+1"),
            &format!("{token}-x"),
            &format!("{token}x-1"),
        ] {
            assert_eq!(t.index_of(bad), None, "{bad:?}");
        }
        assert!(!format!("{t:?}").contains(token));
    }
}
