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
    /// Per column: `Some(k)` for a categorical column holding category codes 0..k (a text column
    /// encoded natively), None for a number. Empty: every column is a number. Only learners that
    /// take categories as such (catboost) read it; the values are the same for every learner.
    categorical: Vec<Option<usize>>,
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
        Ok(Matrix {
            rows,
            cols,
            data,
            categorical: Vec::new(),
        })
    }

    /// Marks columns as categorical: `kinds[j]` is `Some(k)` for a column of category codes
    /// 0..k, None for a number.
    pub fn with_categorical(mut self, kinds: Vec<Option<usize>>) -> Result<Matrix> {
        self.set_categorical(kinds)?;
        Ok(self)
    }

    /// See [`Matrix::with_categorical`].
    pub fn set_categorical(&mut self, kinds: Vec<Option<usize>>) -> Result<()> {
        if kinds.len() != self.cols {
            return Err(Error::invalid(format!(
                "{} column kinds for a matrix of {} columns",
                kinds.len(),
                self.cols
            )));
        }
        self.categorical = if kinds.iter().any(Option::is_some) {
            kinds
        } else {
            Vec::new()
        };
        Ok(())
    }

    /// `Some(k)`: column `j` holds category codes 0..k (see [`Matrix::with_categorical`]).
    pub fn categorical(&self, j: usize) -> Option<usize> {
        self.categorical.get(j).copied().flatten()
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

    /// Every value, column after column (what `from_columns` took): for libraries that read a
    /// column-major buffer in place.
    pub fn as_column_major(&self) -> &[f32] {
        &self.data
    }

    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data[j * self.rows + i]
    }

    /// Row `i` copied out (for per-row prediction in tests and metrics).
    pub fn row(&self, i: usize) -> Vec<f32> {
        (0..self.cols).map(|j| self.get(i, j)).collect()
    }

    /// The same two matrices as `select_rows(train)` and `select_rows(test)`, made from this one's
    /// buffer: the test rows are copied out, then each column's training rows are moved to the
    /// front of the buffer, which becomes the training matrix. At most this matrix, the test rows
    /// and one column exist at once (`select_rows` keeps this matrix and both copies).
    pub fn split_rows(self, train: &[usize], test: &[usize]) -> (Matrix, Matrix) {
        let (n, p, n_train) = (self.rows, self.cols, train.len());
        let test_matrix = self.select_rows(test);
        let Matrix {
            mut data,
            categorical,
            ..
        } = self;
        let mut column = Vec::with_capacity(n_train);
        for j in 0..p {
            column.clear();
            column.extend(train.iter().map(|&i| data[j * n + i]));
            // The destination ends at (j + 1) * n_train <= (j + 1) * n: it overlaps no column
            // after j, and column j itself was gathered first.
            data[j * n_train..(j + 1) * n_train].copy_from_slice(&column);
        }
        data.truncate(n_train * p);
        data.shrink_to_fit();
        let train_matrix = Matrix {
            rows: n_train,
            cols: p,
            data,
            categorical,
        };
        (train_matrix, test_matrix)
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
            categorical: self.categorical.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `split_rows` gives exactly `select_rows` of both parts, in their given orders.
    #[test]
    fn split_rows_is_select_rows_of_both_parts() {
        let (n, p) = (23, 4);
        let x = Matrix::from_columns(n, p, (0..n * p).map(|v| v as f32).collect())
            .unwrap()
            .with_categorical(vec![None, Some(3), None, None])
            .unwrap();
        let mut order: Vec<usize> = (0..n).collect();
        crate::split::SplitMix64(5).shuffle(&mut order);
        for cut in [0, 1, 11, n - 1, n] {
            let (train, test) = order.split_at(cut);
            let (a, b) = x.clone().split_rows(train, test);
            assert_eq!(a, x.select_rows(train));
            assert_eq!(b, x.select_rows(test));
        }
    }
}
