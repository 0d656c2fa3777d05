//! Column auto-detection and the CSV plumbing shared by the table readers.
//!
//! Readers look a column up by the user's mapping first; when the user mapped
//! nothing they try a list of well-known names, case-insensitively, and note
//! every choice in the [`LoadReport`](crate::LoadReport) with how to override it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use streetrank::{PropertyValue, SourceId};

use crate::{Error, Result};

/// Finds a column by exact name, ignoring ASCII case and surrounding blanks.
///
/// Returns the position of the first match.
///
/// # Examples
///
/// ```
/// let cols = vec!["OBJECTID".to_string(), " Latitude ".to_string()];
/// assert_eq!(streetrank_io::find_column(&cols, "latitude"), Some(1));
/// assert_eq!(streetrank_io::find_column(&cols, "lat"), None);
/// ```
#[must_use]
pub fn find_column(columns: &[String], name: &str) -> Option<usize> {
    let name = name.trim();
    columns
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case(name))
}

/// Finds the first candidate name present among `columns`.
///
/// Candidates are tried in order; each is matched as in [`find_column`].
/// Returns the column's position and the candidate that matched it.
///
/// # Examples
///
/// ```
/// let cols = vec!["id".to_string(), "OBJECTID".to_string()];
/// assert_eq!(streetrank_io::detect_column(&cols, &["objectid", "id"]), Some((1, "objectid")));
/// ```
#[must_use]
pub fn detect_column<'c>(columns: &[String], candidates: &[&'c str]) -> Option<(usize, &'c str)> {
    candidates
        .iter()
        .find_map(|c| find_column(columns, c).map(|i| (i, *c)))
}

/// Lists column names for an error message: `` `a`, `b`, `c` ``.
pub(crate) fn list_columns(columns: &[String]) -> String {
    if columns.is_empty() {
        return "(none)".to_owned();
    }
    columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves a user-mapped column or fails naming the columns that exist.
pub(crate) fn mapped_column(
    path: &Path,
    columns: &[String],
    setting: &str,
    name: &str,
) -> Result<usize> {
    find_column(columns, name).ok_or_else(|| missing_column(path, columns, setting, name))
}

/// The error for a mapped column the file lacks, listing the columns it has.
pub(crate) fn missing_column(path: &Path, columns: &[String], setting: &str, name: &str) -> Error {
    Error::file(
        path,
        format!(
            "column `{name}` (mapped as `{setting}`) is not in the file; its columns are {}",
            list_columns(columns)
        ),
        if setting == "keep" {
            "list only columns the file has in `keep`".to_owned()
        } else {
            format!("set `{setting}` to one of these columns, or remove it to auto-detect")
        },
    )
}

/// Turns an id cell into a [`SourceId`]: canonical integers (`"42"`, `"-7"`,
/// no leading zeros or `+`) become [`SourceId::Int`], anything else stays text.
///
/// # Examples
///
/// ```
/// use streetrank::SourceId;
/// assert_eq!(streetrank_io::source_id_from_text(" 42 "), SourceId::Int(42));
/// assert_eq!(streetrank_io::source_id_from_text("0042"), SourceId::from("0042"));
/// assert_eq!(streetrank_io::source_id_from_text("16-00596165"), SourceId::from("16-00596165"));
/// ```
#[must_use]
pub fn source_id_from_text(text: &str) -> SourceId {
    let t = trim(text);
    // Canonical: what `i.to_string()` writes, checked without writing it.
    let digits = t.strip_prefix('-').unwrap_or(t);
    let canonical = !digits.starts_with(['0', '+']) || t == "0";
    match t.parse::<i64>() {
        Ok(i) if canonical => SourceId::Int(i),
        _ => SourceId::from(t),
    }
}

/// [`str::trim`], without its work when the text starts and ends with a visible ASCII
/// character (the common case of a table cell).
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// A JSON value as a pass-through property.
pub(crate) fn property_from_json(v: &serde_json::Value) -> PropertyValue {
    use serde_json::Value;
    match v {
        Value::Null => PropertyValue::Null,
        Value::Bool(b) => PropertyValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(PropertyValue::Int)
            .or_else(|| n.as_f64().map(PropertyValue::Float))
            .unwrap_or_else(|| PropertyValue::Text(n.to_string())),
        Value::String(s) => PropertyValue::Text(s.clone()),
        other => PropertyValue::Text(other.to_string()),
    }
}

/// A CSV cell as a pass-through property: empty is null, anything else text.
pub(crate) fn property_from_text(s: &str) -> PropertyValue {
    if s.trim().is_empty() {
        PropertyValue::Null
    } else {
        PropertyValue::Text(s.to_owned())
    }
}

/// A CSV file opened for streaming: the reader positioned after the header, and the
/// header's column names.
pub(crate) struct CsvTable {
    pub reader: csv::Reader<Box<dyn Read>>,
    pub columns: Vec<String>,
}

/// Picks the delimiter from the header line: the most frequent of `,` `;` and
/// tab outside double quotes; `,` when none occurs.
pub(crate) fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let delims = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    delims[best]
}

/// Opens a CSV file: strips a UTF-8 byte-order mark, sniffs the delimiter from
/// the header line, reads the header.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, [`Error::File`] when it is
/// empty or its header cannot be read.
pub(crate) fn open_csv(path: &Path) -> Result<CsvTable> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = BufReader::new(file);
    // Peek the first line (the header) without consuming it.
    let peek = buf.fill_buf().map_err(|e| Error::io(path, e))?;
    if peek.is_empty() {
        return Err(Error::file(
            path,
            "the file is empty",
            "give a CSV file with a header line and one row per record",
        ));
    }
    let bom = peek.starts_with(b"\xEF\xBB\xBF");
    let start = if bom { 3 } else { 0 };
    let line_end = peek[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(peek.len(), |p| p + start);
    let delimiter = sniff_delimiter(&peek[start..line_end]);
    if bom {
        buf.consume(3);
    }
    let boxed: Box<dyn Read> = Box::new(buf);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(boxed);
    let header = reader
        .byte_headers()
        .map_err(|e| csv_error(path, &e, "the header line"))?
        .clone();
    let columns: Vec<String> = header
        .iter()
        .map(|c| String::from_utf8_lossy(c).trim().to_owned())
        .collect();
    if columns.iter().all(String::is_empty) {
        return Err(Error::file(
            path,
            "the header line is empty",
            "the first line must name the columns",
        ));
    }
    Ok(CsvTable { reader, columns })
}

/// Maps a csv crate error to a file error naming the line and data row.
pub(crate) fn csv_error(path: &Path, e: &csv::Error, what: &str) -> Error {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            let (record, line) = pos.as_ref().map_or((0, 0), |p| {
                (usize::try_from(p.record()).unwrap_or(0), p.line())
            });
            Error::record(
                path,
                record,
                None,
                format!(
                    "line {line} has {len} fields where the header has {expected_len} (a truncated line or an unquoted delimiter)"
                ),
                "repair the line, or quote values that contain the delimiter",
            )
        }
        csv::ErrorKind::Io(io) => Error::file(
            path,
            format!("reading {what} failed: {io}"),
            "check that the file is complete and readable",
        ),
        _ => Error::file(
            path,
            format!("{what} is not valid CSV: {e}"),
            "check the file is CSV with a header line",
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniff_table() {
        let cases: &[(&[u8], u8)] = &[
            (b"", b','),
            (b"a", b','),
            (b"a,b,c", b','),
            (b"a;b;c", b';'),
            (b"a\tb\tc", b'\t'),
            (b"\"x,y\";b", b';'),
            (b"a,b;c", b','), // tie: comma first
            (b"a;b;c,d", b';'),
        ];
        for &(h, want) in cases {
            assert_eq!(sniff_delimiter(h), want, "{}", String::from_utf8_lossy(h));
        }
    }

    #[test]
    fn find_and_detect() {
        let cols: Vec<String> = ["X", "y", "Lat", "LONGITUDE"].map(String::from).to_vec();
        assert_eq!(find_column(&cols, "x"), Some(0));
        assert_eq!(find_column(&cols, "longitude"), Some(3));
        assert_eq!(find_column(&cols, ""), None);
        assert_eq!(find_column(&[], "x"), None);
        assert_eq!(
            detect_column(&cols, &["lon", "longitude", "x"]),
            Some((3, "longitude"))
        );
        assert_eq!(detect_column(&cols, &[]), None);
    }

    #[test]
    fn ids_table() {
        let cases: &[(&str, SourceId)] = &[
            ("1", SourceId::Int(1)),
            ("-3", SourceId::Int(-3)),
            ("+3", SourceId::from("+3")),
            ("007", SourceId::from("007")),
            ("1.0", SourceId::from("1.0")),
            (
                "99999999999999999999",
                SourceId::from("99999999999999999999"),
            ),
            ("", SourceId::from("")),
            ("0", SourceId::Int(0)),
            ("-0", SourceId::from("-0")),
            ("-07", SourceId::from("-07")),
            ("-+7", SourceId::from("-+7")),
            ("\u{a0}12\t", SourceId::Int(12)),
            ("9223372036854775807", SourceId::Int(i64::MAX)),
            ("-9223372036854775808", SourceId::Int(i64::MIN)),
        ];
        for (t, want) in cases {
            assert_eq!(&source_id_from_text(t), want, "{t:?}");
        }
    }
}
