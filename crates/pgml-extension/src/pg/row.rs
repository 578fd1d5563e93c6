//! Features from a composite row (`pgml.predict('project', t) FROM t`), matched to the model's
//! features by column name, so extra columns (the label) are ignored and order does not matter.

use std::num::NonZeroUsize;

use pgml_core::model::Model;
use pgrx::heap_tuple::PgHeapTuple;
use pgrx::prelude::*;
use pgrx::{AnyElement, AnyNumeric};

use crate::error::{PgmlError, Result};

/// The model's feature vector out of `row`: a composite (matched by name) or a numeric array of
/// a type the typed overloads do not cover (numeric[]).
pub fn features(model: &Model, row: &AnyElement) -> Result<Vec<f32>> {
    let oid = row.oid();
    // SAFETY: plain catalog lookups on a valid type oid.
    let is_row = unsafe { pg_sys::type_is_rowtype(oid) };
    if !is_row {
        let values = array_values(oid, row.datum(), "features")?;
        return Ok(values);
    }
    // SAFETY: the datum is of a row type (checked above), so it is a composite datum.
    let tuple = unsafe { PgHeapTuple::from_composite_datum(row.datum()) };
    let names: Vec<String> = tuple
        .attributes()
        .map(|(_, a)| a.name().to_string())
        .collect();
    let missing: Vec<&str> = model
        .features
        .iter()
        .filter(|f| !names.iter().any(|n| n == &f.name))
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(PgmlError::invalid(format!(
            "the row lacks the model's feature column(s): {}",
            missing.join(", ")
        ))
        .hint(format!("the row has: {}", names.join(", "))));
    }
    let mut x = Vec::with_capacity(model.num_inputs());
    for f in &model.features {
        let (index, attribute) = tuple.get_attribute_by_name(&f.name).ok_or_else(|| {
            PgmlError::invalid(format!("column \"{}\" vanished from the row", f.name))
        })?;
        let type_oid = attribute.type_oid().value();
        let before = x.len();
        if f.categories.is_some() {
            // A text feature: the row's value, encoded with the categories seen in training.
            let value: Option<String> = tuple.get_by_index::<String>(index).map_err(|_| {
                PgmlError::new(
                    PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
                    format!(
                        "column \"{}\" must be text, as in training; the row has {}",
                        f.name,
                        type_name(type_oid)
                    ),
                )
                .hint(format!("cast it in the query: {}::text", f.name))
            })?;
            let value = value
                .ok_or_else(|| PgmlError::null(format!("feature column \"{}\" is NULL", f.name)))?;
            x.push(f.encode(&value)?);
            continue;
        }
        // A NULL the model imputes, or its algorithm takes as missing, is passed on as NaN; any
        // other NULL is an error.
        read_attribute(
            &tuple,
            index,
            type_oid,
            &f.name,
            f.prep.impute.is_some() || model.algorithm.handles_missing_values(),
            &mut x,
        )?;
        if x.len() - before != f.width {
            return Err(PgmlError::invalid(format!(
                "column \"{}\" gives {} value(s); the model was trained on {} ({})",
                f.name,
                x.len() - before,
                f.width,
                f.pg_type
            )));
        }
    }
    Ok(x)
}

fn read_attribute(
    tuple: &PgHeapTuple<'_, pgrx::AllocatedByRust>,
    index: NonZeroUsize,
    type_oid: pg_sys::Oid,
    name: &str,
    imputed: bool,
    x: &mut Vec<f32>,
) -> Result<()> {
    let null = || {
        PgmlError::null(format!("feature column \"{name}\" is NULL")).hint(format!(
            "predict needs every feature: fill NULLs with COALESCE, or train with preprocess => '{{\"{}\": {{\"impute\": \"mean\"}}}}' so that the model imputes them",
            name.replace('\'', "''")
        ))
    };
    let bad =
        |e: pgrx::datum::TryFromDatumError| PgmlError::invalid(format!("column \"{name}\": {e}"));
    macro_rules! scalar {
        ($t:ty) => {
            match tuple.get_by_index::<$t>(index).map_err(bad)? {
                Some(v) => v,
                None if imputed => {
                    x.push(f32::NAN);
                    return Ok(());
                }
                None => return Err(null()),
            }
        };
    }
    let v: f32 = match type_oid {
        pg_sys::FLOAT4OID => scalar!(f32),
        pg_sys::FLOAT8OID => scalar!(f64) as f32,
        pg_sys::INT2OID => f32::from(scalar!(i16)),
        pg_sys::INT4OID => scalar!(i32) as f32,
        pg_sys::INT8OID => scalar!(i64) as f32,
        pg_sys::BOOLOID => f32::from(u8::from(scalar!(bool))),
        pg_sys::NUMERICOID => {
            let n: AnyNumeric = scalar!(AnyNumeric);
            f64::try_from(n).map_err(|e| PgmlError::invalid(format!("column \"{name}\": {e}")))?
                as f32
        }
        _ => {
            macro_rules! array {
                ($t:ty, $f:expr) => {{
                    let values = tuple
                        .get_by_index::<pgrx::Array<'_, $t>>(index)
                        .map_err(bad)?
                        .ok_or_else(null)?;
                    for v in values.iter() {
                        match v {
                            Some(v) => x.push(not_nan($f(v), name)?),
                            None if imputed => x.push(f32::NAN),
                            None => return Err(null()),
                        }
                    }
                    return Ok(());
                }};
            }
            match type_oid {
                pg_sys::FLOAT4ARRAYOID => array!(f32, |v: f32| v),
                pg_sys::FLOAT8ARRAYOID => array!(f64, |v: f64| v as f32),
                pg_sys::INT2ARRAYOID => array!(i16, f32::from),
                pg_sys::INT4ARRAYOID => array!(i32, |v: i32| v as f32),
                pg_sys::INT8ARRAYOID => array!(i64, |v: i64| v as f32),
                pg_sys::BOOLARRAYOID => array!(bool, |v: bool| f32::from(u8::from(v))),
                other => return Err(unusable(other, name)),
            }
        }
    };
    x.push(not_nan(v, name)?);
    Ok(())
}

/// NaN is a value, not a missing one: a model never saw it in training (pgml refuses NaN there
/// too), so it is refused here rather than imputed or reported as NULL.
fn not_nan(v: f32, name: &str) -> Result<f32> {
    if v.is_nan() {
        return Err(
            PgmlError::data(format!("feature column \"{name}\" is NaN")).hint(
                "predict needs finite numbers; pass NULL for a missing value the model imputes",
            ),
        );
    }
    Ok(v)
}

/// The values of a numeric or boolean array datum of type `type_oid`.
fn array_values(type_oid: pg_sys::Oid, datum: pg_sys::Datum, name: &str) -> Result<Vec<f32>> {
    macro_rules! collect {
        ($t:ty, $f:expr) => {{
            // SAFETY: the datum is a non-NULL array whose type oid was matched to $t just above.
            let array =
                unsafe { Vec::<Option<$t>>::from_polymorphic_datum(datum, false, type_oid) }
                    .unwrap_or_default();
            array
                .into_iter()
                .map(|v| {
                    v.map($f)
                        .ok_or_else(|| {
                            PgmlError::null(format!("an element of \"{name}\" is NULL"))
                                .hint("predict needs every feature; fill NULLs with COALESCE")
                        })
                        .and_then(|v| not_nan(v, name))
                })
                .collect::<Result<Vec<f32>>>()
        }};
    }
    match type_oid {
        pg_sys::FLOAT4ARRAYOID => collect!(f32, |v: f32| v),
        pg_sys::FLOAT8ARRAYOID => collect!(f64, |v: f64| v as f32),
        pg_sys::INT2ARRAYOID => collect!(i16, f32::from),
        pg_sys::INT4ARRAYOID => collect!(i32, |v: i32| v as f32),
        pg_sys::INT8ARRAYOID => collect!(i64, |v: i64| v as f32),
        pg_sys::BOOLARRAYOID => collect!(bool, |v: bool| f32::from(u8::from(v))),
        pg_sys::NUMERICARRAYOID => collect!(AnyNumeric, |v: AnyNumeric| f64::try_from(v)
            .map_or(f32::NAN, |f| f as f32)),
        other => Err(unusable(other, name)),
    }
}

fn unusable(type_oid: pg_sys::Oid, name: &str) -> PgmlError {
    // SAFETY: format_type_be on a valid type oid returns a palloc'd C string.
    let type_name = unsafe { std::ffi::CStr::from_ptr(pg_sys::format_type_be(type_oid)) }
        .to_string_lossy()
        .into_owned();
    PgmlError::new(
        PgSqlErrorCode::ERRCODE_DATATYPE_MISMATCH,
        format!("\"{name}\" has type {type_name}, which cannot be a feature"),
    )
    .hint("features are numbers, booleans, or arrays of them")
}

/// A type's SQL name, for messages.
fn type_name(oid: pg_sys::Oid) -> String {
    crate::pg::spi::read_one::<String>("SELECT pg_catalog.format_type($1, NULL)", &[oid.into()])
        .ok()
        .flatten()
        .unwrap_or_else(|| format!("type {}", oid.to_u32()))
}
