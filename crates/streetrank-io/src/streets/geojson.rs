//! GeoJSON streets, streamed feature by feature.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use geo_types::Coord;
use geojson::{FeatureReader, GeometryValue, JsonObject, Position};
use streetrank::PropertyValue;

use super::build::{Builder, RawGeometry, geometry_problem};
use super::columns::{self, Row};
use super::{LoadedStreets, StreetsOptions};
use crate::mapping::property_from_json;
use crate::{Crs, Error, LoadReport, Result};

/// How many bytes at the start of the file are searched for a legacy `crs` member.
const HEAD_BYTES: u64 = 1 << 20;

/// Reads a GeoJSON FeatureCollection of (Multi)LineStrings.
pub(crate) fn read_geojson(path: &Path, opts: &StreetsOptions) -> Result<LoadedStreets> {
    read_with(path, opts, true).0
}

/// Reads with the fast path when `fast` (falling back to the streaming reader
/// where it must), else with the streaming reader alone; also tells whether
/// the fast path answered.
pub(crate) fn read_with(
    path: &Path,
    opts: &StreetsOptions,
    fast: bool,
) -> (Result<LoadedStreets>, bool) {
    match prelude(path, opts) {
        Ok((crs, report)) => {
            // The fast path reads the file whole: street files are at most a
            // few hundred MB, and their segments take more memory than their text.
            if fast
                && let Ok(bytes) = read_whole(path)
                && let Some(result) =
                    super::geojson_fast::read(path, &bytes, opts, &crs, report.clone())
            {
                return (result, true);
            }
            (read_streaming(path, opts, crs, report), false)
        }
        Err(e) => (Err(e), false),
    }
}

/// Files at least this large are read in parallel pieces by [`read_whole`].
const PARALLEL_READ_BYTES: u64 = 4 << 20;

/// The pieces [`read_whole`] reads in parallel.
const READ_PIECE: usize = 1 << 20;

/// The whole file, as [`std::fs::read`] gives it. A large one is read on
/// Unix in parallel pieces at their offsets into a zeroed buffer (whose pages
/// the kernel maps only when a piece is written), so that the copy out of the
/// page cache and the page faults of the fresh buffer are shared among the
/// threads instead of keeping one busy while the others wait. When the file
/// turns out shorter or longer than its size said, it is read again with
/// `std::fs::read`.
fn read_whole(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len >= PARALLEL_READ_BYTES
            && rayon::current_num_threads() > 1
            && let Ok(size) = usize::try_from(len)
        {
            let mut bytes = vec![0u8; size];
            let read = bytes
                .par_chunks_mut(READ_PIECE)
                .enumerate()
                .try_for_each(|(k, piece)| file.read_exact_at(piece, (k * READ_PIECE) as u64));
            let mut past_end = [0u8; 1];
            if read.is_ok() && file.read_at(&mut past_end, len)? == 0 {
                return Ok(bytes);
            }
        }
    }
    std::fs::read(path)
}

/// The checks and notes both paths share: an empty file, the source CRS.
fn prelude(path: &Path, opts: &StreetsOptions) -> Result<(Crs, LoadReport)> {
    let mut report = LoadReport::new(path);
    super::refuse_empty(
        path,
        "give a GeoJSON FeatureCollection of LineString features",
    )?;
    let crs = match &opts.mapping.crs {
        Some(c) => {
            report.note(format!("source CRS {} from the mapping", c.label()));
            c.clone()
        }
        None => legacy_crs(path, &mut report)?,
    };
    Ok((crs, report))
}

/// The streaming reader: every feature through [`geojson::Feature`]. Reads
/// what the fast path leaves (see [`super::geojson_fast`]) and words every
/// error of a damaged file.
pub(crate) fn read_streaming(
    path: &Path,
    opts: &StreetsOptions,
    crs: Crs,
    mut report: LoadReport,
) -> Result<LoadedStreets> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut features = FeatureReader::from_reader(BufReader::new(file))
        .features()
        .peekable();
    let available: Vec<String> = match features.peek() {
        Some(Ok(f)) => f
            .properties
            .as_ref()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let cols = columns::resolve(path, &available, &opts.mapping, &mut report)?;
    let mut builder = Builder::new(path, opts, cols, report);
    let mut seen_geometry = false;
    for (i, feature) in features.enumerate() {
        let number = i + 1;
        let feature = feature.map_err(|e| {
            if number == 1 && is_empty_collection(path) {
                return Error::file(
                    path,
                    "the file holds no street features (an empty FeatureCollection)",
                    "check that this is the streets file and that it has line features",
                );
            }
            let (problem, fix) = describe_geojson_error(number, &e);
            Error::file(path, problem, fix)
        })?;
        let geometry = match &feature.geometry {
            None => Err(super::geojson_fast::null_geometry()),
            Some(g) => {
                if !seen_geometry {
                    seen_geometry = true;
                    refuse_non_lines(path, &g.value)?;
                }
                lines(&g.value)
            }
        };
        builder.push(number, geometry, &JsonRow(feature.properties.as_ref()))?;
    }
    let sha256 = crate::digest_file(path)?;
    builder.finish(crs, sha256)
}

/// What is wrong when the streaming reader fails at feature `number` (1-based),
/// and what to do: a file cut short, a feature that is not JSON, or JSON that
/// is not GeoJSON (a coordinate written as text). serde_json's "at line L
/// column C" is left out: it counts from the start of the feature, not the file.
pub(crate) fn describe_geojson_error(number: usize, e: &geojson::Error) -> (String, &'static str) {
    let again = "copy or download the file again, or re-export it as a GeoJSON FeatureCollection";
    match e {
        geojson::Error::MalformedGeoJson(j) if j.is_eof() => (
            format!("the file ends in the middle of feature {number}: it is truncated"),
            again,
        ),
        geojson::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => (
            format!(
                "the file ends before feature {number} or the end of its `features` array: it is truncated, or not a FeatureCollection"
            ),
            again,
        ),
        geojson::Error::MalformedGeoJson(j) => {
            let text = j.to_string();
            let detail = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(d, _)| d);
            if j.is_data() {
                (
                    format!("feature {number} is not valid GeoJSON: {detail}"),
                    "write the feature's coordinates as numbers (`[x, y]`) or drop the feature; such a feature stops the file even when skipping",
                )
            } else {
                (
                    format!("feature {number} is not valid JSON: {detail}"),
                    "correct the feature (JSON has no NaN or Infinity: write null geometry or drop the feature), or re-export the file",
                )
            }
        }
        other => (
            format!("feature {number} cannot be read: {other}"),
            "check that the file is a complete GeoJSON FeatureCollection (re-export it)",
        ),
    }
}

/// Whether a small file is a FeatureCollection with no features (the
/// streaming reader reports those as a parse error).
fn is_empty_collection(path: &Path) -> bool {
    let small = std::fs::metadata(path).is_ok_and(|m| m.len() < HEAD_BYTES);
    small
        && std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                v.get("features")
                    .and_then(|f| f.as_array())
                    .map(Vec::is_empty)
            })
            .unwrap_or(false)
}

/// A file whose first geometry is a point or polygon is the wrong file.
pub(crate) fn refuse_non_lines(path: &Path, g: &GeometryValue) -> Result<()> {
    match g {
        GeometryValue::Point { .. } | GeometryValue::MultiPoint { .. } => Err(Error::file(
            path,
            "file holds Point features, not streets: the streets and complaints files may be the wrong way round",
            "give the street centerlines (LineString features) as the streets file",
        )),
        GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. } => Err(Error::file(
            path,
            format!(
                "file holds {} features (areas), not street centerlines",
                g.type_name()
            ),
            "give the street centerlines (LineString features); convert pavement polygons to centerlines in a GIS first",
        )),
        _ => Ok(()),
    }
}

fn coord(p: &Position) -> Coord<f64> {
    match p.as_slice() {
        [x, y, ..] => Coord { x: *x, y: *y },
        _ => Coord {
            x: f64::NAN,
            y: f64::NAN,
        },
    }
}

pub(crate) fn lines(g: &GeometryValue) -> RawGeometry {
    match g {
        GeometryValue::LineString { coordinates } => {
            Ok(vec![coordinates.iter().map(coord).collect()])
        }
        GeometryValue::MultiLineString { coordinates } => Ok(coordinates
            .iter()
            .map(|l| l.iter().map(coord).collect())
            .collect()),
        other => Err(geometry_problem(
            "unsupported geometry",
            format!("the geometry is a {}, not a LineString", other.type_name()),
            "give streets as LineString (or single-part MultiLineString) features (or load with on_error = skip)",
        )),
    }
}

/// A feature's properties as a [`Row`].
pub(crate) struct JsonRow<'a>(pub(crate) Option<&'a JsonObject>);

impl Row for JsonRow<'_> {
    fn value(&self, column: &str) -> PropertyValue {
        self.0
            .and_then(|p| p.get(column))
            .map_or(PropertyValue::Null, property_from_json)
    }
}

/// The CRS named by a legacy (pre-RFC 7946) `crs` member, else WGS 84.
fn legacy_crs(path: &Path, report: &mut LoadReport) -> Result<Crs> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut head = Vec::new();
    file.take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    let Some(name) = crs_member_name(&head) else {
        report.note("source CRS WGS 84 longitude/latitude (GeoJSON, RFC 7946)");
        return Ok(Crs::wgs84());
    };
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("CRS84") || upper.ends_with("EPSG::4326") || upper == "EPSG:4326" {
        report.note(format!(
            "source CRS WGS 84 longitude/latitude (GeoJSON `crs` member `{name}`)"
        ));
        return Ok(Crs::wgs84());
    }
    let def = match upper.rsplit_once("EPSG:") {
        Some((_, code)) => format!("EPSG:{}", code.trim_start_matches(':')),
        None => name.clone(),
    };
    let crs = Crs::parse(&def).map_err(|e| Error::Crs {
        context: path.display().to_string(),
        problem: format!(
            "the GeoJSON `crs` member names `{name}`, which PROJ cannot use: {}",
            e.without_fix()
        ),
        fix: "give the CRS with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping), or re-export as RFC 7946 GeoJSON (WGS 84)".into(),
    })?;
    report.note(format!(
        "source CRS {} from the GeoJSON `crs` member `{name}` (legacy; override with `--crs`)",
        crs.label()
    ));
    Ok(crs)
}

/// The name in `"crs": {"type": "name", "properties": {"name": ...}}` (or an
/// `EPSG` code member), when it appears before `"features"`.
fn crs_member_name(head: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(head)
        .unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default());
    let at = text.find("\"crs\"")?;
    if text.find("\"features\"").is_some_and(|f| f < at) {
        return None;
    }
    let brace = at + text[at..].find('{')?;
    let value: serde_json::Value = serde_json::Deserializer::from_str(&text[brace..])
        .into_iter::<serde_json::Value>()
        .next()?
        .ok()?;
    let props = value.get("properties")?;
    if let Some(name) = props.get("name").and_then(|n| n.as_str()) {
        return Some(name.to_owned());
    }
    props.get("code").map(|c| {
        format!(
            "EPSG:{}",
            c.as_str().map_or_else(|| c.to_string(), str::to_owned)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file read in parallel pieces is the file, whatever the pool.
    #[test]
    fn read_whole_equals_fs_read() {
        let dir = tempfile::tempdir().unwrap();
        for (k, size) in [0, 1, READ_PIECE * 4 - 1, READ_PIECE * 5 + 12_345]
            .into_iter()
            .enumerate()
        {
            let path = dir.path().join(format!("f{k}"));
            let bytes: Vec<u8> = (0..size).map(|i| (i * 7 + i / 4099) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            for threads in [1, 2, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let read = pool.install(|| read_whole(&path)).unwrap();
                assert!(read == bytes, "size {size}, {threads} threads");
            }
        }
        assert!(read_whole(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn crs_member_table() {
        let cases = [
            (
                r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[]}"#,
                Some("urn:ogc:def:crs:OGC:1.3:CRS84"),
            ),
            (
                r#"{"crs": { "type": "EPSG", "properties": {"code": 2261}}, "features": []}"#,
                Some("EPSG:2261"),
            ),
            (
                r#"{"type":"FeatureCollection","features":[{"properties":{"crs":"x"}}]}"#,
                None,
            ),
            (r#"{"type":"FeatureCollection","features":[]}"#, None),
            ("", None),
        ];
        for (head, want) in cases {
            assert_eq!(crs_member_name(head.as_bytes()).as_deref(), want, "{head}");
        }
    }
}
