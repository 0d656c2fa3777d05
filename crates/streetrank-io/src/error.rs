//! The error type of the readers and writers.

use std::path::PathBuf;

/// Everything reading or writing can fail with.
///
/// Every variant names the file; record-level variants also name the record
/// (1-based row of data for CSV, 1-based feature number for GeoJSON and
/// Shapefile) and the field, and say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, read or written.
    ///
    /// Fix: check the path and permissions.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// One record is unusable.
    ///
    /// Fix: as the message says; or load leniently (`OnError::Skip`) to skip
    /// such records with a count.
    #[error("{}: record {record}{}: {problem}. Fix: {fix}", path.display(), field.as_ref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Record {
        /// The file.
        path: PathBuf,
        /// 1-based record number (data row for CSV, feature for GeoJSON/Shapefile).
        record: usize,
        /// The field (column) at fault, when one is.
        field: Option<String>,
        /// What is wrong, with the offending value.
        problem: String,
        /// What to do about it.
        fix: String,
    },
    /// The file as a whole is unusable: wrong format, truncated, missing a
    /// required column, no CRS, mixed CRS.
    ///
    /// Fix: as the message says.
    #[error("{}: {problem}. Fix: {fix}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
    /// A coordinate reference system could not be read or used.
    ///
    /// Fix: as the message says (give `--crs EPSG:NNNN`, supply the `.prj`).
    #[error("{context}: {problem}. Fix: {fix}")]
    Crs {
        /// The file or setting the CRS came from.
        context: String,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
    /// The configuration file or mapping is invalid.
    ///
    /// Fix: correct the named setting.
    #[error("{context}: {problem}. Fix: {fix}")]
    Config {
        /// The config file (or `"command line"`).
        context: String,
        /// What is wrong.
        problem: String,
        /// What to do about it.
        fix: String,
    },
    /// The core engine refused inputs that do not fit together (not tied to one file).
    ///
    /// Fix: as the message says; usually a caller passed results made for other data.
    #[error(transparent)]
    Core(#[from] streetrank::Error),
    /// The core engine refused the data.
    #[error("{}: {source}", path.display())]
    Model {
        /// The file the data came from.
        path: PathBuf,
        /// The core error, which names the record.
        #[source]
        source: streetrank::Error,
    },
}

impl Error {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A record-level error.
    pub fn record(
        path: impl Into<PathBuf>,
        record: usize,
        field: Option<&str>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::Record {
            path: path.into(),
            record,
            field: field.map(str::to_owned),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// A file-level error.
    pub fn file(
        path: impl Into<PathBuf>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Error {
        Error::File {
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl Error {
    /// The message without its `Fix:` part, for wrapping in another error that
    /// gives its own fix (so a message never says "Fix:" twice).
    pub(crate) fn without_fix(&self) -> String {
        match self {
            Error::Crs {
                context, problem, ..
            }
            | Error::Config {
                context, problem, ..
            } => format!("{context}: {problem}"),
            other => other.to_string(),
        }
    }
}

/// A number for a message: plain up to 1e15, scientific beyond (`1e300`, not
/// three hundred digits).
pub(crate) fn fmt_number(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e15 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fmt_number_table() {
        let cases = [
            (43.0505, "43.0505"),
            (-76.0, "-76"),
            (0.0, "0"),
            (999_999_999_999_999.0, "999999999999999"),
            (1e15, "1e15"),
            (-2.5e300, "-2.5e300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "inf"),
        ];
        for (v, want) in cases {
            assert_eq!(fmt_number(v), want, "{v}");
        }
    }

    #[test]
    fn without_fix_drops_only_the_fix() {
        let e = Error::Crs {
            context: "CRS `X`".into(),
            problem: "unknown".into(),
            fix: "give --crs".into(),
        };
        assert_eq!(e.to_string(), "CRS `X`: unknown. Fix: give --crs");
        assert_eq!(e.without_fix(), "CRS `X`: unknown");
        let f = Error::file("a.csv", "empty", "give rows");
        assert_eq!(f.without_fix(), f.to_string());
    }
}
