//! Errors of the ML core. Each variant is a class the extension maps to one SQLSTATE, so the
//! message can stay about the user's input and the code about its kind.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A parameter has a wrong name, type or value (SQLSTATE 22023).
    #[error("{message}")]
    InvalidParameter {
        message: String,
        hint: Option<String>,
    },
    /// The combination asked for is not supported (SQLSTATE 0A000).
    #[error("{message}")]
    NotSupported {
        message: String,
        hint: Option<String>,
    },
    /// The data cannot be trained on as it is (SQLSTATE 22000).
    #[error("{message}")]
    BadData {
        message: String,
        hint: Option<String>,
    },
    /// A NULL where a value is needed (SQLSTATE 22004).
    #[error("{message}")]
    NullValue {
        message: String,
        hint: Option<String>,
    },
    /// What was asked would take more memory or time than pgml allows (SQLSTATE 54000).
    #[error("{message}")]
    TooLarge {
        message: String,
        hint: Option<String>,
    },
    /// A stored model cannot be read (SQLSTATE XX001, data corrupted, or 0A000 for a newer format).
    #[error("{message}")]
    BadModel { message: String, newer_format: bool },
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            message: message.into(),
            hint: None,
        }
    }

    pub fn invalid_with_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::InvalidParameter {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn not_supported(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::NotSupported {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn bad_data(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::BadData {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn too_large(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::TooLarge {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::InvalidParameter { hint, .. }
            | Error::NotSupported { hint, .. }
            | Error::BadData { hint, .. }
            | Error::NullValue { hint, .. }
            | Error::TooLarge { hint, .. } => hint.as_deref(),
            Error::BadModel { .. } => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
