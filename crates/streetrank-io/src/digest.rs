//! SHA-256 digests of input files, so a result can name exactly what it read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The SHA-256 of a file's bytes as lowercase hex, read in 64 KiB blocks.
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
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
