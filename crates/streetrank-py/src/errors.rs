//! The one place where Rust errors become Python exceptions.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyFileNotFoundError, PyOSError, PyPermissionError};

create_exception!(
    _streetrank,
    StreetrankError,
    PyException,
    "Base class of every streetrank error."
);
create_exception!(
    _streetrank,
    CRSError,
    StreetrankError,
    "A coordinate reference system is missing, unreadable or unusable."
);
create_exception!(
    _streetrank,
    InputError,
    StreetrankError,
    "An input file or one of its records is unusable; the message names the file, record and field."
);
create_exception!(
    _streetrank,
    DataError,
    StreetrankError,
    "Data handed over from Python is unusable (NaN or empty geometry, duplicate ids, mismatched lengths)."
);
create_exception!(
    _streetrank,
    ConfigError,
    StreetrankError,
    "A setting or column mapping is invalid."
);

/// Maps an error of `streetrank-io` to its Python exception.
pub fn io_error(e: &streetrank_io::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        streetrank_io::Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(msg),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(msg),
            _ => PyOSError::new_err(msg),
        },
        streetrank_io::Error::Crs { .. } => CRSError::new_err(msg),
        streetrank_io::Error::Config { .. } => ConfigError::new_err(msg),
        streetrank_io::Error::Core(core) => core_error(core),
        streetrank_io::Error::Model {
            source: streetrank::Error::InvalidConfig { .. },
            ..
        } => ConfigError::new_err(msg),
        _ => InputError::new_err(msg),
    }
}

/// Maps an error of the core engine to its Python exception.
pub fn core_error(e: &streetrank::Error) -> PyErr {
    let msg = e.to_string();
    match e {
        streetrank::Error::InvalidConfig { .. } => ConfigError::new_err(msg),
        _ => DataError::new_err(msg),
    }
}

/// A problem with data handed over from Python, found by the glue itself.
pub fn data_error(msg: impl Into<String>) -> PyErr {
    DataError::new_err(msg.into())
}

/// A problem with a setting handed over from Python, found by the glue itself.
pub fn config_error(msg: impl Into<String>) -> PyErr {
    ConfigError::new_err(msg.into())
}
