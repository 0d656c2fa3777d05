//! Street centerline readers: Shapefile (also zipped), GeoJSON and CSV with a
//! WKT column, into a [`StreetNetwork`] in a metric working CRS.
//!
//! Every reader resolves its columns the same way (explicit mapping first,
//! else case-insensitive auto-detection, always noted in the report), checks
//! each feature's geometry, and hands the vertices to one builder that guards
//! against a wrong CRS and reprojects everything in one batched PROJ pass.

mod build;
mod columns;
mod geojson;
mod geojson_fast;
mod shapefile;
mod wkt_csv;

pub(crate) use geojson::describe_geojson_error;

use std::path::{Path, PathBuf};

use streetrank::StreetNetwork;

use crate::{Crs, Error, LoadReport, LonLatLines, OnError, Result};

/// Which source columns hold what. Every field is optional: a silent field
/// is auto-detected (case-insensitively) and the choice is noted in the
/// [`LoadReport`].
///
/// Deserialises from the `[streets]` table of a config file; unknown keys are
/// refused.
///
/// # Examples
///
/// ```
/// use streetrank_io::StreetMapping;
/// let m: StreetMapping = toml::from_str(r#"
///     id = "STREET_ID"
///     road_class = "CART_CLASS"
///     crs = "EPSG:2261"
/// "#).unwrap();
/// assert_eq!(m.id.as_deref(), Some("STREET_ID"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreetMapping {
    /// Segment id column. Auto: `STREET_ID`, `segment_id`, `LINEARID`,
    /// `ROADWAYSEGID`, `STREETSEGID`, `GIS_ID`, `OBJECTID`, `FID`, `id`;
    /// else the 1-based feature number.
    pub id: Option<String>,
    /// Road class column. Auto: `road_class`, `CART_CLASS`, `MTFCC`,
    /// `FUNCTIONALCLASS`, `FUNC_CLASS`, `class`.
    pub road_class: Option<String>,
    /// Pavement condition column. Auto: `condition`, `PCI`, `overall`.
    pub condition: Option<String>,
    /// Traffic (AADT) column. Auto: `AADT`.
    pub aadt: Option<String>,
    /// Pavement width column. Auto: `width`, `width_m`.
    pub width: Option<String>,
    /// Unit of the width column: `"m"` (the default) or `"ft"`.
    pub width_unit: Option<String>,
    /// Lane count column. Auto: `lanes`, `NUM_LANES`.
    pub lanes: Option<String>,
    /// District / ward column. Auto: `district`, `WARD`, `council_district`.
    pub district: Option<String>,
    /// Columns passed through unchanged to the outputs.
    pub keep: Vec<String>,
    /// The CRS of the coordinates; overrides a Shapefile's `.prj` and a
    /// GeoJSON `crs` member. CSV-WKT files without it are read as WGS 84
    /// longitude/latitude.
    pub crs: Option<Crs>,
    /// Which `.shp` inside a `.zip` to read (file name with or without
    /// `.shp`), when it holds several.
    pub layer: Option<String>,
    /// WKT geometry column of a CSV file. Auto: `WKT`, `geometry`,
    /// `the_geom`, `geom`.
    pub geometry: Option<String>,
}

/// Options for [`read_streets`].
#[derive(Debug, Clone, Default)]
pub struct StreetsOptions {
    /// Column mapping (default: auto-detect everything).
    pub mapping: StreetMapping,
    /// What to do with a bad feature (default: fail).
    pub on_error: OnError,
    /// The metric CRS to work in (default: [`choose_work_crs`](crate::choose_work_crs): the
    /// streets' own CRS when it is projected in metres, else the WGS 84 UTM zone of their
    /// centre). Must be projected with metre units.
    pub work_crs: Option<Crs>,
}

/// Streets read from a file.
#[derive(Debug, Clone)]
pub struct LoadedStreets {
    /// The segments, in the working CRS (metres).
    pub network: StreetNetwork,
    /// The CRS the file's coordinates were in.
    pub source_crs: Crs,
    /// The metric CRS the network is in.
    pub work_crs: Crs,
    /// `[west, south, east, north]` of all vertices, degrees WGS 84.
    pub extent_lonlat: [f64; 4],
    /// Counts, skips and every decision taken on the user's behalf.
    pub report: LoadReport,
    /// SHA-256 of the input file's bytes, lowercase hex.
    pub sha256: String,
    /// The segments' lines exactly as a WGS84 file gave them (`None` for other source CRSs):
    /// outputs in WGS84 use them instead of reprojecting the network back. Set it to `None`
    /// after editing `network.segments`' geometry.
    pub lonlat_lines: Option<LonLatLines>,
}

/// Reads street centerlines, choosing the reader by the file extension:
/// `.shp`, `.zip` (holding a Shapefile), `.geojson`/`.json`, `.csv`.
///
/// Coordinates are reprojected from the source CRS (the mapping's `crs`,
/// else the `.prj` / GeoJSON CRS) to the working CRS.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read; [`Error::File`] for an unknown
/// extension, a damaged file or Point/Polygon features; [`Error::Crs`] for a
/// missing or implausible CRS; [`Error::Record`] for a bad feature (under
/// [`OnError::Fail`]), naming the file, the 1-based feature and the field;
/// [`Error::Config`] for a mapped column the file does not have.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use streetrank_io::{read_streets, StreetsOptions};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("streets.geojson");
/// std::fs::write(&path, r#"{"type":"FeatureCollection","features":[
///   {"type":"Feature","properties":{"segment_id":7},
///    "geometry":{"type":"LineString","coordinates":[[-76.15,43.05],[-76.14,43.05]]}}]}"#)?;
/// let streets = read_streets(&path, &StreetsOptions::default())?;
/// assert_eq!(streets.network.segments.len(), 1);
/// assert_eq!(streets.work_crs.label(), "EPSG:32618");
/// assert!((streets.network.total_length_m() - 813.0).abs() < 2.0);
/// # Ok(()) }
/// ```
pub fn read_streets(path: &Path, opts: &StreetsOptions) -> Result<LoadedStreets> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "shp" => shapefile::read_shp_path(path, opts),
        "zip" => shapefile::read_zip(path, opts),
        "geojson" | "json" => geojson::read_geojson(path, opts),
        "csv" => wkt_csv::read_wkt_csv(path, opts),
        _ => Err(Error::file(
            path,
            format!("unknown street file type `.{ext}`"),
            "give a Shapefile (.shp, or a .zip holding one), GeoJSON (.geojson/.json) or CSV with a WKT column (.csv)",
        )),
    }
}

/// The GeoJSON streets reader both ways (fast path, then the streaming reader alone), and
/// whether the fast path answered; for crates/streetrank-fuzz.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_geojson_both_ways(
    path: &Path,
    opts: &StreetsOptions,
) -> (Result<LoadedStreets>, bool, Result<LoadedStreets>) {
    let (fast, answered) = geojson::read_with(path, opts, true);
    let (slow, _) = geojson::read_with(path, opts, false);
    (fast, answered, slow)
}

/// Refuses a 0-byte street file with a message saying what the file should hold.
pub(crate) fn refuse_empty(path: &Path, fix: &str) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len == 0 {
        return Err(Error::file(path, "the file is empty (0 bytes)", fix));
    }
    Ok(())
}

/// A path for messages about a member of an archive: `a.zip[dir/b.shp]`.
pub(crate) fn member_path(archive: &Path, member: &str) -> PathBuf {
    PathBuf::from(format!("{}[{member}]", archive.display()))
}
