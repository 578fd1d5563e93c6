//! A minimal, safe binding to XGBoost's C API, declared by hand from the header of the library it
//! links (Debian's libxgboost 1.7.4): only the calls pgml needs to train and to export a model.
//! Bindings generated from another version's header would call functions this one lacks.
//!
//! Every handle is owned by a Rust value and freed on drop; every call's status is checked and a
//! failure carries XGBoost's own message.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

#[derive(Debug, thiserror::Error)]
#[error("xgboost: {0}")]
pub struct Error(pub String);

pub type Result<T> = std::result::Result<T, Error>;

type Handle = *mut c_void;

#[allow(unsafe_code)] // the C API itself
mod ffi {
    use super::*;
    extern "C" {
        pub fn XGBGetLastError() -> *const c_char;
        pub fn XGDMatrixCreateFromMat(
            data: *const f32,
            nrow: u64,
            ncol: u64,
            missing: f32,
            out: *mut Handle,
        ) -> c_int;
        pub fn XGDMatrixFree(handle: Handle) -> c_int;
        pub fn XGDMatrixSetFloatInfo(
            handle: Handle,
            field: *const c_char,
            array: *const f32,
            len: u64,
        ) -> c_int;
        pub fn XGBoosterCreate(dmats: *const Handle, len: u64, out: *mut Handle) -> c_int;
        pub fn XGBoosterFree(handle: Handle) -> c_int;
        pub fn XGBoosterSetParam(
            handle: Handle,
            name: *const c_char,
            value: *const c_char,
        ) -> c_int;
        pub fn XGBoosterUpdateOneIter(handle: Handle, iter: c_int, dtrain: Handle) -> c_int;
        pub fn XGBoosterPredict(
            handle: Handle,
            dmat: Handle,
            option_mask: c_int,
            ntree_limit: u32,
            training: c_int,
            out_len: *mut u64,
            out_result: *mut *const f32,
        ) -> c_int;
        pub fn XGBoosterSaveModelToBuffer(
            handle: Handle,
            config: *const c_char,
            out_len: *mut u64,
            out_dptr: *mut *const c_char,
        ) -> c_int;
        pub fn XGBoosterLoadModelFromBuffer(handle: Handle, buf: *const c_void, len: u64) -> c_int;
    }
}

fn check(status: c_int) -> Result<()> {
    if status == 0 {
        return Ok(());
    }
    #[allow(unsafe_code)]
    // SAFETY: XGBGetLastError returns a thread-local, NUL-terminated string (never NULL).
    let message = unsafe { CStr::from_ptr(ffi::XGBGetLastError()) }
        .to_string_lossy()
        .into_owned();
    Err(Error(message))
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error(format!("{s:?} contains a NUL byte")))
}

/// Training data: a dense row-major matrix and its labels.
#[derive(Debug)]
pub struct DMatrix {
    handle: Handle,
    rows: usize,
}

impl DMatrix {
    /// `data` is row-major, `rows` × `cols`. No value is treated as missing (pgml refuses NaN).
    pub fn from_dense(data: &[f32], rows: usize, cols: usize) -> Result<DMatrix> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error(format!(
                "{rows}x{cols} matrix needs {} values, got {}",
                rows * cols,
                data.len()
            )));
        }
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: data outlives the call (XGBoost copies it); handle is written on success.
        check(unsafe {
            ffi::XGDMatrixCreateFromMat(
                data.as_ptr(),
                rows as u64,
                cols as u64,
                f32::NAN,
                &mut handle,
            )
        })?;
        Ok(DMatrix { handle, rows })
    }

    pub fn set_labels(&mut self, labels: &[f32]) -> Result<()> {
        if labels.len() != self.rows {
            return Err(Error(format!(
                "{} labels for {} rows",
                labels.len(),
                self.rows
            )));
        }
        let field = c_string("label")?;
        #[allow(unsafe_code)]
        // SAFETY: valid handle; XGBoost copies the labels.
        check(unsafe {
            ffi::XGDMatrixSetFloatInfo(
                self.handle,
                field.as_ptr(),
                labels.as_ptr(),
                labels.len() as u64,
            )
        })
    }
}

impl Drop for DMatrix {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: the handle came from XGDMatrixCreateFromMat and is freed once.
        unsafe {
            ffi::XGDMatrixFree(self.handle);
        }
    }
}

#[derive(Debug)]
pub struct Booster {
    handle: Handle,
}

impl Booster {
    /// A booster that caches `train` (the matrix it will be updated with).
    pub fn new(train: &DMatrix) -> Result<Booster> {
        let mut handle: Handle = std::ptr::null_mut();
        let dmats = [train.handle];
        #[allow(unsafe_code)]
        // SAFETY: one valid DMatrix handle; handle is written on success.
        check(unsafe { ffi::XGBoosterCreate(dmats.as_ptr(), 1, &mut handle) })?;
        Ok(Booster { handle })
    }

    /// A booster loaded from a saved model (JSON or UBJSON bytes).
    pub fn load(model: &[u8]) -> Result<Booster> {
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: an empty booster, then a load from a buffer that outlives the call.
        unsafe {
            check(ffi::XGBoosterCreate(std::ptr::null(), 0, &mut handle))?;
            let booster = Booster { handle };
            check(ffi::XGBoosterLoadModelFromBuffer(
                booster.handle,
                model.as_ptr().cast(),
                model.len() as u64,
            ))?;
            Ok(booster)
        }
    }

    pub fn set_param(&mut self, name: &str, value: &str) -> Result<()> {
        let (n, v) = (c_string(name)?, c_string(value)?);
        #[allow(unsafe_code)]
        // SAFETY: valid handle and NUL-terminated strings.
        check(unsafe { ffi::XGBoosterSetParam(self.handle, n.as_ptr(), v.as_ptr()) })
    }

    /// One boosting round (one tree per class, or one forest in random-forest mode).
    pub fn update(&mut self, iteration: usize, train: &DMatrix) -> Result<()> {
        let iteration =
            c_int::try_from(iteration).map_err(|_| Error("too many iterations".into()))?;
        #[allow(unsafe_code)]
        // SAFETY: valid handles.
        check(unsafe { ffi::XGBoosterUpdateOneIter(self.handle, iteration, train.handle) })
    }

    /// XGBoost's own predictions (probabilities for classification), row-major.
    pub fn predict(&self, data: &DMatrix) -> Result<Vec<f32>> {
        let mut len = 0u64;
        let mut out: *const f32 = std::ptr::null();
        #[allow(unsafe_code)]
        // SAFETY: valid handles; the result buffer belongs to the booster until its next call, so
        // it is copied out at once.
        unsafe {
            check(ffi::XGBoosterPredict(
                self.handle,
                data.handle,
                0,
                0,
                0,
                &mut len,
                &mut out,
            ))?;
            Ok(std::slice::from_raw_parts(out, len as usize).to_vec())
        }
    }

    /// The model in XGBoost's JSON format (what `xgboost.Booster.load_model` reads).
    pub fn save_json(&self) -> Result<Vec<u8>> {
        self.save("{\"format\": \"json\"}")
    }

    fn save(&self, config: &str) -> Result<Vec<u8>> {
        let config = c_string(config)?;
        let mut len = 0u64;
        let mut out: *const c_char = std::ptr::null();
        #[allow(unsafe_code)]
        // SAFETY: valid handle; the buffer is copied before the next call on the booster.
        unsafe {
            check(ffi::XGBoosterSaveModelToBuffer(
                self.handle,
                config.as_ptr(),
                &mut len,
                &mut out,
            ))?;
            Ok(std::slice::from_raw_parts(out.cast::<u8>(), len as usize).to_vec())
        }
    }
}

impl Drop for Booster {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: the handle came from XGBoosterCreate and is freed once.
        unsafe {
            ffi::XGBoosterFree(self.handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trains_predicts_saves_and_loads() {
        // y = 2·x0 on a grid: a few trees get close.
        let rows = 200;
        let data: Vec<f32> = (0..rows).flat_map(|i| [i as f32, (i % 7) as f32]).collect();
        let labels: Vec<f32> = (0..rows).map(|i| 2.0 * i as f32).collect();
        let mut d = DMatrix::from_dense(&data, rows, 2).unwrap();
        d.set_labels(&labels).unwrap();
        let mut b = Booster::new(&d).unwrap();
        b.set_param("nthread", "1").unwrap();
        b.set_param("tree_method", "hist").unwrap();
        for i in 0..20 {
            b.update(i, &d).unwrap();
        }
        let pred = b.predict(&d).unwrap();
        assert_eq!(pred.len(), rows);
        assert!((pred[100] - 200.0).abs() < 20.0, "{}", pred[100]);
        let json = b.save_json().unwrap();
        assert!(json.starts_with(b"{"));
        let loaded = Booster::load(&json).unwrap();
        assert_eq!(loaded.predict(&d).unwrap(), pred);
    }

    #[test]
    fn errors_carry_xgboost_messages() {
        let d = DMatrix::from_dense(&[1.0, 2.0], 2, 1).unwrap();
        let mut b = Booster::new(&d).unwrap();
        b.set_param("objective", "no:such").unwrap();
        let e = b.update(0, &d).unwrap_err();
        assert!(e.to_string().contains("no:such"), "{e}");
        assert!(DMatrix::from_dense(&[1.0], 2, 1).is_err());
    }
}
