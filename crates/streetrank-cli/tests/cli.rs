//! The `streetrank` command line: the demo, outputs GDAL can read, stdout, exit codes, determinism.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fixtures, read_csv, streetrank, text};

fn city() -> std::path::PathBuf {
    fixtures().join("city")
}

fn score_args(out: &Path) -> Vec<std::ffi::OsString> {
    let c = city();
    vec![
        "score".into(),
        "--streets".into(),
        c.join("streets.geojson").into(),
        "--complaints".into(),
        c.join("complaints.csv").into(),
        "--ratings".into(),
        c.join("ratings.csv").into(),
        "--config".into(),
        c.join("config.toml").into(),
        "-o".into(),
        out.into(),
    ]
}

#[test]
fn demo_prints_the_top_of_the_ranking() {
    let run = streetrank(["demo", "--top", "5"]);
    let (out, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(out.contains("rank"), "{out}");
    assert!(out.contains("settings    sha256:"), "{out}");
    // Five ranked rows: lines starting with the rank number.
    let ranked = out
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(ranked, 5, "{out}");
}

/// Every output format the CLI writes opens in GDAL without an error or a warning.
#[test]
fn gdal_reads_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let assignments = tmp.path().join("assignments.geojson");
    for name in ["ranking.geojson", "ranking.csv", "ranking.shp"] {
        let out = tmp.path().join(name);
        let mut args = score_args(&out);
        if name == "ranking.geojson" {
            args.extend([
                "--profile".into(),
                "internal".into(),
                "--assignments".into(),
                assignments.clone().into(),
            ]);
        }
        args.push("--quiet".into());
        let run = streetrank(&args);
        assert!(run.status.success(), "{name}: {}", text(&run).1);
    }
    let assignments_csv = tmp.path().join("assignments.csv");
    let mut args = score_args(&tmp.path().join("again.geojson"));
    args.extend([
        "--profile".into(),
        "internal".into(),
        "--assignments".into(),
        assignments_csv.clone().into(),
        "--quiet".into(),
    ]);
    assert!(streetrank(&args).status.success());
    for name in [
        "ranking.geojson",
        "ranking.csv",
        "ranking.shp",
        "assignments.geojson",
        "assignments.csv",
    ] {
        let path = tmp.path().join(name);
        let o = Command::new("ogrinfo")
            .args(["-al", "-so"])
            .arg(&path)
            .output()
            .expect("ogrinfo must be installed (Debian's gdal-bin; .ci/setup installs it)");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "ogrinfo {name}: {all}");
        assert!(
            !all.contains("ERROR") && !all.contains("Warning"),
            "ogrinfo {name}: {all}"
        );
        assert!(all.contains("Feature Count: "), "ogrinfo {name}: {all}");
    }
}

#[test]
fn stdout_output_is_csv_and_logs_go_to_stderr() {
    let mut args = score_args(Path::new("-"));
    args.push("--top".into());
    args.push("3".into());
    let run = streetrank(&args);
    let (out, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(
        out.starts_with("rank,segment_id,score,"),
        "{}",
        &out[..out.len().min(200)]
    );
    assert!(err.contains("snapped"), "{err}");
    assert!(!out.contains("snapped"));
}

#[test]
fn quiet_prints_nothing_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let mut args = score_args(&tmp.path().join("r.csv"));
    args.push("--quiet".into());
    let run = streetrank(&args);
    assert!(run.status.success());
    assert!(run.stderr.is_empty(), "{}", text(&run).1);
}

/// Identical bytes for 1, 2 and 8 threads.
#[test]
fn outputs_are_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2", "8"] {
        let out = tmp.path().join(format!("r{threads}.csv"));
        let asg = tmp.path().join(format!("a{threads}.csv"));
        let mut args = score_args(&out);
        args.extend([
            "--threads".into(),
            threads.into(),
            "--quiet".into(),
            "--profile".into(),
            "internal".into(),
            "--assignments".into(),
            asg.clone().into(),
        ]);
        let run = streetrank(&args);
        assert!(run.status.success(), "{}", text(&run).1);
        outputs.push((std::fs::read(&out).unwrap(), std::fs::read(&asg).unwrap()));
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "outputs differ between thread counts"
    );
}

/// Issue 6 (determinism): the default `score` (complaints streamed, publish profile) writes
/// identical bytes for 1, 2 and 8 threads and on a second run: ranking as GeoJSON and CSV,
/// each with its manifest.
#[test]
fn streamed_outputs_are_identical_for_any_thread_count_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for (run, threads) in [(1, "1"), (1, "2"), (1, "8"), (2, "1"), (2, "2"), (2, "8")] {
        let mut files = Vec::new();
        for ext in ["geojson", "csv"] {
            let out = tmp.path().join(format!("r{run}_{threads}.{ext}"));
            let mut args = score_args(&out);
            args.extend(["--threads".into(), threads.into(), "--quiet".into()]);
            let done = streetrank(&args);
            assert!(done.status.success(), "{}", text(&done).1);
            let manifest = tmp
                .path()
                .join(format!("r{run}_{threads}.{ext}.manifest.json"));
            let manifest = std::fs::read_to_string(&manifest)
                .unwrap()
                .replace(&format!("r{run}_{threads}"), "r");
            files.push((std::fs::read(&out).unwrap(), manifest));
        }
        outputs.push(files);
    }
    assert!(!outputs[0][0].0.is_empty() && !outputs[0][1].0.is_empty());
    // The demo city's streets are WGS84 GeoJSON: the outputs carry the file's own lines.
    assert!(
        outputs[0][1].1.contains(
            "\"geometry\": \"streets streets.geojson: the segment's line as the file gives it (WGS84)\""
        ),
        "{}",
        outputs[0][1].1
    );
    for (k, o) in outputs.iter().enumerate().skip(1) {
        assert!(
            o == &outputs[0],
            "run/thread case {k} differs from 1 thread, first run"
        );
    }
}

#[test]
fn a_missing_input_exits_2_naming_the_file() {
    let run = streetrank([
        "score",
        "--streets",
        "no/such/streets.shp",
        "--complaints",
        "x.csv",
    ]);
    let (out, err) = text(&run);
    assert_eq!(run.status.code(), Some(2));
    assert!(out.is_empty());
    assert!(
        err.starts_with("error: ") && err.contains("no/such/streets.shp"),
        "{err}"
    );
}

#[test]
fn a_failed_run_leaves_no_output_file() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "request_id,lon,lat\n1,-73.0,not-a-number\n").unwrap();
    let out = tmp.path().join("ranking.geojson");
    let c = city();
    let run = streetrank([
        "score".as_ref(),
        "--streets".as_ref(),
        c.join("streets.geojson").as_os_str(),
        "--complaints".as_ref(),
        bad.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let (_, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.csv") && err.contains("record 1"), "{err}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("bad.csv")],
        "files left behind: {left:?}"
    );
}

#[test]
fn validate_lists_problems_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("complaints.csv");
    std::fs::write(&bad, "request_id,lon,lat,created_at\n1,-75.8,42.4,2026-01-01\n2,,42.4,2026-01-01\n3,-75.8,42.4,31/31/2026\n").unwrap();
    let c = city();
    let run = streetrank([
        "validate".as_ref(),
        "--streets".as_ref(),
        c.join("streets.geojson").as_os_str(),
        "--complaints".as_ref(),
        bad.as_os_str(),
    ]);
    let (out, err) = text(&run);
    assert_eq!(run.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("record 2") && out.contains("record 3"),
        "{out}"
    );
    assert!(out.contains("problem(s) found"), "{out}");
}

#[test]
fn generate_is_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in ["a", "b"] {
        let run = streetrank(
            [
                "generate",
                "--segments",
                "300",
                "--complaints",
                "2000",
                "--seed",
                "7",
                "--out-dir",
            ]
            .iter()
            .map(std::ffi::OsStr::new)
            .chain([tmp.path().join(dir).as_os_str()]),
        );
        assert!(run.status.success(), "{}", text(&run).1);
    }
    for f in [
        "streets.geojson",
        "complaints.csv",
        "ratings.csv",
        "config.toml",
    ] {
        let a = std::fs::read(tmp.path().join("a").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between two runs with one seed");
    }
    let (_, rows) = read_csv(&tmp.path().join("a/complaints.csv"));
    assert_eq!(rows.len(), 2000);
}

/// Street mapping flags reach the reader: a bad `--streets-width-unit` is refused by name.
#[test]
fn street_mapping_flags_reach_the_reader() {
    let mut args = score_args(Path::new("-"));
    args.extend([
        "--streets-width".into(),
        "width_m".into(),
        "--streets-width-unit".into(),
        "furlongs".into(),
    ]);
    let run = streetrank(&args);
    let (out, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("unknown `width_unit` \"furlongs\"") && err.contains("streets.geojson"),
        "{err}"
    );
    let mut args = score_args(Path::new("-"));
    args.extend([
        "--streets-width".into(),
        "width_m".into(),
        "--streets-width-unit".into(),
        "ft".into(),
        "--quiet".into(),
    ]);
    assert!(streetrank(&args).status.success());
}

#[test]
fn a_kept_column_named_as_an_output_column_fails_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ranking.csv");
    let assignments = tmp.path().join("assignments.csv");
    // The ranking has a `district` column of its own.
    let mut args = score_args(&out);
    args.extend(["--streets-keep".into(), "name,district".into()]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[streets] keep (or --streets-keep): `district` is kept, but the output has a `district` column of its own"),
        "{err}"
    );
    // The assignments have a `segment_id` column: refused before any file is read (the
    // complaints file has no such column either; that error would come later).
    let config = tmp.path().join("config.toml");
    let base = std::fs::read_to_string(city().join("config.toml")).unwrap();
    std::fs::write(
        &config,
        base.replace(
            "status = \"status\"",
            "status = \"status\"\nkeep = [\"segment_id\"]",
        ),
    )
    .unwrap();
    let mut args = score_args(&out);
    let at = args.iter().position(|a| a == "--config").unwrap();
    args[at + 1] = config.into();
    args.extend([
        "--profile".into(),
        "internal".into(),
        "--assignments".into(),
        assignments.clone().into(),
    ]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("[complaints] keep: `segment_id` is kept"),
        "{err}"
    );
    assert!(!out.exists() && !assignments.exists(), "nothing is written");
}
