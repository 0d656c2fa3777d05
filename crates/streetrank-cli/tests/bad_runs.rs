//! Issue 6: every case of the bad-input corpus (`fixtures/bad/`) run through `streetrank score`
//! end to end, strict and lenient, on the streamed path and on the whole-file path: the CLI never
//! panics, exits 0 or 2, and a failed run leaves nothing in the output folder (no ranking, no
//! manifest, no summary, no temporary file), while a run that succeeds leaves every output whole.
#![allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod common;

use std::path::{Path, PathBuf};

use common::{fixtures, streetrank, text};

/// The corpus files a reader is pointed at (a Shapefile by its `.shp`).
fn corpus() -> Vec<PathBuf> {
    let dir = fixtures().join("bad");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            let ext = p
                .extension()
                .map_or(String::new(), |e| e.to_string_lossy().into_owned());
            ["streets_", "complaints_", "ratings_", "config_"]
                .iter()
                .any(|r| name.starts_with(r))
                && ["csv", "geojson", "json", "shp", "toml"].contains(&ext.as_str())
        })
        .collect();
    files.sort();
    files
}

/// A valid Syracuse layer and complaints file of the corpus, used beside the broken input.
fn good(name: &str) -> PathBuf {
    fixtures().join("bad").join(name)
}

/// The files in `dir`, by name.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `score` with `case` in its role and checks the outcome; returns the exit code.
fn run_case(case: &Path, on_error: &str, whole_file: bool) -> i32 {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    // A Shapefile's error may name its .prj or .dbf.
    let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("ranking.geojson");
    let summary = out_dir.path().join("summary.json");
    let assignments = out_dir.path().join("assignments.csv");
    let config_dir = tempfile::tempdir().unwrap();
    let mut config = config_dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[ratings]\nid = \"segment_id\"\nvalue = \"rating\"\nyear = \"year\"\n",
    )
    .unwrap();

    let mut streets = good("streets_3d.geojson");
    let mut complaints = good("complaints_bom.csv");
    let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
    if name.starts_with("streets_") {
        streets = case.to_path_buf();
    } else if name.starts_with("complaints_") {
        complaints = case.to_path_buf();
    } else if name.starts_with("ratings_") {
        args.extend(["--ratings".into(), case.into()]);
    } else {
        config = case.to_path_buf();
    }
    args.extend([
        "--streets".into(),
        streets.into(),
        "--complaints".into(),
        complaints.into(),
        "--config".into(),
        config.into(),
        "--on-error".into(),
        on_error.into(),
        "--quiet".into(),
        "-o".into(),
        out.clone().into(),
        "--summary-json".into(),
        summary.clone().into(),
    ]);
    if whole_file {
        args.extend([
            "--profile".into(),
            "internal".into(),
            "--assignments".into(),
            assignments.clone().into(),
        ]);
    }
    let run = streetrank(&args);
    let (_, err) = text(&run);
    let what = format!("{name} (--on-error {on_error}, whole file {whole_file})");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: panicked\n{err}"
    );
    let code = run.status.code().unwrap_or(-1);
    let left = listing(out_dir.path());
    match code {
        0 => {
            let mut want = vec![
                "ranking.geojson".to_owned(),
                "ranking.geojson.manifest.json".to_owned(),
                "summary.json".to_owned(),
                "summary.json.manifest.json".to_owned(),
            ];
            if whole_file {
                want.extend([
                    "assignments.csv".to_owned(),
                    "assignments.csv.manifest.json".to_owned(),
                ]);
                want.sort();
            }
            assert_eq!(left, want, "{what}: outputs of a successful run");
            let ranking: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
            assert_eq!(ranking["type"], "FeatureCollection", "{what}");
            let summary: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&summary).unwrap()).unwrap();
            assert!(summary.is_object(), "{what}");
        }
        2 => {
            assert!(left.is_empty(), "{what}: a failed run left {left:?}\n{err}");
            // PROJ itself may print a line of its own (`proj_create: …`) before the error.
            let error = err.lines().find(|l| l.starts_with("error: ")).unwrap_or("");
            assert!(
                error.contains(stem) && error.contains("Fix: "),
                "{what}: the error does not name the file or the fix\n{err}"
            );
        }
        _ => panic!("{what}: exit code {code}\n{err}"),
    }
    code
}

/// Every case, strict and lenient, streamed and whole-file: no panic, no partial output.
#[test]
fn no_bad_input_panics_or_leaves_a_partial_output() {
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    let mut failed = 0;
    let mut runs = 0;
    for case in &cases {
        for on_error in ["fail", "skip"] {
            for whole_file in [false, true] {
                runs += 1;
                if run_case(case, on_error, whole_file) == 2 {
                    failed += 1;
                }
            }
        }
    }
    // Most cases stop a strict run; a test that never saw a failure would prove nothing.
    assert!(failed > runs / 3, "{failed} of {runs} runs failed");
    assert!(failed < runs, "no run succeeded");
}
