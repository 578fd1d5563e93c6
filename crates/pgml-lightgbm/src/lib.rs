//! A minimal, safe binding to LightGBM's C API, declared by hand from the `c_api.h` of the
//! version pgml installs (4.7.0, see scripts/install-lightgbm): only the calls pgml needs to train,
//! to check its own tree evaluator and to export a model.
//!
//! Every handle is owned by a Rust value and freed on drop; every call's status is checked and a
//! failure carries LightGBM's own message. The library is loaded at first use (see `ffi`).

use std::ffi::{c_char, c_int, c_void, CStr, CString};

#[derive(Debug, thiserror::Error)]
#[error("lightgbm: {0}")]
pub struct Error(pub String);

pub type Result<T> = std::result::Result<T, Error>;

type Handle = *mut c_void;

/// The LightGBM release whose C API is declared here and which scripts/install-lightgbm installs.
pub const VERSION: &str = "4.7.0";

/// Where scripts/install-lightgbm caches the library it installs (CI's cache directory, keyed by
/// version). `PGML_LIGHTGBM_LIB` (at run time, or when pgml is built) names another file.
pub const DEFAULT_PATH: &str = "/var/cache/pgml-ci/lightgbm-4.7.0/lib_lightgbm.so";

const C_API_DTYPE_FLOAT32: c_int = 0;
const C_API_PREDICT_NORMAL: c_int = 0;

/// Feature importances as LightGBM counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    /// How many splits use the feature.
    Split = 0,
    /// The total gain of the splits that use it.
    Gain = 1,
}

/// The C API, loaded the first time pgml trains with LightGBM.
///
/// Not linked: linking would load lib_lightgbm, and with it libgomp, as soon as pgml.so is
/// loaded (also in a postmaster that preloads pgml, whose forks must not inherit OpenMP's
/// threads), and libgomp reads its settings once, in its constructor: `pgml_openmp::prepare`
/// runs first, as it does before XGBoost is loaded (both share the one libgomp).
#[allow(unsafe_code, non_snake_case)] // the C API itself, under its own names
mod ffi {
    use super::*;

    type Status = c_int;

    pub struct Api {
        pub LGBM_GetLastError: unsafe extern "C" fn() -> *const c_char,
        pub LGBM_DumpParamAliases: unsafe extern "C" fn(i64, *mut i64, *mut c_char) -> Status,
        pub LGBM_DatasetCreateFromMat: unsafe extern "C" fn(
            *const c_void,
            c_int,
            i32,
            i32,
            c_int,
            *const c_char,
            Handle,
            *mut Handle,
        ) -> Status,
        pub LGBM_DatasetSetField:
            unsafe extern "C" fn(Handle, *const c_char, *const c_void, c_int, c_int) -> Status,
        pub LGBM_DatasetFree: unsafe extern "C" fn(Handle) -> Status,
        pub LGBM_BoosterCreate: unsafe extern "C" fn(Handle, *const c_char, *mut Handle) -> Status,
        pub LGBM_BoosterLoadModelFromString:
            unsafe extern "C" fn(*const c_char, *mut c_int, *mut Handle) -> Status,
        pub LGBM_BoosterFree: unsafe extern "C" fn(Handle) -> Status,
        pub LGBM_BoosterUpdateOneIter: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
        pub LGBM_BoosterGetCurrentIteration: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
        pub LGBM_BoosterGetNumFeature: unsafe extern "C" fn(Handle, *mut c_int) -> Status,
        pub LGBM_BoosterSaveModelToString:
            unsafe extern "C" fn(Handle, c_int, c_int, c_int, i64, *mut i64, *mut c_char) -> Status,
        pub LGBM_BoosterPredictForMat: unsafe extern "C" fn(
            Handle,
            *const c_void,
            c_int,
            i32,
            i32,
            c_int,
            c_int,
            c_int,
            c_int,
            *const c_char,
            *mut i64,
            *mut f64,
        ) -> Status,
        pub LGBM_BoosterCalcNumPredict:
            unsafe extern "C" fn(Handle, c_int, c_int, c_int, c_int, *mut i64) -> Status,
        pub LGBM_BoosterFeatureImportance:
            unsafe extern "C" fn(Handle, c_int, c_int, *mut f64) -> Status,
        // Keeps the library loaded for as long as the function pointers above are used: forever.
        _library: libloading::Library,
    }

    /// The files tried, in order: `PGML_LIGHTGBM_LIB` at run time, then when pgml was built,
    /// then the cache of scripts/install-lightgbm, then the dynamic loader's own search.
    fn candidates() -> Vec<String> {
        let mut names = Vec::new();
        if let Some(p) = std::env::var_os("PGML_LIGHTGBM_LIB") {
            names.push(p.to_string_lossy().into_owned());
        }
        if let Some(p) = option_env!("PGML_LIGHTGBM_LIB") {
            names.push(p.to_string());
        }
        names.push(DEFAULT_PATH.to_string());
        names.push("lib_lightgbm.so".to_string());
        names
    }

    fn load() -> std::result::Result<Api, String> {
        pgml_openmp::prepare();
        let mut errors = Vec::new();
        for name in candidates() {
            // SAFETY: loading lib_lightgbm runs its (and libgomp's) initialisers, which have no
            // preconditions; the symbols are read with the signatures of LightGBM 4.7's c_api.h.
            let library = match unsafe { libloading::Library::new(&name) } {
                Ok(l) => l,
                Err(e) => {
                    errors.push(format!("{name}: {e}"));
                    continue;
                }
            };
            macro_rules! symbol {
                ($name:ident) => {
                    // SAFETY: the field's type is the C declaration of this symbol.
                    *unsafe { library.get(concat!(stringify!($name), "\0").as_bytes()) }
                        .map_err(|e| format!("{name} lacks {}: {e}", stringify!($name)))?
                };
            }
            return Ok(Api {
                LGBM_GetLastError: symbol!(LGBM_GetLastError),
                LGBM_DumpParamAliases: symbol!(LGBM_DumpParamAliases),
                LGBM_DatasetCreateFromMat: symbol!(LGBM_DatasetCreateFromMat),
                LGBM_DatasetSetField: symbol!(LGBM_DatasetSetField),
                LGBM_DatasetFree: symbol!(LGBM_DatasetFree),
                LGBM_BoosterCreate: symbol!(LGBM_BoosterCreate),
                LGBM_BoosterLoadModelFromString: symbol!(LGBM_BoosterLoadModelFromString),
                LGBM_BoosterFree: symbol!(LGBM_BoosterFree),
                LGBM_BoosterUpdateOneIter: symbol!(LGBM_BoosterUpdateOneIter),
                LGBM_BoosterGetCurrentIteration: symbol!(LGBM_BoosterGetCurrentIteration),
                LGBM_BoosterGetNumFeature: symbol!(LGBM_BoosterGetNumFeature),
                LGBM_BoosterSaveModelToString: symbol!(LGBM_BoosterSaveModelToString),
                LGBM_BoosterPredictForMat: symbol!(LGBM_BoosterPredictForMat),
                LGBM_BoosterCalcNumPredict: symbol!(LGBM_BoosterCalcNumPredict),
                LGBM_BoosterFeatureImportance: symbol!(LGBM_BoosterFeatureImportance),
                _library: library,
            });
        }
        Err(format!(
            "cannot load LightGBM {VERSION}'s lib_lightgbm.so ({}); scripts/bootstrap installs it \
             (scripts/install-lightgbm), or set PGML_LIGHTGBM_LIB to its path",
            errors.join("; ")
        ))
    }

    static API: std::sync::OnceLock<std::result::Result<Api, String>> = std::sync::OnceLock::new();

    pub fn api() -> Result<&'static Api> {
        API.get_or_init(load).as_ref().map_err(|e| Error(e.clone()))
    }
}

use ffi::api;

fn check(status: c_int) -> Result<()> {
    if status == 0 {
        return Ok(());
    }
    let api = api()?;
    #[allow(unsafe_code)]
    // SAFETY: LGBM_GetLastError returns a thread-local, NUL-terminated string (never NULL).
    let message = unsafe { CStr::from_ptr((api.LGBM_GetLastError)()) }
        .to_string_lossy()
        .into_owned();
    Err(Error(message))
}

fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error(format!("{s:?} contains a NUL byte")))
}

/// A shape LightGBM's C API can take (it counts rows and columns in `int32_t`).
fn shape(data: &[f32], rows: usize, cols: usize) -> Result<(i32, i32)> {
    if rows.checked_mul(cols) != Some(data.len()) {
        return Err(Error(format!(
            "a {rows}x{cols} matrix needs {} values, got {}",
            rows.saturating_mul(cols),
            data.len()
        )));
    }
    match (i32::try_from(rows), i32::try_from(cols)) {
        (Ok(r), Ok(c)) => Ok((r, c)),
        _ => Err(Error(format!(
            "{rows} rows x {cols} columns is more than LightGBM's C API takes (2^31 - 1 each)"
        ))),
    }
}

/// LightGBM's parameter names and aliases as JSON (`{"num_iterations": ["num_iterations",
/// "n_estimators", ...], ...}`): what the loaded library itself accepts.
pub fn param_aliases() -> Result<String> {
    let api = api()?;
    let mut len = 0i64;
    #[allow(unsafe_code)]
    // SAFETY: a zero-length buffer only asks for the length; then a buffer of that length.
    unsafe {
        check((api.LGBM_DumpParamAliases)(
            0,
            &mut len,
            std::ptr::null_mut(),
        ))?;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0).max(1)];
        check((api.LGBM_DumpParamAliases)(
            buf.len() as i64,
            &mut len,
            buf.as_mut_ptr().cast(),
        ))?;
        Ok(CStr::from_bytes_until_nul(&buf)
            .map_err(|e| Error(e.to_string()))?
            .to_string_lossy()
            .into_owned())
    }
}

/// Training data: a dense row-major matrix, binned by LightGBM, and its labels.
#[derive(Debug)]
pub struct Dataset {
    handle: Handle,
    rows: usize,
}

impl Dataset {
    /// `data` is row-major, `rows` × `cols`; `params` is LightGBM's "key=value key=value" text
    /// (the dataset's parameters, such as max_bin, are read from it).
    pub fn from_dense(data: &[f32], rows: usize, cols: usize, params: &str) -> Result<Dataset> {
        Self::from_mat(data, rows, cols, true, params)
    }

    /// `data` is column-major (each column's `rows` values one after another), as pgml keeps
    /// its training matrix: LightGBM reads it in place, no row-major copy is made.
    pub fn from_columns(data: &[f32], rows: usize, cols: usize, params: &str) -> Result<Dataset> {
        Self::from_mat(data, rows, cols, false, params)
    }

    fn from_mat(
        data: &[f32],
        rows: usize,
        cols: usize,
        row_major: bool,
        params: &str,
    ) -> Result<Dataset> {
        let (r, c) = shape(data, rows, cols)?;
        let params = c_string(params)?;
        let api = api()?;
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: data holds rows*cols f32 (shape checked it), in the order `row_major` tells
        // LightGBM, and outlives the call (LightGBM bins it into its own storage); no reference
        // dataset; handle is written on success.
        check(unsafe {
            (api.LGBM_DatasetCreateFromMat)(
                data.as_ptr().cast(),
                C_API_DTYPE_FLOAT32,
                r,
                c,
                i32::from(row_major),
                params.as_ptr(),
                std::ptr::null_mut(),
                &mut handle,
            )
        })?;
        Ok(Dataset { handle, rows })
    }

    pub fn set_labels(&mut self, labels: &[f32]) -> Result<()> {
        if labels.len() != self.rows {
            return Err(Error(format!(
                "{} labels for {} rows",
                labels.len(),
                self.rows
            )));
        }
        let n = c_int::try_from(labels.len()).map_err(|_| Error("too many labels".into()))?;
        let field = c_string("label")?;
        let api = api()?;
        #[allow(unsafe_code)]
        // SAFETY: valid handle; LightGBM copies the n labels.
        check(unsafe {
            (api.LGBM_DatasetSetField)(
                self.handle,
                field.as_ptr(),
                labels.as_ptr().cast(),
                n,
                C_API_DTYPE_FLOAT32,
            )
        })
    }
}

impl Drop for Dataset {
    fn drop(&mut self) {
        if let Ok(api) = api() {
            #[allow(unsafe_code)]
            // SAFETY: the handle came from LGBM_DatasetCreateFromMat and is freed once.
            unsafe {
                (api.LGBM_DatasetFree)(self.handle);
            }
        }
    }
}

/// A booster. It refers to the dataset it was created on, which must outlive it: the lifetime
/// says so.
#[derive(Debug)]
pub struct Booster<'d> {
    handle: Handle,
    _train: std::marker::PhantomData<&'d Dataset>,
}

impl<'d> Booster<'d> {
    /// A booster that will train on `train` with LightGBM's parameters `params`.
    pub fn new(train: &'d Dataset, params: &str) -> Result<Booster<'d>> {
        let params = c_string(params)?;
        let api = api()?;
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: a valid dataset handle (kept alive by the lifetime) and NUL-terminated
        // parameters; handle is written on success.
        check(unsafe { (api.LGBM_BoosterCreate)(train.handle, params.as_ptr(), &mut handle) })?;
        Ok(Booster {
            handle,
            _train: std::marker::PhantomData,
        })
    }

    /// One boosting iteration (one tree per class). True when LightGBM could not split any
    /// more (its trees would all be empty): training is finished.
    pub fn update(&mut self) -> Result<bool> {
        let api = api()?;
        let mut finished: c_int = 0;
        #[allow(unsafe_code)]
        // SAFETY: valid handle.
        check(unsafe { (api.LGBM_BoosterUpdateOneIter)(self.handle, &mut finished) })?;
        Ok(finished != 0)
    }
}

impl Booster<'static> {
    /// A booster read from LightGBM's model text.
    pub fn load(model: &str) -> Result<Booster<'static>> {
        let model = c_string(model)?;
        let api = api()?;
        let (mut iterations, mut handle): (c_int, Handle) = (0, std::ptr::null_mut());
        #[allow(unsafe_code)]
        // SAFETY: NUL-terminated model text; handle is written on success.
        check(unsafe {
            (api.LGBM_BoosterLoadModelFromString)(model.as_ptr(), &mut iterations, &mut handle)
        })?;
        Ok(Booster {
            handle,
            _train: std::marker::PhantomData,
        })
    }
}

impl Booster<'_> {
    pub fn current_iteration(&self) -> Result<usize> {
        let api = api()?;
        let mut out: c_int = 0;
        #[allow(unsafe_code)]
        // SAFETY: valid handle.
        check(unsafe { (api.LGBM_BoosterGetCurrentIteration)(self.handle, &mut out) })?;
        Ok(usize::try_from(out).unwrap_or(0))
    }

    pub fn num_features(&self) -> Result<usize> {
        let api = api()?;
        let mut out: c_int = 0;
        #[allow(unsafe_code)]
        // SAFETY: valid handle.
        check(unsafe { (api.LGBM_BoosterGetNumFeature)(self.handle, &mut out) })?;
        Ok(usize::try_from(out).unwrap_or(0))
    }

    /// LightGBM's own predictions for a row-major matrix (values for regression, probabilities
    /// for classification, one per class for multiclass), row after row.
    pub fn predict(&self, data: &[f32], rows: usize, cols: usize) -> Result<Vec<f64>> {
        let (r, c) = shape(data, rows, cols)?;
        let api = api()?;
        let mut want = 0i64;
        #[allow(unsafe_code)]
        // SAFETY: valid handle; the size of the result for r rows, all iterations.
        check(unsafe {
            (api.LGBM_BoosterCalcNumPredict)(self.handle, r, C_API_PREDICT_NORMAL, 0, -1, &mut want)
        })?;
        let mut out = vec![0f64; usize::try_from(want).unwrap_or(0)];
        let params = c_string("num_threads=1")?;
        let mut len = 0i64;
        #[allow(unsafe_code)]
        // SAFETY: data holds r*c f32; out has the length LightGBM asked for.
        check(unsafe {
            (api.LGBM_BoosterPredictForMat)(
                self.handle,
                data.as_ptr().cast(),
                C_API_DTYPE_FLOAT32,
                r,
                c,
                1,
                C_API_PREDICT_NORMAL,
                0,
                -1,
                params.as_ptr(),
                &mut len,
                out.as_mut_ptr(),
            )
        })?;
        out.truncate(usize::try_from(len).unwrap_or(0));
        Ok(out)
    }

    /// The model in LightGBM's text format (what `lightgbm.Booster(model_str=...)` and
    /// `model_file=` read), every iteration.
    pub fn save_model_string(&self) -> Result<String> {
        let api = api()?;
        let mut len = 0i64;
        // Large enough for a small model at once; otherwise LightGBM says how much it needs.
        let mut buf = vec![0u8; 1 << 16];
        #[allow(unsafe_code)]
        // SAFETY: valid handle; LightGBM writes at most buf.len() bytes and reports the length
        // it needs (with the NUL) in len.
        unsafe {
            check((api.LGBM_BoosterSaveModelToString)(
                self.handle,
                0,
                -1,
                0,
                buf.len() as i64,
                &mut len,
                buf.as_mut_ptr().cast(),
            ))?;
            let need = usize::try_from(len).unwrap_or(0);
            if need > buf.len() {
                buf = vec![0u8; need];
                check((api.LGBM_BoosterSaveModelToString)(
                    self.handle,
                    0,
                    -1,
                    0,
                    buf.len() as i64,
                    &mut len,
                    buf.as_mut_ptr().cast(),
                ))?;
            }
        }
        let text = CStr::from_bytes_until_nul(&buf).map_err(|e| Error(e.to_string()))?;
        Ok(text.to_string_lossy().into_owned())
    }

    /// One importance per feature, over every iteration.
    pub fn feature_importance(&self, kind: Importance) -> Result<Vec<f64>> {
        let mut out = vec![0f64; self.num_features()?];
        let api = api()?;
        #[allow(unsafe_code)]
        // SAFETY: valid handle; out has one slot per feature, as LightGBM writes.
        check(unsafe {
            (api.LGBM_BoosterFeatureImportance)(self.handle, -1, kind as c_int, out.as_mut_ptr())
        })?;
        Ok(out)
    }
}

impl Drop for Booster<'_> {
    fn drop(&mut self) {
        if let Ok(api) = api() {
            #[allow(unsafe_code)]
            // SAFETY: the handle came from LGBM_BoosterCreate (or a load) and is freed once.
            unsafe {
                (api.LGBM_BoosterFree)(self.handle);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: usize) -> (Vec<f32>, Vec<f32>) {
        let data: Vec<f32> = (0..rows).flat_map(|i| [i as f32, (i % 7) as f32]).collect();
        let labels: Vec<f32> = (0..rows).map(|i| 2.0 * i as f32).collect();
        (data, labels)
    }

    #[test]
    fn trains_predicts_saves_and_loads() {
        let rows = 200;
        let (data, labels) = grid(rows);
        let params = "objective=regression num_threads=1 verbosity=-1 min_data_in_leaf=5";
        let mut d = Dataset::from_dense(&data, rows, 2, params).unwrap();
        d.set_labels(&labels).unwrap();
        let mut b = Booster::new(&d, params).unwrap();
        for _ in 0..20 {
            b.update().unwrap();
        }
        assert_eq!(b.current_iteration().unwrap(), 20);
        let pred = b.predict(&data, rows, 2).unwrap();
        assert_eq!(pred.len(), rows);
        assert!((pred[100] - 200.0).abs() < 30.0, "{}", pred[100]);
        let text = b.save_model_string().unwrap();
        assert!(text.starts_with("tree\n"), "{}", &text[..20]);
        let loaded = Booster::load(&text).unwrap();
        assert_eq!(loaded.predict(&data, rows, 2).unwrap(), pred);
        let split = b.feature_importance(Importance::Split).unwrap();
        assert_eq!(split.len(), 2);
        assert!(split[0] > 0.0);
        assert!(b.feature_importance(Importance::Gain).unwrap()[0] > 0.0);
    }

    #[test]
    fn column_major_data_trains_the_same_model_as_row_major() {
        let rows = 500;
        let (data, labels) = grid(rows);
        let columns: Vec<f32> = (0..2)
            .flat_map(|j| (0..rows).map(move |i| (i, j)))
            .map(|(i, j)| data[i * 2 + j])
            .collect();
        let params = "objective=regression num_threads=2 verbosity=-1 min_data_in_leaf=5";
        let model = |d: Dataset| {
            let mut d = d;
            d.set_labels(&labels).unwrap();
            let mut b = Booster::new(&d, params).unwrap();
            for _ in 0..20 {
                b.update().unwrap();
            }
            b.save_model_string().unwrap()
        };
        let by_rows = model(Dataset::from_dense(&data, rows, 2, params).unwrap());
        let by_columns = model(Dataset::from_columns(&columns, rows, 2, params).unwrap());
        assert!(by_rows.contains("Tree=19"), "{}", &by_rows[..200]);
        assert_eq!(by_rows, by_columns);
        assert!(Dataset::from_columns(&columns, rows + 1, 2, params).is_err());
    }

    #[test]
    fn models_larger_than_the_first_buffer_are_saved_whole() {
        let rows = 2000;
        let (data, labels) = grid(rows);
        let params = "objective=regression num_threads=1 verbosity=-1 num_leaves=63";
        let mut d = Dataset::from_dense(&data, rows, 2, params).unwrap();
        d.set_labels(&labels).unwrap();
        let mut b = Booster::new(&d, params).unwrap();
        for _ in 0..50 {
            b.update().unwrap();
        }
        let text = b.save_model_string().unwrap();
        assert!(text.len() > 1 << 16, "{}", text.len());
        assert!(text.trim_end().ends_with("end of parameters"));
    }

    #[test]
    fn errors_carry_lightgbm_messages() {
        let (data, labels) = grid(10);
        let mut d = Dataset::from_dense(&data, 10, 2, "verbosity=-1").unwrap();
        d.set_labels(&labels).unwrap();
        let e = Booster::new(&d, "objective=no_such verbosity=-1").unwrap_err();
        assert!(e.to_string().contains("no_such"), "{e}");
        assert!(d.set_labels(&labels[..3]).is_err());
        assert!(Dataset::from_dense(&data, 11, 2, "").is_err());
        assert!(param_aliases().unwrap().contains("\"n_estimators\""));
    }
}
