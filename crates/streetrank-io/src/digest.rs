//! SHA-256 digests of input files, so a result can name exactly what it read.

use std::fs::File;
use std::path::Path;

use crate::{Error, Result};

/// The SHA-256 of a file's bytes as lowercase hex, streamed.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("abc.txt");
/// std::fs::write(&p, "abc")?;
/// assert_eq!(
///     streetrank_io::digest_file(&p)?,
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn digest_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    streetrank::sha256_reader(file).map_err(|e| Error::io(path, e))
}
