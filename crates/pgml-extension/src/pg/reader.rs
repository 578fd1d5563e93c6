//! Reads training data through an SPI cursor in batches, straight into one column-major `f32`
//! buffer per feature, checking for NULLs, NaN and ragged arrays as it goes.

use pgml_core::labels::ClassColumn;
use pgml_core::model::{encode_categories, Feature};
use pgml_core::Matrix;

use crate::error::{PgmlError, Result};
use crate::pg::quote_ident;
use crate::pg::relation::{Column, ColumnKind};
use crate::pg::spi;

const BATCH_ROWS: i64 = 10_000;

/// How the label column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelRead {
    /// Regression: a number.
    Value,
    /// Classification: the label's text, mapped to class codes afterwards.
    Class,
}

#[derive(Debug)]
pub struct Data {
    pub x: Matrix,
    pub features: Vec<Feature>,
    /// Numeric labels, row-major: one value per label column read as `LabelRead::Value`, per row
    /// (several for `pgml.train_joint`).
    pub values: Vec<f32>,
    /// Classification labels: each distinct text once, an index per row.
    pub class_labels: ClassColumn,
}

/// Reads `features` (and the `labels`) from `source` (a quoted relation name); messages call it `shown`
/// (the user's relation, when `source` is its snapshot). `nullable[i]`: feature
/// i may be NULL (it is imputed, or the algorithm takes missing values); its NULLs (an array's
/// NULL elements too) are read as NaN.
pub fn read(
    source: &str,
    shown: &str,
    features: &[Column],
    nullable: &[bool],
    labels: &[(&Column, LabelRead)],
) -> Result<Data> {
    let mut exprs: Vec<String> = features.iter().map(Column::feature_expr).collect();
    for &(column, how) in labels {
        let c = quote_ident(&column.name);
        exprs.push(match (how, column.kind) {
            (LabelRead::Value, ColumnKind::Bool) => format!("{c}::int::float8"),
            (LabelRead::Value, _) => format!("{c}::float8"),
            (LabelRead::Class, _) => format!("{c}::text"),
        });
    }
    let query = format!("SELECT {} FROM {source}", exprs.join(", "));

    // One growing buffer per input column; arrays get their width from the first row.
    let mut widths: Vec<Option<usize>> = features
        .iter()
        .map(|c| (!c.is_array()).then_some(1))
        .collect();
    let mut columns: Vec<Vec<f32>> = vec![Vec::new(); features.len()];
    // Text (categorical) columns are read as text and encoded once all rows are in.
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); features.len()];
    let mut values = Vec::new();
    let mut class_labels = ClassColumn::new();
    let mut rows = 0usize;

    spi::for_each_row(&query, BATCH_ROWS, |row| {
        rows += 1;
        for (i, column) in features.iter().enumerate() {
            if column.kind == ColumnKind::Text {
                let v: Option<String> = row.get(i + 1)?;
                texts[i].push(v.ok_or_else(|| null_feature(column, rows))?);
            } else if column.is_array() {
                let v: Option<Vec<Option<f64>>> = row.get(i + 1)?;
                let v = v.ok_or_else(|| null_feature(column, rows))?;
                let width = *widths[i].get_or_insert(v.len());
                if width == 0 {
                    return Err(PgmlError::data(format!(
                        "array column \"{}\" is empty in row {rows}",
                        column.name
                    ))
                    .hint("an array feature needs at least one value per row"));
                }
                if v.len() != width {
                    return Err(PgmlError::data(format!(
                        "array column \"{}\" has {} values in row {rows} but {width} in the first row",
                        column.name,
                        v.len()
                    ))
                    .hint("every row of an array feature must have the same length"));
                }
                for x in v {
                    match x {
                        Some(x) => columns[i].push(finite(x, column, rows)?),
                        None if nullable.get(i).copied().unwrap_or(false) => {
                            columns[i].push(f32::NAN)
                        }
                        None => return Err(null_feature(column, rows)),
                    }
                }
            } else {
                let x: Option<f64> = row.get(i + 1)?;
                match x {
                    Some(x) => columns[i].push(finite(x, column, rows)?),
                    None if nullable.get(i).copied().unwrap_or(false) => columns[i].push(f32::NAN),
                    None => return Err(null_feature(column, rows)),
                }
            }
        }
        for (j, &(column, how)) in labels.iter().enumerate() {
            let at = features.len() + j + 1;
            let null_label = || {
                PgmlError::null(format!(
                    "label column \"{}\" is NULL in row {rows}",
                    column.name
                ))
                .hint("leave such rows out with a view: WHERE label IS NOT NULL")
            };
            match how {
                LabelRead::Value => {
                    let y: Option<f64> = row.get(at)?;
                    let y = y.ok_or_else(null_label)?;
                    if !y.is_finite() {
                        return Err(PgmlError::data(format!(
                            "label column \"{}\" is {y} in row {rows}",
                            column.name
                        ))
                        .hint("labels must be finite numbers"));
                    }
                    values.push(y as f32);
                }
                LabelRead::Class => {
                    let y: Option<String> = row.get(at)?;
                    let y = y.ok_or_else(null_label)?;
                    // A numeric NaN or infinite label is no class anyone can mean (checked at
                    // its first row, the row named).
                    if class_labels.push(&y)
                        && column.kind == ColumnKind::Number
                        && y.parse::<f64>().is_ok_and(|v| !v.is_finite())
                    {
                        return Err(PgmlError::data(format!(
                            "label column \"{}\" is {y} in row {rows}",
                            column.name
                        ))
                        .hint("class labels must be finite numbers, booleans or text"));
                    }
                }
            }
        }
        Ok(())
    })?;

    if rows == 0 {
        return Err(
            PgmlError::data(format!("relation {shown} has no rows to train on"))
                .hint("check the relation, or the view's WHERE clause"),
        );
    }
    let mut feature_info = Vec::with_capacity(features.len());
    let mut data = Vec::with_capacity(rows * columns.len());
    for (i, column) in features.iter().enumerate() {
        let width = widths[i].unwrap_or(0);
        let categories = if column.kind == ColumnKind::Text {
            let (categories, codes) = encode_categories(&std::mem::take(&mut texts[i]));
            columns[i] = codes;
            Some(categories)
        } else {
            None
        };
        feature_info.push(Feature {
            name: column.name.clone(),
            pg_type: column.type_name.clone(),
            width,
            categories,
            prep: Default::default(),
        });
        // An array column's values arrived row by row; the matrix wants each element as a column.
        // Each column is freed once copied, so the matrix and its source never both exist whole.
        let column_values = std::mem::take(&mut columns[i]);
        if width == 1 {
            data.extend_from_slice(&column_values);
        } else {
            for k in 0..width {
                data.extend(column_values.iter().skip(k).step_by(width));
            }
        }
    }
    let width: usize = feature_info.iter().map(|f| f.width).sum();
    let x = Matrix::from_columns(rows, width, data)?;
    Ok(Data {
        x,
        features: feature_info,
        values,
        class_labels,
    })
}

fn null_feature(column: &Column, row: usize) -> PgmlError {
    PgmlError::null(format!(
        "feature column \"{}\" is NULL in row {row}",
        column.name
    ))
    .hint(format!(
        "impute it with preprocess => '{{\"{}\": {{\"impute\": \"mean\"}}}}', fill or leave out NULLs with a view (COALESCE, or WHERE ... IS NOT NULL), or train an algorithm that takes missing values in number columns: {}",
        column.name.replace('\'', "''"),
        pgml_core::algorithms::registry::HANDLE_MISSING_VALUES.join(", ")
    ))
}

fn finite(x: f64, column: &Column, row: usize) -> Result<f32> {
    if !x.is_finite() {
        return Err(PgmlError::data(format!(
            "feature column \"{}\" is {x} in row {row}",
            column.name
        ))
        .hint("features must be finite numbers; leave such rows out with a view"));
    }
    let narrow = x as f32;
    if !narrow.is_finite() {
        return Err(PgmlError::data(format!(
            "feature column \"{}\" is {x:e} in row {row}, beyond the range of real (about ±3.4e38)",
            column.name
        ))
        .hint("pgml trains on real (32-bit) values: scale the column in a view"));
    }
    Ok(narrow)
}
