//! What a load did: counts, skips by reason, and every guess made on the user's behalf.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to do with a bad record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first bad record with an error naming it (the default).
    #[default]
    Fail,
    /// Skip bad records, counting them by reason in the [`LoadReport`], which keeps the first
    /// [`SKIP_EXAMPLES`] messages of each reason.
    Skip,
    /// Like [`OnError::Skip`], but the report keeps every message: what `streetrank validate`
    /// uses to list every problem in a file.
    List,
}

/// How many example records a [`LoadReport`] keeps per skip reason.
pub const SKIP_EXAMPLES: usize = 5;

/// What a reader did with one file.
///
/// Readers never guess silently: every auto-detected column, swapped axis or
/// chosen CRS is a line in [`LoadReport::notes`], which the CLI prints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadReport {
    /// The file read.
    pub path: PathBuf,
    /// Records read into the result.
    pub loaded: usize,
    /// Records skipped, by reason (a short stable phrase such as `"empty geometry"`).
    pub skipped: BTreeMap<String, usize>,
    /// Full messages per reason, in file order: up to [`SKIP_EXAMPLES`] under
    /// [`OnError::Skip`], all of them under [`OnError::List`].
    pub skip_examples: BTreeMap<String, Vec<String>>,
    /// Decisions taken on the user's behalf, one sentence each
    /// (`"longitude from column `LONGITUDE` (auto-detected)"`).
    pub notes: Vec<String>,
}

impl LoadReport {
    /// An empty report for `path`.
    pub fn new(path: impl Into<PathBuf>) -> LoadReport {
        LoadReport {
            path: path.into(),
            ..LoadReport::default()
        }
    }

    /// Total records skipped.
    #[must_use]
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }

    /// Records a note.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Handles a bad record according to `on_error`: returns the error under
    /// [`OnError::Fail`], or counts it under `reason` and returns `Ok(())`.
    ///
    /// # Errors
    ///
    /// Returns `error` itself under [`OnError::Fail`].
    pub fn skip_or_fail(
        &mut self,
        on_error: OnError,
        reason: &str,
        error: crate::Error,
    ) -> crate::Result<()> {
        match on_error {
            OnError::Fail => Err(error),
            OnError::Skip | OnError::List => {
                *self.skipped.entry(reason.to_owned()).or_default() += 1;
                let examples = self.skip_examples.entry(reason.to_owned()).or_default();
                if on_error == OnError::List || examples.len() < SKIP_EXAMPLES {
                    examples.push(error.to_string());
                }
                Ok(())
            }
        }
    }
}

/// A count with thousands separators, as messages and summaries print it: `7538` → `"7,538"`.
///
/// # Examples
///
/// ```
/// assert_eq!(streetrank_io::thousands(1_234_567), "1,234,567");
/// assert_eq!(streetrank_io::thousands(999), "999");
/// ```
#[must_use]
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
