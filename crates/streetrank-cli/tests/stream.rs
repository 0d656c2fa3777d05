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
