//! Model files are stored in `pgml.files` as ordered parts, each with its own SHA-256.
//!
//! Splitting keeps every row far below PostgreSQL's 1 GB `bytea` limit (and below the size where
//! TOAST and `pg_dump` become painful), so no model is capped by it. The checksum per part lets a
//! reader name the exact damaged part after a bad restore or a hand edit instead of failing later
//! inside a deserializer with an unhelpful message.

use sha2::{Digest, Sha256};

/// 64 MiB: large enough that a typical model is one part, small enough to copy cheaply.
pub const DEFAULT_PART_SIZE: usize = 64 * 1024 * 1024;

/// Length of a part checksum in bytes (SHA-256).
pub const CHECKSUM_LEN: usize = 32;

/// One stored part of a model file, as it is kept in a `pgml.files` row.
#[derive(Clone, PartialEq, Eq)]
pub struct FilePart {
    /// Position of this part in the file, from 0.
    pub part: i32,
    pub data: Vec<u8>,
    pub checksum: [u8; CHECKSUM_LEN],
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Model bytes are large and meaningless in a debug print; their size says enough.
        f.debug_struct("FilePart")
            .field("part", &self.part)
            .field("len", &self.data.len())
            .field("checksum", &hex(&self.checksum))
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilePartsError {
    #[error("part size must be at least 1 byte")]
    ZeroPartSize,
    #[error("file is too large: {parts} parts of {part_size} bytes exceed the part counter")]
    TooManyParts { parts: usize, part_size: usize },
    #[error("file has no parts")]
    Empty,
    #[error(
        "part {found} found where part {expected} was expected (parts are missing or duplicated)"
    )]
    OutOfOrder { expected: i32, found: i32 },
    #[error(
        "checksum of part {part} does not match its data (stored {stored}, computed {computed})"
    )]
    ChecksumMismatch {
        part: i32,
        stored: String,
        computed: String,
    },
    #[error("checksum of part {part} has {len} bytes, expected {CHECKSUM_LEN}")]
    BadChecksumLength { part: i32, len: usize },
}

/// SHA-256 of one part.
pub fn checksum(data: &[u8]) -> [u8; CHECKSUM_LEN] {
    Sha256::digest(data).into()
}

/// Splits `bytes` into parts of at most `part_size` bytes. An empty file is one empty part, so that
/// every stored file has at least one row and its absence is never ambiguous.
pub fn split(bytes: &[u8], part_size: usize) -> Result<Vec<FilePart>, FilePartsError> {
    if part_size == 0 {
        return Err(FilePartsError::ZeroPartSize);
    }
    let count = bytes.len().div_ceil(part_size).max(1);
    if i32::try_from(count).is_err() {
        return Err(FilePartsError::TooManyParts {
            parts: count,
            part_size,
        });
    }
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(part_size).collect()
    };
    Ok(chunks
        .into_iter()
        .zip(0..)
        .map(|(chunk, part)| FilePart {
            part,
            data: chunk.to_vec(),
            checksum: checksum(chunk),
        })
        .collect())
}

/// Joins parts read back from the catalog, in `part` order, checking that none is missing,
/// duplicated or damaged. `parts` must already be sorted by `part` (the catalog query orders them).
pub fn join<'a, I>(parts: I) -> Result<Vec<u8>, FilePartsError>
where
    I: IntoIterator<Item = (i32, &'a [u8], &'a [u8])>,
{
    let mut out = Vec::new();
    let mut expected = 0i32;
    for (part, data, stored) in parts {
        if part != expected {
            return Err(FilePartsError::OutOfOrder {
                expected,
                found: part,
            });
        }
        if stored.len() != CHECKSUM_LEN {
            return Err(FilePartsError::BadChecksumLength {
                part,
                len: stored.len(),
            });
        }
        let computed = checksum(data);
        if computed.as_slice() != stored {
            return Err(FilePartsError::ChecksumMismatch {
                part,
                stored: hex(stored),
                computed: hex(&computed),
            });
        }
        out.extend_from_slice(data);
        expected = expected.saturating_add(1);
    }
    if expected == 0 {
        return Err(FilePartsError::Empty);
    }
    Ok(out)
}

/// Lower-case hexadecimal, as PostgreSQL prints `bytea` (without the `\x`).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_rows(parts: &[FilePart]) -> Vec<(i32, &[u8], &[u8])> {
        parts
            .iter()
            .map(|p| (p.part, p.data.as_slice(), p.checksum.as_slice()))
            .collect()
    }

    #[test]
    fn split_then_join_round_trips_at_every_boundary() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        for part_size in [1, 2, 3, 7, 999, 1000, 1001, 4096] {
            let parts = split(&bytes, part_size).unwrap();
            assert_eq!(parts.len(), bytes.len().div_ceil(part_size));
            assert!(parts.iter().all(|p| p.data.len() <= part_size));
            assert_eq!(
                join(as_rows(&parts)).unwrap(),
                bytes,
                "part size {part_size}"
            );
        }
    }

    #[test]
    fn empty_file_is_one_empty_part() {
        let parts = split(&[], 16).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].part, 0);
        assert_eq!(join(as_rows(&parts)).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn checksum_is_sha256() {
        // Known answer: SHA-256("abc").
        assert_eq!(
            hex(&checksum(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn zero_part_size_is_an_error() {
        assert_eq!(split(b"x", 0), Err(FilePartsError::ZeroPartSize));
    }

    #[test]
    fn missing_duplicated_and_damaged_parts_are_named() {
        let bytes = b"0123456789".to_vec();
        let parts = split(&bytes, 3).unwrap();

        let mut missing = as_rows(&parts);
        missing.remove(1);
        assert_eq!(
            join(missing),
            Err(FilePartsError::OutOfOrder {
                expected: 1,
                found: 2
            })
        );

        let mut duplicated = as_rows(&parts);
        duplicated.insert(1, duplicated[0]);
        assert_eq!(
            join(duplicated),
            Err(FilePartsError::OutOfOrder {
                expected: 1,
                found: 0
            })
        );

        let damaged_data = b"XYZ".to_vec();
        let mut damaged = as_rows(&parts);
        damaged[2].1 = &damaged_data;
        match join(damaged) {
            Err(FilePartsError::ChecksumMismatch { part: 2, .. }) => {}
            other => panic!("expected a checksum mismatch on part 2, got {other:?}"),
        }

        let short = [0u8; 4];
        let mut bad_len = as_rows(&parts);
        bad_len[0].2 = &short;
        assert_eq!(
            join(bad_len),
            Err(FilePartsError::BadChecksumLength { part: 0, len: 4 })
        );

        assert_eq!(join(Vec::new()), Err(FilePartsError::Empty));
    }
}
