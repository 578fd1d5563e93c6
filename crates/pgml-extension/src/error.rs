//! One mapping from pgml's errors to PostgreSQL errors: a real SQLSTATE, a lowercase message with
//! the concrete values, and a hint saying what to change. Never `error!()` (always XX000).

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

#[derive(Debug)]
pub struct PgmlError {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = PgmlError> = std::result::Result<T, E>;

impl PgmlError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        PgmlError {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// 22023: a parameter's value is wrong.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, message)
    }

    /// 42704: a named pgml object (project, model) does not exist.
    pub fn undefined(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT, message)
    }

    /// 55000: the object exists but is not ready for this (no deployment yet, ...).
    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            message,
        )
    }

    /// 0A000: not supported.
    pub fn not_supported(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, message)
    }

    /// 22000: the data cannot be used as it is.
    pub fn data(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_DATA_EXCEPTION, message)
    }

    /// 22004: a NULL where a value is needed.
    pub fn null(message: impl Into<String>) -> Self {
        Self::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, message)
    }

    /// Raises this as a PostgreSQL ERROR; does not return.
    pub fn report(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "pgml");
        if let Some(hint) = self.hint {
            report = report.set_hint(hint);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ereport(ERROR) returned")
    }
}

impl From<pgml_core::Error> for PgmlError {
    fn from(e: pgml_core::Error) -> Self {
        use pgml_core::Error as E;
        let hint = e.hint().map(str::to_string);
        let code = match &e {
            E::InvalidParameter { .. } => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            E::NotSupported { .. } => PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            E::BadData { .. } => PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
            E::NullValue { .. } => PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
            E::TooLarge { .. } => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            E::BadModel {
                newer_format: true, ..
            } => PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            E::BadModel { .. } => PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
        };
        PgmlError {
            code,
            message: e.to_string(),
            hint,
        }
    }
}

impl From<pgrx::spi::SpiError> for PgmlError {
    fn from(e: pgrx::spi::SpiError) -> Self {
        // SPI errors raised by PostgreSQL itself propagate with their own SQLSTATE; what reaches
        // here is pgrx's own conversion failures, i.e. a bug in pgml's catalog queries.
        PgmlError::new(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            format!("pgml catalog access failed: {e}"),
        )
    }
}

/// `result.or_report()`: the value, or the error raised in PostgreSQL.
pub trait OrReport<T> {
    fn or_report(self) -> T;
}

impl<T, E: Into<PgmlError>> OrReport<T> for std::result::Result<T, E> {
    fn or_report(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => e.into().report(),
        }
    }
}
