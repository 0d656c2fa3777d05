//! Writers for a generic feature table: GeoJSON, CSV (with a WKT column) and ESRI Shapefile.
//!
//! Every writer takes a [`Table`]: a [`FeatureTable`] holding its rows, or a table that builds
//! each row as it is written (the CLI's ranking, [`crate::RankingTable`]); [`write_table`]
//! picks the writer. Every file is written to a temporary file in the
//! destination's directory and renamed into place only after it was written,
//! flushed and synced completely: a failure never leaves a partial file, and a
//! file already at the destination stays intact until the rename.

mod atomic;
mod csv;
mod geojson;
mod manifest;
mod num;
mod shapefile;
mod table;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use self::atomic::write_file_atomically;
pub use self::csv::write_csv;
pub use self::geojson::write_geojson;
pub use self::manifest::{Manifest, ManifestColumn, ManifestInput};
pub use self::shapefile::write_shapefile;
pub use self::table::{Column, ColumnType, FeatureTable, GeometryRef, Table, prefetched};

use crate::{Error, Result};

/// How errors name a stream that is not a file.
pub(crate) const STREAM: &str = "<stream>";
/// How errors name standard output.
const STDOUT: &str = "<stdout>";

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// RFC 7946 GeoJSON FeatureCollection.
    GeoJson,
    /// CSV with a header row and an optional trailing `wkt` geometry column.
    Csv,
    /// ESRI Shapefile (`.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`, plus `.fields.csv`).
    Shapefile,
}

impl Format {
    /// The format a file name's extension implies (case-insensitive):
    /// `.geojson`/`.json`, `.csv`, `.shp`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use streetrank_io::Format;
    /// assert_eq!(Format::from_path(Path::new("out/Ranked.GeoJSON")), Some(Format::GeoJson));
    /// assert_eq!(Format::from_path(Path::new("ranked.shp")), Some(Format::Shapefile));
    /// assert_eq!(Format::from_path(Path::new("ranked.txt")), None);
    /// ```
    #[must_use]
    pub fn from_path(p: &Path) -> Option<Format> {
        let ext = p.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "shp" => Some(Format::Shapefile),
            _ => None,
        }
    }

    /// Parses a format name (case-insensitive): `geojson`, `csv`, `shp` or `shapefile`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Format;
    /// assert_eq!(Format::parse("SHP"), Some(Format::Shapefile));
    /// assert_eq!(Format::parse("kml"), None);
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "geojson" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "shp" | "shapefile" => Some(Format::Shapefile),
            _ => None,
        }
    }
}

/// Where output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (given as `-`).
    Stdout,
    /// A file; for a Shapefile, the `.shp` path.
    Path(PathBuf),
}

impl Destination {
    /// `-` means standard output; anything else is a path.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Destination;
    /// assert_eq!(Destination::parse("-"), Destination::Stdout);
    /// assert_eq!(Destination::parse("a.csv"), Destination::Path("a.csv".into()));
    /// ```
    #[must_use]
    pub fn parse(s: &str) -> Destination {
        if s == "-" {
            Destination::Stdout
        } else {
            Destination::Path(PathBuf::from(s))
        }
    }
}

/// How CSV output carries geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvGeometry {
    /// No geometry column.
    None,
    /// A last column `wkt` with the geometry as WKT (empty for a row without
    /// geometry); only when the table has geometry.
    #[default]
    Wkt,
}

/// Options for the writers.
///
/// # Examples
///
/// ```
/// use streetrank_io::{CsvGeometry, WriteOptions};
/// let opts = WriteOptions::default().coordinate_decimals(6).csv_geometry(CsvGeometry::None);
/// ```
#[derive(Debug, Clone)]
pub struct WriteOptions {
    coordinate_decimals: u32,
    csv_geometry: CsvGeometry,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            coordinate_decimals: 7,
            csv_geometry: CsvGeometry::Wkt,
        }
    }
}

impl WriteOptions {
    /// Decimal places kept in coordinates, in every format. Default: 7
    /// (about 1 cm in latitude). 16 or more keeps coordinates unrounded.
    ///
    /// # Units
    ///
    /// Decimal places of degrees.
    #[must_use]
    pub fn coordinate_decimals(mut self, decimals: u32) -> WriteOptions {
        self.coordinate_decimals = decimals;
        self
    }

    /// How CSV output carries geometry. Default: [`CsvGeometry::Wkt`].
    #[must_use]
    pub fn csv_geometry(mut self, csv_geometry: CsvGeometry) -> WriteOptions {
        self.csv_geometry = csv_geometry;
        self
    }
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Every file written, in the order renamed into place (empty for stdout).
    pub files: Vec<PathBuf>,
    /// Rows written.
    pub rows: usize,
    /// Text cells cut to fit a Shapefile's 254-byte field limit.
    pub truncated_cells: usize,
    /// Anything the user should know, one sentence each: truncated cells,
    /// renamed or retyped Shapefile fields.
    pub warnings: Vec<String>,
}

/// Writes `table` in `format` to `dest`.
///
/// A file destination is written all-or-nothing (see the module docs); a
/// Shapefile's files are all written before any is renamed into place.
///
/// # Errors
///
/// [`Error::File`] for a Shapefile to stdout (give a file path) or an invalid
/// table shape; [`Error::Record`] for a row with the wrong number of cells, a
/// cell of the wrong type or unusable geometry; [`Error::Io`] for a failed
/// write. After an error no file at the destination has changed (standard
/// output, being a stream, may have received part of the table).
///
/// # Examples
///
/// ```
/// use streetrank::PropertyValue;
/// use streetrank_io::{Column, ColumnType, Destination, FeatureTable, Format, WriteOptions, write_table};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("ranked.csv");
/// let table = FeatureTable {
///     columns: vec![Column::new("rank", ColumnType::Int, "1 = repair first")],
///     rows: vec![vec![PropertyValue::Int(1)]],
///     geometries: vec![],
/// };
/// let report = write_table(&table, &Destination::Path(path.clone()), Format::Csv, &WriteOptions::default())?;
/// assert_eq!(report.rows, 1);
/// assert_eq!(std::fs::read_to_string(&path)?, "rank\n1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_table(
    table: &dyn Table,
    dest: &Destination,
    format: Format,
    opts: &WriteOptions,
) -> Result<WriteReport> {
    match (dest, format) {
        (Destination::Stdout, Format::Shapefile) => Err(Error::file(
            STDOUT,
            "a Shapefile is several files and cannot be written to standard output",
            "give a file path ending in .shp, or choose --format geojson or csv for stdout",
        )),
        (Destination::Stdout, _) => {
            let path = Path::new(STDOUT);
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            write_stream(table, &mut out, format, opts, path)?;
            out.flush().map_err(|e| Error::io(path, e))?;
            Ok(WriteReport {
                rows: table.len(),
                ..WriteReport::default()
            })
        }
        (Destination::Path(path), Format::Shapefile) => {
            shapefile::write_shapefile(table, path, opts)
        }
        (Destination::Path(path), _) => {
            let mut file = atomic::AtomicFile::create(path)?;
            write_stream(table, file.writer(), format, opts, path)?;
            file.commit()?;
            Ok(WriteReport {
                files: vec![path.clone()],
                rows: table.len(),
                ..WriteReport::default()
            })
        }
    }
}

/// Writes a streamable format (GeoJSON or CSV) to `out`.
fn write_stream<W: Write>(
    table: &dyn Table,
    out: &mut W,
    format: Format,
    opts: &WriteOptions,
    path: &Path,
) -> Result<()> {
    match format {
        Format::GeoJson => geojson::write_to(table, out, opts, path),
        Format::Csv => csv::write_to(table, out, opts, path),
        Format::Shapefile => Err(Error::file(
            path,
            "a Shapefile cannot be written to a stream",
            "give a file path ending in .shp",
        )),
    }
}

/// Test helpers shared by the writers' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::io::Write;

    /// Accepts `left` bytes, then fails every write.
    pub(crate) struct FailAfter {
        pub(crate) left: usize,
    }

    impl Write for FailAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.left == 0 {
                return Err(std::io::Error::other("disk full"));
            }
            let n = buf.len().min(self.left);
            self.left -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streetrank::PropertyValue;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Three good rows, then a row with a missing cell.
    fn failing_table() -> FeatureTable {
        let mut rows = vec![vec![PropertyValue::Int(1), PropertyValue::Float(0.5)]; 3];
        rows.push(vec![PropertyValue::Int(4)]);
        FeatureTable {
            columns: vec![
                Column::new("rank", ColumnType::Int, ""),
                Column::new("score", ColumnType::Float, ""),
            ],
            rows,
            geometries: vec![Some(geo_types::Geometry::Point(geo_types::Point::new(1.0, 2.0))); 4],
        }
    }

    #[test]
    fn failure_half_way_leaves_no_file_and_no_temp() {
        for (format, name) in [
            (Format::GeoJson, "out.geojson"),
            (Format::Csv, "out.csv"),
            (Format::Shapefile, "out.shp"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let dest = Destination::Path(dir.path().join(name));
            let e =
                write_table(&failing_table(), &dest, format, &WriteOptions::default()).unwrap_err();
            assert!(e.to_string().contains("record 4"), "{format:?}: {e}");
            assert!(
                entries(dir.path()).is_empty(),
                "{format:?}: {:?}",
                entries(dir.path())
            );
        }
    }

    #[test]
    fn failure_keeps_an_existing_file_intact() {
        for (format, name) in [
            (Format::GeoJson, "out.geojson"),
            (Format::Csv, "out.csv"),
            (Format::Shapefile, "out.shp"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, "precious").unwrap();
            let dest = Destination::Path(path.clone());
            assert!(
                write_table(&failing_table(), &dest, format, &WriteOptions::default()).is_err()
            );
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "precious",
                "{format:?}"
            );
            assert_eq!(entries(dir.path()), vec![name.to_owned()], "{format:?}");
        }
    }

    #[test]
    fn success_replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").unwrap();
        let mut t = failing_table();
        t.rows.pop();
        t.geometries.pop();
        let report = write_table(
            &t,
            &Destination::Path(path.clone()),
            Format::Csv,
            &WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(report.files, vec![path.clone()]);
        assert_eq!(report.rows, 3);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("rank,score,wkt\n")
        );
        assert_eq!(entries(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn shapefile_to_stdout_is_refused() {
        let e = write_table(
            &FeatureTable::default(),
            &Destination::Stdout,
            Format::Shapefile,
            &WriteOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("file path"), "{e}");
    }

    #[test]
    fn format_and_destination_parsing_table() {
        let cases = [
            ("a.geojson", Some(Format::GeoJson)),
            ("a.JSON", Some(Format::GeoJson)),
            ("dir.v2/a.Csv", Some(Format::Csv)),
            ("a.shp", Some(Format::Shapefile)),
            ("a.shp.zip", None),
            ("a", None),
            ("", None),
        ];
        for (p, want) in cases {
            assert_eq!(Format::from_path(Path::new(p)), want, "{p}");
        }
        let cases = [
            ("geojson", Some(Format::GeoJson)),
            ("CSV", Some(Format::Csv)),
            ("shp", Some(Format::Shapefile)),
            ("Shapefile", Some(Format::Shapefile)),
            ("json", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(Format::parse(s), want, "{s}");
        }
        assert_eq!(Destination::parse("-"), Destination::Stdout);
        assert_eq!(Destination::parse("--"), Destination::Path("--".into()));
        assert_eq!(
            serde_json::to_string(&Format::GeoJson).unwrap(),
            "\"geojson\""
        );
    }
}
