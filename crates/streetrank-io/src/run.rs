//! The pieces of a scoring run that every front end (the CLI, the Python package) must do the
//! same way for their results to be identical: merging complaint files, and the digests that
//! make the settings hash.

use std::collections::HashMap;
use std::path::Path;

use streetrank::{Complaint, InputDigest, SourceId, sha256_hex};

use crate::{Error, Result, RunConfig};

/// Concatenates complaint batches (one per file or frame, labelled for messages) in order,
/// refusing an id that appears in two batches.
///
/// # Errors
///
/// [`Error::Config`] naming the id and both batches.
///
/// # Examples
///
/// ```
/// use geo_types::Point;
/// use streetrank::{Complaint, SourceId};
/// let c = |id: &str| Complaint::new(SourceId::from(id), Point::new(0.0, 0.0)).unwrap();
/// let all = streetrank_io::merge_complaints(vec![
///     ("a.csv".into(), vec![c("1"), c("2")]),
///     ("b.csv".into(), vec![c("3")]),
/// ])?;
/// assert_eq!(all.len(), 3);
/// let err = streetrank_io::merge_complaints(vec![
///     ("a.csv".into(), vec![c("1")]),
///     ("b.csv".into(), vec![c("1")]),
/// ]).unwrap_err();
/// assert!(err.to_string().contains("complaint id 1 is in both a.csv and b.csv"));
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn merge_complaints(batches: Vec<(String, Vec<Complaint>)>) -> Result<Vec<Complaint>> {
    let total = batches.iter().map(|(_, b)| b.len()).sum();
    let mut all = Vec::with_capacity(total);
    check_ids_across(
        batches
            .iter()
            .map(|(name, batch)| (name.as_str(), batch.iter().map(|c| &c.id))),
    )?;
    for (_, mut batch) in batches {
        all.append(&mut batch);
    }
    Ok(all)
}

/// Refuses an id that appears in two batches (one per file or frame, labelled for messages):
/// the check of [`merge_complaints`], for a caller that keeps its batches apart. Ids repeated
/// within one batch are the reader's to find.
///
/// # Errors
///
/// [`Error::Config`] naming the first such id (in batch order) and both batches.
///
/// # Examples
///
/// ```
/// use streetrank::SourceId;
/// let (a, b) = ([SourceId::from(1), SourceId::from(2)], [SourceId::from(2)]);
/// let err = streetrank_io::check_ids_across([("frame 0", a.iter()), ("frame 1", b.iter())])
///     .unwrap_err();
/// assert!(err.to_string().contains("complaint id 2 is in both frame 0 and frame 1"));
/// assert!(streetrank_io::check_ids_across([("frame 0", a.iter())]).is_ok());
/// ```
pub fn check_ids_across<'a, I>(batches: impl IntoIterator<Item = (&'a str, I)>) -> Result<()>
where
    I: IntoIterator<Item = &'a SourceId>,
{
    let batches: Vec<(&str, I::IntoIter)> = batches
        .into_iter()
        .map(|(name, ids)| (name, ids.into_iter()))
        .collect();
    if batches.len() < 2 {
        return Ok(());
    }
    let names: Vec<&str> = batches.iter().map(|(name, _)| *name).collect();
    let room = batches.iter().map(|(_, ids)| ids.size_hint().0).sum();
    // Each id with the batch it was last seen in.
    let mut first: HashMap<&SourceId, usize> = HashMap::with_capacity(room);
    for (k, (name, ids)) in batches.into_iter().enumerate() {
        for id in ids {
            if let Some(&other) = first.get(id).filter(|&&other| other != k) {
                let other = names.get(other).copied().unwrap_or_default();
                return Err(Error::Config {
                    context: "complaints".into(),
                    problem: format!("complaint id {id} is in both {other} and {name}"),
                    fix:
                        "ids must be unique across the complaint files: map another id column, or \
                          leave out the file that repeats the other"
                            .into(),
                });
            }
            first.insert(id, k);
        }
    }
    Ok(())
}

/// The digest of one input file for the settings hash: its role (`"streets"`, `"complaints"`,
/// `"ratings"`), its file name (not the folder, so a moved file reproduces the hash) and its
/// SHA-256.
#[must_use]
pub fn input_digest(role: &str, path: &Path, sha256: &str) -> InputDigest {
    InputDigest {
        role: role.to_owned(),
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        sha256: sha256.to_owned(),
    }
}

/// The digest of the whole run configuration (column mappings, CRS, snapping and scoring
/// settings): they change the result as much as the input files do.
///
/// # Errors
///
/// [`Error::Config`] if the configuration cannot be serialised (a non-finite number).
pub fn run_config_digest(cfg: &RunConfig) -> Result<InputDigest> {
    let run = serde_json::to_string(cfg).map_err(|e| Error::Config {
        context: "run configuration".into(),
        problem: format!("cannot be serialised: {e}"),
        fix: "use finite numbers in every setting".into(),
    })?;
    Ok(InputDigest {
        role: "run-config".into(),
        name: "mappings, CRS and snapping".into(),
        sha256: sha256_hex(run.as_bytes()),
    })
}
