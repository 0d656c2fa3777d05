//! Shared helpers of the CLI integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The real city data: `$STREETRANK_DATA`, else `../shared/data` beside the repository.
/// Panics (fails the test, never skips) when it is missing.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("STREETRANK_DATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    assert!(
        dir.join("syracuse").is_dir() && dir.join("washington-dc").is_dir(),
        "the real city data is missing at {}: set STREETRANK_DATA to the folder holding syracuse/ and washington-dc/",
        dir.display()
    );
    dir
}

/// A file of the real data.
pub fn data(rel: &str) -> PathBuf {
    let p = data_dir().join(rel);
    assert!(p.exists(), "missing data file {}", p.display());
    p
}

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// Runs the `streetrank` binary with `args`.
pub fn streetrank<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_streetrank"))
        .args(args)
        .output()
        .expect("running streetrank")
}

/// stdout and stderr as text, for assertion messages.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads a CSV file into its header and rows.
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("open csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// Index of a column.
pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}
