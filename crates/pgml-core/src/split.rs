//! Train/test splits: `random`, `last` and `stratified`, with `test_size` as a fraction or a count.

use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Rows shuffled with a recorded seed.
    Random,
    /// The last rows in the relation's order are the test set (for time-ordered data).
    Last,
    /// Each class keeps its proportion in both sets (classification); random otherwise.
    Stratified,
}

impl Sampling {
    pub fn parse(s: &str) -> Result<Sampling> {
        match s {
            "random" => Ok(Sampling::Random),
            "last" => Ok(Sampling::Last),
            "stratified" => Ok(Sampling::Stratified),
            _ => Err(Error::invalid_with_hint(
                format!("unknown test_sampling \"{s}\""),
                "use one of: random, last, stratified",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sampling::Random => "random",
            Sampling::Last => "last",
            Sampling::Stratified => "stratified",
        }
    }
}

/// How many of `n` rows go to the test set. `test_size` in (0, 1) is a fraction (rounded up, as
/// scikit-learn does); a whole number ≥ 1 is a row count.
pub fn test_rows(n: usize, test_size: f64) -> Result<usize> {
    validate_test_size(test_size)?;
    let count = if test_size < 1.0 {
        (n as f64 * test_size).ceil() as usize
    } else {
        test_size as usize
    };
    if count == 0 || count >= n {
        return Err(Error::bad_data(
            format!(
                "{n} rows cannot be split into a test set of {count} and a non-empty training set"
            ),
            "use more rows or a smaller test_size",
        ));
    }
    Ok(count)
}

/// Checks `test_size` alone: a fraction in (0, 1) or a whole number of rows.
pub fn validate_test_size(test_size: f64) -> Result<()> {
    if !test_size.is_finite() || test_size <= 0.0 {
        return Err(Error::invalid_with_hint(
            format!("test_size must be positive, got {test_size}"),
            "use a fraction such as 0.25, or a number of rows such as 100",
        ));
    }
    if test_size >= 1.0 && test_size.fract() != 0.0 {
        return Err(Error::invalid_with_hint(
            format!(
                "test_size {test_size} is neither a fraction below 1 nor a whole number of rows"
            ),
            "use a fraction such as 0.25, or a number of rows such as 100",
        ));
    }
    Ok(())
}

/// The indices of the training and test rows. `classes` (one code per row) is needed for
/// stratification; without it stratified sampling is random.
pub fn split(
    n: usize,
    test_size: f64,
    sampling: Sampling,
    classes: Option<&[u32]>,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let n_test = test_rows(n, test_size)?;
    let mut rng = SplitMix64(seed);
    match (sampling, classes) {
        (Sampling::Last, _) => Ok(((0..n - n_test).collect(), (n - n_test..n).collect())),
        (Sampling::Stratified, Some(classes)) => stratified(n, n_test, classes, &mut rng),
        (Sampling::Random | Sampling::Stratified, _) => {
            let mut idx: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut idx);
            let test = idx.split_off(n - n_test);
            Ok((idx, test))
        }
    }
}

fn stratified(
    n: usize,
    n_test: usize,
    classes: &[u32],
    rng: &mut SplitMix64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    if classes.len() != n {
        return Err(Error::invalid(
            "one class code per row is needed to stratify",
        ));
    }
    let k = classes.iter().max().map_or(0, |&m| m as usize + 1);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in classes.iter().enumerate() {
        groups[c as usize].push(i);
    }
    // Largest-remainder allocation: each class gets its proportional share, rounded so the total
    // is exactly n_test.
    let exact: Vec<f64> = groups
        .iter()
        .map(|g| g.len() as f64 * n_test as f64 / n as f64)
        .collect();
    let mut take: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut missing = n_test - take.iter().sum::<usize>();
    for &c in order.iter().cycle().take(k * 2) {
        if missing == 0 {
            break;
        }
        if take[c] < groups[c].len() {
            take[c] += 1;
            missing -= 1;
        }
    }
    let (mut train, mut test) = (Vec::with_capacity(n - n_test), Vec::with_capacity(n_test));
    for (g, t) in groups.iter_mut().zip(take) {
        rng.shuffle(g);
        test.extend_from_slice(&g[..t]);
        train.extend_from_slice(&g[t..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    Ok((train, test))
}

/// A small, fast, seedable generator (SplitMix64): splits must be reproducible from the seed
/// recorded with the snapshot, on every platform and version.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, bound).
    pub fn below(&mut self, bound: usize) -> usize {
        ((self.next_u64() as u128 * bound as u128) >> 64) as usize
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_round_up_and_counts_are_exact() {
        assert_eq!(test_rows(442, 0.25).unwrap(), 111);
        assert_eq!(test_rows(100, 0.25).unwrap(), 25);
        assert_eq!(test_rows(100, 10.0).unwrap(), 10);
    }

    #[test]
    fn bad_test_sizes_are_refused() {
        for bad in [0.0, -0.5, f64::NAN, f64::INFINITY, 2.5] {
            assert!(
                matches!(test_rows(100, bad), Err(Error::InvalidParameter { .. })),
                "{bad}"
            );
        }
        assert!(matches!(test_rows(100, 100.0), Err(Error::BadData { .. })));
        assert!(matches!(test_rows(1, 0.25), Err(Error::BadData { .. })));
    }

    #[test]
    fn random_split_is_a_reproducible_partition() {
        let (train, test) = split(100, 0.2, Sampling::Random, None, 7).unwrap();
        assert_eq!((train.len(), test.len()), (80, 20));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(split(100, 0.2, Sampling::Random, None, 7).unwrap().1, test);
        assert_ne!(split(100, 0.2, Sampling::Random, None, 8).unwrap().1, test);
    }

    #[test]
    fn last_takes_the_tail() {
        let (train, test) = split(10, 0.3, Sampling::Last, None, 0).unwrap();
        assert_eq!(train, (0..7).collect::<Vec<_>>());
        assert_eq!(test, vec![7, 8, 9]);
    }

    #[test]
    fn stratified_keeps_proportions() {
        // 90 of class 0, 10 of class 1: a 20% test set has 18 and 2.
        let classes: Vec<u32> = (0..100).map(|i| u32::from(i >= 90)).collect();
        let (train, test) = split(100, 0.2, Sampling::Stratified, Some(&classes), 3).unwrap();
        assert_eq!(test.len(), 20);
        assert_eq!(test.iter().filter(|&&i| classes[i] == 1).count(), 2);
        assert_eq!(train.iter().filter(|&&i| classes[i] == 1).count(), 8);
    }

    #[test]
    fn stratified_total_is_exact_with_uneven_classes() {
        let classes: Vec<u32> = (0..150).map(|i| (i % 3) as u32).collect();
        let (train, test) = split(150, 0.25, Sampling::Stratified, Some(&classes), 1).unwrap();
        assert_eq!(test.len(), 38);
        assert_eq!(train.len(), 112);
        for c in 0..3 {
            let t = test.iter().filter(|&&i| classes[i] == c).count();
            assert!((12..=13).contains(&t), "class {c}: {t}");
        }
    }
}
