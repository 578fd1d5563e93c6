//! A model package: the bytes `pgml.export_models` returns and `pgml.import_models` (and
//! `pgml models export | import | push`) read. It carries models with their files, the snapshots
//! they were trained on (metadata and lineage, not the rows) and each project's deployment, so a
//! target server can predict exactly as the source does.
//!
//! Layout: magic `PGMLPKG\0`, format version (u32 LE), body length (u64 LE), the body (postcard),
//! then the SHA-256 of everything before it. The version is read before anything else, so a package
//! written by a newer pgml is refused with both versions named instead of failing as "damaged".
//! JSON values travel as text: postcard cannot carry self-describing values.
//!
//! Format 2 (pgml 0.4.0) adds each model's plot data (`pgml.models.plots`) and each snapshot's
//! column statistics (`pgml.snapshots.column_stats`), so an imported model shows its plots. A
//! package with neither is still written as format 1, which older pgml versions read.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

pub const MAGIC: [u8; 8] = *b"PGMLPKG\0";
/// Bump when the body's layout changes; older readers then refuse the package by name.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 8 + 4 + 8;
const CHECKSUM_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub source: Source,
    pub projects: Vec<Project>,
}

/// Where the package was exported: identifies the origin of every model it holds, so importing the
/// same package twice does not duplicate models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// `pg_control_system().system_identifier`: unique per cluster (and shared with its standbys).
    pub system_identifier: String,
    pub database: String,
    pub pgml_version: String,
    pub exported_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub name: String,
    pub task: String,
    pub models: Vec<ModelEntry>,
    /// The project's deployed model on the source, when it is among `models`.
    pub deployed: Option<Deployed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployed {
    pub source_model_id: i64,
    pub strategy: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub source_id: i64,
    pub num_features: i32,
    pub algorithm: String,
    pub runtime: String,
    pub hyperparams: String,
    pub status: String,
    pub metrics: Option<String>,
    pub search: Option<String>,
    pub search_params: String,
    pub search_args: String,
    pub features: Option<String>,
    pub label_mapping: Option<String>,
    pub feature_hash: Option<String>,
    pub created_at: String,
    pub snapshot: Option<SnapshotEntry>,
    /// Whole files by path (`model.pgml`, `xgboost.json`); the target splits them into parts again.
    pub files: Vec<File>,
    /// `pgml.models.plots` (format 2).
    pub plots: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    pub source_id: i64,
    pub relation_name: String,
    pub y_column_name: Option<Vec<String>>,
    pub test_size: f32,
    pub test_sampling: String,
    pub status: String,
    pub columns: Option<String>,
    pub analysis: Option<String>,
    pub seed: i64,
    pub num_train_rows: Option<i64>,
    pub num_test_rows: Option<i64>,
    pub lineage: Option<String>,
    pub created_at: String,
    /// `pgml.snapshots.column_stats` (format 2).
    pub column_stats: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    pub path: String,
    pub data: Vec<u8>,
}

impl Package {
    pub fn num_models(&self) -> usize {
        self.projects.iter().map(|p| p.models.len()).sum()
    }

    /// Whether the package needs format 2 (it carries plots or column statistics).
    fn needs_format_2(&self) -> bool {
        self.projects.iter().flat_map(|p| &p.models).any(|m| {
            m.plots.is_some()
                || m.snapshot
                    .as_ref()
                    .is_some_and(|s| s.column_stats.is_some())
        })
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        let serialized = if self.needs_format_2() {
            postcard::to_stdvec(self).map(|b| (FORMAT_VERSION, b))
        } else {
            postcard::to_stdvec(&v1::Package::from(self)).map(|b| (1, b))
        };
        let (version, body) = serialized.map_err(|e| Error::BadModel {
            message: format!("cannot serialize the model package: {e}"),
            newer_format: false,
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        Ok(out)
    }

    pub fn decode(bytes: &[u8]) -> Result<Package> {
        let bad = |message: String| Error::BadModel {
            message,
            newer_format: false,
        };
        if bytes.len() < HEADER_LEN || bytes[..8] != MAGIC {
            return Err(bad(
                "this is not a pgml model package (bad magic number); packages come from pgml.export_models or `pgml models export`".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version > FORMAT_VERSION {
            return Err(Error::BadModel {
                message: format!(
                    "the model package has format version {version}, but this pgml ({}) reads versions up to {FORMAT_VERSION}",
                    crate::VERSION
                ),
                newer_format: true,
            });
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[12..HEADER_LEN]);
        let body_len = usize::try_from(u64::from_le_bytes(len)).unwrap_or(usize::MAX);
        let expected = HEADER_LEN
            .checked_add(body_len)
            .and_then(|n| n.checked_add(CHECKSUM_LEN));
        if expected != Some(bytes.len()) {
            return Err(bad(format!(
                "the model package is truncated or padded: {} bytes, its header announces {}",
                bytes.len(),
                expected.map_or_else(|| "more than can exist".to_string(), |n| n.to_string())
            )));
        }
        let (content, sum) = bytes.split_at(HEADER_LEN + body_len);
        if Sha256::digest(content).as_slice() != sum {
            return Err(bad(
                "the model package is damaged: its SHA-256 checksum does not match its contents"
                    .into(),
            ));
        }
        let body = &content[HEADER_LEN..];
        let damaged = |e: postcard::Error| bad(format!("the model package is damaged: {e}"));
        if version == 1 {
            return postcard::from_bytes::<v1::Package>(body)
                .map(Package::from)
                .map_err(damaged);
        }
        postcard::from_bytes(body).map_err(damaged)
    }
}

/// Format 1's body (pgml 0.2.0 and 0.3.0): format 2 without plots and column statistics. Kept
/// field for field: postcard's layout is the fields' order.
mod v1 {
    use serde::{Deserialize, Serialize};

    use super::{Deployed, File, Source};

    #[derive(Debug, Serialize, Deserialize)]
    pub struct Package {
        source: Source,
        projects: Vec<Project>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Project {
        name: String,
        task: String,
        models: Vec<ModelEntry>,
        deployed: Option<Deployed>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct ModelEntry {
        source_id: i64,
        num_features: i32,
        algorithm: String,
        runtime: String,
        hyperparams: String,
        status: String,
        metrics: Option<String>,
        search: Option<String>,
        search_params: String,
        search_args: String,
        features: Option<String>,
        label_mapping: Option<String>,
        feature_hash: Option<String>,
        created_at: String,
        snapshot: Option<SnapshotEntry>,
        files: Vec<File>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct SnapshotEntry {
        source_id: i64,
        relation_name: String,
        y_column_name: Option<Vec<String>>,
        test_size: f32,
        test_sampling: String,
        status: String,
        columns: Option<String>,
        analysis: Option<String>,
        seed: i64,
        num_train_rows: Option<i64>,
        num_test_rows: Option<i64>,
        lineage: Option<String>,
        created_at: String,
    }

    impl From<&super::Package> for Package {
        fn from(p: &super::Package) -> Package {
            Package {
                source: p.source.clone(),
                projects: p
                    .projects
                    .iter()
                    .map(|p| Project {
                        name: p.name.clone(),
                        task: p.task.clone(),
                        deployed: p.deployed.clone(),
                        models: p.models.iter().map(ModelEntry::from).collect(),
                    })
                    .collect(),
            }
        }
    }

    impl From<&super::ModelEntry> for ModelEntry {
        fn from(m: &super::ModelEntry) -> ModelEntry {
            let m = m.clone();
            ModelEntry {
                source_id: m.source_id,
                num_features: m.num_features,
                algorithm: m.algorithm,
                runtime: m.runtime,
                hyperparams: m.hyperparams,
                status: m.status,
                metrics: m.metrics,
                search: m.search,
                search_params: m.search_params,
                search_args: m.search_args,
                features: m.features,
                label_mapping: m.label_mapping,
                feature_hash: m.feature_hash,
                created_at: m.created_at,
                snapshot: m.snapshot.map(|s| SnapshotEntry {
                    source_id: s.source_id,
                    relation_name: s.relation_name,
                    y_column_name: s.y_column_name,
                    test_size: s.test_size,
                    test_sampling: s.test_sampling,
                    status: s.status,
                    columns: s.columns,
                    analysis: s.analysis,
                    seed: s.seed,
                    num_train_rows: s.num_train_rows,
                    num_test_rows: s.num_test_rows,
                    lineage: s.lineage,
                    created_at: s.created_at,
                }),
                files: m.files,
            }
        }
    }

    impl From<Package> for super::Package {
        fn from(p: Package) -> super::Package {
            super::Package {
                source: p.source,
                projects: p
                    .projects
                    .into_iter()
                    .map(|p| super::Project {
                        name: p.name,
                        task: p.task,
                        deployed: p.deployed,
                        models: p.models.into_iter().map(super::ModelEntry::from).collect(),
                    })
                    .collect(),
            }
        }
    }

    impl From<ModelEntry> for super::ModelEntry {
        fn from(m: ModelEntry) -> super::ModelEntry {
            super::ModelEntry {
                source_id: m.source_id,
                num_features: m.num_features,
                algorithm: m.algorithm,
                runtime: m.runtime,
                hyperparams: m.hyperparams,
                status: m.status,
                metrics: m.metrics,
                search: m.search,
                search_params: m.search_params,
                search_args: m.search_args,
                features: m.features,
                label_mapping: m.label_mapping,
                feature_hash: m.feature_hash,
                created_at: m.created_at,
                snapshot: m.snapshot.map(|s| super::SnapshotEntry {
                    source_id: s.source_id,
                    relation_name: s.relation_name,
                    y_column_name: s.y_column_name,
                    test_size: s.test_size,
                    test_sampling: s.test_sampling,
                    status: s.status,
                    columns: s.columns,
                    analysis: s.analysis,
                    seed: s.seed,
                    num_train_rows: s.num_train_rows,
                    num_test_rows: s.num_test_rows,
                    lineage: s.lineage,
                    created_at: s.created_at,
                    column_stats: None,
                }),
                files: m.files,
                plots: None,
            }
        }
    }
}

/// SHA-256 (hex) of a feature contract: the input columns' names and types, in order. Two models
/// have the same hash exactly when the same rows fit both.
pub fn feature_hash<'a>(columns: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (name, pg_type) in columns {
        // Lengths first: no two different lists can produce the same byte stream.
        for s in [name, pg_type] {
            h.update((s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> Package {
        Package {
            source: Source {
                system_identifier: "7300000000000000001".into(),
                database: "training".into(),
                pgml_version: crate::VERSION.into(),
                exported_at: "2026-11-27 10:00:00+00".into(),
            },
            projects: vec![Project {
                name: "churn".into(),
                task: "classification".into(),
                deployed: Some(Deployed {
                    source_model_id: 7,
                    strategy: "best_score".into(),
                }),
                models: vec![ModelEntry {
                    source_id: 7,
                    num_features: 3,
                    algorithm: "xgboost".into(),
                    runtime: "rust".into(),
                    hyperparams: "{}".into(),
                    status: "successful".into(),
                    metrics: Some(r#"{"f1": 0.9}"#.into()),
                    search: None,
                    search_params: "{}".into(),
                    search_args: "{}".into(),
                    features: Some("[]".into()),
                    label_mapping: None,
                    feature_hash: Some(feature_hash([("a", "integer")])),
                    created_at: "2026-11-27 09:00:00+00".into(),
                    snapshot: None,
                    files: vec![File {
                        path: "model.pgml".into(),
                        data: vec![1, 2, 3, 4],
                    }],
                    plots: None,
                }],
            }],
        }
    }

    #[test]
    fn round_trips() {
        let p = package();
        let bytes = p.encode().unwrap();
        assert_eq!(Package::decode(&bytes).unwrap(), p);
        assert_eq!(p.num_models(), 1);
    }

    fn with_plots_and_stats() -> Package {
        let mut p = package();
        let m = &mut p.projects[0].models[0];
        m.plots = Some(r#"{"version": 1, "residuals": {"edges": [0, 1], "counts": [3]}}"#.into());
        m.snapshot = Some(SnapshotEntry {
            source_id: 3,
            relation_name: "public.churn".into(),
            y_column_name: Some(vec!["churned".into()]),
            test_size: 0.25,
            test_sampling: "stratified".into(),
            status: "successful".into(),
            columns: None,
            analysis: None,
            seed: 7,
            num_train_rows: Some(75),
            num_test_rows: Some(25),
            lineage: None,
            created_at: "2026-11-27 08:00:00+00".into(),
            column_stats: Some(r#"{"version": 1, "columns": []}"#.into()),
        });
        p
    }

    #[test]
    fn plots_and_column_statistics_travel_in_format_2() {
        let p = with_plots_and_stats();
        let bytes = p.encode().unwrap();
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 2);
        let back = Package::decode(&bytes).unwrap();
        assert_eq!(back, p);
        let m = &back.projects[0].models[0];
        assert!(m.plots.as_deref().unwrap().contains("residuals"));
        assert!(m.snapshot.as_ref().unwrap().column_stats.is_some());
    }

    #[test]
    fn without_plots_or_statistics_a_package_stays_format_1_for_older_readers() {
        let mut p = with_plots_and_stats();
        p.projects[0].models[0].plots = None;
        if let Some(s) = p.projects[0].models[0].snapshot.as_mut() {
            s.column_stats = None;
        }
        let bytes = p.encode().unwrap();
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
        assert_eq!(Package::decode(&bytes).unwrap(), p);
        // Format 1 is shorter: the same package in format 2 spends a byte on each absent field.
        let v2 = postcard::to_stdvec(&p).unwrap();
        assert_eq!(v2.len(), bytes.len() - HEADER_LEN - CHECKSUM_LEN + 2);
    }

    #[test]
    fn newer_versions_are_refused_by_name_before_the_checksum() {
        let mut bytes = package().encode().unwrap();
        bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        match Package::decode(&bytes) {
            Err(Error::BadModel {
                message,
                newer_format: true,
            }) => {
                assert!(
                    message.contains(&format!("format version {}", FORMAT_VERSION + 1)),
                    "{message}"
                );
                assert!(
                    message.contains(&format!("up to {FORMAT_VERSION}")),
                    "{message}"
                );
            }
            other => panic!("expected a newer-format refusal, got {other:?}"),
        }
    }

    #[test]
    fn damage_truncation_and_foreign_bytes_are_refused() {
        let bytes = package().encode().unwrap();
        let mut flipped = bytes.clone();
        let middle = bytes.len() / 2;
        flipped[middle] ^= 0x40;
        let message = |r: Result<Package>| match r {
            Err(Error::BadModel {
                message,
                newer_format: false,
            }) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(message(Package::decode(&flipped)).contains("checksum"));
        assert!(message(Package::decode(&bytes[..bytes.len() - 1])).contains("truncated"));
        assert!(
            message(Package::decode(b"PGMLMODL\x01\0\0\0")).contains("not a pgml model package")
        );
        assert!(message(Package::decode(b"")).contains("not a pgml model package"));
    }

    #[test]
    fn feature_hash_depends_on_names_types_and_order() {
        let a = feature_hash([("x", "integer"), ("y", "text")]);
        assert_eq!(a.len(), 64);
        assert_eq!(a, feature_hash([("x", "integer"), ("y", "text")]));
        assert_ne!(a, feature_hash([("y", "text"), ("x", "integer")]));
        assert_ne!(a, feature_hash([("x", "bigint"), ("y", "text")]));
        assert_ne!(a, feature_hash([("xy", "integer"), ("", "text")]));
    }
}
