//! A dense column-major `f32` matrix: the one buffer training data is read into.
//!
//! Column-major because every algorithm here walks features (a column at a time for coordinate
//! descent, Gram matrices and per-feature statistics), and because SPI batches are appended one
//! column at a time without any row-at-a-time copies.

use crate::{Error, Result};

#[derive(Clone, PartialEq)]
pub struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl std::fmt::Debug for Matrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Matrix({}x{})", self.rows, self.cols)
    }
}

impl Matrix {
    /// `data` holds column 0's `rows` values, then column 1's, and so on.
    pub fn from_columns(rows: usize, cols: usize, data: Vec<f32>) -> Result<Matrix> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error::invalid(format!(
                "a {rows}x{cols} matrix needs {} values, got {}",
                rows.saturating_mul(cols),
                data.len()
            )));
        }
        Ok(Matrix { rows, cols, data })
    }

    /// Builds from rows (tests and small inputs).
    pub fn from_rows(rows: &[Vec<f32>]) -> Result<Matrix> {
        let cols = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != cols) {
            return Err(Error::invalid("rows of different lengths"));
        }
        let mut data = Vec::with_capacity(rows.len() * cols);
        for j in 0..cols {
            data.extend(rows.iter().map(|r| r[j]));
        }
        Matrix::from_columns(rows.len(), cols, data)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn col(&self, j: usize) -> &[f32] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[j * self.rows + i]
    }

    /// Row `i` copied out (for per-row prediction in tests and metrics).
    pub fn row(&self, i: usize) -> Vec<f32> {
        (0..self.cols).map(|j| self.get(i, j)).collect()
    }

    /// A new matrix of the given rows, in the given order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for j in 0..self.cols {
            let col = self.col(j);
            data.extend(idx.iter().map(|&i| col[i]));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }
}
