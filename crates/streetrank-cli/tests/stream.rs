//! Issue 6 (bounded memory): `score` without `--assignments` streams its complaints file and
//! gives the same bytes as the whole-file path that `--assignments` takes.
#![allow(clippy::unwrap_used)] // tests may unwrap (house rule)

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use common::{data, fixtures, streetrank, text};

/// The ranking bytes and the JSON summary without timings, of `score` with `args`, streamed
/// (no table of complaints) or whole (with one).
fn run(args: &[OsString], dir: &Path, whole: bool) -> (Vec<u8>, serde_json::Value) {
    let tag = if whole { "whole" } else { "streamed" };
    let out = dir.join(format!("ranking_{tag}.csv"));
    let summary = dir.join(format!("summary_{tag}.json"));
    // Internal for both: the whole-file path is forced by the per-complaint table, which
    // only the internal profile writes (and publish would blank the same small counts in both).
    let mut all: Vec<OsString> = vec!["score".into(), "--profile".into(), "internal".into()];
    all.extend(args.iter().cloned());
    all.extend([
        "-o".into(),
        out.clone().into(),
        "--summary-json".into(),
        summary.clone().into(),
    ]);
    if whole {
        all.extend(["--assignments".into(), dir.join("assignments.csv").into()]);
    }
    let r = streetrank(&all);
    assert!(r.status.success(), "{tag}: {}", text(&r).1);
    let mut s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    if let Some(m) = s.as_object_mut() {
        m.remove("seconds");
    }
    (std::fs::read(&out).unwrap(), s)
}

fn same(args: &[OsString]) {
    let tmp = tempfile::tempdir().unwrap();
    let streamed = run(args, tmp.path(), false);
    let whole = run(args, tmp.path(), true);
    assert!(!streamed.0.is_empty());
    assert!(streamed.0 == whole.0, "rankings differ for {args:?}");
    assert_eq!(streamed.1, whole.1, "summaries differ for {args:?}");
}

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_owned()).collect()
}

#[test]
fn generated_city_streamed_equals_whole() {
    let c = fixtures().join("city");
    same(&args(&[
        &"--streets",
        &c.join("streets.geojson"),
        &"--complaints",
        &c.join("complaints.csv"),
        &"--ratings",
        &c.join("ratings.csv"),
        &"--config",
        &c.join("config.toml"),
    ]));
}

#[test]
fn syracuse_streamed_equals_whole() {
    let streets: PathBuf = data("syracuse/original/RoadsChallenge/data/street_shapefile.zip");
    same(&args(&[
        &"--streets",
        &streets,
        &"--complaints",
        &data("syracuse/original/RoadsChallenge/data/potholes.csv"),
        &"--swap-xy",
        &"--on-error",
        &"skip",
        &"--ratings",
        &data("syracuse/converted/road_ratings_2000_2015_long.csv"),
    ]));
    same(&args(&[
        &"--streets",
        &streets,
        &"--complaints",
        &data("syracuse/converted/pothole_fills.csv"),
    ]));
    // Repeated ids skipped: the streamed path hands over to the whole-file one.
    same(&args(&[
        &"--streets",
        &streets,
        &"--complaints",
        &fixtures().join("bad/complaints_duplicate_id.csv"),
        &"--on-error",
        &"skip",
    ]));
}

#[test]
fn dc_streamed_equals_whole() {
    let streets = data("washington-dc/original/Correlated-Capstone/tl_2018_11001_roads.zip");
    same(&args(&[
        &"--streets",
        &streets,
        &"--complaints",
        &data("washington-dc/converted/service_requests_2016.csv"),
        &"--as-of",
        &"2016-12-31",
    ]));
    // GeoJSON is read whole and handed on as one batch.
    same(&args(&[
        &"--streets",
        &streets,
        &"--complaints",
        &data("washington-dc/original/dc-maps/maps/pothole-last-30-days.geojson"),
    ]));
}

/// Issue 4: the default `as_of` (the latest creation time, named by the first complaint with
/// it) is the same streamed and whole when that time recurs in rows far apart (in different
/// pieces of the file) and when every row is later than the one before.
#[test]
fn latest_complaint_is_the_same_streamed_and_whole() {
    let c = fixtures().join("city");
    let original = std::fs::read_to_string(c.join("complaints.csv")).unwrap();
    let mut lines = original.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let tmp = tempfile::tempdir().unwrap();
    // Without `as_of`, so the run takes the latest complaint's time.
    let config = std::fs::read_to_string(c.join("config.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("as_of"))
        .collect::<Vec<_>>()
        .join("\n");
    let config_path = tmp.path().join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let recurring = |i: usize| format!("2026-01-0{}T00:00:00Z", i % 3 + 1);
    let ascending = |i: usize| {
        format!("2025-01-01T00:00:{:02}Z", i % 60).replace(
            "2025-01-01",
            &format!("2025-{:02}-{:02}", i / 60 / 28 % 12 + 1, i / 60 % 28 + 1),
        )
    };
    for (name, time) in [
        ("recurring", &recurring as &dyn Fn(usize) -> String),
        ("ascending", &ascending),
    ] {
        let mut text = format!("{header}\n");
        for (i, row) in rows.iter().enumerate() {
            let mut cells: Vec<String> = row.split(',').map(str::to_owned).collect();
            cells[1] = time(i);
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let path = tmp.path().join(format!("complaints_{name}.csv"));
        std::fs::write(&path, text).unwrap();
        same(&args(&[
            &"--streets",
            &c.join("streets.geojson"),
            &"--complaints",
            &path,
            &"--config",
            &config_path,
        ]));
    }
}
