//! GDAL reads every writer's output without an error or a warning.
//!
//! Writes a ranked-segments-like table (LineStrings, 16 mixed-type columns
//! with long names) and an assignments-like table (points) in all three
//! formats, then runs `ogrinfo` on each file. Needs `ogrinfo` (Debian:
//! `apt-get install gdal-bin`); the test fails if it is missing.
#![allow(clippy::unwrap_used)] // tests may unwrap (house rule)

use std::path::Path;
use std::process::Command;

use geo_types::{Geometry, LineString, Point, line_string};
use streetrank::PropertyValue::{self, Bool, Float, Int, Null, Text};
use streetrank_io::{
    Column, ColumnType, Destination, FeatureTable, Format, WriteOptions, write_table,
};

fn col(name: &str, ty: ColumnType) -> Column {
    Column::new(name, ty, format!("test column {name}"))
}

/// Ranked street segments near Syracuse, NY: 20 rows, one without geometry.
fn ranked_segments() -> FeatureTable {
    let columns = vec![
        col("segment_id", ColumnType::Int),
        col("source_id", ColumnType::Text),
        col("street_name", ColumnType::Text),
        col("road_class", ColumnType::Text),
        col("length_m", ColumnType::Float),
        col("complaint_count", ColumnType::Int),
        col("complaint_count_recent", ColumnType::Int),
        col("pressure_normalized", ColumnType::Float),
        col("pressure_notes", ColumnType::Text),
        col("condition_score", ColumnType::Float),
        col("aadt_vehicles_per_day", ColumnType::Float),
        col("priority_score", ColumnType::Float),
        col("rank", ColumnType::Int),
        col("is_arterial", ColumnType::Bool),
        col("district", ColumnType::Text),
        col("last_complaint_date", ColumnType::Text),
    ];
    let mut rows: Vec<Vec<PropertyValue>> = Vec::new();
    let mut geometries = Vec::new();
    for i in 0..20i32 {
        let f = f64::from(i);
        rows.push(vec![
            Int(12_580_000 + i64::from(i)),
            Text(format!("1106854199{i:02}")),
            Text(match i % 4 {
                0 => "Erie Blvd E".to_owned(),
                1 => "James St, \"north\"".to_owned(),
                2 => "Rue Saint-Étienne 🚧".to_owned(),
                _ => "Line\nbreak Ave".to_owned(),
            }),
            if i % 5 == 0 {
                Null
            } else {
                Text("MAJOR".into())
            },
            Float(100.0 + f * 12.345_678),
            Int(i64::from(i % 7)),
            if i % 3 == 0 {
                Null
            } else {
                Int(i64::from(i % 3))
            },
            Float(if i == 4 { f64::NAN } else { f / 19.0 }),
            Text("x".repeat(usize::try_from(i).unwrap() * 20)),
            if i % 6 == 0 { Null } else { Float(f * 0.5) },
            Float(1500.0 + f * 1000.0),
            Float(1.0 - f / 20.0),
            Int(i64::from(i) + 1),
            Bool(i % 2 == 0),
            Text(format!("District {}", i % 5)),
            Text(format!("2024-03-{:02}", i + 1)),
        ]);
        let x = -76.15 + f * 0.001;
        geometries.push(if i == 7 {
            None
        } else {
            Some(Geometry::LineString(
                line_string![(x: x, y: 43.05), (x: x + 0.000_5, y: 43.050_3), (x: x + 0.001, y: 43.05)],
            ))
        });
    }
    FeatureTable {
        columns,
        rows,
        geometries,
    }
}

/// Complaints assigned to segments: points, one unassigned row without geometry.
fn assignments() -> FeatureTable {
    let columns = vec![
        col("complaint_id", ColumnType::Text),
        col("segment_id", ColumnType::Int),
        col("distance_m", ColumnType::Float),
        col("fraction_along", ColumnType::Float),
        col("side", ColumnType::Text),
        col("snapped", ColumnType::Bool),
        col("created", ColumnType::Text),
    ];
    let mut rows = Vec::new();
    let mut geometries = Vec::new();
    for i in 0..10i32 {
        let f = f64::from(i);
        let assigned = i != 3;
        rows.push(vec![
            Text(format!("SR-{i:05}")),
            if assigned {
                Int(12_580_000 + i64::from(i))
            } else {
                Null
            },
            if assigned { Float(f * 1.5) } else { Null },
            if assigned { Float(f / 10.0) } else { Null },
            Text(if i % 2 == 0 { "left" } else { "right" }.into()),
            Bool(assigned),
            Text(format!("2024-03-{:02}T08:00:00", i + 1)),
        ]);
        geometries.push(if i == 5 {
            None
        } else {
            Some(Geometry::Point(Point::new(
                -76.15 + f * 0.001,
                43.05 + f * 0.000_1,
            )))
        });
    }
    FeatureTable {
        columns,
        rows,
        geometries,
    }
}

/// Runs `ogrinfo` with `args`; fails on a missing binary, a non-zero exit
/// or any `ERROR`/`Warning` in its output. Returns stdout.
fn ogrinfo(args: &[&str]) -> String {
    let out = match Command::new("ogrinfo").args(args).output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run ogrinfo ({e}): install gdal-bin (apt-get install gdal-bin)"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ogrinfo {args:?} exited with {}:\n{stdout}\n{stderr}",
        out.status
    );
    for text in [stdout.as_str(), &stderr] {
        assert!(
            !text.contains("ERROR") && !text.contains("Warning"),
            "ogrinfo {args:?} complained:\n{stdout}\n{stderr}"
        );
    }
    stdout
}

fn write(table: &FeatureTable, dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    let format = Format::from_path(&path).unwrap();
    let opts = WriteOptions::default();
    write_table(table, &Destination::Path(path.clone()), format, &opts).unwrap();
    path.to_str().unwrap().to_owned()
}

fn check_all_formats(table: &FeatureTable, stem: &str, geometry: &str) {
    let dir = tempfile::tempdir().unwrap();
    let count = format!("Feature Count: {}", table.rows.len());
    let geometry_line = format!("Geometry: {geometry}");
    for ext in ["geojson", "shp", "csv"] {
        let file = write(table, dir.path(), &format!("{stem}.{ext}"));
        let info = ogrinfo(&["-ro", "-al", "-so", &file]);
        assert!(info.contains(&count), "{file}:\n{info}");
        if ext != "csv" {
            assert!(info.contains(&geometry_line), "{file}:\n{info}");
            assert!(
                info.contains("WGS 84") || info.contains("WGS_1984"),
                "{file}:\n{info}"
            );
        }
        if ext == "shp" {
            // Long names arrive truncated, and the map says how.
            assert!(
                info.contains("segment_id: Real (18.0)") || info.contains("segment_id: Integer"),
                "{file}:\n{info}"
            );
        }
    }
    // The CSV's WKT column is read as geometry when GDAL is told its name.
    let file = dir.path().join(format!("{stem}.csv"));
    let file = file.to_str().unwrap();
    let oo = [
        "-oo",
        "GEOM_POSSIBLE_NAMES=wkt",
        "-oo",
        "KEEP_GEOM_COLUMNS=NO",
    ];
    let summary = ogrinfo(&[&["-ro", "-al", "-so"][..], &oo, &[file]].concat());
    assert!(summary.contains(&count), "{summary}");
    assert!(
        !summary.contains("wkt: String"),
        "wkt is geometry, not a field:\n{summary}"
    );
    let full = ogrinfo(&[&["-ro", "-al"][..], &oo, &[file]].concat());
    let wkt_kw = geometry.to_ascii_uppercase().replace(' ', "");
    let features_with_geometry = table.geometries.iter().filter(|g| g.is_some()).count();
    assert_eq!(
        full.matches(&format!("  {wkt_kw} (")).count(),
        features_with_geometry,
        "{full}"
    );
}

#[test]
fn ranked_segments_are_readable_by_gdal_in_every_format() {
    check_all_formats(&ranked_segments(), "ranked", "Line String");
}

#[test]
fn assignments_are_readable_by_gdal_in_every_format() {
    check_all_formats(&assignments(), "assigned", "Point");
}

#[test]
fn empty_tables_are_readable_by_gdal() {
    let mut t = ranked_segments();
    t.rows.clear();
    t.geometries.clear();
    let dir = tempfile::tempdir().unwrap();
    for ext in ["geojson", "shp", "csv"] {
        let file = write(&t, dir.path(), &format!("empty.{ext}"));
        let info = ogrinfo(&["-ro", "-al", "-so", &file]);
        assert!(info.contains("Feature Count: 0"), "{file}:\n{info}");
    }
}

#[test]
fn line_geometry_survives_in_the_shapefile() {
    let t = ranked_segments();
    let dir = tempfile::tempdir().unwrap();
    let file = write(&t, dir.path(), "one.shp");
    let full = ogrinfo(&["-ro", "-al", "-where", "segment_id = 12580000", &file]);
    let Some(Geometry::LineString(LineString(cs))) = &t.geometries[0] else {
        panic!("fixture")
    };
    let want = format!("LINESTRING ({} {},", cs[0].x, cs[0].y);
    assert!(full.contains(&want), "want {want} in\n{full}");
    assert!(full.contains("street_nam (String) = Erie Blvd E"), "{full}");
}
