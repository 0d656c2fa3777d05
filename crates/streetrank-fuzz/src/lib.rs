//! Helpers shared by the fuzz targets: the readers take paths, so every input is written to
//! a scratch file first (one folder per fuzzing process, files overwritten on every run).
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use streetrank_io::OnError;

/// This process's scratch folder under the system temp dir (made on first use).
///
/// # Panics
///
/// When the folder cannot be made: the fuzzer cannot run at all then.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("streetrank-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot make the fuzz scratch folder");
        dir
    })
}

/// Writes `bytes` to `name` in the scratch folder and returns its path.
///
/// # Panics
///
/// When the file cannot be written.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("cannot write a fuzz scratch file");
    path
}

/// Removes `name` from the scratch folder if it is there.
pub fn remove_scratch(name: &str) {
    let _ = std::fs::remove_file(scratch_dir().join(name));
}

/// The lenient mode chosen by the low bits of `b`.
#[must_use]
pub fn on_error(b: u8) -> OnError {
    match b % 3 {
        0 => OnError::Fail,
        1 => OnError::Skip,
        _ => OnError::List,
    }
}

/// Splits `data` into a flag byte and `parts` pieces, each preceded by a 4-byte little-endian
/// length (cut to what is left); the last piece is the rest of the input. Missing pieces are
/// empty. `seed.sh` writes inputs in this layout.
#[must_use]
pub fn split_parts(data: &[u8], parts: usize) -> (u8, Vec<&[u8]>) {
    let (flags, mut rest) = match data.split_first() {
        Some((f, r)) => (*f, r),
        None => (0, data),
    };
    let mut out = Vec::with_capacity(parts);
    for i in 0..parts {
        if i + 1 == parts {
            out.push(rest);
            break;
        }
        if rest.len() < 4 {
            out.push(rest);
            rest = &[];
            continue;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let body = &rest[4..];
        let len = len.min(body.len());
        out.push(&body[..len]);
        rest = &body[len..];
    }
    (flags, out)
}
