//! Complaint readers: CSV (Socrata-style exports), GeoJSON points and Open311
//! GeoReport v2 JSON, into [`streetrank::Complaint`]s in the work CRS.
//!
//! Every reader maps its columns the same way ([`ComplaintMapping`]): what the
//! user mapped wins; what they did not is auto-detected from well-known names
//! and noted in the [`LoadReport`]. Only the columns listed in
//! [`ComplaintMapping::keep`] pass through: residents' names and addresses never
//! flow into the results unless the user asks for them.

mod blocks;
mod csv;
mod geojson;
mod open311;
mod stream;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use geo_types::{Coord, Point};
use rayon::prelude::*;
use streetrank::{Complaint, Label, PropertyValue, SourceId};

use crate::crs::{Crs, Transform, transform_parallel};
use crate::dates::{parse_timestamp, timestamp_from_epoch_millis};
use crate::error::fmt_number;
use crate::mapping::{
    detect_column, list_columns, mapped_column, property_from_json, source_id_from_text,
};
use crate::report::thousands;
use crate::{Error, LoadReport, OnError, Result};
pub use stream::{StreamedComplaints, stream_complaints};

/// How the columns of a complaint file map onto a [`Complaint`].
///
/// Every field is optional: unmapped columns are auto-detected by name and the
/// choice is noted. In the config file this is the `[complaints]` table.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComplaintMapping {
    /// Column of the complaint id. Default: auto-detected, else the row number.
    pub id: Option<String>,
    /// Column of x: longitude, or easting in `crs`. Default: auto-detected
    /// (CSV, Open311) or the Point geometry (GeoJSON).
    pub x: Option<String>,
    /// Column of y: latitude, or northing in `crs`.
    pub y: Option<String>,
    /// Column of the creation time. Default: auto-detected.
    pub created: Option<String>,
    /// Column of the category. Default: auto-detected.
    pub category: Option<String>,
    /// Column of the status. Default: auto-detected.
    pub status: Option<String>,
    /// Columns passed through to the outputs, in this order. Default: none.
    pub keep: Vec<String>,
    /// CRS of x/y. Default: WGS84 longitude/latitude.
    pub crs: Option<Crs>,
    /// Exchange x and y (for files whose longitude/latitude headers are swapped).
    /// Default: `false`.
    pub swap_xy: bool,
    /// A chrono format for `created` (`"%d.%m.%Y %H:%M"`); replaces the
    /// auto-detected spellings. Default: none.
    pub date_format: Option<String>,
}

/// Everything [`read_complaints`] needs besides the path.
#[derive(Debug, Clone)]
pub struct ComplaintsOptions {
    /// Column mapping.
    pub mapping: ComplaintMapping,
    /// What to do with a bad record.
    pub on_error: OnError,
    /// The metric CRS the complaints are projected into (the streets' work CRS).
    pub work_crs: Crs,
    /// The streets' extent `[west, south, east, north]` in degrees, for the
    /// swapped-axis check and the far-away count. `None` skips both (except
    /// the latitude-beyond-90° check).
    pub streets_extent_lonlat: Option<[f64; 4]>,
    /// Points farther than this from the streets' extent are counted in
    /// [`LoadedComplaints::far_away`].
    ///
    /// # Units
    ///
    /// Kilometres. Default 5.
    pub far_km: f64,
}

impl ComplaintsOptions {
    /// Options with the default mapping, [`OnError::Fail`], no extent and
    /// `far_km` = 5.
    #[must_use]
    pub fn new(work_crs: Crs) -> ComplaintsOptions {
        ComplaintsOptions {
            mapping: ComplaintMapping::default(),
            on_error: OnError::Fail,
            work_crs,
            streets_extent_lonlat: None,
            far_km: DEFAULT_FAR_KM,
        }
    }
}

/// The default of [`ComplaintsOptions::far_km`].
pub const DEFAULT_FAR_KM: f64 = 5.0;

/// Padding of the streets' extent in the swapped-axis check.
///
/// # Units
///
/// Kilometres.
pub const AXIS_CHECK_PAD_KM: f64 = 1.0;

/// Complaints read from one file.
#[derive(Debug, Clone)]
pub struct LoadedComplaints {
    /// The complaints, in file order, located in the work CRS.
    pub complaints: Vec<Complaint>,
    /// Names of the pass-through properties (= [`ComplaintMapping::keep`]).
    pub property_names: Vec<String>,
    /// The CRS the file's coordinates were read in.
    pub source_crs: Crs,
    /// Whether x and y were exchanged.
    pub swapped: bool,
    /// Complaints farther than `far_km` from the streets' extent.
    pub far_away: usize,
    /// Counts, skips and every choice made.
    pub report: LoadReport,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

/// Reads complaints from a CSV, GeoJSON or Open311 JSON file.
///
/// The format comes from the extension (`.csv`, `.tsv`, `.txt`: CSV;
/// `.geojson`: GeoJSON); a `.json` file (or any other) whose first non-blank
/// byte is `[` is Open311 GeoReport v2, `{` GeoJSON.
///
/// Coordinates are read in [`ComplaintMapping::crs`] (default WGS84
/// longitude/latitude), checked against the streets' extent for swapped axes
/// ([`detect_axis_swap`]) and projected into [`ComplaintsOptions::work_crs`].
///
/// A CSV file is read as [`stream_complaints`] reads it (blocks of 8 MiB parsed in pieces
/// of 1 MiB on all threads, each piece checked and projected as it is parsed), its batches
/// gathered into one vector; GeoJSON and Open311 files are parsed whole, then checked.
///
/// # Errors
///
/// - [`Error::Io`] when the file cannot be read;
/// - [`Error::File`] for an empty file, a missing or unmapped coordinate
///   column (listing the columns there are), a mapped column that does not
///   exist, invalid JSON, or swapped axes without `swap_xy`;
/// - [`Error::Record`] (under [`OnError::Fail`]) for an empty or non-numeric
///   coordinate, an unreadable date, an empty or repeated id, a missing or
///   non-Point geometry;
/// - [`Error::Crs`] when the CRS cannot be used.
///
/// # Examples
///
/// ```no_run
/// use std::path::Path;
/// use streetrank_io::{read_complaints, ComplaintsOptions, Crs};
/// let mut opts = ComplaintsOptions::new(Crs::epsg(32618));
/// opts.streets_extent_lonlat = Some([-77.12, 38.79, -76.91, 39.0]);
/// let loaded = read_complaints(Path::new("requests.csv"), &opts)?;
/// for note in &loaded.report.notes { eprintln!("{note}"); }
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn read_complaints(path: &Path, opts: &ComplaintsOptions) -> Result<LoadedComplaints> {
    match sniff_format(path)? {
        Format::Csv => stream::gather(path, opts, csv::BLOCK, csv::PIECE),
        Format::GeoJson | Format::Open311 => read_parsed(path, opts),
    }
}

/// [`read_complaints`] by parsing the whole file first and then checking and projecting all
/// its complaints at once: the reader of GeoJSON and Open311 files, and of a CSV file whose
/// CRS the streamed reader cannot set up (its error is then reported where this reader meets
/// it). Tests and crates/streetrank-fuzz hold the streamed reader to it on CSV files.
pub(crate) fn read_parsed(path: &Path, opts: &ComplaintsOptions) -> Result<LoadedComplaints> {
    let mut report = LoadReport::new(path);
    let (parsed, sha256) = match sniff_format(path)? {
        Format::Csv => {
            let (parsed, sha256) = csv::read(path, opts, &mut report)?;
            (parsed, Some(sha256))
        }
        Format::GeoJson => (geojson::read(path, opts, &mut report)?, None),
        Format::Open311 => (open311::read(path, opts, &mut report)?, None),
    };
    finish(path, parsed, sha256, opts, report)
}

/// A complaint's point as read, before any projection; `swap`: its two coordinates exchanged
/// (the other reading the axis check weighs).
fn reading(c: &Complaint, swap: bool) -> Coord<f64> {
    let (x, y) = c.point.x_y();
    if swap {
        Coord { x: y, y: x }
    } else {
        Coord { x, y }
    }
}

/// Complaints none of which lies near the streets come from another place or are read in
/// another CRS than theirs: an error under [`OnError::Fail`] (every complaint would stay
/// unmatched and the ranking would silently ignore them), a note when the user asked for
/// lenient loading.
fn check_near_streets(
    path: &Path,
    opts: &ComplaintsOptions,
    loaded: &mut LoadedComplaints,
) -> Result<()> {
    let Some(e) = opts.streets_extent_lonlat else {
        return Ok(());
    };
    let n = loaded.report.loaded;
    if n == 0 || loaded.far_away < n {
        return Ok(());
    }
    let problem = format!(
        "all {} complaints lie more than {} km outside the streets' extent (longitude {} to {}, latitude {} to {}): the two inputs do not cover the same place, or one of them is not in the CRS it is read in",
        thousands(n),
        opts.far_km,
        fmt_number(e[0]),
        fmt_number(e[2]),
        fmt_number(e[1]),
        fmt_number(e[3])
    );
    let fix = "check `crs`, `x` and `y` in [complaints] and the streets' CRS (their .prj, or `crs` in the streets mapping); to score anyway, with every complaint unmatched, load with skipping";
    match opts.on_error {
        OnError::Fail => Err(Error::file(path, problem, fix)),
        OnError::Skip | OnError::List => {
            loaded.report.note(format!("{problem}; {fix}"));
            Ok(())
        }
    }
}

/// Evidence about whether a file's x and y columns are swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AxisSwapEvidence {
    /// Points examined.
    pub total: usize,
    /// Points inside the padded extent as given (`None` without an extent).
    pub inside_as_given: Option<usize>,
    /// Points inside the padded extent with x and y exchanged.
    pub inside_swapped: Option<usize>,
    /// Points whose latitude as given is beyond ±90°.
    pub bad_latitude_as_given: usize,
    /// Points whose latitude with x and y exchanged is beyond ±90°.
    pub bad_latitude_swapped: usize,
}

/// What [`AxisSwapEvidence::verdict`] concludes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisVerdict {
    /// The points fit as given.
    AsGiven,
    /// The points fit only with x and y exchanged.
    Swapped,
    /// Neither reading fits, or there was nothing to compare with.
    Unknown,
}

impl AxisSwapEvidence {
    /// The rule: latitudes beyond ±90° in more than half of the points of one
    /// reading, and in none of the other, are decisive; otherwise a reading fits when more than half of the points fall inside
    /// the padded extent, and the verdict is [`AxisVerdict::Swapped`] when only
    /// the swapped reading fits.
    #[must_use]
    pub fn verdict(&self) -> AxisVerdict {
        if self.total == 0 {
            return AxisVerdict::Unknown;
        }
        let most = |n: usize| n * 2 > self.total;
        if most(self.bad_latitude_as_given) && self.bad_latitude_swapped == 0 {
            return AxisVerdict::Swapped;
        }
        if most(self.bad_latitude_swapped) && self.bad_latitude_as_given == 0 {
            return AxisVerdict::AsGiven;
        }
        let fits = |n: Option<usize>| n.map(|n| n * 2 > self.total);
        match (fits(self.inside_as_given), fits(self.inside_swapped)) {
            (Some(true), _) => AxisVerdict::AsGiven,
            (Some(false), Some(true)) => AxisVerdict::Swapped,
            _ => AxisVerdict::Unknown,
        }
    }

    /// One sentence with the counts, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        match (self.inside_as_given, self.inside_swapped) {
            (Some(g), Some(s)) => format!(
                "{} of {} points fall within the streets' extent as given, {} do if the two columns are swapped",
                thousands(g),
                thousands(self.total),
                thousands(s)
            ),
            _ => format!(
                "{} of {} points have a latitude beyond ±90° as given, {} if the two columns are swapped",
                thousands(self.bad_latitude_as_given),
                thousands(self.total),
                thousands(self.bad_latitude_swapped)
            ),
        }
    }
}

/// Compares two readings of the same points against the streets' extent.
///
/// `as_given` and `swapped` hold the points as longitude/latitude in degrees,
/// read as given and with the two columns exchanged (for a projected source,
/// each reading transformed to WGS84; a point that failed to transform should
/// be NaN, which counts as outside). `extent_lonlat` is `[west, south, east,
/// north]`, padded here by [`AXIS_CHECK_PAD_KM`].
///
/// # Examples
///
/// ```
/// use geo_types::Coord;
/// use streetrank_io::{detect_axis_swap, AxisVerdict};
/// let given = vec![Coord { x: 43.05, y: -76.1 }; 3];
/// let swapped = vec![Coord { x: -76.1, y: 43.05 }; 3];
/// let ev = detect_axis_swap(&given, &swapped, Some([-76.2, 42.98, -76.07, 43.09]));
/// assert_eq!(ev.verdict(), AxisVerdict::Swapped);
/// assert_eq!(ev.describe(), "0 of 3 points fall within the streets' extent as given, 3 do if the two columns are swapped");
/// ```
#[must_use]
pub fn detect_axis_swap(
    as_given: &[Coord<f64>],
    swapped: &[Coord<f64>],
    extent_lonlat: Option<[f64; 4]>,
) -> AxisSwapEvidence {
    let bad_lat = |c: &&Coord<f64>| c.y.is_nan() || c.y.abs() > 90.0;
    let padded = extent_lonlat.map(|e| pad_extent(e, AXIS_CHECK_PAD_KM));
    let inside =
        |pts: &[Coord<f64>]| padded.map(|e| pts.iter().filter(|c| in_extent(e, **c)).count());
    AxisSwapEvidence {
        total: as_given.len(),
        inside_as_given: inside(as_given),
        inside_swapped: inside(swapped),
        bad_latitude_as_given: as_given.iter().filter(bad_lat).count(),
        bad_latitude_swapped: swapped.iter().filter(bad_lat).count(),
    }
}

/// Kilometres per degree of latitude (mean Earth radius 6,371 km).
const KM_PER_DEGREE: f64 = 111.195;

fn km_per_degree_lon(e: [f64; 4]) -> f64 {
    let mid = (e[1] + e[3]) / 2.0;
    (KM_PER_DEGREE * mid.to_radians().cos()).max(KM_PER_DEGREE * 0.01)
}

fn pad_extent(e: [f64; 4], km: f64) -> [f64; 4] {
    let dlat = km / KM_PER_DEGREE;
    let dlon = km / km_per_degree_lon(e);
    [e[0] - dlon, e[1] - dlat, e[2] + dlon, e[3] + dlat]
}

fn in_extent(e: [f64; 4], c: Coord<f64>) -> bool {
    c.x >= e[0] && c.x <= e[2] && c.y >= e[1] && c.y <= e[3]
}

/// Approximate distance in km from a lon/lat point to the extent (0 inside);
/// infinite for a non-finite point.
fn km_outside(e: [f64; 4], c: Coord<f64>) -> f64 {
    if !(c.x.is_finite() && c.y.is_finite()) {
        return f64::INFINITY;
    }
    let dx = (e[0] - c.x).max(c.x - e[2]).max(0.0) * km_per_degree_lon(e);
    let dy = (e[1] - c.y).max(c.y - e[3]).max(0.0) * KM_PER_DEGREE;
    dx.hypot(dy)
}

// ---------------------------------------------------------------------------
// Shared by the three readers.

enum Format {
    Csv,
    GeoJson,
    Open311,
}

fn sniff_format(path: &Path) -> Result<Format> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "txt" => return Ok(Format::Csv),
        "geojson" => return Ok(Format::GeoJson),
        _ => {}
    }
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = [0u8; 4096];
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    let first = head[..n]
        .iter()
        .copied()
        .find(|b| !(b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF));
    Ok(match first {
        Some(b'[') => Format::Open311,
        Some(b'{') => Format::GeoJson,
        None if ext == "json" => {
            return Err(Error::file(
                path,
                "the file is empty",
                "give a GeoJSON FeatureCollection or an Open311 JSON array of requests",
            ));
        }
        _ if ext == "json" => {
            return Err(Error::file(
                path,
                "a .json file must start with `[` (Open311 GeoReport v2) or `{` (GeoJSON)",
                "check the file's format, or give CSV a .csv extension",
            ));
        }
        _ => Format::Csv,
    })
}

/// One cell of a JSON record (GeoJSON properties, an Open311 request); CSV cells are read in
/// [`csv`].
pub(crate) enum Cell<'a> {
    /// Absent (a JSON object without the key).
    Missing,
    /// A JSON value.
    Json(&'a serde_json::Value),
}

/// Which column feeds which field, by position in the file's column list.
pub(crate) struct Columns {
    pub names: Vec<String>,
    pub x: Option<usize>,
    pub y: Option<usize>,
    pub id: Option<usize>,
    pub created: Option<usize>,
    pub category: Option<usize>,
    pub status: Option<usize>,
    pub keep: Vec<usize>,
}

const XY_PAIRS: &[(&str, &str)] = &[
    ("LONGITUDE", "LATITUDE"),
    ("lon", "lat"),
    ("long", "lat"),
    ("lng", "lat"),
    ("X", "Y"),
    ("POINT_X", "POINT_Y"),
];
const ID_NAMES: &[&str] = &[
    "SERVICEREQUESTID",
    "service_request_id",
    "request_id",
    "event_id",
    "OBJECTID",
    "id",
];
const CREATED_NAMES: &[&str] = &[
    "ADDDATE",
    "requested_datetime",
    "created_at",
    "created_date",
    "event_time",
    "dtTime",
    "date",
];
const CATEGORY_NAMES: &[&str] = &[
    "SERVICECODEDESCRIPTION",
    "service_name",
    "request_type",
    "category",
    "event_type",
];
const STATUS_NAMES: &[&str] = &["SERVICEORDERSTATUS", "status"];

/// Resolves the mapping against the file's column names, noting every
/// auto-detected choice. With `xy_from_geometry`, x/y come from the point
/// geometry unless both are mapped.
pub(crate) fn resolve_columns(
    path: &Path,
    names: Vec<String>,
    m: &ComplaintMapping,
    report: &mut LoadReport,
    xy_from_geometry: bool,
) -> Result<Columns> {
    let (x, y) = match (&m.x, &m.y) {
        (Some(x), Some(y)) => (
            Some(mapped_column(path, &names, "x", x)?),
            Some(mapped_column(path, &names, "y", y)?),
        ),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::Config {
                context: path.display().to_string(),
                problem: "only one of `x` and `y` is mapped".into(),
                fix: "map both `x` and `y` in [complaints], or neither".into(),
            });
        }
        (None, None) if xy_from_geometry => {
            report.note("location from each feature's Point geometry; map `x` and `y` in [complaints] to read two property columns instead");
            (None, None)
        }
        (None, None) => {
            let found = XY_PAIRS.iter().find_map(|(xn, yn)| {
                Some((
                    crate::find_column(&names, xn)?,
                    crate::find_column(&names, yn)?,
                ))
            });
            let Some((xi, yi)) = found else {
                let tried = XY_PAIRS
                    .iter()
                    .map(|(a, b)| format!("{a}/{b}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(Error::file(
                    path,
                    format!(
                        "no coordinate columns found (tried {tried}); the columns are {}",
                        list_columns(&names)
                    ),
                    "name the two coordinate columns with --x/--y (alias --lon/--lat) or `x = \"…\"` and `y = \"…\"` in [complaints] (and `crs` if they are not WGS84 longitude/latitude)",
                ));
            };
            report.note(format!(
                "x (longitude) from column `{}`, y (latitude) from column `{}` (auto-detected; set `x`/`y` in [complaints] to override)",
                names[xi], names[yi]
            ));
            (Some(xi), Some(yi))
        }
    };
    let id = match &m.id {
        Some(n) => Some(mapped_column(path, &names, "id", n)?),
        None => match detect_column(&names, ID_NAMES) {
            Some((i, _)) => {
                report.note(format!(
                    "complaint id from column `{}` (auto-detected; set `id` in [complaints] to override)",
                    names[i]
                ));
                Some(i)
            }
            None => {
                report.note(format!(
                    "no id column found (tried {}); complaints are numbered by record (1, 2, …); set `id` in [complaints] to use a column",
                    ID_NAMES.join(", ")
                ));
                None
            }
        },
    };
    let mut optional = |setting: &str,
                        mapped: &Option<String>,
                        candidates: &[&str]|
     -> Result<Option<usize>> {
        match mapped {
            Some(n) => Ok(Some(mapped_column(path, &names, setting, n)?)),
            None => Ok(detect_column(&names, candidates).map(|(i, _)| {
                report.note(format!(
                    "{setting} from column `{}` (auto-detected; set `{setting}` in [complaints] to override)",
                    names[i]
                ));
                i
            })),
        }
    };
    let created = optional("created", &m.created, CREATED_NAMES)?;
    let category = optional("category", &m.category, CATEGORY_NAMES)?;
    let status = optional("status", &m.status, STATUS_NAMES)?;
    let keep = m
        .keep
        .iter()
        .map(|k| mapped_column(path, &names, "keep", k))
        .collect::<Result<Vec<_>>>()?;
    Ok(Columns {
        names,
        x,
        y,
        id,
        created,
        category,
        status,
        keep,
    })
}

/// One complaint as read: its record number and the complaint with its point still in the
/// file's coordinates (x, y as given), before the axis check and projection.
pub(crate) struct Draft {
    pub record: usize,
    pub complaint: Complaint,
}

/// The complaints read so far, points in the file's coordinates, with the record number of each
/// (for messages): two vectors rather than one of [`Draft`]s, so the complaints are the final
/// values and [`finish`] projects them in place.
#[derive(Default)]
pub(crate) struct Drafts {
    pub complaints: Vec<Complaint>,
    pub records: Vec<usize>,
}

/// Why a record cannot be used, before its record number is known (the parallel CSV reader
/// numbers records once the pieces before it are counted): the field's column, a stable
/// reason, the problem and the fix.
pub(crate) struct Bad {
    pub field: Option<usize>,
    pub reason: &'static str,
    pub problem: String,
    pub fix: &'static str,
}

impl Bad {
    /// The full error for record `record`.
    pub fn at(self, path: &Path, record: usize, cols: &Columns) -> Rejected {
        reject(
            path,
            record,
            self.field.map(|i| cols.names[i].as_str()),
            self.reason,
            self.problem,
            self.fix,
        )
    }
}

/// A shared copy of each distinct text (categories, statuses) met by one reader.
#[derive(Default)]
pub(crate) struct Interner {
    /// The first few values, searched in order: files hold a handful.
    few: Vec<Label>,
    /// Every value once there are more than [`Interner::FEW`].
    many: std::collections::HashSet<Label>,
}

impl Interner {
    const FEW: usize = 16;

    /// The shared copy of `text`.
    pub fn get(&mut self, text: &str) -> Label {
        if let Some(v) = self.few.iter().find(|v| v.as_str() == text) {
            return v.clone();
        }
        if let Some(v) = self.many.get(text) {
            return v.clone();
        }
        let v = Label::from(text);
        if self.few.len() < Interner::FEW {
            self.few.push(v.clone());
        } else {
            self.many.insert(v.clone());
        }
        v
    }
}

/// A record that cannot be used: a stable reason and the full error.
pub(crate) struct Rejected {
    pub reason: &'static str,
    pub error: Error,
}

fn reject(
    path: &Path,
    record: usize,
    field: Option<&str>,
    reason: &'static str,
    problem: String,
    fix: &str,
) -> Rejected {
    Rejected {
        reason,
        error: Error::record(path, record, field, problem, fix),
    }
}

/// What a format reader hands to [`finish`].
pub(crate) struct Parsed {
    pub drafts: Drafts,
    /// Records seen (loaded or skipped).
    pub records: usize,
    /// Names of x and y for messages (`` column `Latitude` ``, or the geometry).
    pub x_name: String,
    pub y_name: String,
    pub property_names: Vec<String>,
    /// Whether the default CRS is RFC 7946's WGS84 (GeoJSON) rather than the
    /// CSV default.
    pub geojson: bool,
}

/// Accumulates drafts, applying `on_error` to rejected records; repeated ids are found once
/// everything is read ([`Collector::into_drafts`]).
pub(crate) struct Collector<'a> {
    path: &'a Path,
    on_error: OnError,
    id_field: Option<String>,
    pub drafts: Drafts,
    pub records: usize,
}

impl<'a> Collector<'a> {
    pub fn new(path: &'a Path, on_error: OnError, cols: &Columns) -> Collector<'a> {
        Collector {
            path,
            on_error,
            id_field: cols.id.map(|i| cols.names[i].clone()),
            drafts: Drafts::default(),
            records: 0,
        }
    }

    pub fn accept(
        &mut self,
        r: std::result::Result<Draft, Rejected>,
        report: &mut LoadReport,
    ) -> Result<()> {
        self.records += 1;
        match r {
            Ok(d) => {
                self.drafts.complaints.push(d.complaint);
                self.drafts.records.push(d.record);
                Ok(())
            }
            Err(rej) => report.skip_or_fail(self.on_error, rej.reason, rej.error),
        }
    }

    /// Everything read from a table-shaped file (CSV, Open311) whose x/y are named columns
    /// (`noun` is what the format calls one: "column", "field").
    pub fn into_parsed(
        self,
        cols: &Columns,
        noun: &str,
        keep: &[String],
        report: &mut LoadReport,
    ) -> Result<Parsed> {
        let name = |i: Option<usize>| {
            i.map_or_else(String::new, |i| format!("{noun} `{}`", cols.names[i]))
        };
        Ok(Parsed {
            x_name: name(cols.x),
            y_name: name(cols.y),
            records: self.records,
            drafts: self.into_drafts(report)?,
            property_names: keep.to_vec(),
            geojson: false,
        })
    }

    /// The accepted drafts without repeated ids: every record whose id an earlier record
    /// already has is an error under [`OnError::Fail`] (the first such record in file order)
    /// or a counted skip, reported in file order.
    ///
    /// Found by sorting positions by id (in parallel) rather than with a map of copied ids
    /// while reading, which a profile at 1M complaints put at 15% of the run.
    pub fn into_drafts(self, report: &mut LoadReport) -> Result<Drafts> {
        let Drafts {
            complaints: mut drafts,
            mut records,
        } = self.drafts;
        if stream::ids_all_distinct(&drafts) {
            return Ok(Drafts {
                complaints: drafts,
                records,
            });
        }
        let mut order: Vec<usize> = (0..drafts.len()).collect();
        order.par_sort_unstable_by(|&a, &b| drafts[a].id.cmp(&drafts[b].id).then(a.cmp(&b)));
        // (position of the repeat, record number of the first holder of its id)
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut first: Option<usize> = None;
        for (k, &i) in order.iter().enumerate() {
            match first {
                Some(f) if k > 0 && drafts[order[k - 1]].id == drafts[i].id => {
                    repeats.push((i, records[f]));
                }
                _ => first = Some(i),
            }
        }
        if repeats.is_empty() {
            return Ok(Drafts {
                complaints: drafts,
                records,
            });
        }
        repeats.sort_unstable();
        let mut repeated = vec![false; drafts.len()];
        for &(i, first_record) in &repeats {
            let e = Error::record(
                self.path,
                records[i],
                self.id_field.as_deref(),
                format!(
                    "id `{}` was already used by record {first_record}",
                    drafts[i].id
                ),
                "complaint ids must be unique: remove the repeated row, map another id column with `id` in [complaints], or load with skipping to drop repeats",
            );
            report.skip_or_fail(self.on_error, "duplicate id", e)?;
            repeated[i] = true;
        }
        let mut k = 0;
        drafts.retain(|_| {
            k += 1;
            !repeated[k - 1]
        });
        let mut k = 0;
        records.retain(|_| {
            k += 1;
            !repeated[k - 1]
        });
        Ok(Drafts {
            complaints: drafts,
            records,
        })
    }
}

fn cell_text<'c>(cell: &'c Cell<'_>) -> Option<Cow<'c, str>> {
    match cell {
        Cell::Missing | Cell::Json(serde_json::Value::Null) => None,
        Cell::Json(serde_json::Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
        Cell::Json(v) => Some(Cow::Owned(v.to_string())),
    }
    .filter(|t| !t.trim().is_empty())
}

/// What to do about a bad coordinate.
pub(crate) const COORDINATE_FIX: &str =
    "give every record a numeric coordinate, or load with skipping to drop such records";

/// Reads a coordinate from a cell's text as written (blanks around it allowed): the value,
/// or the reason and problem.
pub(crate) fn coordinate_text(text: &str) -> std::result::Result<f64, (&'static str, String)> {
    let t = crate::mapping::trim(text);
    if t.is_empty() {
        return Err(("empty coordinate", "the coordinate is empty".into()));
    }
    if let Some(v) = short_decimal(t) {
        return Ok(v);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err((
            "bad coordinate",
            format!("coordinate `{text}` is not a finite number"),
        )),
        Err(_) => Err((
            "bad coordinate",
            format!("coordinate `{text}` is not a number"),
        )),
    }
}

/// Exact powers of ten as `f64` (10^22 is the last one a double holds exactly).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `-?digits[.digits]` with at most 15 digits in all, the way coordinates are written, parsed
/// without the general algorithm: the digits make an integer below 2^53 and the power of ten
/// is exact, so one division is correctly rounded and equals what `str::parse::<f64>` gives
/// (Clinger's fast path, which the standard parser takes for the same input). `None` for
/// anything else.
fn short_decimal(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let start = usize::from(b.first() == Some(&b'-'));
    // The integer digits one by one (coordinates have a few), at most 15.
    let (mut int, mut i) = (0u64, start);
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 || i - start == 15 {
            break;
        }
        int = int * 10 + u64::from(d);
        i += 1;
    }
    let ints = i - start;
    let (mantissa, fracs) = match b.get(i) {
        None => (int, 0),
        Some(b'.') => {
            let fracs = b.len() - i - 1;
            if fracs == 0 || ints + fracs > 15 {
                return None;
            }
            (int * POW10_INT[fracs] + fraction_digits(b, i + 1)?, fracs)
        }
        Some(_) => return None,
    };
    // At least one digit before the dot.
    if ints == 0 {
        return None;
    }
    // Below 10^15 < 2^53: exact, and a signed integer converts in one instruction.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)]
    let v = mantissa as i64 as f64 / POW10[fracs];
    Some(if start == 1 { -v } else { v })
}

/// The value of the digits `b[from..]` (1 to 15 of them): up to eight in one word read from
/// the end of the text (the common case: the text has eight bytes), else one by one. `None`
/// if a byte is not a digit.
fn fraction_digits(b: &[u8], from: usize) -> Option<u64> {
    let n = b.len() - from;
    if n <= 8
        && let Some(bytes) = b.len().checked_sub(8).and_then(|s| b.get(s..))
    {
        let mut w = [0; 8];
        w.copy_from_slice(bytes);
        // The digits are the word's high `n` bytes; the bytes below them become '0's.
        let low = u64::MAX
            .checked_shr(8 * u32::try_from(n).ok()?)
            .unwrap_or(0);
        let w = (u64::from_le_bytes(w) & !low) | (0x3030_3030_3030_3030 & low);
        return eight_digits(w);
    }
    let mut v = 0u64;
    for &c in b.get(from..).unwrap_or_default() {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// Eight ASCII digits read as one number, the first digit in the lowest byte (the SWAR
/// method of simdjson and fast_float): three multiplications instead of eight dependent
/// steps. `None` unless every byte is a digit.
fn eight_digits(w: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Every byte 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3.
    let nibbles =
        (w & HIGH_NIBBLES) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) >> 4);
    if nibbles != 0x3333_3333_3333_3333 {
        return None;
    }
    // Pairs, then fours, then all eight: each step puts the earlier group 10^k higher.
    let v = (w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul((10 << 8) + 1) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul((100 << 16) + 1) >> 16;
    Some((v & 0x0000_FFFF_0000_FFFF).wrapping_mul((10_000 << 32) + 1) >> 32)
}

/// Exact powers of ten as integers, up to 10^15.
const POW10_INT: [u64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];

fn coordinate(
    path: &Path,
    record: usize,
    name: &str,
    cell: &Cell<'_>,
) -> std::result::Result<f64, Rejected> {
    let fail = |(reason, problem): (&'static str, String)| {
        reject(path, record, Some(name), reason, problem, COORDINATE_FIX)
    };
    match cell {
        Cell::Json(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() => Ok(v),
            _ => Err(fail((
                "bad coordinate",
                format!(
                    "coordinate `{}` is not a finite number",
                    cell_text(cell).unwrap_or_default()
                ),
            ))),
        },
        other => coordinate_text(&cell_text(other).unwrap_or_default()).map_err(fail),
    }
}

/// Builds one draft from a record's cells. `point` is the geometry's
/// coordinates when x/y are not columns; `labels` shares each category and status text
/// among the file's complaints.
pub(crate) fn build_draft<'c>(
    path: &Path,
    record: usize,
    cols: &Columns,
    date_format: Option<&str>,
    get: impl Fn(usize) -> Cell<'c>,
    point: Option<(f64, f64)>,
    labels: &mut Interner,
) -> std::result::Result<Draft, Rejected> {
    let name = |i: usize| cols.names[i].as_str();
    let (x, y) = match (cols.x, cols.y, point) {
        (Some(xi), Some(yi), _) => (
            coordinate(path, record, name(xi), &get(xi))?,
            coordinate(path, record, name(yi), &get(yi))?,
        ),
        (_, _, Some(p)) => p,
        _ => {
            return Err(reject(
                path,
                record,
                None,
                "missing geometry",
                "the record has no location".into(),
                "give every record a location",
            ));
        }
    };
    let id = match cols.id {
        None => SourceId::Int(i64::try_from(record).unwrap_or(i64::MAX)),
        Some(i) => match get(i) {
            Cell::Json(serde_json::Value::Number(n)) if n.as_i64().is_some() => {
                SourceId::Int(n.as_i64().unwrap_or_default())
            }
            c => match cell_text(&c) {
                Some(t) => source_id_from_text(&t),
                None => {
                    return Err(reject(
                        path,
                        record,
                        Some(name(i)),
                        "empty id",
                        "the id is empty".into(),
                        "give every record an id, or map another id column with `id` in [complaints]",
                    ));
                }
            },
        },
    };
    let created = match cols.created {
        None => None,
        Some(i) => {
            let c = get(i);
            let parsed = match &c {
                Cell::Json(serde_json::Value::Number(n)) if date_format.is_none() => {
                    timestamp_from_epoch_millis(n.as_f64().unwrap_or(f64::NAN)).map(Some)
                }
                other => parse_timestamp(&cell_text(other).unwrap_or_default(), date_format),
            };
            match parsed {
                Ok(t) => t,
                Err(problem) => {
                    return Err(reject(
                        path,
                        record,
                        Some(name(i)),
                        "bad date",
                        problem,
                        "fix the value, set `date_format` (a chrono format such as \"%d.%m.%Y %H:%M\") in [complaints], or load with skipping",
                    ));
                }
            }
        }
    };
    let mut text =
        |i: Option<usize>| i.and_then(|i| cell_text(&get(i)).map(|t| labels.get(t.trim())));
    let properties = cols
        .keep
        .iter()
        .map(|&i| match get(i) {
            Cell::Missing => PropertyValue::Null,
            Cell::Json(v) => property_from_json(v),
        })
        .collect();
    Ok(Draft {
        record,
        complaint: Complaint {
            id,
            point: Point::new(x, y),
            created,
            category: text(cols.category),
            status: text(cols.status),
            properties,
        },
    })
}

/// The CSV reader's default block size (bytes); for crates/streetrank-fuzz.
#[cfg(feature = "fuzzing")]
pub(crate) const CSV_BLOCK: usize = csv::BLOCK;
/// The CSV reader's default piece size (bytes); for crates/streetrank-fuzz.
#[cfg(feature = "fuzzing")]
pub(crate) const CSV_PIECE: usize = csv::PIECE;

/// The parse-then-check reader ([`read_parsed`]) for a CSV file with the block and piece
/// sizes given; for crates/streetrank-fuzz.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_csv_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    let mut report = LoadReport::new(path);
    let (parsed, sha256) = csv::read_in_blocks(path, opts, &mut report, block, piece, None)?;
    finish(path, parsed, Some(sha256), opts, report)
}

/// [`read_complaints`] for a CSV file (the streamed reader, gathered) with the block and piece
/// sizes given; for crates/streetrank-fuzz.
#[cfg(feature = "fuzzing")]
pub(crate) fn gather_csv_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    stream::gather(path, opts, block, piece)
}

/// Swap check, projection, far-away count and the near-the-streets check: the part common to
/// all formats.
fn finish(
    path: &Path,
    parsed: Parsed,
    sha256: Option<String>,
    opts: &ComplaintsOptions,
    mut report: LoadReport,
) -> Result<LoadedComplaints> {
    if parsed.records == 0 {
        return Err(Error::file(
            path,
            "the file holds no records",
            "give a file with at least one complaint",
        ));
    }
    let m = &opts.mapping;
    let source_crs = match &m.crs {
        Some(c) => {
            report.note(format!(
                "coordinates read in {} (set by `crs` in [complaints])",
                c.label()
            ));
            c.clone()
        }
        None => {
            report.note(if parsed.geojson {
                "coordinates read as WGS84 longitude/latitude (GeoJSON's RFC 7946 CRS); set `crs` in [complaints] if the file uses another"
            } else {
                "coordinates read as WGS84 longitude/latitude (the default); set `crs` in [complaints] if they are in another CRS"
            });
            Crs::wgs84()
        }
    };
    let geographic = source_crs.is_geographic()?;
    let Drafts {
        complaints: mut drafts,
        records,
    } = parsed.drafts;

    // Both readings as lon/lat, when there is something to check them against.
    let lonlat = |swap: bool, drafts: &[Complaint]| -> Result<Vec<Coord<f64>>> {
        let mut raw: Vec<Coord<f64>> = drafts.par_iter().map(|d| reading(d, swap)).collect();
        if !geographic {
            let t = Transform::new(&source_crs, &Crs::wgs84())?;
            raw.par_chunks_mut(16_384)
                .for_each(|chunk| t.in_place_or_nan(chunk));
        }
        Ok(raw)
    };
    let check = geographic || opts.streets_extent_lonlat.is_some();
    let mut swapped = false;
    let mut ll_given = if check {
        lonlat(false, &drafts)?
    } else {
        Vec::new()
    };
    if check && !drafts.is_empty() {
        let ll_swapped = lonlat(true, &drafts)?;
        let mut ev = detect_axis_swap(&ll_given, &ll_swapped, opts.streets_extent_lonlat);
        if !geographic {
            // Latitudes of a projected source are always in range after PROJ.
            ev.bad_latitude_as_given = 0;
            ev.bad_latitude_swapped = 0;
        }
        let verdict = ev.verdict();
        match (verdict, m.swap_xy) {
            (AxisVerdict::Swapped, false) => {
                return Err(Error::file(
                    path,
                    format!(
                        "x ({}) and y ({}) look swapped: {}",
                        parsed.x_name,
                        parsed.y_name,
                        ev.describe()
                    ),
                    "pass --swap-xy or `swap_xy = true` in [complaints]",
                ));
            }
            (AxisVerdict::Swapped, true) => {
                report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks: {}",
                    parsed.x_name,
                    parsed.y_name,
                    ev.describe()
                ));
            }
            (AxisVerdict::AsGiven, true) => {
                report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks, although the points fit as given: {}; check the setting",
                    parsed.x_name,
                    parsed.y_name,
                    ev.describe()
                ));
            }
            (AxisVerdict::Unknown, true) => {
                report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks",
                    parsed.x_name, parsed.y_name
                ));
            }
            (_, false) => {}
        }
        if m.swap_xy {
            swapped = true;
            ll_given = ll_swapped;
        }
    } else if m.swap_xy {
        swapped = true;
        report.note(format!(
            "x ({}) and y ({}) exchanged as `swap_xy` asks",
            parsed.x_name, parsed.y_name
        ));
    }
    if swapped {
        for d in &mut drafts {
            d.point = Point::new(d.point.y(), d.point.x());
        }
    }

    // Geographic coordinates out of range are record errors.
    let mut keep = vec![true; drafts.len()];
    if geographic {
        for (k, d) in drafts.iter().enumerate() {
            let (x, y) = d.point.x_y();
            let in_range = (-90.0..=90.0).contains(&y) && (-360.0..=360.0).contains(&x);
            if !in_range {
                keep[k] = false;
                let e = Error::record(
                    path,
                    records[k],
                    None,
                    format!(
                        "longitude/latitude ({}, {}) is out of range",
                        fmt_number(x),
                        fmt_number(y)
                    ),
                    "latitude must be within ±90° and longitude within ±360°; check the columns and `crs` in [complaints]",
                );
                report.skip_or_fail(opts.on_error, "coordinate out of range", e)?;
            }
        }
    }

    // Far from the streets.
    let mut far_away = 0;
    if let Some(e) = opts.streets_extent_lonlat {
        far_away = ll_given
            .iter()
            .zip(&keep)
            .filter(|(c, k)| **k && km_outside(e, **c) > opts.far_km)
            .count();
        if far_away > 0 {
            report.note(format!(
                "{} of {} complaints lie more than {} km outside the streets' extent; they will stay unmatched",
                thousands(far_away),
                thousands(drafts.len()),
                opts.far_km
            ));
        }
    }

    // Project into the work CRS.
    let mut coords: Vec<Coord<f64>> = drafts.iter().map(|d| d.point.0).collect();
    let all_ok = keep.iter().all(|k| *k)
        && transform_parallel(&source_crs, &opts.work_crs, &mut coords).is_ok();
    if !all_ok {
        let t = Transform::new(&source_crs, &opts.work_crs)?;
        for (k, d) in drafts.iter().enumerate() {
            if !keep[k] {
                continue;
            }
            match t.point(d.point.x(), d.point.y()) {
                Ok((x, y)) => coords[k] = Coord { x, y },
                Err(err) => {
                    keep[k] = false;
                    let e = Error::record(
                        path,
                        records[k],
                        None,
                        format!(
                            "({}, {}) cannot be projected from {} to {}: {err}",
                            d.point.x(),
                            d.point.y(),
                            source_crs.label(),
                            opts.work_crs.label()
                        ),
                        "check the coordinate columns and `crs` in [complaints]",
                    );
                    report.skip_or_fail(opts.on_error, "coordinate outside the CRS", e)?;
                }
            }
        }
    }
    // The first kept complaint projected to a non-finite point stops the load, as
    // `Complaint::new` says.
    for ((d, c), k) in drafts.iter().zip(&coords).zip(&keep) {
        if *k
            && !(c.x.is_finite() && c.y.is_finite())
            && let Err(source) = Complaint::new(d.id.clone(), Point(*c))
        {
            return Err(Error::Model {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let mut complaints = drafts;
    let mut k = 0;
    complaints.retain_mut(|c| {
        k += 1;
        c.point = Point(coords[k - 1]);
        keep[k - 1]
    });
    drop(coords);
    report.loaded = complaints.len();
    let mut loaded = LoadedComplaints {
        complaints,
        property_names: parsed.property_names,
        source_crs,
        swapped,
        far_away,
        report,
        sha256: match sha256 {
            Some(s) => s,
            None => crate::digest::digest_file(path)?,
        },
    };
    check_near_streets(path, opts, &mut loaded)?;
    Ok(loaded)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
