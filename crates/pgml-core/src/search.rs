//! Hyperparameter search: the candidate sets of a `grid` or `random` search over `search_params`
//! (PostgresML's arguments: `search_params` maps names to lists of values; `search_args` takes
//! `cv` and, for random search, `n_iter`).

use serde_json::{Map, Value as Json};

use crate::split::SplitMix64;
use crate::{Error, Result};

/// More combinations than this is almost certainly a mistake (and hours of training).
pub const MAX_CANDIDATES: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    Grid,
    Random,
}

impl Search {
    pub fn parse(s: &str) -> Result<Search> {
        match s {
            "grid" => Ok(Search::Grid),
            "random" => Ok(Search::Random),
            _ => Err(Error::invalid_with_hint(
                format!("unknown search \"{s}\""),
                "use grid or random",
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchArgs {
    pub cv: usize,
    pub n_iter: usize,
    pub random_state: u64,
}

pub fn parse_args(args: &Json) -> Result<SearchArgs> {
    let empty = Map::new();
    let object = match args {
        Json::Null => &empty,
        Json::Object(o) => o,
        _ => {
            return Err(Error::invalid(
                "search_args must be a JSON object, e.g. '{\"cv\": 3}'",
            ))
        }
    };
    let int = |name: &str, default: u64, min: u64| -> Result<u64> {
        match object.get(name) {
            None | Some(Json::Null) => Ok(default),
            Some(v) => v.as_u64().filter(|&n| n >= min).ok_or_else(|| {
                Error::invalid(format!(
                    "search_args {name} must be a whole number of at least {min}, got {v}"
                ))
            }),
        }
    };
    for k in object.keys() {
        if !["cv", "n_iter", "random_state"].contains(&k.as_str()) {
            return Err(Error::invalid_with_hint(
                format!("unknown search_args entry \"{k}\""),
                "known: cv, n_iter, random_state",
            ));
        }
    }
    Ok(SearchArgs {
        cv: int("cv", 3, 2)? as usize,
        n_iter: int("n_iter", 10, 1)? as usize,
        random_state: int("random_state", 0, 0)?,
    })
}

/// The hyperparameter sets to try: `base` (the train call's `hyperparams`) with each combination
/// of `search_params` laid over it.
pub fn candidates(
    search: Search,
    base: &Json,
    search_params: &Json,
    args: &SearchArgs,
) -> Result<Vec<Json>> {
    let base = match base {
        Json::Null => Map::new(),
        Json::Object(o) => o.clone(),
        _ => return Err(Error::invalid("hyperparams must be a JSON object")),
    };
    let grid = match search_params {
        Json::Object(o) if !o.is_empty() => o,
        _ => return Err(Error::invalid_with_hint(
            "a search needs search_params: an object of hyperparameter names to lists of values",
            r#"for example search_params => '{"alpha": [0.1, 1, 10]}'"#,
        )),
    };
    let mut axes: Vec<(&String, &Vec<Json>)> = Vec::new();
    for (name, values) in grid {
        match values {
            Json::Array(v) if !v.is_empty() => axes.push((name, v)),
            _ => {
                return Err(Error::invalid(format!(
                    "search_params \"{name}\" must be a non-empty list of values, got {values}"
                )))
            }
        }
    }
    let total = axes
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
    let total = match total {
        Some(t) if t <= MAX_CANDIDATES || search == Search::Random => t,
        _ => {
            return Err(Error::invalid_with_hint(
                format!("the grid has more than {MAX_CANDIDATES} combinations"),
                "use search => 'random' with search_args '{\"n_iter\": ...}', or fewer values",
            ))
        }
    };
    let combination = |mut index: usize| -> Json {
        let mut set = base.clone();
        for (name, values) in &axes {
            set.insert((*name).clone(), values[index % values.len()].clone());
            index /= values.len();
        }
        Json::Object(set)
    };
    match search {
        Search::Grid => Ok((0..total).map(combination).collect()),
        Search::Random => {
            let mut rng = SplitMix64(args.random_state);
            let n = args.n_iter.min(total);
            let mut chosen: Vec<usize> = Vec::with_capacity(n);
            while chosen.len() < n {
                let i = rng.below(total);
                if !chosen.contains(&i) {
                    chosen.push(i);
                }
            }
            Ok(chosen.into_iter().map(combination).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn grid_is_every_combination_over_the_base() {
        let c = candidates(
            Search::Grid,
            &json!({"fit_intercept": false}),
            &json!({"alpha": [0.1, 1], "max_iter": [10, 20, 30]}),
            &parse_args(&json!({})).unwrap(),
        )
        .unwrap();
        assert_eq!(c.len(), 6);
        assert!(c.iter().all(|s| s["fit_intercept"] == json!(false)));
        assert!(c.contains(&json!({"fit_intercept": false, "alpha": 1, "max_iter": 30})));
    }

    #[test]
    fn random_takes_n_iter_distinct_combinations_reproducibly() {
        let args = parse_args(&json!({"n_iter": 4, "random_state": 7})).unwrap();
        let p = json!({"alpha": [1, 2, 3, 4, 5], "l1_ratio": [0.1, 0.5, 0.9]});
        let a = candidates(Search::Random, &Json::Null, &p, &args).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(
            a,
            candidates(Search::Random, &Json::Null, &p, &args).unwrap()
        );
        let mut dedup = a.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), 4);
    }

    #[test]
    fn bad_search_input_is_explained() {
        let args = parse_args(&json!({})).unwrap();
        assert!(candidates(Search::Grid, &Json::Null, &json!({}), &args).is_err());
        let e = candidates(Search::Grid, &Json::Null, &json!({"alpha": 1}), &args).unwrap_err();
        assert!(e.to_string().contains("must be a non-empty list"), "{e}");
        assert!(parse_args(&json!({"cv": 1})).is_err());
        assert!(parse_args(&json!({"folds": 3})).is_err());
        assert_eq!(args.cv, 3);
    }
}
