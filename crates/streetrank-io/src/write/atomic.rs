//! All-or-nothing file output: write to a temporary file beside the target, rename into place.
//!
//! A writer that fails half-way (an error in the data or in the disk) drops
//! its [`AtomicFile`]s, which deletes the temporary files: the destination is
//! never left half-written, and a file already there stays intact until the
//! rename replaces it in one step.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::{Error, Result};

/// A file being written: a temporary file in the destination's directory.
pub(crate) struct AtomicFile {
    path: PathBuf,
    writer: BufWriter<SyncAhead>,
}

/// Bytes written between two background flushes of a temporary file to disk.
const SYNC_AHEAD_BYTES: u64 = 8 << 20;

/// A temporary file that starts flushing its data to disk while it is still being written:
/// every [`SYNC_AHEAD_BYTES`] bytes, a thread of its own calls `fdatasync` on it (one at a
/// time), so that the disk writes overlap the formatting of the rest and the `fsync` before
/// the rename has only the tail left to write. Its output bytes are the same; only when the
/// data reaches the disk changes. An error of a background flush is returned by the next
/// write or by [`SyncAhead::finish`].
pub(crate) struct SyncAhead {
    temp: NamedTempFile,
    written: u64,
    next_sync: u64,
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl SyncAhead {
    fn new(temp: NamedTempFile) -> SyncAhead {
        SyncAhead {
            temp,
            written: 0,
            next_sync: SYNC_AHEAD_BYTES,
            syncing: None,
        }
    }

    /// Waits for the background flush under way, if any, and returns its error.
    fn join(&mut self) -> std::io::Result<()> {
        match self.syncing.take() {
            Some(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("a background flush panicked"))),
            None => Ok(()),
        }
    }

    /// Waits for the background flush and flushes everything to disk: the file is durable.
    fn finish(mut self) -> std::io::Result<NamedTempFile> {
        self.join()?;
        self.temp.as_file().sync_all()?;
        Ok(self.temp)
    }
}

impl Write for SyncAhead {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.temp.write(buf)?;
        self.written += n as u64;
        if self.written >= self.next_sync {
            self.next_sync = self.written + SYNC_AHEAD_BYTES;
            let finished = self
                .syncing
                .as_ref()
                .is_none_or(std::thread::JoinHandle::is_finished);
            if finished {
                self.join()?;
                let file = self.temp.as_file().try_clone()?;
                self.syncing = Some(std::thread::spawn(move || file.sync_data()));
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

impl AtomicFile {
    /// Creates the temporary file for `path` in the same directory.
    pub(crate) fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| Error::io(path, e))?;
        set_permissions(path, temp.as_file()).map_err(|e| Error::io(path, e))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 16, SyncAhead::new(temp)),
        })
    }

    /// The final path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The buffered writer to the temporary file.
    pub(crate) fn writer(&mut self) -> &mut BufWriter<SyncAhead> {
        &mut self.writer
    }

    /// Flushes and syncs the temporary file; the result is ready to rename.
    fn finish(self) -> Result<(PathBuf, NamedTempFile)> {
        let path = self.path;
        let temp = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?
            .finish()
            .map_err(|e| Error::io(&path, e))?;
        Ok((path, temp))
    }

    /// Flushes, syncs and renames the file into place.
    pub(crate) fn commit(self) -> Result<()> {
        commit_all(vec![self])
    }
}

/// Flushes and syncs every file first (at once, each file's `fsync` on a thread of its own,
/// so that the file system can write them together), then renames them all into place.
///
/// Nothing is renamed unless every file was written and synced; the error is the first
/// file's, in the order given. A failure of a later rename (rare: same directory, same file
/// system) can leave the earlier files of a set renamed.
pub(crate) fn commit_all(files: Vec<AtomicFile>) -> Result<()> {
    let finished: Vec<Result<(PathBuf, NamedTempFile)>> = std::thread::scope(|scope| {
        let mut files = files.into_iter();
        let first = files.next();
        let others: Vec<_> = files
            .map(|f| (f.path.clone(), scope.spawn(|| f.finish())))
            .collect();
        first
            .map(AtomicFile::finish)
            .into_iter()
            .chain(others.into_iter().map(|(path, h)| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::io(
                        &path,
                        std::io::Error::other("the thread syncing this file panicked"),
                    ))
                })
            }))
            .collect()
    });
    let ready = finished.into_iter().collect::<Result<Vec<_>>>()?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (path, temp) in ready {
        temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    for dir in dirs {
        sync_dir(&dir)?;
    }
    Ok(())
}

/// Syncs a directory so the renames survive a crash (Unix only).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(d)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::io(d, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Temporary files are created `0600`; give the result the permissions of
/// the file it replaces, or the usual `0644` for a new file.
fn set_permissions(path: &Path, file: &File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perm = match std::fs::metadata(path) {
            Ok(m) => m.permissions(),
            Err(_) => std::fs::Permissions::from_mode(0o644),
        };
        file.set_permissions(perm)?;
    }
    #[cfg(not(unix))]
    let _ = (path, file);
    Ok(())
}

/// Writes a file all-or-nothing: `fill` writes into a temporary file beside
/// `path`, which is flushed, synced and renamed into place only if `fill`
/// succeeds. On any error no file is left behind and an existing `path` is
/// untouched.
///
/// # Errors
///
/// [`Error::Io`] naming `path` when creating, writing or renaming fails.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("summary.json");
/// streetrank_io::write_file_atomically(&path, |w| w.write_all(b"{}"))?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_file_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(file.writer()).map_err(|e| Error::io(path, e))?;
    file.commit()
}

/// Writes `bytes` to `out`, mapping the error to `path`.
pub(crate) fn write_all(out: &mut impl Write, path: &Path, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, "old").unwrap();

        let mut f = AtomicFile::create(&path).unwrap();
        f.writer().write_all(b"new").unwrap();
        // Before the commit the old content is intact and a temp file exists.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(dir.path()).len(), 2);
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), vec!["out.txt"]);

        let mut g = AtomicFile::create(&path).unwrap();
        g.writer().write_all(b"abandoned").unwrap();
        drop(g);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(dir.path()), vec!["out.txt"]);
    }

    /// Past several background flushes, in writes of uneven sizes: the same bytes, and a
    /// set of files committed together all land.
    #[test]
    fn flushing_ahead_keeps_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        let small = dir.path().join("small.txt");
        let total = 3 * SYNC_AHEAD_BYTES as usize + 12_345;
        let expected: Vec<u8> = (0..total).map(|i| (i * 7 + i / 4099) as u8).collect();
        let mut f = AtomicFile::create(&big).unwrap();
        let mut at = 0;
        let mut step = 1;
        while at < total {
            let end = (at + step).min(total);
            f.writer().write_all(&expected[at..end]).unwrap();
            at = end;
            step = step * 3 % 1_000_003 + 1;
        }
        assert!(f.writer().get_ref().written >= 3 * SYNC_AHEAD_BYTES - (1 << 16));
        let mut g = AtomicFile::create(&small).unwrap();
        g.writer().write_all(b"small").unwrap();
        commit_all(vec![f, g]).unwrap();
        assert!(std::fs::read(&big).unwrap() == expected);
        assert_eq!(std::fs::read_to_string(&small).unwrap(), "small");
        assert_eq!(entries(dir.path()), vec!["big.bin", "small.txt"]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.txt");
        AtomicFile::create(&path).unwrap().commit().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/x.csv");
        let Err(e) = AtomicFile::create(&path) else {
            panic!("expected an error")
        };
        assert!(e.to_string().contains("x.csv"), "{e}");
    }
}
