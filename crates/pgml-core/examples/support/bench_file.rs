//! The data files the speed benchmarks' Python drivers write (benches/hist_gb_speed.py,
//! lightgbm_speed.py, catboost_speed.py): u32 rows, u32 features (little-endian), the rows' features
//! (f32, row after row), then one f32 label a row. Included by those examples with `#[path]`.

use std::io::{BufReader, Read};

use pgml_core::Matrix;

/// The features as pgml's column-major matrix, and the labels.
pub fn read(path: &str) -> (Matrix, Vec<f32>) {
    let mut f = BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
    let mut word = [0u8; 4];
    let mut next = |f: &mut BufReader<std::fs::File>| {
        f.read_exact(&mut word).unwrap();
        word
    };
    let n = u32::from_le_bytes(next(&mut f)) as usize;
    let p = u32::from_le_bytes(next(&mut f)) as usize;
    let mut columns = vec![0.0f32; n * p];
    let mut row = vec![0u8; p * 4];
    for i in 0..n {
        f.read_exact(&mut row).unwrap();
        for j in 0..p {
            columns[j * n + i] = f32::from_le_bytes(row[j * 4..j * 4 + 4].try_into().unwrap());
        }
    }
    let y = (0..n).map(|_| f32::from_le_bytes(next(&mut f))).collect();
    (Matrix::from_columns(n, p, columns).unwrap(), y)
}
