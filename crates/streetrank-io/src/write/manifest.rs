//! The manifest written beside every output file: each column, where it comes from, the
//! privacy profile and `k` (see `docs/privacy.md`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::atomic::write_file_atomically;
use super::table::{ColumnType, Table};
use crate::{Error, Profile, Result};

/// One output column in a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestColumn {
    /// The column name as written.
    pub name: String,
    /// `int`, `float`, `text` or `bool`.
    #[serde(rename = "type")]
    pub ty: String,
    /// What the column means.
    pub description: String,
    /// Where its values come from: `"<input> <file>: column <NAME>"` for a value read from an
    /// input, `"computed: …"` for a value streetrank computed.
    pub source: String,
}

/// One input of the run, as a [`Manifest`] names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestInput {
    /// `streets`, `complaints` or `ratings`.
    pub role: String,
    /// The file name (no folder).
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// What one output file holds and where each of its columns comes from.
///
/// # Examples
///
/// ```
/// use streetrank_io::{Manifest, Profile};
/// let dir = tempfile::tempdir()?;
/// let out = dir.path().join("ranking.csv");
/// let m = Manifest::new("score", &out, Profile::Publish, 3);
/// let written = m.write(&out)?;
/// assert!(written.ends_with("ranking.csv.manifest.json"));
/// let text = std::fs::read_to_string(written)?;
/// assert!(text.contains("\"profile\": \"publish\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// The streetrank version that wrote the output.
    pub streetrank: String,
    /// The command (`score`, `snap`, `plan`, `demo`).
    pub command: String,
    /// The output's file name.
    pub output: String,
    /// `geojson`, `csv`, `shp`, `json` or `html`.
    pub format: String,
    /// The privacy profile the output was written under.
    pub profile: Profile,
    /// `k`: complaint counts from 1 to `k - 1` are suppressed under `publish`.
    pub min_count: usize,
    /// Rows (features) written, for a table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// Rows whose small counts were suppressed, for a ranking under `publish`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_rows: Option<usize>,
    /// The run's settings hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings_hash: Option<String>,
    /// Every column, in output order.
    pub columns: Vec<ManifestColumn>,
    /// Where the geometry comes from; `None` when the output has none.
    pub geometry: Option<String>,
    /// The run's input files.
    pub inputs: Vec<ManifestInput>,
    /// Anything else a reader of the output should know, one sentence each.
    pub notes: Vec<String>,
}

impl Manifest {
    /// An empty manifest for `output` (its file name is recorded, not its folder).
    #[must_use]
    pub fn new(command: &str, output: &Path, profile: Profile, min_count: usize) -> Manifest {
        let format = output
            .extension()
            .and_then(|e| e.to_str())
            .map_or_else(String::new, str::to_ascii_lowercase);
        Manifest {
            streetrank: env!("CARGO_PKG_VERSION").to_owned(),
            command: command.to_owned(),
            output: output
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            format,
            profile,
            min_count,
            rows: None,
            suppressed_rows: None,
            settings_hash: None,
            columns: Vec::new(),
            geometry: None,
            inputs: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Fills `rows` and `columns` from a table; `source` names each column's source.
    #[must_use]
    pub fn with_table(
        mut self,
        table: &dyn Table,
        mut source: impl FnMut(&str) -> String,
    ) -> Manifest {
        self.rows = Some(table.len());
        self.columns = table
            .columns()
            .iter()
            .map(|c| ManifestColumn {
                name: c.name.clone(),
                ty: match c.ty {
                    ColumnType::Int => "int",
                    ColumnType::Float => "float",
                    ColumnType::Text => "text",
                    ColumnType::Bool => "bool",
                }
                .to_owned(),
                description: c.description.clone(),
                source: source(&c.name),
            })
            .collect();
        self
    }

    /// Where the manifest of `output` goes: `<output>.manifest.json` beside it.
    #[must_use]
    pub fn path_for(output: &Path) -> PathBuf {
        let mut name = output.file_name().unwrap_or_default().to_os_string();
        name.push(".manifest.json");
        output.with_file_name(name)
    }

    /// Writes the manifest as pretty JSON beside `output` ([`Manifest::path_for`]),
    /// atomically (temporary file, then rename), and returns its path.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written.
    pub fn write(&self, output: &Path) -> Result<PathBuf> {
        let path = Manifest::path_for(output);
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Config {
            context: "manifest".into(),
            problem: format!("cannot be serialised: {e}"),
            fix: "report this as a bug".into(),
        })?;
        text.push('\n');
        write_file_atomically(&path, |w| w.write_all(text.as_bytes()))?;
        Ok(path)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Column, FeatureTable};

    #[test]
    fn manifest_lists_every_column_with_its_source() {
        let table = FeatureTable {
            columns: vec![
                Column::new("rank", ColumnType::Int, "1 = first"),
                Column::new("NAME", ColumnType::Text, "passed through"),
            ],
            rows: vec![vec![], vec![]],
            geometries: vec![],
        };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.shp");
        let m = Manifest::new("score", &out, Profile::Internal, 5)
            .with_table(&table, |c| format!("src of {c}"));
        let p = m.write(&out).unwrap();
        assert_eq!(p, dir.path().join("r.shp.manifest.json"));
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["profile"], "internal");
        assert_eq!(v["min_count"], 5);
        assert_eq!(v["format"], "shp");
        assert_eq!(v["rows"], 2);
        assert_eq!(v["columns"][1]["source"], "src of NAME");
        assert_eq!(v["columns"][0]["type"], "int");
        // Nothing else (no temporary file) is left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
