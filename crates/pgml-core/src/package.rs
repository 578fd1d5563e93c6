//! A model package: the bytes `pgml.export_models` returns and `pgml.import_models` (and
//! `pgml models export | import | push`) read. It carries models with their files, the snapshots
//! they were trained on (metadata and lineage, not the rows) and each project's deployment, so a
//! target server can predict exactly as the source does.
//!
//! Layout: magic `PGMLPKG\0`, format version (u32 LE), body length (u64 LE), the body (postcard),
//! then the SHA-256 of everything before it. The version is read before anything else, so a package
//! written by a newer pgml is refused with both versions named instead of failing as "damaged".
//! JSON values travel as text: postcard cannot carry self-describing values.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

pub const MAGIC: [u8; 8] = *b"PGMLPKG\0";
/// Bump when the body's layout changes; older readers then refuse the package by name.
pub const FORMAT_VERSION: u32 = 1;
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

    pub fn encode(&self) -> Result<Vec<u8>> {
        let body = postcard::to_stdvec(self).map_err(|e| Error::BadModel {
            message: format!("cannot serialize the model package: {e}"),
            newer_format: false,
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
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
        postcard::from_bytes(&content[HEADER_LEN..])
            .map_err(|e| bad(format!("the model package is damaged: {e}")))
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
