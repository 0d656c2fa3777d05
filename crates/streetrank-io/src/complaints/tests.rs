//! Tests of the complaint readers: real Syracuse and DC files, and hand-made
//! bad files for every error class.

use std::path::{Path, PathBuf};

use geo_types::Coord;
use streetrank::{PropertyValue, SourceId, Timestamp};

use super::*;

/// Syracuse streets' extent, `[west, south, east, north]`.
const SYRACUSE: [f64; 4] = [-76.2045, 42.9844, -76.0743, 43.0861];
/// Washington, DC streets' extent.
const DC: [f64; 4] = [-77.1167, 38.7924, -76.9096, 38.9953];

fn data_dir() -> PathBuf {
    let dir = std::env::var_os("STREETRANK_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "test data not found at {}: set STREETRANK_DATA to the shared data directory (the one holding syracuse/ and washington-dc/)",
        dir.display()
    );
    dir
}

fn opts(extent: Option<[f64; 4]>) -> ComplaintsOptions {
    let mut o = ComplaintsOptions::new(Crs::epsg(32618));
    o.streets_extent_lonlat = extent;
    o
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Back to lon/lat, for checking positions.
fn lonlat(c: &Complaint) -> (f64, f64) {
    Transform::new(&Crs::epsg(32618), &Crs::wgs84())
        .unwrap()
        .point(c.point.x(), c.point.y())
        .unwrap()
}

#[test]
fn syracuse_swapped_headers_are_refused_with_the_evidence() {
    let path = data_dir().join("syracuse/original/RoadsChallenge/data/potholes.csv");
    let err = read_complaints(&path, &opts(Some(SYRACUSE))).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: x (column `Longitude`) and y (column `Latitude`) look swapped: 0 of 7,538 points fall within the streets' extent as given, 7,538 do if the two columns are swapped. Fix: pass --swap-xy or `swap_xy = true` in [complaints]",
            path.display()
        )
    );
}

#[test]
fn syracuse_loads_with_swap_xy() {
    let path = data_dir().join("syracuse/original/RoadsChallenge/data/potholes.csv");
    let mut o = opts(Some(SYRACUSE));
    o.mapping.swap_xy = true;
    let l = read_complaints(&path, &o).unwrap();
    assert_eq!(l.complaints.len(), 7538);
    assert_eq!(l.report.loaded, 7538);
    assert!(l.swapped);
    assert_eq!(l.far_away, 0);
    assert!(l.property_names.is_empty());
    assert!(l.complaints.iter().all(|c| c.properties.is_empty()));
    // Every point inside the (unpadded-by-more-than-1-km) extent.
    let padded = pad_extent(SYRACUSE, AXIS_CHECK_PAD_KM);
    for c in &l.complaints {
        let (lon, lat) = lonlat(c);
        assert!(in_extent(padded, Coord { x: lon, y: lat }), "{c:?}");
    }
    // First row: 4/12/2016 7:54, -76.1062502319, 43.0552769127; no id column.
    let first = &l.complaints[0];
    assert_eq!(first.id, SourceId::Int(1));
    assert_eq!(first.created, Some(Timestamp(1_460_447_640)));
    let (lon, lat) = lonlat(first);
    assert!((lon + 76.106_250_231_9).abs() < 1e-7 && (lat - 43.055_276_912_7).abs() < 1e-7);
    assert_eq!(l.complaints[7537].id, SourceId::Int(7538));
    let notes = l.report.notes.join("\n");
    assert!(notes.contains("no id column found"), "{notes}");
    assert!(notes.contains("created from column `dtTime`"), "{notes}");
    assert!(
        notes.contains("exchanged as `swap_xy` asks: 0 of 7,538"),
        "{notes}"
    );
    assert_eq!(l.sha256.len(), 64);
}

#[test]
fn dc_geojson_files_load_with_detected_columns_and_no_extra_properties() {
    let dir = data_dir().join("washington-dc/original/dc-maps/maps");
    for (name, n) in [
        ("pothole-last-30-days.geojson", 599),
        ("street-alley-repair-last-30-days.geojson", 490),
        ("sidewalk-repair-last-30-days.geojson", 801),
    ] {
        let l = read_complaints(&dir.join(name), &opts(Some(DC))).unwrap();
        assert_eq!(l.complaints.len(), n, "{name}");
        assert_eq!(l.far_away, 0, "{name}");
        assert!(!l.swapped);
        let notes = l.report.notes.join("\n");
        assert!(
            notes.contains("complaint id from column `SERVICEREQUESTID`"),
            "{notes}"
        );
        assert!(notes.contains("created from column `ADDDATE`"), "{notes}");
        assert!(
            notes.contains("category from column `SERVICECODEDESCRIPTION`"),
            "{notes}"
        );
        assert!(
            notes.contains("status from column `SERVICEORDERSTATUS`"),
            "{notes}"
        );
        assert!(l.property_names.is_empty());
        assert!(l.complaints.iter().all(|c| c.properties.is_empty()));
        assert!(
            l.complaints
                .iter()
                .all(|c| matches!(c.id, SourceId::Text(_)))
        );
        assert!(l.complaints.iter().all(|c| c.created.is_some()));
    }
    // The first pothole, with one kept property.
    let mut o = opts(Some(DC));
    o.mapping.keep = vec!["WARD".into(), "ZIPCODE".into()];
    let l = read_complaints(&dir.join("pothole-last-30-days.geojson"), &o).unwrap();
    let c = &l.complaints[0];
    assert_eq!(c.id, SourceId::from("16-00596165"));
    assert_eq!(c.created, Some(Timestamp(1_468_950_377))); // 2016-07-19T17:46:17.000Z
    assert_eq!(c.category.as_deref(), Some("Pothole"));
    assert_eq!(c.status.as_deref(), Some("CLOSED"));
    assert_eq!(l.property_names, ["WARD", "ZIPCODE"]);
    assert_eq!(
        *c.properties,
        [PropertyValue::Text("3".into()), PropertyValue::Int(20008)]
    );
    let (lon, lat) = lonlat(c);
    assert!((lon + 77.068_675_720_2).abs() < 1e-7 && (lat - 38.940_443_004_6).abs() < 1e-7);
}

#[test]
fn dc_geojson_state_plane_properties_match_the_geometry() {
    // XCOORD/YCOORD are EPSG:26985 metres; they agree with the Point to ~0.2 m.
    let path = data_dir().join("washington-dc/original/dc-maps/maps/pothole-last-30-days.geojson");
    let by_geometry = read_complaints(&path, &opts(Some(DC))).unwrap();
    let mut o = opts(Some(DC));
    o.mapping.x = Some("XCOORD".into());
    o.mapping.y = Some("YCOORD".into());
    o.mapping.crs = Some(Crs::epsg(26985));
    let by_columns = read_complaints(&path, &o).unwrap();
    assert_eq!(by_columns.complaints.len(), 599);
    let worst = by_geometry
        .complaints
        .iter()
        .zip(&by_columns.complaints)
        .map(|(a, b)| (a.point.x() - b.point.x()).hypot(a.point.y() - b.point.y()))
        .fold(0.0, f64::max);
    assert!(worst < 1.0, "worst {worst} m");
}

#[test]
fn syracuse_converted_fills_load_with_their_ids() {
    let path = data_dir().join("syracuse/converted/pothole_fills.csv");
    let l = read_complaints(&path, &opts(Some(SYRACUSE))).unwrap();
    assert_eq!(
        (l.complaints.len(), l.far_away, l.swapped),
        (7538, 0, false)
    );
    let c = &l.complaints[0];
    assert_eq!(c.id, SourceId::Int(1));
    assert_eq!(c.created, Some(Timestamp(1_460_447_640)));
    assert_eq!(c.category.as_deref(), Some("pothole_filled"));
    assert!(c.properties.is_empty());
}

#[test]
fn dc_csv_loads_1890() {
    let path = data_dir().join("washington-dc/converted/service_requests_2016.csv");
    let l = read_complaints(&path, &opts(Some(DC))).unwrap();
    assert_eq!(l.complaints.len(), 1890);
    assert_eq!(l.far_away, 0);
    let notes = l.report.notes.join("\n");
    for want in [
        "x (longitude) from column `lon`, y (latitude) from column `lat`",
        "complaint id from column `request_id`",
        "created from column `created_at`",
        "category from column `request_type`",
        "status from column `status`",
    ] {
        assert!(notes.contains(want), "{want} not in {notes}");
    }
    assert_eq!(l.complaints[0].id, SourceId::from("16-00596165"));
    assert_eq!(l.complaints[0].created, Some(Timestamp(1_468_950_377)));
}

/// 2016-04-12T07:54:00Z.
const T0: i64 = 1_460_447_640;

#[test]
fn csv_with_bom_semicolons_quoted_newlines_and_keep() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "c.csv",
        "\u{feff}Id;Lon;LAT;Created_At;Note;Name\n7;-76.1;43.05;2016-04-12 07:54:00;\"two\nlines; here\";Ann\n8;-76.11;43.06;;;Bob\n",
    );
    let mut o = opts(Some(SYRACUSE));
    o.mapping.keep = vec!["note".into()];
    let l = read_complaints(&p, &o).unwrap();
    assert_eq!(l.complaints.len(), 2);
    assert_eq!(l.complaints[0].id, SourceId::Int(7));
    assert_eq!(l.complaints[0].created, Some(Timestamp(T0)));
    assert_eq!(l.complaints[1].created, None);
    assert_eq!(
        *l.complaints[0].properties,
        [PropertyValue::Text("two\nlines; here".into())]
    );
    assert_eq!(*l.complaints[1].properties, [PropertyValue::Null]);
    assert_eq!(l.property_names, ["note"]); // keep order and spelling
    assert!(l.report.notes.iter().any(|n| n.contains("delimiter `;`")));
    // Residents' names never pass through unless kept.
    assert!(
        l.complaints
            .iter()
            .all(|c| !c.properties.contains(&PropertyValue::Text("Ann".into())))
    );
}

#[test]
fn tab_delimited_and_projected_columns() {
    let dir = tempfile::tempdir().unwrap();
    // DC's first pothole in EPSG:26985.
    let p = write(
        &dir,
        "c.tsv",
        "POINT_X\tPOINT_Y\tdate\n394046.38\t141396.19\t1468950377000\n",
    );
    let mut o = opts(Some(DC));
    o.mapping.crs = Some(Crs::epsg(26985));
    let l = read_complaints(&p, &o).unwrap();
    let (lon, lat) = lonlat(&l.complaints[0]);
    assert!(
        (lon + 77.068_673).abs() < 1e-4 && (lat - 38.940_435).abs() < 1e-4,
        "{lon} {lat}"
    );
    assert_eq!(l.complaints[0].created, Some(Timestamp(1_468_950_377)));
    assert!(!l.swapped);
}

#[test]
fn open311_sample() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "requests.json",
        r#"  [
  {"service_request_id": "638344", "status": "closed", "service_name": "Pothole",
   "service_code": "006", "requested_datetime": "2016-04-12T07:54:00-00:00",
   "address": "8TH AVE and JUDAH ST", "lat": 43.05, "long": -76.10, "media_url": null},
  {"service_request_id": 638349, "status": "open", "service_name": "Street light",
   "requested_datetime": "2016-04-12T03:54:00-04:00", "lat": "43.06", "long": "-76.12"}
]"#,
    );
    let l = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap();
    assert_eq!(l.complaints.len(), 2);
    assert_eq!(l.complaints[0].id, SourceId::Int(638_344));
    assert_eq!(l.complaints[1].id, SourceId::Int(638_349));
    assert_eq!(l.complaints[0].created, Some(Timestamp(T0)));
    assert_eq!(l.complaints[1].created, Some(Timestamp(T0)));
    assert_eq!(l.complaints[1].category.as_deref(), Some("Street light"));
    assert_eq!(l.complaints[0].status.as_deref(), Some("closed"));
    let notes = l.report.notes.join("\n");
    assert!(
        notes.contains("from column `long`, y (latitude) from column `lat`"),
        "{notes}"
    );
    assert!(notes.contains("Open311"), "{notes}");
}

#[test]
fn geojson_bad_geometries() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "g.geojson",
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"id":1},"geometry":{"type":"Point","coordinates":[-76.1,43.05]}},
 {"type":"Feature","properties":{"id":2},"geometry":null},
 {"type":"Feature","properties":{"id":3},"geometry":{"type":"LineString","coordinates":[[-76.1,43.05],[-76.2,43.0]]}}
]}"#,
    );
    let e = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: record 2, field `geometry`: the geometry is null. Fix: give every feature a Point geometry, or load with skipping to drop the others",
            p.display()
        )
    );
    let mut o = opts(Some(SYRACUSE));
    o.on_error = OnError::Skip;
    let l = read_complaints(&p, &o).unwrap();
    assert_eq!(l.complaints.len(), 1);
    assert_eq!(l.report.skipped["missing geometry"], 1);
    assert_eq!(l.report.skipped["not a point"], 1);
    assert!(
        l.report.skip_examples["not a point"][0]
            .contains("the geometry is a LineString, not a Point")
    );
}

/// Every error class of a hand-made bad CSV, with its exact message.
#[test]
fn bad_csv_table() {
    let dir = tempfile::tempdir().unwrap();
    let fix_coord =
        "give every record a numeric coordinate, or load with skipping to drop such records";
    let cases: Vec<(&str, &str, String)> = vec![
        ("empty", "", "the file is empty. Fix: give a CSV file with a header line and one row per record".into()),
        ("header only", "lon,lat\n", "the file holds no records. Fix: give a file with at least one complaint".into()),
        (
            "no coordinate columns",
            "name,address\nAnn,1 Main St\n",
            "no coordinate columns found (tried LONGITUDE/LATITUDE, lon/lat, long/lat, lng/lat, X/Y, POINT_X/POINT_Y); the columns are `name`, `address`. Fix: name the two coordinate columns with --x/--y (alias --lon/--lat) or `x = \"…\"` and `y = \"…\"` in [complaints] (and `crs` if they are not WGS84 longitude/latitude)".into(),
        ),
        (
            "empty coordinate",
            "lon,lat\n-76.1,43.05\n,43.05\n",
            format!("record 2, field `lon`: the coordinate is empty. Fix: {fix_coord}"),
        ),
        (
            "NaN coordinate",
            "lon,lat\n-76.1,NaN\n",
            format!("record 1, field `lat`: coordinate `NaN` is not a finite number. Fix: {fix_coord}"),
        ),
        (
            "text coordinate",
            "lon,lat\n-76.1,north\n",
            format!("record 1, field `lat`: coordinate `north` is not a number. Fix: {fix_coord}"),
        ),
        (
            "bad date",
            "lon,lat,date\n-76.1,43.05,yesterday\n",
            format!("record 1, field `date`: date `yesterday` is not in a known format; accepted: {}. Fix: fix the value, set `date_format` (a chrono format such as \"%d.%m.%Y %H:%M\") in [complaints], or load with skipping", crate::ACCEPTED_DATE_FORMATS),
        ),
        (
            "duplicate id",
            "id,lon,lat\nA,-76.1,43.05\nB,-76.1,43.05\nA,-76.1,43.05\n",
            "record 3, field `id`: id `A` was already used by record 1. Fix: complaint ids must be unique: remove the repeated row, map another id column with `id` in [complaints], or load with skipping to drop repeats".into(),
        ),
        (
            "empty id",
            "id,lon,lat\n,-76.1,43.05\n",
            "record 1, field `id`: the id is empty. Fix: give every record an id, or map another id column with `id` in [complaints]".into(),
        ),
        (
            "truncated last line",
            "id,lon,lat\n1,-76.1,43.05\n2,-76.1",
            "record 2: line 3 has 2 fields where the header has 3 (a truncated line or an unquoted delimiter). Fix: repair the line, or quote values that contain the delimiter".into(),
        ),
        (
            "latitude out of range",
            "lon,lat\n-76.1,43.05\n-76.1,43.06\n-76.1,143.06\n",
            "record 3: longitude/latitude (-76.1, 143.06) is out of range. Fix: latitude must be within ±90° and longitude within ±360°; check the columns and `crs` in [complaints]".into(),
        ),
    ];
    for (what, text, want) in cases {
        let p = write(&dir, "bad.csv", text);
        let e = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap_err();
        assert_eq!(e.to_string(), format!("{}: {want}", p.display()), "{what}");
    }
}

#[test]
fn skip_mode_counts_by_reason_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "s.csv",
        "id,lon,lat,date\n1,-76.1,43.05,2016-04-12\n2,,43.05,\n3,-76.1,inf,\n1,-76.1,43.05,\n4,-76.1,43.05,soon\n5,-76.1,43.05,4/12/2016 7:54\n",
    );
    let mut o = opts(Some(SYRACUSE));
    o.on_error = OnError::Skip;
    let l = read_complaints(&p, &o).unwrap();
    let ids: Vec<_> = l.complaints.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, [SourceId::Int(1), SourceId::Int(5)]);
    assert_eq!(l.report.loaded, 2);
    assert_eq!(l.report.skipped_total(), 4);
    for reason in [
        "empty coordinate",
        "bad coordinate",
        "duplicate id",
        "bad date",
    ] {
        assert_eq!(l.report.skipped[reason], 1, "{reason}");
    }
}

#[test]
fn mapping_errors_name_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "m.csv", "lon,lat,who\n-76.1,43.05,Ann\n");
    let mut o = opts(None);
    o.mapping.keep = vec!["address".into()];
    let e = read_complaints(&p, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: column `address` (mapped as `keep`) is not in the file; its columns are `lon`, `lat`, `who`. Fix: list only columns the file has in `keep`",
            p.display()
        )
    );
    let mut o = opts(None);
    o.mapping.x = Some("lon".into());
    assert!(
        read_complaints(&p, &o)
            .unwrap_err()
            .to_string()
            .contains("only one of `x` and `y` is mapped")
    );
}

#[test]
fn far_away_points_are_counted_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    // One point in Syracuse, one ~10 km east of the extent.
    let p = write(
        &dir,
        "f.csv",
        "lon,lat\n-76.15,43.05\n-75.95,43.05\n-76.15,43.04\n",
    );
    let l = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap();
    assert_eq!((l.complaints.len(), l.far_away), (3, 1));
    assert!(
        l.report
            .notes
            .iter()
            .any(|n| n.contains("1 of 3 complaints lie more than 5 km outside"))
    );
    let mut o = opts(Some(SYRACUSE));
    o.far_km = 20.0;
    assert_eq!(read_complaints(&p, &o).unwrap().far_away, 0);
}

#[test]
fn axis_swap_verdict_table() {
    let c = |x: f64, y: f64| Coord { x, y };
    let sw = |v: &[Coord<f64>]| v.iter().map(|p| c(p.y, p.x)).collect::<Vec<_>>();
    let inside = c(-76.1, 43.05);
    type Case = (&'static str, Vec<Coord<f64>>, Option<[f64; 4]>, AxisVerdict);
    let cases: Vec<Case> = vec![
        ("empty input", vec![], Some(SYRACUSE), AxisVerdict::Unknown),
        (
            "as given",
            vec![inside; 3],
            Some(SYRACUSE),
            AxisVerdict::AsGiven,
        ),
        (
            "swapped",
            vec![c(43.05, -76.1); 3],
            Some(SYRACUSE),
            AxisVerdict::Swapped,
        ),
        (
            "neither",
            vec![c(10.0, 10.0); 3],
            Some(SYRACUSE),
            AxisVerdict::Unknown,
        ),
        // A tie (half in each reading) does not decide.
        (
            "tie",
            vec![inside, c(43.05, -76.1)],
            Some(SYRACUSE),
            AxisVerdict::Unknown,
        ),
        ("no extent", vec![inside], None, AxisVerdict::Unknown),
        (
            "latitude beyond 90, no extent",
            vec![c(43.0, -120.0)],
            None,
            AxisVerdict::Swapped,
        ),
        (
            "latitude beyond 90 when swapped",
            vec![c(-120.0, 43.0)],
            None,
            AxisVerdict::AsGiven,
        ),
        (
            "NaN",
            vec![c(f64::NAN, f64::NAN)],
            Some(SYRACUSE),
            AxisVerdict::Unknown,
        ),
        // Exactly on the padded boundary counts as inside.
        (
            "boundary",
            vec![c(pad_extent(SYRACUSE, 1.0)[2], 43.0)],
            Some(SYRACUSE),
            AxisVerdict::AsGiven,
        ),
    ];
    for (what, pts, extent, want) in cases {
        let ev = detect_axis_swap(&pts, &sw(&pts), extent);
        assert_eq!(ev.verdict(), want, "{what}: {ev:?}");
    }
    // 0.8 km east of the extent is within the 1 km pad; 1.2 km is not.
    let per_km = 1.0 / km_per_degree_lon(SYRACUSE);
    let near = vec![c(SYRACUSE[2] + 0.8 * per_km, 43.0)];
    let far = vec![c(SYRACUSE[2] + 1.2 * per_km, 43.0)];
    assert_eq!(
        detect_axis_swap(&near, &sw(&near), Some(SYRACUSE)).inside_as_given,
        Some(1)
    );
    assert_eq!(
        detect_axis_swap(&far, &sw(&far), Some(SYRACUSE)).inside_as_given,
        Some(0)
    );
}

#[test]
fn helpers() {
    for (n, s) in [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (7538, "7,538"),
        (1_234_567, "1,234,567"),
    ] {
        assert_eq!(thousands(n), s);
    }
    let e = SYRACUSE;
    assert_eq!(km_outside(e, Coord { x: -76.1, y: 43.0 }), 0.0);
    assert!(
        km_outside(
            e,
            Coord {
                x: f64::NAN,
                y: 43.0
            }
        )
        .is_infinite()
    );
    let north = km_outside(
        e,
        Coord {
            x: -76.1,
            y: e[3] + 0.1,
        },
    );
    assert!((north - 11.1195).abs() < 1e-3, "{north}");
}

#[test]
fn swap_xy_without_evidence_is_applied_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.csv", "lon,lat\n43.05,-76.1\n");
    let mut o = opts(None);
    o.mapping.swap_xy = true;
    let l = read_complaints(&p, &o).unwrap();
    assert!(l.swapped);
    let (lon, lat) = lonlat(&l.complaints[0]);
    assert!((lon + 76.1).abs() < 1e-9 && (lat - 43.05).abs() < 1e-9);
}

#[test]
fn unknown_json_and_empty_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "x.json", "  \"text\"");
    let e = read_complaints(&p, &opts(None)).unwrap_err();
    assert!(e.to_string().contains("must start with `[`"), "{e}");
    let p = write(
        &dir,
        "e.geojson",
        r#"{"type":"FeatureCollection","features":[]}"#,
    );
    let e = read_complaints(&p, &opts(None)).unwrap_err();
    assert!(e.to_string().contains("the file holds no features"), "{e}");
    let p = write(&dir, "e.json", "[]");
    let e = read_complaints(&p, &opts(None)).unwrap_err();
    assert!(e.to_string().contains("no coordinate columns found"), "{e}");
}

/// Reads the CSV named by `STREETRANK_READ_CSV` (for profiling: `cargo test --release -p streetrank-io
/// read_env_csv -- --ignored`, then callgrind or `perf stat` on the test binary).
#[test]
#[ignore = "profiling helper: needs STREETRANK_READ_CSV"]
fn read_env_csv() {
    let path = PathBuf::from(std::env::var_os("STREETRANK_READ_CSV").unwrap());
    let mut o = opts(None);
    o.mapping.id = Some("request_id".into());
    let l = read_complaints(&path, &o).unwrap();
    eprintln!("{} complaints, sha256 {}", l.complaints.len(), l.sha256);
}

/// The short-decimal path gives exactly what `str::parse` gives, and declines the rest.
#[test]
fn short_decimals_parse_like_std() {
    let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..200_000 {
        let int = next() % 1_000;
        let places = usize::try_from(next() % 13).unwrap();
        let frac = next() % 10u64.pow(u32::try_from(places).unwrap());
        let sign = if next().is_multiple_of(2) { "-" } else { "" };
        let t = if places == 0 {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac:0places$}")
        };
        let want = t.parse::<f64>().unwrap();
        let got = short_decimal(&t).unwrap();
        assert_eq!(got.to_bits(), want.to_bits(), "{t}");
    }
    for t in [
        "",
        "-",
        ".5",
        "5.",
        "1e5",
        "+1",
        "1.2.3",
        "1234567890123456",
        "0x10",
        " 1",
    ] {
        assert_eq!(short_decimal(t), None, "{t}");
    }
    assert_eq!(
        short_decimal("-0.0").unwrap().to_bits(),
        (-0.0f64).to_bits()
    );
    assert_eq!(
        short_decimal("123456789012345"),
        Some(123_456_789_012_345.0)
    );
}

/// Block and piece boundaries anywhere (tiny sizes) give the same complaints, report and hash
/// as the default sizes: records split across blocks, quoted newlines across a boundary,
/// CRLF, a BOM, a missing final newline and a bad last row.
#[test]
fn block_boundaries_do_not_change_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let texts = [
        "\u{feff}id;lon;lat;created;category;status;note\r\n1;-76.1;43.05;2016-04-12 07:54:00;Pothole;Open;\"a\r\nb; c\"\r\n2;-76.11;43.06;;Pothole;Closed;\r\n\r\n3;-76.12;43.07;4/12/2016 7:54;\"Street\nlight\";Open;\"say \"\"hi\"\"\"\r\n4;-76.13;43.08;;;;x",
        "id,lon,lat,category\n7,-76.1,43.05,Pothole\n8,-76.1,43.05,Pothole\n9,-76.1,43.05\n10,-76.2,43.1,Sidewalk",
        "lon,lat,status\n-76.1,43.05,\"open\"\n-76.1,43.05,open\n\"-76.1\",\"43.05\",\"closed\"\n-76.1,43.05,closed\n",
        "lon,lat,category\r-76.1,43.05,a\r-76.1,43.05,b\r-76.1,43.05,a\r",
    ];
    for (k, text) in texts.iter().enumerate() {
        let p = write(&dir, &format!("b{k}.csv"), text);
        for on_error in [OnError::Skip, OnError::List, OnError::Fail] {
            let mut o = opts(Some(SYRACUSE));
            o.on_error = on_error;
            o.mapping.keep = if k == 0 { vec!["note".into()] } else { vec![] };
            let run = |block: usize, piece: usize| {
                let mut report = LoadReport::new(&p);
                csv::read_in_blocks(&p, &o, &mut report, block, piece, None)
                    .and_then(|(parsed, sha)| finish(&p, parsed, Some(sha), &o, report))
                    .map(|l| {
                        (
                            l.complaints,
                            l.report.skipped,
                            l.report.skip_examples,
                            l.report.notes,
                            l.sha256,
                        )
                    })
                    .map_err(|e| e.to_string())
            };
            let want = run(csv::BLOCK, csv::PIECE);
            if let Ok(w) = &want {
                assert_eq!(w.4, streetrank::sha256_hex(text.as_bytes()));
            }
            for block in [1, 2, 3, 5, 8, 13, 64] {
                for piece in [1, 2, 7, 100] {
                    assert_eq!(
                        run(block, piece),
                        want,
                        "text {k}, block {block}, piece {piece}"
                    );
                }
            }
        }
    }
}

/// Categories and statuses are shared: one allocation per distinct value (per piece).
#[test]
fn categories_are_shared() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "c.csv",
        "lon,lat,category,status\n-76.1,43.05,Pothole,Open\n-76.1,43.05, Pothole ,Open\n-76.1,43.05,Sidewalk,\n",
    );
    let l = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap();
    let c = &l.complaints;
    assert!(streetrank::Label::ptr_eq(
        c[0].category.as_ref().unwrap(),
        c[1].category.as_ref().unwrap()
    ));
    assert_eq!(c[1].category.as_deref(), Some("Pothole"));
    assert_eq!(c[2].category.as_deref(), Some("Sidewalk"));
    assert_eq!(c[2].status, None);
}

/// GeoJSON and Open311 files share them too (they made one allocation per complaint before).
#[test]
fn categories_are_shared_in_geojson_and_open311() {
    let dir = tempfile::tempdir().unwrap();
    let feature = |cat: &str| {
        format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[-76.1,43.05]}},"properties":{{"category":"{cat}","status":"Open"}}}}"#
        )
    };
    let geojson = write(
        &dir,
        "c.geojson",
        &format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
            feature("Pothole"),
            feature(" Pothole "),
            feature("Sidewalk")
        ),
    );
    let open311 = write(
        &dir,
        "requests.json",
        r#"[{"service_request_id":1,"service_name":"Pothole","status":"open","lat":43.05,"long":-76.1},
            {"service_request_id":2,"service_name":"Pothole","status":"open","lat":43.05,"long":-76.1},
            {"service_request_id":3,"service_name":"Sidewalk","status":"closed","lat":43.05,"long":-76.1}]"#,
    );
    for p in [geojson, open311] {
        let l = read_complaints(&p, &opts(Some(SYRACUSE))).unwrap();
        let c = &l.complaints;
        let (a, b) = (
            c[0].category.as_ref().unwrap(),
            c[1].category.as_ref().unwrap(),
        );
        assert!(streetrank::Label::ptr_eq(a, b), "{}", p.display());
        assert!(streetrank::Label::ptr_eq(
            c[0].status.as_ref().unwrap(),
            c[1].status.as_ref().unwrap()
        ));
        assert_eq!(b, "Pothole");
        assert_eq!(c[2].category.as_deref(), Some("Sidewalk"));
    }
}

/// What a read gave, as comparable text: the complaints, everything the report holds, the
/// flags and the digest; or the error.
fn outcome(r: Result<(Vec<Complaint>, LoadedComplaints)>) -> String {
    match r {
        Ok((complaints, l)) => format!(
            "{complaints:?}\n{:?}\n{:?} {} {} {} {}",
            l.report,
            l.property_names,
            l.source_crs.label(),
            l.swapped,
            l.far_away,
            l.sha256
        ),
        Err(e) => format!("error: {e}"),
    }
}

/// The streamed reader's complaints, minus the retracted ones (what [`read_complaints`] gives
/// for a CSV file).
fn streamed(p: &Path, o: &ComplaintsOptions, block: usize, piece: usize) -> String {
    outcome(stream::gather(p, o, block, piece).map(|mut l| (std::mem::take(&mut l.complaints), l)))
}

/// The reader that parses the whole file before checking it, the reference for the streamed one.
fn whole(p: &Path, o: &ComplaintsOptions) -> String {
    outcome(read_parsed(p, o).map(|mut l| (std::mem::take(&mut l.complaints), l)))
}

/// Issue 6 (bounded memory): the streamed reader hands on exactly the complaints the
/// whole-file reader returns, with the same report, notes, counts and digest, and fails with
/// the same error, for every on-error mode and any block size: repeated ids (integer, short
/// and long text; across blocks; a repeat that is also out of range), records out of range,
/// swapped axes, parse errors after repeats, a projected source, far-away points, and every
/// CSV of the bad-input corpus.
#[test]
fn streamed_reading_equals_whole_file_reading() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a-very-long-complaint-identifier";
    let texts = [
        format!(
            "id,lon,lat,created\n1,-76.1,43.05,2016-01-01\n2,-76.11,43.06,\n1,-76.12,43.07,\n{long},-76.1,43.05,\n{long}x,-76.1,43.05,\n{long},-76.1,43.05,\n2,-76.1,95.0,\n3,-76.1,95.0,\nab,-76.1,43.0,\nab,-76.1,43.0,\n"
        ),
        "id,lon,lat\n1,-76.1,43.05\n2,-76.1,43.05\n3,-76.1,43.05\n2,-76.1,43.05\n4,-76.1\n5,-76.1,43.05\n".to_owned(),
        "id,lon,lat\n1,-76.1,43.05\n2,-76.1,91\n3,-76.1,43.05\n4,-76.1,400\n5,-70.1,40.05\n".to_owned(),
        "id,lat,lon\n1,-76.1,43.05\n2,-76.1,43.05\n3,-76.1,43.05\n".to_owned(),
        "lon,lat\n-76.1,43.05\n-76.1,43.05\n-76.1,bad\n\n-76.1,43.05\n".to_owned(),
        "id,x,y\n1,406000,4766000\n2,406100,4766100\n1,406200,4766200\n".to_owned(),
        "id,lon,lat\n".to_owned(),
        // Projected, points PROJ cannot take back to longitude/latitude, with and without ids.
        "x,y\n925000,1105000\n1e300,1e300\n925100,1105100\n1e300,-1e300\n925100,1105100\n"
            .to_owned(),
        "id,x,y\n7,925000,1105000\n8,1e300,1e300\n9,925100,1105100\n7,1e300,1e300\n".to_owned(),
        // Found by the complaints_csv fuzz target: a point far outside the working UTM zone (74° from its central
        // meridian: PROJ transforms it, not crs/native.rs) between points inside it. The points after it must get
        // the same bits however the batches fall.
        "id,lon,lat\n1,-76.2161486,42.4451120\n2,-76.2165036,42.4459569\n3,-76.2172898,42.4452561\n4,-.672168803,42.4452202\n5,-76.2164364,42.4465315\n6,-76.2153303,42.4452446\n7,-76.2157827,42.4451628\n".to_owned(),
    ];
    let mut files: Vec<(PathBuf, bool)> = texts
        .iter()
        .enumerate()
        .map(|(k, t)| (write(&dir, &format!("s{k}.csv"), t), matches!(k, 5 | 7 | 8)))
        .collect();
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad");
    for entry in std::fs::read_dir(&bad).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("complaints") {
            files.push((p, false));
        }
    }
    files.sort();
    for (p, projected) in &files {
        for on_error in [OnError::Fail, OnError::Skip, OnError::List] {
            for swap_xy in [false, true] {
                let mut o = opts(Some(SYRACUSE));
                o.on_error = on_error;
                o.mapping.swap_xy = swap_xy;
                if *projected {
                    // New York State Plane Central (US feet) for the unprojectable cases.
                    let feet = p.ends_with("s7.csv") || p.ends_with("s8.csv");
                    o.mapping.crs = Some(Crs::epsg(if feet { 2261 } else { 32618 }));
                    o.mapping.x = Some("x".into());
                    o.mapping.y = Some("y".into());
                }
                let want = whole(p, &o);
                if p.ends_with("s0.csv") && !swap_xy {
                    // The case is not trivial: repeats (one also out of range) and range skips.
                    if on_error == OnError::Fail {
                        assert!(
                            want.contains("id `1` was already used by record 1"),
                            "{want}"
                        );
                    } else {
                        assert!(want.contains("\"duplicate id\": 4"), "{want}");
                        assert!(want.contains("\"coordinate out of range\": 1"), "{want}");
                    }
                }
                if (p.ends_with("s7.csv") || p.ends_with("s8.csv")) && on_error != OnError::Fail {
                    // Points PROJ cannot project are skipped and counted.
                    assert!(want.contains("\"coordinate outside the CRS\""), "{want}");
                }
                for (block, piece) in [(csv::BLOCK, csv::PIECE), (1, 1), (7, 3), (40, 100)] {
                    assert_eq!(
                        streamed(p, &o, block, piece),
                        want,
                        "{}, {on_error:?}, swap {swap_xy}, block {block}",
                        p.display()
                    );
                }
            }
        }
    }
}

/// The streamed reader on the real cities' CSV complaints equals the whole-file reader, also
/// when called from a pool's thread.
#[test]
fn streamed_reading_equals_whole_file_reading_on_real_data() {
    let data = data_dir();
    for (file, extent, swap_xy) in [
        (
            "syracuse/original/RoadsChallenge/data/potholes.csv",
            SYRACUSE,
            true,
        ),
        ("syracuse/converted/pothole_fills.csv", SYRACUSE, false),
        (
            "washington-dc/converted/service_requests_2016.csv",
            DC,
            false,
        ),
    ] {
        let p = data.join(file);
        for on_error in [OnError::Fail, OnError::Skip] {
            let mut o = opts(Some(extent));
            o.on_error = on_error;
            o.mapping.swap_xy = swap_xy;
            let want = whole(&p, &o);
            assert!(!want.starts_with("error"), "{file}: {want}");
            for block in [csv::BLOCK, 1 << 16] {
                assert_eq!(streamed(&p, &o, block, 1 << 14), want, "{file}");
            }
            // Called from one of a pool's threads, the batches are handed on between blocks
            // (not while the next is parsed): the same result.
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| streamed(&p, &o, 1 << 16, 1 << 14));
                assert_eq!(got, want, "{file}, {threads} thread(s) of a pool");
            }
        }
    }
}

/// The quick check for repeated ids says "all distinct" exactly when no two ids are equal,
/// for integers, short texts (up to 14 bytes, empty included) and texts that look like
/// integers; with a longer text it defers to the exact check.
#[test]
fn quick_distinct_id_check_agrees_with_comparing_ids() {
    let ids = [
        SourceId::Int(1),
        SourceId::Int(-1),
        SourceId::Int(i64::MAX),
        SourceId::from("1"),
        SourceId::from(""),
        SourceId::from("abcdefghijklmn"),
        SourceId::from("abcdefghijklm"),
        SourceId::from("\u{0}"),
    ];
    let complaint = |id: &SourceId| Complaint::new(id.clone(), Point::new(0.0, 0.0)).unwrap();
    for a in &ids {
        for b in &ids {
            let pair = [complaint(a), complaint(b)];
            assert_eq!(stream::ids_all_distinct(&pair), a != b, "{a:?} {b:?}");
        }
    }
    let long = [
        complaint(&SourceId::from("abcdefghijklmno")),
        complaint(&ids[0]),
    ];
    assert!(!stream::ids_all_distinct(&long));
}

/// Issue 4: the fraction's digits read as one word equal a digit loop, on every length, at
/// every offset, and on bytes next to the digits ('/' and ':', the first non-digits around
/// them, and 0xFF, which carries when 6 is added).
#[test]
fn fraction_digits_read_like_a_digit_loop() {
    let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1du64);
    let alphabet = b"0123456789/:.a\xff ";
    for _ in 0..200_000 {
        let len = usize::try_from(next() % 15 + 1).unwrap();
        let run: Vec<u8> = (0..len)
            .map(|_| {
                // Mostly digits, so that whole runs are common.
                let k = next() % 40;
                alphabet[usize::try_from(if k < 30 { k % 10 } else { k - 24 }).unwrap()]
            })
            .collect();
        let want = run
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| run.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0')));
        // The run after a prefix of any length, so both ways of reading it are taken.
        let pad = usize::try_from(next() % 10).unwrap();
        let mut text = vec![b'-'; pad];
        text.extend_from_slice(&run);
        let got = super::fraction_digits(&text, pad);
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
    }
}

/// Issue 4: on random strings of digits, dots and signs, the short-decimal path answers
/// exactly the spelling `-?digits[.digits]` with at most 15 digits, and then what
/// `str::parse` answers, bit for bit.
#[test]
fn short_decimals_answer_exactly_their_spelling() {
    let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15u64);
    let alphabet = b"0123456789012345678901234567890123456789.-+e";
    let mut answered = 0;
    for _ in 0..300_000 {
        let len = usize::try_from(next() % 19).unwrap();
        let t: String = (0..len)
            .map(|_| char::from(alphabet[usize::try_from(next() % 44).unwrap()]))
            .collect();
        let body = t.strip_prefix('-').unwrap_or(&t);
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let spelled =
            digits(int) && frac.is_none_or(digits) && int.len() + frac.map_or(0, str::len) <= 15;
        match short_decimal(&t) {
            Some(v) => {
                answered += 1;
                assert!(spelled, "{t}");
                assert_eq!(v.to_bits(), t.parse::<f64>().unwrap().to_bits(), "{t}");
            }
            None => assert!(!spelled, "{t}"),
        }
    }
    assert!(answered > 10_000, "{answered}");
}
