//! A minimal, safe binding to XGBoost's C API, declared by hand from the header of the library it
//! links (Debian's libxgboost 1.7.4): only the calls pgml needs to train and to export a model.
//! Bindings generated from another version's header would call functions this one lacks.
//!
//! Every handle is owned by a Rust value and freed on drop; every call's status is checked and a
//! failure carries XGBoost's own message. The library is loaded at first use (see `ffi`).

use std::ffi::{c_char, c_int, c_void, CStr, CString};

mod collective;
pub use collective::{Communicator, CommunicatorConfig, Operation, Reducible, Traffic};

#[derive(Debug, thiserror::Error)]
#[error("xgboost: {0}")]
pub struct Error(pub String);

pub type Result<T> = std::result::Result<T, Error>;

type Handle = *mut c_void;

/// The C API, loaded from the system's libxgboost the first time pgml trains with XGBoost.
///
/// Not linked: linking would load libxgboost, and with it libgomp, as soon as pgml.so is loaded,
/// and libgomp reads its settings once, in its constructor. Loading it here, after
/// `pgml_openmp::prepare` (OMP_WAIT_POLICY=passive unless the environment already says otherwise),
/// makes OpenMP's idle workers sleep instead of spinning: with a core busy, two spinning threads
/// made a train 13 times slower than one. It also keeps OpenMP out of a postmaster that preloads
/// pgml. LightGBM (crates/pgml-lightgbm) shares the libgomp and the same `prepare`.
#[allow(unsafe_code, non_snake_case)] // the C API itself, under its own names
mod ffi {
    use super::*;

    type Status = c_int;

    pub struct Api {
        pub XGBGetLastError: unsafe extern "C" fn() -> *const c_char,
        pub XGDMatrixCreateFromMat:
            unsafe extern "C" fn(*const f32, u64, u64, f32, *mut Handle) -> Status,
        pub XGDMatrixFree: unsafe extern "C" fn(Handle) -> Status,
        pub XGProxyDMatrixCreate: unsafe extern "C" fn(*mut Handle) -> Status,
        pub XGProxyDMatrixSetDataDense: unsafe extern "C" fn(Handle, *const c_char) -> Status,
        pub XGQuantileDMatrixCreateFromCallback: unsafe extern "C" fn(
            Handle,
            Handle,
            Handle,
            unsafe extern "C" fn(Handle),
            unsafe extern "C" fn(Handle) -> c_int,
            *const c_char,
            *mut Handle,
        ) -> Status,
        pub XGDMatrixSetFloatInfo:
            unsafe extern "C" fn(Handle, *const c_char, *const f32, u64) -> Status,
        pub XGBoosterCreate: unsafe extern "C" fn(*const Handle, u64, *mut Handle) -> Status,
        pub XGBoosterFree: unsafe extern "C" fn(Handle) -> Status,
        pub XGBoosterSetParam: unsafe extern "C" fn(Handle, *const c_char, *const c_char) -> Status,
        pub XGBoosterUpdateOneIter: unsafe extern "C" fn(Handle, c_int, Handle) -> Status,
        pub XGBoosterPredict: unsafe extern "C" fn(
            Handle,
            Handle,
            c_int,
            u32,
            c_int,
            *mut u64,
            *mut *const f32,
        ) -> Status,
        pub XGBoosterSaveModelToBuffer:
            unsafe extern "C" fn(Handle, *const c_char, *mut u64, *mut *const c_char) -> Status,
        pub XGBoosterLoadModelFromBuffer:
            unsafe extern "C" fn(Handle, *const c_void, u64) -> Status,
        pub XGBoosterEvalOneIter: unsafe extern "C" fn(
            Handle,
            c_int,
            *const Handle,
            *const *const c_char,
            u64,
            *mut *const c_char,
        ) -> Status,
        pub XGBoosterSlice:
            unsafe extern "C" fn(Handle, c_int, c_int, c_int, *mut Handle) -> Status,
        // The collective (rabit in Debian's build): per thread, see `collective.rs`.
        pub XGCommunicatorInit: unsafe extern "C" fn(*const c_char) -> Status,
        pub XGCommunicatorFinalize: unsafe extern "C" fn() -> Status,
        pub XGCommunicatorGetRank: unsafe extern "C" fn() -> c_int,
        pub XGCommunicatorGetWorldSize: unsafe extern "C" fn() -> c_int,
        pub XGCommunicatorAllreduce:
            unsafe extern "C" fn(*mut c_void, usize, c_int, c_int) -> Status,
        pub XGCommunicatorBroadcast: unsafe extern "C" fn(*mut c_void, usize, c_int) -> Status,
        // Keeps the library loaded for as long as the function pointers above are used: forever.
        _library: libloading::Library,
    }

    /// The files tried, in order: `PGML_XGBOOST_LIB` at run time (another build of XGBoost 1.7,
    /// e.g. the PyPI wheel's `xgboost/lib/libxgboost.so`, for comparisons), then the sonames
    /// Debian's libxgboost0 and libxgboost-dev install.
    fn candidates() -> Vec<String> {
        let mut names = Vec::new();
        if let Some(p) = std::env::var_os("PGML_XGBOOST_LIB") {
            names.push(p.to_string_lossy().into_owned());
        }
        names.extend(["libxgboost.so.0".to_string(), "libxgboost.so".to_string()]);
        names
    }

    fn load() -> std::result::Result<Api, String> {
        pgml_openmp::prepare();
        let mut errors = Vec::new();
        for name in candidates() {
            // SAFETY: loading libxgboost runs its (and libgomp's) initialisers, which have no
            // preconditions; the symbols are read with the signatures of XGBoost 1.7's c_api.h.
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
                XGBGetLastError: symbol!(XGBGetLastError),
                XGDMatrixCreateFromMat: symbol!(XGDMatrixCreateFromMat),
                XGDMatrixFree: symbol!(XGDMatrixFree),
                XGProxyDMatrixCreate: symbol!(XGProxyDMatrixCreate),
                XGProxyDMatrixSetDataDense: symbol!(XGProxyDMatrixSetDataDense),
                XGQuantileDMatrixCreateFromCallback: symbol!(XGQuantileDMatrixCreateFromCallback),
                XGDMatrixSetFloatInfo: symbol!(XGDMatrixSetFloatInfo),
                XGBoosterCreate: symbol!(XGBoosterCreate),
                XGBoosterFree: symbol!(XGBoosterFree),
                XGBoosterSetParam: symbol!(XGBoosterSetParam),
                XGBoosterUpdateOneIter: symbol!(XGBoosterUpdateOneIter),
                XGBoosterPredict: symbol!(XGBoosterPredict),
                XGBoosterSaveModelToBuffer: symbol!(XGBoosterSaveModelToBuffer),
                XGBoosterLoadModelFromBuffer: symbol!(XGBoosterLoadModelFromBuffer),
                XGBoosterEvalOneIter: symbol!(XGBoosterEvalOneIter),
                XGBoosterSlice: symbol!(XGBoosterSlice),
                XGCommunicatorInit: symbol!(XGCommunicatorInit),
                XGCommunicatorFinalize: symbol!(XGCommunicatorFinalize),
                XGCommunicatorGetRank: symbol!(XGCommunicatorGetRank),
                XGCommunicatorGetWorldSize: symbol!(XGCommunicatorGetWorldSize),
                XGCommunicatorAllreduce: symbol!(XGCommunicatorAllreduce),
                XGCommunicatorBroadcast: symbol!(XGCommunicatorBroadcast),
                _library: library,
            });
        }
        Err(format!(
            "cannot load libxgboost ({}); install Debian's libxgboost0 (scripts/bootstrap does), \
             or set PGML_XGBOOST_LIB to the path of an XGBoost 1.7 library",
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
    #[allow(unsafe_code)]
    // SAFETY: XGBGetLastError returns a thread-local, NUL-terminated string (never NULL).
    let message = match api() {
        Ok(api) => unsafe { CStr::from_ptr((api.XGBGetLastError)()) },
        Err(e) => return Err(e),
    }
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
        let api = api()?;
        check(unsafe {
            (api.XGDMatrixCreateFromMat)(
                data.as_ptr(),
                rows as u64,
                cols as u64,
                f32::NAN,
                &mut handle,
            )
        })?;
        Ok(DMatrix { handle, rows })
    }

    /// XGBoost's QuantileDMatrix (what `tree_method` hist trains on) over a column-major matrix
    /// (`columns` holds column 0's `rows` values, then column 1's, ...), read in place: XGBoost
    /// sketches the columns, then keeps only each value's bin (1 byte with up to 256 bins) and
    /// no copy of the values. `from_dense` makes a CSR copy of 8 bytes a value instead, and needs
    /// the rows row-major. The model is the same as from `from_dense` (same sketch, same bins)
    /// as long as the booster's `max_bin` is this one (with another, XGBoost 1.7 warns and keeps
    /// these bins).
    /// NaN is missing, as in `from_dense`.
    pub fn quantile_from_columns(
        columns: &[f32],
        rows: usize,
        cols: usize,
        labels: &[f32],
        max_bin: usize,
        nthread: usize,
    ) -> Result<DMatrix> {
        if rows.checked_mul(cols) != Some(columns.len()) || rows == 0 || cols == 0 {
            return Err(Error(format!(
                "{rows}x{cols} matrix needs {} values (and at least one), got {}",
                rows.saturating_mul(cols),
                columns.len()
            )));
        }
        if labels.len() != rows {
            return Err(Error(format!("{} labels for {rows} rows", labels.len())));
        }
        let api = api()?;
        let mut proxy: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: proxy is written on success.
        check(unsafe { (api.XGProxyDMatrixCreate)(&mut proxy) })?;
        // Owned by a DMatrix so that it is freed on every path; XGBoost keeps no reference to the
        // proxy once the QuantileDMatrix is built.
        let proxy = DMatrix {
            handle: proxy,
            rows: 0,
        };
        // NumPy's __array_interface__ (version 3) of a Fortran-order float32 array: element
        // (i, j) is `strides[0] * i + strides[1] * j` bytes from `data`.
        let interface = c_string(&format!(
            "{{\"data\": [{}, true], \"shape\": [{rows}, {cols}], \"strides\": [4, {}], \
             \"typestr\": \"<f4\", \"version\": 3}}",
            columns.as_ptr() as usize,
            4 * rows
        ))?;
        let mut batch = OneBatch {
            api,
            proxy: proxy.handle,
            interface,
            labels,
            given: false,
            error: None,
        };
        let config = c_string(&format!(
            "{{\"missing\": NaN, \"nthread\": {}, \"max_bin\": {max_bin}}}",
            nthread.max(1)
        ))?;
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: `batch` (the iterator handle) and the data and labels it points to outlive the
        // call, which is the only time XGBoost calls back into it; no reference matrix; handle
        // is written on success.
        let status = unsafe {
            (api.XGQuantileDMatrixCreateFromCallback)(
                std::ptr::addr_of_mut!(batch).cast(),
                proxy.handle,
                std::ptr::null_mut(),
                one_batch_reset,
                one_batch_next,
                config.as_ptr(),
                &mut handle,
            )
        };
        // A failure inside the callback is the first cause; XGBoost's own message then only
        // says that no batch came.
        if let Some(e) = batch.error.take() {
            return Err(Error(e));
        }
        check(status)?;
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
        let api = api()?;
        check(unsafe {
            (api.XGDMatrixSetFloatInfo)(
                self.handle,
                field.as_ptr(),
                labels.as_ptr(),
                labels.len() as u64,
            )
        })
    }
}

/// The data iterator a QuantileDMatrix is built from: one batch, the whole matrix, handed out
/// again after each reset (XGBoost reads its data in several passes: counts, sketch, bins).
struct OneBatch<'a> {
    api: &'static ffi::Api,
    proxy: Handle,
    interface: CString,
    labels: &'a [f32],
    given: bool,
    error: Option<String>,
}

#[allow(unsafe_code)]
/// SAFETY (caller, XGBoost): `iter` is the `OneBatch` passed to
/// XGQuantileDMatrixCreateFromCallback, alive and not otherwise borrowed during the call.
unsafe extern "C" fn one_batch_reset(iter: Handle) {
    // SAFETY: see above.
    let batch = unsafe { &mut *iter.cast::<OneBatch<'_>>() };
    batch.given = false;
}

#[allow(unsafe_code)]
/// 1 and the batch set on the proxy, or 0 when there is none left (or setting it failed: the
/// message is kept for the caller). SAFETY (caller, XGBoost): as `one_batch_reset`.
unsafe extern "C" fn one_batch_next(iter: Handle) -> c_int {
    // SAFETY: see above.
    let batch = unsafe { &mut *iter.cast::<OneBatch<'_>>() };
    if batch.given || batch.error.is_some() {
        return 0;
    }
    batch.given = true;
    let api = batch.api;
    let last_error = || {
        // SAFETY: XGBGetLastError returns a thread-local, NUL-terminated string (never NULL).
        unsafe { CStr::from_ptr((api.XGBGetLastError)()) }
            .to_string_lossy()
            .into_owned()
    };
    // SAFETY: a proxy handle and a NUL-terminated array interface whose data outlives the build.
    if unsafe { (api.XGProxyDMatrixSetDataDense)(batch.proxy, batch.interface.as_ptr()) } != 0 {
        batch.error = Some(last_error());
        return 0;
    }
    // The labels go with the batch (XGBoost moves a single batch's meta info into the matrix).
    let field = c"label";
    // SAFETY: valid proxy; XGBoost copies the labels.
    let status = unsafe {
        (api.XGDMatrixSetFloatInfo)(
            batch.proxy,
            field.as_ptr(),
            batch.labels.as_ptr(),
            batch.labels.len() as u64,
        )
    };
    if status != 0 {
        batch.error = Some(last_error());
        return 0;
    }
    1
}

impl Drop for DMatrix {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: the handle came from XGDMatrixCreateFromMat and is freed once.
        if let Ok(api) = api() {
            unsafe {
                (api.XGDMatrixFree)(self.handle);
            }
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
        let api = api()?;
        check(unsafe { (api.XGBoosterCreate)(dmats.as_ptr(), 1, &mut handle) })?;
        Ok(Booster { handle })
    }

    /// A booster that caches every matrix of `cache` (the training matrix and those it is
    /// evaluated on), so evaluating them each round does not predict them from scratch.
    pub fn with_cache(cache: &[&DMatrix]) -> Result<Booster> {
        let mut handle: Handle = std::ptr::null_mut();
        let dmats: Vec<Handle> = cache.iter().map(|d| d.handle).collect();
        #[allow(unsafe_code)]
        // SAFETY: valid DMatrix handles that outlive the call; handle is written on success.
        let api = api()?;
        check(unsafe { (api.XGBoosterCreate)(dmats.as_ptr(), dmats.len() as u64, &mut handle) })?;
        Ok(Booster { handle })
    }

    /// XGBoost's evaluation line after `iteration`, e.g. `[3]\tvalid-rmse:0.52`: every eval_metric
    /// on every named matrix.
    pub fn eval(&self, iteration: usize, sets: &[(&DMatrix, &str)]) -> Result<String> {
        let iteration =
            c_int::try_from(iteration).map_err(|_| Error("too many iterations".into()))?;
        let names: Vec<CString> = sets
            .iter()
            .map(|(_, n)| c_string(n))
            .collect::<Result<_>>()?;
        let name_ptrs: Vec<*const c_char> = names.iter().map(|n| n.as_ptr()).collect();
        let dmats: Vec<Handle> = sets.iter().map(|(d, _)| d.handle).collect();
        let mut out: *const c_char = std::ptr::null();
        #[allow(unsafe_code)]
        // SAFETY: valid handles and NUL-terminated names that outlive the call; the result is a
        // NUL-terminated string owned by the booster until its next call, copied out at once.
        let api = api()?;
        unsafe {
            check((api.XGBoosterEvalOneIter)(
                self.handle,
                iteration,
                dmats.as_ptr(),
                name_ptrs.as_ptr(),
                dmats.len() as u64,
                &mut out,
            ))?;
            Ok(CStr::from_ptr(out).to_string_lossy().into_owned())
        }
    }

    /// A new booster holding the rounds `begin..end` of this one (e.g. up to the best iteration
    /// of early stopping).
    pub fn slice(&self, begin: usize, end: usize) -> Result<Booster> {
        let range = |v: usize| c_int::try_from(v).map_err(|_| Error("too many rounds".into()));
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: valid handle; the new handle is written on success and owned by the result.
        let api = api()?;
        check(unsafe {
            (api.XGBoosterSlice)(self.handle, range(begin)?, range(end)?, 1, &mut handle)
        })?;
        Ok(Booster { handle })
    }

    /// A booster loaded from a saved model (JSON or UBJSON bytes).
    pub fn load(model: &[u8]) -> Result<Booster> {
        let mut handle: Handle = std::ptr::null_mut();
        #[allow(unsafe_code)]
        // SAFETY: an empty booster, then a load from a buffer that outlives the call.
        let api = api()?;
        unsafe {
            check((api.XGBoosterCreate)(std::ptr::null(), 0, &mut handle))?;
            let booster = Booster { handle };
            check((api.XGBoosterLoadModelFromBuffer)(
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
        let api = api()?;
        check(unsafe { (api.XGBoosterSetParam)(self.handle, n.as_ptr(), v.as_ptr()) })
    }

    /// One boosting round (one tree per class, or one forest in random-forest mode).
    pub fn update(&mut self, iteration: usize, train: &DMatrix) -> Result<()> {
        let iteration =
            c_int::try_from(iteration).map_err(|_| Error("too many iterations".into()))?;
        #[allow(unsafe_code)]
        // SAFETY: valid handles.
        let api = api()?;
        check(unsafe { (api.XGBoosterUpdateOneIter)(self.handle, iteration, train.handle) })
    }

    /// XGBoost's own predictions (probabilities for classification), row-major.
    pub fn predict(&self, data: &DMatrix) -> Result<Vec<f32>> {
        let mut len = 0u64;
        let mut out: *const f32 = std::ptr::null();
        #[allow(unsafe_code)]
        // SAFETY: valid handles; the result buffer belongs to the booster until its next call, so
        // it is copied out at once.
        let api = api()?;
        unsafe {
            check((api.XGBoosterPredict)(
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
        let api = api()?;
        unsafe {
            check((api.XGBoosterSaveModelToBuffer)(
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
        if let Ok(api) = api() {
            unsafe {
                (api.XGBoosterFree)(self.handle);
            }
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
    fn evaluates_each_round_and_slices_to_a_prefix_of_rounds() {
        let rows = 100;
        let data: Vec<f32> = (0..rows).map(|i| i as f32).collect();
        let labels: Vec<f32> = (0..rows).map(|i| (i % 10) as f32).collect();
        let mut d = DMatrix::from_dense(&data, rows, 1).unwrap();
        d.set_labels(&labels).unwrap();
        let mut b = Booster::with_cache(&[&d]).unwrap();
        b.set_param("nthread", "1").unwrap();
        b.set_param("eval_metric", "mae").unwrap();
        let mut errors = Vec::new();
        for i in 0..5 {
            b.update(i, &d).unwrap();
            let line = b.eval(i, &[(&d, "train")]).unwrap();
            assert!(line.starts_with(&format!("[{i}]\ttrain-mae:")), "{line}");
            errors.push(line);
        }
        let first_two = b.slice(0, 2).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&first_two.save_json().unwrap()).unwrap();
        let trees = json["learner"]["gradient_booster"]["model"]["trees"]
            .as_array()
            .unwrap();
        assert_eq!(trees.len(), 2);
        assert!(b.slice(0, 9).is_err(), "a slice past the end is refused");
    }

    /// The column-major matrix read in place trains the model the row-major copy trains.
    #[test]
    fn quantile_matrix_from_columns_trains_as_the_row_copy() {
        let rows = 500;
        let row_major: Vec<f32> = (0..rows)
            .flat_map(|i| {
                [
                    ((i * 37) % 101) as f32 * 0.5,
                    (i % 7) as f32,
                    (i * i % 13) as f32,
                ]
            })
            .collect();
        let columns: Vec<f32> = (0..3)
            .flat_map(|j| (0..rows).map(move |i| (i, j)))
            .map(|(i, j)| row_major[i * 3 + j])
            .collect();
        let labels: Vec<f32> = (0..rows)
            .map(|i| row_major[i * 3] * 2.0 - row_major[i * 3 + 2])
            .collect();
        let train = |d: &DMatrix| {
            let mut b = Booster::new(d).unwrap();
            for (k, v) in [("nthread", "2"), ("tree_method", "hist"), ("max_bin", "32")] {
                b.set_param(k, v).unwrap();
            }
            for i in 0..10 {
                b.update(i, d).unwrap();
            }
            b.save_json().unwrap()
        };
        let q = DMatrix::quantile_from_columns(&columns, rows, 3, &labels, 32, 2).unwrap();
        let mut d = DMatrix::from_dense(&row_major, rows, 3).unwrap();
        d.set_labels(&labels).unwrap();
        assert!(train(&q) == train(&d), "different models");

        assert!(DMatrix::quantile_from_columns(&columns, rows, 3, &labels[1..], 32, 1).is_err());
        assert!(DMatrix::quantile_from_columns(&columns, rows, 2, &labels, 32, 1).is_err());
        assert!(DMatrix::quantile_from_columns(&[], 0, 3, &[], 32, 1).is_err());
    }

    #[test]
    fn openmp_workers_sleep_unless_the_environment_says_otherwise() {
        DMatrix::from_dense(&[1.0], 1, 1).unwrap();
        assert!(std::env::var_os("OMP_WAIT_POLICY").is_some());
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
