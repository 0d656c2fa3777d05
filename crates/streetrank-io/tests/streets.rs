//! Street readers and CRS handling on the real city data and on small bad files.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};

use streetrank::SourceId;
use streetrank_io::{Crs, OnError, StreetMapping, StreetsOptions, Transform, read_streets};

/// The shared data directory: `$STREETRANK_DATA`, else `../shared/data` next to the checkout.
fn data() -> PathBuf {
    let dir = std::env::var_os("STREETRANK_DATA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "test data directory {} is missing: set STREETRANK_DATA to the shared data directory",
        dir.display()
    );
    dir
}

fn syracuse_zip() -> PathBuf {
    data().join("syracuse/original/RoadsChallenge/data/street_shapefile.zip")
}

#[test]
fn syracuse_prj_parses_as_us_feet_state_plane() {
    let prj = std::fs::read_to_string(
        data().join("syracuse/original/RoadsChallenge/data/street_shapefile/streets.prj"),
    )
    .unwrap();
    let crs = Crs::parse(&prj).unwrap();
    assert!(!crs.is_geographic().unwrap());
    assert!((crs.metres_per_unit().unwrap().unwrap() - 0.304_800_609_6).abs() < 1e-9);
    assert_eq!(
        crs.label(),
        "NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet"
    );
    // The .prj and EPSG:2261 are the same projection: a point agrees to < 1 mm.
    let a = Transform::new(&crs, &Crs::wgs84())
        .unwrap()
        .point(920_000.0, 1_110_000.0)
        .unwrap();
    let b = Transform::new(&Crs::epsg(2261), &Crs::wgs84())
        .unwrap()
        .point(920_000.0, 1_110_000.0)
        .unwrap();
    assert!(
        (a.0 - b.0).abs() < 1e-8 && (a.1 - b.1).abs() < 1e-8,
        "{a:?} {b:?}"
    );
}

/// DC's own XCOORD/YCOORD (Maryland State Plane, EPSG:26985) against the
/// same feature's GeoJSON lon/lat: an independent check of PROJ's result,
/// carried on through WGS 84 to UTM 18N and back.
#[test]
fn dc_state_plane_agrees_with_published_lonlat() {
    let text = std::fs::read_to_string(
        data().join("washington-dc/original/dc-maps/maps/pothole-last-30-days.geojson"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let to_ll = Transform::new(&Crs::epsg(26985), &Crs::wgs84()).unwrap();
    let ll_to_md = Transform::new(&Crs::wgs84(), &Crs::epsg(26985)).unwrap();
    let ll_to_utm = Transform::new(&Crs::wgs84(), &Crs::epsg(32618)).unwrap();
    let utm_to_md = Transform::new(&Crs::epsg(32618), &Crs::epsg(26985)).unwrap();
    let mut checked = 0;
    for f in v["features"].as_array().unwrap().iter().take(50) {
        let p = &f["properties"];
        let (Some(x), Some(y)) = (p["XCOORD"].as_f64(), p["YCOORD"].as_f64()) else {
            continue;
        };
        let (Some(lon), Some(lat)) = (p["LONGITUDE"].as_f64(), p["LATITUDE"].as_f64()) else {
            continue;
        };
        // Forward: published lon/lat -> state plane within 0.5 m of XCOORD/YCOORD.
        let (px, py) = ll_to_md.point(lon, lat).unwrap();
        assert!(
            (px - x).hypot(py - y) < 0.5,
            "feature {}: ({px}, {py}) vs ({x}, {y})",
            p["OBJECTID"]
        );
        // Round trip state plane -> 4326 -> 32618 -> state plane to < 1 mm.
        let (lo, la) = to_ll.point(x, y).unwrap();
        let (e, n) = ll_to_utm.point(lo, la).unwrap();
        let (bx, by) = utm_to_md.point(e, n).unwrap();
        assert!(
            (bx - x).hypot(by - y) < 1e-3,
            "round trip ({bx}, {by}) vs ({x}, {y})"
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} DC features had XCOORD/YCOORD"
    );
}

#[test]
fn syracuse_zip_and_geojson_load_alike() {
    let shp = read_streets(&syracuse_zip(), &StreetsOptions::default()).unwrap();
    assert_eq!(shp.network.segments.len(), 6825);
    assert_eq!(shp.report.loaded, 6825);
    assert!(
        shp.network
            .segments
            .iter()
            .all(|s| matches!(s.id, SourceId::Int(_)))
    );
    assert_eq!(shp.network.segments[0].id, SourceId::Int(13_018_186));
    assert_eq!(
        shp.network.segments[0].attributes.road_class.as_deref(),
        Some("MAJOR")
    );
    assert_eq!(shp.work_crs, Crs::epsg(32618));
    assert_eq!(shp.sha256.len(), 64);
    let notes = shp.report.notes.join("\n");
    assert!(
        notes.contains("id from column `STREET_ID` (auto-detected"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "working CRS EPSG:32618 (UTM zone 18N, chosen from the streets' extent, since"
        ),
        "{notes}"
    );
    assert!(notes.contains("source CRS from the .prj"), "{notes}");
    let [w, s, e, n] = shp.extent_lonlat;
    assert!(
        w > -76.3 && e < -76.0 && s > 42.9 && n < 43.2,
        "{:?}",
        shp.extent_lonlat
    );
    // The DBF's own length field (US feet) agrees with the projected length.
    let first = &shp.network.segments[0];
    assert!(
        (first.length_m - 39.473_121_786_7 * 0.304_800_609_6).abs() < 0.05,
        "{}",
        first.length_m
    );

    let gj = read_streets(
        &data().join("syracuse/converted/streets_wgs84.geojson"),
        &StreetsOptions::default(),
    )
    .unwrap();
    assert_eq!(gj.network.segments.len(), 6825);
    assert!(
        gj.report
            .notes
            .iter()
            .any(|n| n.contains("id from column `segment_id`"))
    );
    let (a, b) = (shp.network.total_length_m(), gj.network.total_length_m());
    assert!(
        ((a - b) / a).abs() < 1e-3,
        "shapefile {a} m vs geojson {b} m"
    );
}

#[test]
fn dc_tiger_zip_loads_with_text_ids() {
    let dc = read_streets(
        &data().join("washington-dc/original/Correlated-Capstone/tl_2018_11001_roads.zip"),
        &StreetsOptions::default(),
    )
    .unwrap();
    assert_eq!(dc.network.segments.len(), 4401);
    assert!(
        dc.network
            .segments
            .iter()
            .all(|s| matches!(s.id, SourceId::Text(_)))
    );
    assert_eq!(
        dc.network.segments[0].id,
        SourceId::Text("1104492433987".into())
    );
    assert_eq!(
        dc.network.segments[0].attributes.road_class.as_deref(),
        Some("S1200")
    );
    assert!(dc.source_crs.is_geographic().unwrap());
    assert_eq!(dc.work_crs, Crs::epsg(32618));
    assert!(dc.report.notes.iter().any(|n| n.contains("`MTFCC`")));
}

// ---- small hand-made bad files ------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn fc(features: &[&str]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

fn line(id: &str, coords: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"segment_id":{id}}},"geometry":{{"type":"LineString","coordinates":{coords}}}}}"#
    )
}

const GOOD: &str = "[[-76.15,43.05],[-76.14,43.05]]";

fn skip() -> StreetsOptions {
    StreetsOptions {
        on_error: OnError::Skip,
        ..StreetsOptions::default()
    }
}

#[test]
fn geojson_bad_features_table() {
    let dir = tempfile::tempdir().unwrap();
    // (features, expected message fragments under Fail, skip reason)
    let cases: Vec<(Vec<String>, Vec<&str>, &str)> = vec![
        (
            vec![line("1", GOOD), line("2", "[]")],
            vec!["record 2", "field `geometry`", "empty", "Fix:"],
            "empty geometry",
        ),
        (
            vec![line("1", GOOD), line("2", "[[-76.15,43.05]]")],
            vec!["record 2", "field `geometry`", "single point"],
            "empty geometry",
        ),
        (
            vec![line("1", GOOD), line("2", "[[-76.15,43.05],[-76.15,43.05]]")],
            vec!["record 2", "field `geometry`", "zero length"],
            "zero-length geometry",
        ),
        (
            vec![line("1", GOOD), r#"{"type":"Feature","properties":{"segment_id":2},"geometry":{"type":"MultiLineString","coordinates":[[[-76.15,43.05],[-76.14,43.05]],[[-76.13,43.05],[-76.12,43.05]]]}}"#.into()],
            vec!["record 2", "field `geometry`", "2 parts", "singlepart"],
            "multi-part geometry",
        ),
        (
            vec![line("1", GOOD), line("1", GOOD)],
            vec!["record 2", "field `segment_id`", "also appears at feature 1", "unique"],
            "duplicate id",
        ),
        (
            vec![line("1", GOOD), line("null", GOOD)],
            vec!["record 2", "field `segment_id`", "empty", "id = \\\"COLUMN\\\""],
            "missing id",
        ),
        (
            vec![line("1", GOOD), r#"{"type":"Feature","properties":{"segment_id":2},"geometry":null}"#.into()],
            vec!["record 2", "field `geometry`", "no geometry"],
            "empty geometry",
        ),
    ];
    for (i, (features, want, reason)) in cases.into_iter().enumerate() {
        let refs: Vec<&str> = features.iter().map(String::as_str).collect();
        let path = write(dir.path(), &format!("case{i}.geojson"), &fc(&refs));
        let err = read_streets(&path, &StreetsOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&path.display().to_string()), "case {i}: {err}");
        for w in want {
            let w = w.replace("\\\"", "\"");
            assert!(err.contains(&w), "case {i}: `{w}` not in: {err}");
        }
        let ok = read_streets(&path, &skip()).unwrap();
        assert_eq!(ok.network.segments.len(), 1, "case {i}");
        assert_eq!(
            ok.report.skipped.get(reason),
            Some(&1),
            "case {i}: {:?}",
            ok.report.skipped
        );
    }
}

#[test]
fn wrong_files_and_wrong_crs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let points = write(
        dir.path(),
        "points.geojson",
        &fc(&[
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[-76.1,43.0]}}"#,
        ]),
    );
    let err = read_streets(&points, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "file holds Point features, not streets: the streets and complaints files may be the wrong way round"
        ),
        "{err}"
    );

    // Feet in a file that says WGS 84.
    let feet = write(
        dir.path(),
        "feet.geojson",
        &fc(&[&line("1", "[[920000,1110000],[920100,1110000]]")]),
    );
    let err = read_streets(&feet, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("feet.geojson")
            && err.contains("feature 1")
            && err.contains("CRS looks wrong")
            && err.contains("--crs EPSG:NNNN"),
        "{err}"
    );
    // ... which the mapping's CRS fixes.
    let opts = StreetsOptions {
        mapping: StreetMapping {
            crs: Some(Crs::epsg(2261)),
            ..StreetMapping::default()
        },
        ..StreetsOptions::default()
    };
    let ok = read_streets(&feet, &opts).unwrap();
    assert!(
        (ok.network.total_length_m() - 30.48).abs() < 0.05,
        "{}",
        ok.network.total_length_m()
    );

    // Degrees in a file declared projected.
    let opts = StreetsOptions {
        mapping: StreetMapping {
            crs: Some(Crs::epsg(2261)),
            ..StreetMapping::default()
        },
        ..StreetsOptions::default()
    };
    let deg = write(dir.path(), "deg.geojson", &fc(&[&line("1", GOOD)]));
    let err = read_streets(&deg, &opts).unwrap_err().to_string();
    assert!(
        err.contains("look like longitude/latitude") && err.contains("EPSG:4326"),
        "{err}"
    );

    // Projected numbers far outside the CRS's area of use (UTM 18N metres read as New York feet).
    let far = write(
        dir.path(),
        "far.geojson",
        &fc(&[&line("1", "[[9000000,9000000],[9000100,9000000]]")]),
    );
    let err = read_streets(&far, &opts).unwrap_err().to_string();
    assert!(
        err.contains("far.geojson") && err.contains("CRS looks wrong"),
        "{err}"
    );

    // A geographic working CRS is refused.
    let opts = StreetsOptions {
        work_crs: Some(Crs::wgs84()),
        ..StreetsOptions::default()
    };
    let err = read_streets(&deg, &opts).unwrap_err().to_string();
    assert!(
        err.contains("geographic") && err.contains("projected CRS in metres"),
        "{err}"
    );

    // Unknown extension.
    let txt = write(dir.path(), "streets.txt", "");
    let err = read_streets(&txt, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("streets.txt") && err.contains("unknown street file type"),
        "{err}"
    );

    // Empty collection.
    let empty = write(dir.path(), "empty.geojson", &fc(&[]));
    let err = read_streets(&empty, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no street features"), "{err}");
}

#[test]
fn wkt_csv_reads_and_reports_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "streets.csv",
        "GIS_ID,PCI,WKT\nA1,71,\"LINESTRING (-77.03 38.90, -77.02 38.90)\"\nA2,bad,\"LINESTRING (-77.03 38.91, -77.02 38.91)\"\nA3,50,\"LINESTRING (oops)\"\n",
    );
    let err = read_streets(&csv, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("streets.csv: record 2, field `PCI`: value `bad` is not a number"),
        "{err}"
    );
    let ok = read_streets(&csv, &skip()).unwrap();
    assert_eq!(ok.network.segments.len(), 1);
    assert_eq!(ok.network.segments[0].id, SourceId::Text("A1".into()));
    assert_eq!(ok.network.segments[0].attributes.condition, Some(71.0));
    assert_eq!(ok.report.skipped.get("bad geometry"), Some(&1));
    assert!(ok.report.skip_examples["bad geometry"][0].contains("record 3, field `WKT`"));
    assert!(
        ok.report
            .notes
            .iter()
            .any(|n| n.contains("WKT column `WKT` (auto-detected"))
    );
    assert!(
        ok.report
            .notes
            .iter()
            .any(|n| n.contains("condition from column `PCI`"))
    );

    let no_geom = write(dir.path(), "nogeom.csv", "id,x\n1,2\n");
    let err = read_streets(&no_geom, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no WKT geometry column") && err.contains("geometry = "),
        "{err}"
    );

    let points = write(dir.path(), "points.csv", "id,WKT\n1,POINT (-77 38)\n");
    let err = read_streets(&points, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the streets and complaints files may be the wrong way round"),
        "{err}"
    );

    let mapping = StreetMapping {
        id: Some("NOPE".into()),
        ..StreetMapping::default()
    };
    let err = read_streets(
        &csv,
        &StreetsOptions {
            mapping,
            ..StreetsOptions::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("column `NOPE` (mapped as `id`) is not in the file")
            && err.contains("`GIS_ID`"),
        "{err}"
    );
}

/// Builds small Shapefiles by hand from the Syracuse zip: missing .prj,
/// missing .dbf, truncated .shp, .dbf from another layer, multi-layer zip.
#[test]
fn shapefile_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = syracuse_zip();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut get = |name: &str| {
        let mut f = zip
            .by_name(&format!("street_shapefile/streets.{name}"))
            .unwrap();
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut b).unwrap();
        b
    };
    let (shp, shx, dbf, prj) = (get("shp"), get("shx"), get("dbf"), get("prj"));
    let put = |stem: &str, parts: &[(&str, &[u8])]| {
        for (ext, bytes) in parts {
            std::fs::write(dir.path().join(format!("{stem}.{ext}")), bytes).unwrap();
        }
        dir.path().join(format!("{stem}.shp"))
    };

    let no_prj = put("noprj", &[("shp", &shp), ("shx", &shx), ("dbf", &dbf)]);
    let err = read_streets(&no_prj, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("noprj.shp")
            && err.contains("no .prj file")
            && err.contains("--crs EPSG:NNNN"),
        "{err}"
    );
    let opts = StreetsOptions {
        mapping: StreetMapping {
            crs: Some(Crs::epsg(2261)),
            ..StreetMapping::default()
        },
        ..StreetsOptions::default()
    };
    assert_eq!(
        read_streets(&no_prj, &opts).unwrap().network.segments.len(),
        6825
    );

    let no_dbf = put("nodbf", &[("shp", &shp), ("shx", &shx), ("prj", &prj)]);
    let err = read_streets(&no_dbf, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("nodbf.shp") && err.contains("no .dbf"),
        "{err}"
    );

    let cut = &shp[..shp.len() / 2];
    let truncated = put(
        "cut",
        &[("shp", cut), ("shx", &shx), ("dbf", &dbf), ("prj", &prj)],
    );
    let err = read_streets(&truncated, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cut.shp") && err.contains("truncated"),
        "{err}"
    );

    // A .dbf with fewer records: patch the record count in its header.
    let mut short_dbf = dbf.clone();
    short_dbf[4..8].copy_from_slice(&6000u32.to_le_bytes());
    let mismatch = put(
        "mismatch",
        &[
            ("shp", &shp),
            ("shx", &shx),
            ("dbf", &short_dbf),
            ("prj", &prj),
        ],
    );
    let err = read_streets(&mismatch, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("6825 shapes") && err.contains("6000 records"),
        "{err}"
    );

    // A zip with two layers needs `layer`.
    let two = dir.path().join("two.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&two).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for stem in ["a", "b"] {
            for (ext, bytes) in [("shp", &shp), ("shx", &shx), ("dbf", &dbf), ("prj", &prj)] {
                w.start_file(format!("{stem}.{ext}"), o).unwrap();
                std::io::Write::write_all(&mut w, bytes).unwrap();
            }
        }
        w.start_file("__MACOSX/._a.shp", o).unwrap();
        w.finish().unwrap();
    }
    let err = read_streets(&two, &StreetsOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("several layers") && err.contains("`a.shp`") && err.contains("layer = "),
        "{err}"
    );
    let opts = StreetsOptions {
        mapping: StreetMapping {
            layer: Some("b".into()),
            ..StreetMapping::default()
        },
        ..StreetsOptions::default()
    };
    assert_eq!(
        read_streets(&two, &opts).unwrap().network.segments.len(),
        6825
    );
    let opts = StreetsOptions {
        mapping: StreetMapping {
            layer: Some("c".into()),
            ..StreetMapping::default()
        },
        ..StreetsOptions::default()
    };
    let err = read_streets(&two, &opts).unwrap_err().to_string();
    assert!(err.contains("no layer `c`"), "{err}");
}

/// A WGS84 file's own coordinates go to the ranking table's lines (not a round trip through
/// the working CRS), skipped features left out; other source CRSs and edited networks are
/// reprojected back.
#[test]
fn ranking_lines_are_the_wgs84_source_coordinates() {
    use geo_types::{Coord, Geometry};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("streets.geojson");
    // Eleven decimals, so that a round trip through UTM would show in the last digits.
    let lines = [
        vec![
            (-76.151234567891, 43.041234567891),
            (-76.149876543219, 43.042345678912),
        ],
        vec![(-76.14, 43.05), (-76.14, 43.05)], // zero-length: skipped
        vec![
            (-76.148888888888, 43.043333333333),
            (-76.147777777777, 43.044444444444),
            (-76.146666666666, 43.046666666666),
        ],
    ];
    let features: Vec<String> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let coords: Vec<String> = l.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
            format!(
                r#"{{"type":"Feature","properties":{{"id":{i}}},"geometry":{{"type":"LineString","coordinates":[{}]}}}}"#,
                coords.join(",")
            )
        })
        .collect();
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let opts = StreetsOptions {
        on_error: OnError::Skip,
        ..StreetsOptions::default()
    };
    let streets = read_streets(&path, &opts).unwrap();
    assert_eq!(streets.network.segments.len(), 2);
    let kept = streets
        .lonlat_lines
        .as_ref()
        .expect("a WGS84 file keeps its lines");
    let expected: Vec<Vec<Coord<f64>>> = [&lines[0], &lines[2]]
        .iter()
        .map(|l| l.iter().map(|&(x, y)| Coord { x, y }).collect())
        .collect();
    assert_eq!(kept.len(), 2);
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(kept.line(i).unwrap(), e.as_slice());
    }

    let complaints: [streetrank::Complaint; 0] = [];
    let ranking = streetrank::score(
        &streets.network,
        &complaints,
        &[],
        &streetrank::ScoreConfig::default(),
        &[],
    )
    .unwrap();
    let line_of = |t: &streetrank_io::FeatureTable, row: usize| -> Vec<Coord<f64>> {
        match t.geometries[row].as_ref().unwrap() {
            Geometry::LineString(l) => l.0.clone(),
            g => panic!("not a line: {g:?}"),
        }
    };
    let own = streetrank_io::ranking_table_for(&streets, &ranking).unwrap();
    let reprojected =
        streetrank_io::ranking_table(&streets.network, &ranking, &streets.work_crs).unwrap();
    for (row, &seg) in ranking.order.iter().enumerate() {
        assert_eq!(line_of(&own, row), expected[seg], "row {row}");
        let back = line_of(&reprojected, row);
        for (a, b) in back.iter().zip(&expected[seg]) {
            assert!(
                (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9,
                "{a:?} {b:?}"
            );
        }
        assert_ne!(
            back, expected[seg],
            "the round trip is not exact: the test would not tell"
        );
    }

    // Lines that no longer pair up with the segments are not used: reprojected instead.
    let mut edited = streets.clone();
    let g = &mut edited.network.segments[0].geometry.0;
    let mid = Coord {
        x: (g[0].x + g[1].x) / 2.0,
        y: (g[0].y + g[1].y) / 2.0,
    };
    g.insert(1, mid);
    let t = streetrank_io::ranking_table_for(&edited, &ranking).unwrap();
    let r = streetrank_io::ranking_table(&edited.network, &ranking, &edited.work_crs).unwrap();
    assert_eq!(t.geometries, r.geometries);
    let row = ranking.order.iter().position(|&i| i == 0).unwrap();
    assert_eq!(line_of(&t, row).len(), 3);

    // A projected source (Syracuse, State Plane feet) keeps nothing.
    let syracuse = read_streets(&syracuse_zip(), &StreetsOptions::default()).unwrap();
    assert!(syracuse.lonlat_lines.is_none());
}
