//! The built-in toy datasets of `pgml.load_dataset`, shipped inside the binary: table names,
//! columns and types as PostgresML creates them, so its examples run unchanged.

use crate::{Error, Result};

#[derive(Debug)]
pub struct ToyDataset {
    pub name: &'static str,
    /// Column names and PostgreSQL types, in table order.
    pub columns: &'static [(&'static str, &'static str)],
    csv: &'static str,
}

const F: &str = "real";

pub const ALL: &[ToyDataset] = &[
    ToyDataset {
        name: "breast_cancer",
        columns: &[
            ("mean radius", F),
            ("mean texture", F),
            ("mean perimeter", F),
            ("mean area", F),
            ("mean smoothness", F),
            ("mean compactness", F),
            ("mean concavity", F),
            ("mean concave points", F),
            ("mean symmetry", F),
            ("mean fractal dimension", F),
            ("radius error", F),
            ("texture error", F),
            ("perimeter error", F),
            ("area error", F),
            ("smoothness error", F),
            ("compactness error", F),
            ("concavity error", F),
            ("concave points error", F),
            ("symmetry error", F),
            ("fractal dimension error", F),
            ("worst radius", F),
            ("worst texture", F),
            ("worst perimeter", F),
            ("worst area", F),
            ("worst smoothness", F),
            ("worst compactness", F),
            ("worst concavity", F),
            ("worst concave points", F),
            ("worst symmetry", F),
            ("worst fractal dimension", F),
            ("malignant", "boolean"),
        ],
        csv: include_str!("../datasets/breast_cancer.csv"),
    },
    ToyDataset {
        name: "diabetes",
        columns: &[
            ("age", F),
            ("sex", F),
            ("bmi", F),
            ("bp", F),
            ("s1", F),
            ("s2", F),
            ("s3", F),
            ("s4", F),
            ("s5", F),
            ("s6", F),
            ("target", F),
        ],
        csv: include_str!("../datasets/diabetes.csv"),
    },
    ToyDataset {
        name: "digits",
        columns: &[("image", "smallint[][]"), ("target", "smallint")],
        csv: include_str!("../datasets/digits.csv"),
    },
    ToyDataset {
        name: "iris",
        columns: &[
            ("sepal_length", F),
            ("sepal_width", F),
            ("petal_length", F),
            ("petal_width", F),
            ("target", "integer"),
        ],
        csv: include_str!("../datasets/iris.csv"),
    },
    ToyDataset {
        name: "linnerud",
        columns: &[
            ("chins", F),
            ("situps", F),
            ("jumps", F),
            ("weight", F),
            ("waist", F),
            ("pulse", F),
        ],
        csv: include_str!("../datasets/linnerud.csv"),
    },
    ToyDataset {
        name: "wine",
        columns: &[
            ("alcohol", F),
            ("malic_acid", F),
            ("ash", F),
            ("alcalinity_of_ash", F),
            ("magnesium", F),
            ("total_phenols", F),
            ("flavanoids", F),
            ("nonflavanoid_phenols", F),
            ("proanthocyanins", F),
            ("color_intensity", F),
            ("hue", F),
            ("od280/od315_of_diluted_wines", F),
            ("proline", F),
            ("target", "integer"),
        ],
        csv: include_str!("../datasets/wine.csv"),
    },
];

pub fn find(name: &str) -> Result<&'static ToyDataset> {
    ALL.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|d| d.name).collect();
        Error::invalid_with_hint(
            format!("unknown dataset \"{name}\""),
            format!("built-in datasets: {}", names.join(", ")),
        )
    })
}

impl ToyDataset {
    /// The data rows as text fields, in column order (the CSV header is skipped).
    pub fn rows(&self) -> impl Iterator<Item = Vec<&'static str>> {
        self.csv
            .lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(split_csv_line)
    }
}

/// Splits one line of our own CSV: fields may be double-quoted (array literals with commas) and
/// never contain quotes themselves.
fn split_csv_line(line: &'static str) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped.find('"').unwrap_or(stripped.len());
            fields.push(&stripped[..end]);
            rest = stripped.get(end + 1..).unwrap_or("");
            rest = rest.strip_prefix(',').unwrap_or(rest);
            if rest.is_empty() {
                break;
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    fields.push(&rest[..i]);
                    rest = &rest[i + 1..];
                }
                None => {
                    fields.push(rest);
                    break;
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_has_the_expected_shape() {
        let expected = [
            ("breast_cancer", 569),
            ("diabetes", 442),
            ("digits", 1797),
            ("iris", 150),
            ("linnerud", 20),
            ("wine", 178),
        ];
        for (name, rows) in expected {
            let d = find(name).unwrap();
            let all: Vec<Vec<&str>> = d.rows().collect();
            assert_eq!(all.len(), rows, "{name}");
            assert!(
                all.iter().all(|r| r.len() == d.columns.len()),
                "{name}: ragged rows"
            );
        }
    }

    #[test]
    fn quoted_array_fields_and_booleans_parse() {
        let first = find("digits").unwrap().rows().next().unwrap();
        assert!(first[0].starts_with("{{0,0,5,13"), "{first:?}");
        assert_eq!(first[1], "0");
        let bc = find("breast_cancer").unwrap().rows().next().unwrap();
        assert_eq!(bc[30], "true");
    }

    #[test]
    fn unknown_names_list_the_datasets() {
        let e = find("mnist").unwrap_err();
        assert_eq!(
            e.hint(),
            Some("built-in datasets: breast_cancer, diabetes, digits, iris, linnerud, wine")
        );
    }
}
