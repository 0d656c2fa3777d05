//! Acceptance tests on the real city data in `../shared/data` (or `$STREETRANK_DATA`).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{col, data, read_csv, streetrank, text};

const SYR_STREETS: &str = "syracuse/original/RoadsChallenge/data/street_shapefile.zip";
const SYR_POTHOLES: &str = "syracuse/original/RoadsChallenge/data/potholes.csv";
const SYR_RATINGS: &str = "syracuse/converted/road_ratings_2000_2015_long.csv";
const DC_STREETS: &str = "washington-dc/original/Correlated-Capstone/tl_2018_11001_roads.zip";
const DC_REQUESTS: [&str; 3] = [
    "washington-dc/original/dc-maps/maps/pothole-last-30-days.geojson",
    "washington-dc/original/dc-maps/maps/street-alley-repair-last-30-days.geojson",
    "washington-dc/original/dc-maps/maps/sidewalk-repair-last-30-days.geojson",
];

/// Issue 2 acceptance: for >= 99% of the fills within 30 m, the assigned segment is the STREET_ID the city logged.
#[test]
fn syracuse_fills_snap_to_the_street_id_the_city_logged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("assignments.csv");
    let run = streetrank([
        "snap".as_ref(),
        "--profile".as_ref(),
        "internal".as_ref(),
        "--streets".as_ref(),
        data(SYR_STREETS).as_os_str(),
        "--complaints".as_ref(),
        data(SYR_POTHOLES).as_os_str(),
        "--swap-xy".as_ref(),
        "--keep".as_ref(),
        "STREET_ID".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("swapped"),
        "the summary must say the axes were swapped:\n{err}"
    );
    let (header, rows) = read_csv(&out);
    assert_eq!(rows.len(), 7538);
    let (matched, seg, logged) = (
        col(&header, "matched"),
        col(&header, "segment_id"),
        col(&header, "STREET_ID"),
    );
    let within: Vec<&Vec<String>> = rows.iter().filter(|r| r[matched] == "true").collect();
    let agree = within.iter().filter(|r| r[seg] == r[logged]).count();
    let share_within = within.len() as f64 / rows.len() as f64;
    let share_agree = agree as f64 / within.len() as f64;
    eprintln!(
        "Syracuse: {} of {} fills within 30 m ({:.2}%); {agree} assigned to the logged STREET_ID ({:.3}%)",
        within.len(),
        rows.len(),
        100.0 * share_within,
        100.0 * share_agree
    );
    assert!(
        share_within > 0.98,
        "only {share_within} of fills within 30 m"
    );
    assert!(
        share_agree >= 0.99,
        "only {share_agree} agree with STREET_ID"
    );
}

/// The swapped Latitude/Longitude headers are caught, named, and the fix given.
#[test]
fn syracuse_swapped_headers_are_named_with_the_fix() {
    let run = streetrank([
        "snap".as_ref(),
        "--profile".as_ref(),
        "internal".as_ref(),
        "--streets".as_ref(),
        data(SYR_STREETS).as_os_str(),
        "--complaints".as_ref(),
        data(SYR_POTHOLES).as_os_str(),
        "-o".as_ref(),
        "-".as_ref(),
    ]);
    let (out, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(out.is_empty(), "nothing may be written on error: {out}");
    for needle in ["potholes.csv", "Latitude", "Longitude", "--swap-xy"] {
        assert!(err.contains(needle), "error must mention {needle}:\n{err}");
    }
}

/// The 2000-2015 ratings join as the condition factor and the summary says how many segments have one.
#[test]
fn syracuse_ratings_join_as_condition() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = tmp.path().join("summary.json");
    let ranking = tmp.path().join("ranking.csv");
    let run = streetrank([
        "score".as_ref(),
        "--streets".as_ref(),
        data(SYR_STREETS).as_os_str(),
        "--complaints".as_ref(),
        data(SYR_POTHOLES).as_os_str(),
        "--swap-xy".as_ref(),
        "--ratings".as_ref(),
        data(SYR_RATINGS).as_os_str(),
        "--on-error".as_ref(),
        "skip".as_ref(),
        "--condition-worst".as_ref(),
        "1".as_ref(),
        "--condition-best".as_ref(),
        "10".as_ref(),
        "-o".as_ref(),
        ranking.as_os_str(),
        "--summary-json".as_ref(),
        summary.as_os_str(),
    ]);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("segments rated"), "{err}");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
    let rated = s["ratings"]["rated"].as_u64().unwrap();
    eprintln!(
        "Syracuse: {rated} of 6825 segments rated; ratings summary {}",
        s["ratings"]
    );
    assert!((4700..=4900).contains(&rated), "{rated} segments rated");
    let (header, rows) = read_csv(&ranking);
    assert_eq!(rows.len(), 6825);
    let missing = col(&header, "condition_missing");
    let with_condition = rows.iter().filter(|r| r[missing] == "false").count();
    assert_eq!(with_condition as u64, rated);
}

/// Issue 2 acceptance: DC assignments equal GeoPandas `sjoin_nearest(max_distance=30)` in the same metric CRS,
/// for every complaint except exact ties.
#[test]
fn dc_assignments_equal_geopandas_sjoin_nearest() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = tmp.path().join("ours.csv");
    let theirs = tmp.path().join("geopandas.csv");
    let mut args: Vec<std::ffi::OsString> = vec![
        "snap".into(),
        "--profile".into(),
        "internal".into(),
        "--streets".into(),
        data(DC_STREETS).into(),
        "--work-crs".into(),
        "EPSG:32618".into(),
        "-o".into(),
        ours.clone().into(),
    ];
    for f in DC_REQUESTS {
        args.extend(["--complaints".into(), data(f).into()]);
    }
    let run = streetrank(&args);
    assert!(run.status.success(), "{}", text(&run).1);

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sjoin_nearest.py");
    let mut py = std::process::Command::new("python3");
    py.arg(&script)
        .arg("--streets")
        .arg(data(DC_STREETS))
        .arg("--crs")
        .arg("EPSG:32618");
    py.arg("--id")
        .arg("LINEARID")
        .arg("--complaint-id")
        .arg("SERVICEREQUESTID")
        .arg("--out")
        .arg(&theirs);
    for f in DC_REQUESTS {
        py.arg("--complaints").arg(data(f));
    }
    let gp = py
        .output()
        .expect("python3 must be installed (.ci/setup installs GeoPandas)");
    assert!(
        gp.status.success(),
        "GeoPandas script failed: {}",
        String::from_utf8_lossy(&gp.stderr)
    );

    // GeoPandas: complaint -> every nearest segment (several rows on an exact tie) and the distance.
    let (gh, grows) = read_csv(&theirs);
    let (gc, gs, gd) = (
        col(&gh, "complaint_id"),
        col(&gh, "segment_id"),
        col(&gh, "distance"),
    );
    let mut expected: BTreeMap<String, (BTreeSet<String>, f64)> = BTreeMap::new();
    for r in &grows {
        let e = expected
            .entry(r[gc].clone())
            .or_insert_with(|| (BTreeSet::new(), f64::NAN));
        if !r[gs].is_empty() {
            e.0.insert(r[gs].clone());
            e.1 = r[gd].parse().unwrap();
        }
    }
    let (oh, orows) = read_csv(&ours);
    assert_eq!(orows.len(), 1890);
    assert_eq!(expected.len(), 1890, "GeoPandas rows per complaint");
    let (oc, os, od, oru) = (
        col(&oh, "complaint_id"),
        col(&oh, "segment_id"),
        col(&oh, "distance_m"),
        col(&oh, "runner_up_m"),
    );
    let (mut same, mut ties, mut boundary) = (0, 0, 0);
    let mut differ = Vec::new();
    for r in &orows {
        let (segs, dist) = &expected[&r[oc]];
        let ours_seg = &r[os];
        let near_boundary = |d: f64| (d - 30.0).abs() < 1e-6;
        if segs.is_empty() || ours_seg.is_empty() {
            let d: f64 = r[od].parse().unwrap_or(f64::NAN);
            if segs.is_empty() && ours_seg.is_empty() {
                same += 1;
            } else if near_boundary(d) || near_boundary(*dist) {
                boundary += 1;
            } else {
                differ.push(format!("{}: ours {ours_seg:?}, GeoPandas {segs:?}", r[oc]));
            }
            continue;
        }
        let d: f64 = r[od].parse().unwrap();
        let runner_up: f64 = r[oru].parse().unwrap_or(f64::INFINITY);
        let tie = segs.len() > 1 || (runner_up - d).abs() < 1e-6;
        if segs.contains(ours_seg) {
            same += 1;
            assert!(
                (d - dist).abs() < 1e-3,
                "{}: distance {d} vs GeoPandas {dist}",
                r[oc]
            );
        } else if tie {
            ties += 1;
        } else {
            differ.push(format!(
                "{}: ours {ours_seg} at {d} m, GeoPandas {segs:?} at {dist} m",
                r[oc]
            ));
        }
    }
    eprintln!(
        "DC: {same} identical, {ties} exact ties, {boundary} at the 30 m boundary, {} different",
        differ.len()
    );
    assert!(
        differ.is_empty(),
        "assignments differ from GeoPandas:\n{}",
        differ.join("\n")
    );
    assert!(
        ties + boundary <= 5,
        "{ties} ties and {boundary} boundary cases is suspiciously many"
    );
}
