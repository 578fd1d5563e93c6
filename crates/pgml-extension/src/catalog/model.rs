//! `pgml.models` and `pgml.files`: a model row and its bytes in checksummed parts.

use pgml_core::file_parts;
use pgml_core::metrics::Metrics;
use pgml_core::model::Model;
use pgrx::prelude::*;

use crate::error::{PgmlError, Result};
use crate::pg::privilege::as_owner;
use crate::pg::spi::read_one;

/// The file path of the serialized model inside `pgml.files` (the one predict reads); library
/// models kept for export sit beside it under their own paths (`xgboost.json`).
pub const MODEL_PATH: &str = "model.pgml";

/// How a model's hyperparameters were chosen: (search, search_params, search_args).
pub type SearchInfo<'a> = (&'a str, &'a serde_json::Value, &'a serde_json::Value);

/// Stores a trained model: its row (what the catalog shows, with `plots`, the dashboard's plot
/// data) and its bytes (what predict reads), written as the extension's owner: the caller's right
/// to train the project was checked.
pub fn insert(
    project_id: i64,
    snapshot_id: i64,
    model: &Model,
    metrics: &Metrics,
    search: Option<SearchInfo<'_>>,
    plots: &serde_json::Value,
) -> Result<i64> {
    as_owner(|| insert_as_owner(project_id, snapshot_id, model, metrics, search, plots))
}

/// A tree model's feature importances by input name (`column`, `column=category` for a one-hot
/// input, `column[i]` for an array element), as `pgml.models.feature_importances` holds them.
pub fn importances_json(model: &Model) -> Option<serde_json::Value> {
    let importances = model.estimator.feature_importances()?;
    let mut names = Vec::with_capacity(importances.len());
    for f in &model.features {
        let width = f.output_width();
        match (&f.categories, f.prep.one_hot) {
            (Some(categories), true) => {
                names.extend(categories.iter().map(|c| format!("{}={c}", f.name)));
            }
            _ if width == 1 => names.push(f.name.clone()),
            _ => names.extend((1..=width).map(|i| format!("{}[{i}]", f.name))),
        }
    }
    if names.len() != importances.len() {
        return None;
    }
    Some(serde_json::Value::Object(
        names
            .into_iter()
            .zip(importances)
            .map(|(n, v)| (n, serde_json::json!(v)))
            .collect(),
    ))
}

fn insert_as_owner(
    project_id: i64,
    snapshot_id: i64,
    model: &Model,
    metrics: &Metrics,
    search: Option<SearchInfo<'_>>,
    plots: &serde_json::Value,
) -> Result<i64> {
    let hyperparams: serde_json::Value = serde_json::from_str(&model.hyperparams)
        .map_err(|e| PgmlError::data(format!("hyperparameters do not serialize: {e}")))?;
    let features = serde_json::to_value(&model.features)
        .map_err(|e| PgmlError::data(format!("features do not serialize: {e}")))?;
    let label_mapping = model.classes.as_ref().map(|classes| {
        serde_json::Value::Object(
            classes
                .iter()
                .enumerate()
                .map(|(code, label)| (label.clone(), serde_json::Value::from(code)))
                .collect(),
        )
    });
    let metrics = serde_json::to_value(metrics)
        .map_err(|e| PgmlError::data(format!("metrics do not serialize: {e}")))?;
    let feature_hash = pgml_core::package::feature_hash(
        model
            .features
            .iter()
            .map(|f| (f.name.as_str(), f.pg_type.as_str())),
    );
    let id = Spi::get_one_with_args::<i64>(
        "INSERT INTO pgml.models (project_id, snapshot_id, num_features, algorithm, runtime, hyperparams,
                                  status, metrics, features, label_mapping, search, search_params, search_args,
                                  feature_hash, feature_importances, plots)
         VALUES ($1, $2, $3, $4, 'rust', $5, 'successful', $6, $7, $8, $9::pgml.search,
                 coalesce($10, '{}'), coalesce($11, '{}'), $12, $13, $14)
         RETURNING id",
        &[
            project_id.into(),
            snapshot_id.into(),
            i32::try_from(model.num_inputs()).unwrap_or(i32::MAX).into(),
            model.algorithm.as_str().into(),
            pgrx::JsonB(hyperparams).into(),
            pgrx::JsonB(metrics).into(),
            pgrx::JsonB(features).into(),
            label_mapping.map(pgrx::JsonB).into(),
            search.map(|(kind, _, _)| kind).into(),
            search.map(|(_, p, _)| pgrx::JsonB(p.clone())).into(),
            search.map(|(_, _, a)| pgrx::JsonB(a.clone())).into(),
            feature_hash.into(),
            importances_json(model).map(pgrx::JsonB).into(),
            pgrx::JsonB(plots.clone()).into(),
        ],
    )?
    .ok_or_else(|| PgmlError::data("inserting the model returned no id"))?;

    let bytes = model.encode()?;
    let mut files = vec![(MODEL_PATH, bytes.as_slice())];
    files.extend(model.native_files());
    insert_files(id, files)?;
    Ok(id)
}

/// Stores a model's files in checksummed parts (the checksums computed here, from the bytes written).
/// Run as the extension's owner.
pub fn insert_files<'a>(
    id: i64,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<()> {
    for (path, bytes) in files {
        let parts = file_parts::split(bytes, file_parts::DEFAULT_PART_SIZE).map_err(|e| {
            PgmlError::data(format!(
                "model {id} file {path} cannot be split into parts: {e}"
            ))
        })?;
        for part in parts {
            Spi::run_with_args(
                "INSERT INTO pgml.files (model_id, path, part, data, checksum) VALUES ($1, $2, $3, $4, $5)",
                &[
                    id.into(),
                    path.into(),
                    part.part.into(),
                    part.data.into(),
                    part.checksum.to_vec().into(),
                ],
            )?;
        }
    }
    Ok(())
}

/// The project of model `id`, whoever may see it (callers check the caller's rights on it).
pub fn project_of(id: i64) -> Result<Option<i64>> {
    as_owner(|| {
        read_one::<i64>(
            "SELECT project_id FROM pgml.models WHERE id = $1",
            &[id.into()],
        )
    })
}

/// The project's newest model (the one whose snapshot `snapshot::last_for_project` reads).
pub fn newest_of_project(project_id: i64) -> Result<Option<i64>> {
    as_owner(|| {
        read_one::<i64>(
            "SELECT m.id FROM pgml.models m JOIN pgml.snapshots s ON s.id = m.snapshot_id
              WHERE m.project_id = $1 ORDER BY m.id DESC LIMIT 1",
            &[project_id.into()],
        )
    })
}

/// Reads model `id` back from its parts (verifying order and checksums) and decodes it.
/// Returns the project id with it; None when there is no such model. Model files are readable by
/// the extension's owner only: callers check the caller's right on the project first.
pub fn load(id: i64) -> Result<Option<(i64, Model)>> {
    as_owner(|| load_as_owner(id))
}

fn load_as_owner(id: i64) -> Result<Option<(i64, Model)>> {
    let Some(project_id) = project_of(id)? else {
        return Ok(None);
    };
    let bytes = read_file(id, MODEL_PATH)?;
    Ok(Some((project_id, Model::decode(&bytes)?)))
}

/// Every file of model `id`, whole (parts joined, checksums verified), ordered by path. Callers
/// check the caller's right on the project first.
pub fn read_files(id: i64) -> Result<Vec<(String, Vec<u8>)>> {
    as_owner(|| read_files_as_owner(id))
}

fn read_files_as_owner(id: i64) -> Result<Vec<(String, Vec<u8>)>> {
    let paths: Vec<String> = Spi::connect(|client| {
        client
            .select(
                "SELECT DISTINCT path FROM pgml.files WHERE model_id = $1 ORDER BY path",
                None,
                &[id.into()],
            )?
            .map(|row| Ok(row.get::<String>(1)?.unwrap_or_default()))
            .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
    })?;
    paths
        .into_iter()
        .map(|path| {
            let bytes = read_file(id, &path)?;
            Ok((path, bytes))
        })
        .collect()
}

/// One file of model `id` from its parts, verifying their order and checksums.
fn read_file(id: i64, path: &str) -> Result<Vec<u8>> {
    let parts: Vec<(i32, Vec<u8>, Vec<u8>)> = Spi::connect(|client| {
        let rows = client.select(
            "SELECT part, data, checksum FROM pgml.files WHERE model_id = $1 AND path = $2 ORDER BY part",
            None,
            &[id.into(), path.into()],
        )?;
        let mut parts = Vec::new();
        for row in rows {
            parts.push((
                row.get::<i32>(1)?.unwrap_or(-1),
                row.get::<Vec<u8>>(2)?.unwrap_or_default(),
                row.get::<Vec<u8>>(3)?.unwrap_or_default(),
            ));
        }
        Ok::<_, PgmlError>(parts)
    })?;
    file_parts::join(
        parts
            .iter()
            .map(|(p, d, c)| (*p, d.as_slice(), c.as_slice())),
    )
    .map_err(|e| damaged(id, path, e))
}

fn damaged(id: i64, path: &str, e: impl std::fmt::Display) -> PgmlError {
    PgmlError::new(
        pgrx::PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
        format!("model {id} file {path} cannot be read from pgml.files: {e}"),
    )
    .hint("restore pgml.files from a backup or dump, or train the model again")
}
