//! Privacy profiles (issue 6): `publish` outputs carry no personal value and no complaint
//! coordinate, small counts are suppressed, every output has a manifest, personal-looking
//! columns are warned about, and `internal` must be chosen explicitly.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{col, data, read_csv, streetrank, text};
use serde_json::Value;

const DC_STREETS: &str = "washington-dc/original/Correlated-Capstone/tl_2018_11001_roads.zip";
const DC_REQUESTS: [&str; 3] = [
    "washington-dc/original/dc-maps/maps/pothole-last-30-days.geojson",
    "washington-dc/original/dc-maps/maps/street-alley-repair-last-30-days.geojson",
    "washington-dc/original/dc-maps/maps/sidewalk-repair-last-30-days.geojson",
];

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The DC request files, copied into `dir`; the 2016 snapshot has no inspector names (every
/// `INSPECTORNAME` is null), so every 7th request of the first file gets a made-up one, to
/// prove the scan below finds them when they are written.
fn dc_requests(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (k, rel) in DC_REQUESTS.iter().enumerate() {
        let mut v = json(&data(rel));
        if k == 0 {
            let features = v["features"].as_array_mut().unwrap();
            for (i, f) in features.iter_mut().enumerate().step_by(7) {
                f["properties"]["INSPECTORNAME"] = Value::from(format!("Inspector Qx{i} Doe"));
            }
        }
        let p = dir.join(Path::new(rel).file_name().unwrap());
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
        out.push(p);
    }
    out
}

/// What the scan looks for, by kind: every non-trivial `STREETADDRESS` and `INSPECTORNAME`,
/// every complaint id (`SERVICEREQUESTID`, e.g. `16-00596165`),
/// and every complaint coordinate as the input writes it (LATITUDE/LONGITUDE, XCOORD/YCOORD,
/// the point geometry, where more precise than any writer writes) and as the writers write a
/// point (lon and lat rounded to 6 and 7 decimals, as WKT and as GeoJSON).
fn needles(files: &[PathBuf]) -> Vec<(&'static str, String)> {
    let mut set: BTreeSet<(&'static str, String)> = BTreeSet::new();
    let round = |v: f64, d: i32| {
        let m = 10f64.powi(d);
        format!("{}", (v * m).round() / m)
    };
    for f in files {
        for feat in json(f)["features"].as_array().unwrap() {
            let p = &feat["properties"];
            for (kind, key) in [
                ("STREETADDRESS", "STREETADDRESS"),
                ("INSPECTORNAME", "INSPECTORNAME"),
                ("SERVICEREQUESTID", "SERVICEREQUESTID"),
            ] {
                if let Some(s) = p[key].as_str().map(str::trim).filter(|s| s.len() >= 6) {
                    set.insert((kind, s.to_owned()));
                }
            }
            // A lone coordinate as the input writes it, when it has more decimals than any
            // writer keeps (7): a shorter one also occurs by chance as one axis of some street
            // vertex, which is no complaint location. Pairs below catch it at 5 to 7 decimals.
            let precise = |v: &Value| {
                let s = v.to_string();
                s.split_once('.')
                    .is_some_and(|(_, d)| d.len() >= 8)
                    .then_some(s)
            };
            for key in ["LATITUDE", "LONGITUDE"] {
                if let Some(s) = precise(&p[key]) {
                    set.insert(("coordinate", s));
                }
            }
            for key in ["XCOORD", "YCOORD"] {
                // State-plane metres: any with 3 or more decimals is distinctive.
                if let Some(s) = p[key]
                    .as_f64()
                    .map(|_| p[key].to_string())
                    .filter(|s| s.split_once('.').is_some_and(|(_, d)| d.len() >= 3))
                {
                    set.insert(("coordinate", s));
                }
            }
            let c = &feat["geometry"]["coordinates"];
            let (Some(lon), Some(lat)) = (c[0].as_f64(), c[1].as_f64()) else {
                continue;
            };
            for v in [&c[0], &c[1]] {
                if let Some(s) = precise(v) {
                    set.insert(("coordinate", s));
                }
            }
            // As the writers write a point (WKT `x y` then `,` or `)`, GeoJSON `[x,y]`),
            // rounded to 7 decimals (theirs) or 6; coarser pairs match street vertices within a
            // metre of a complaint by chance.
            for d in [6, 7] {
                let (x, y) = (round(lon, d), round(lat, d));
                set.insert(("coordinate", format!("{x} {y},")));
                set.insert(("coordinate", format!("{x} {y})")));
                set.insert(("coordinate", format!("[{x},{y}]")));
            }
        }
    }
    set.into_iter().collect()
}

/// Every file under `dir` (recursively), with its bytes.
fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_in(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

/// The kinds of needle found in any file under `dir`, with the first hit of each (one
/// multi-pattern pass over each file's bytes).
fn scan(dir: &Path, needles: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let files = files_in(dir);
    assert!(!files.is_empty());
    let ac = aho_corasick::AhoCorasick::new(needles.iter().map(|(_, n)| n.as_bytes())).unwrap();
    let mut found: Vec<(&'static str, String)> = Vec::new();
    for (path, bytes) in &files {
        for m in ac.find_overlapping_iter(bytes) {
            let (kind, n) = &needles[m.pattern().as_usize()];
            if !found.iter().any(|(k, _)| k == kind) {
                found.push((kind, format!("{n:?} in {}", path.display())));
            }
        }
    }
    found
}

fn dc_args(requests: &[PathBuf]) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec![
        "--streets".into(),
        data(DC_STREETS).into(),
        "--work-crs".into(),
        "EPSG:32618".into(),
        "--keep".into(),
        "STREETADDRESS,INSPECTORNAME,SERVICECODEDESCRIPTION".into(),
        "--streets-keep".into(),
        "FULLNAME".into(),
    ];
    for f in requests {
        args.extend(["--complaints".into(), f.clone().into()]);
    }
    args
}

/// Issue 6 acceptance: on the DC data, a `publish` run's outputs (every format of the
/// ranking, the summary, the plan in every format, its summary and HTML report, and every
/// manifest) contain no `STREETADDRESS`, no `INSPECTORNAME` and no complaint coordinate, even
/// with those columns mapped to be kept; an `internal` run with the same mapping does carry
/// them, so the scan can fail.
#[test]
fn dc_publish_outputs_carry_no_address_inspector_or_coordinate() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let requests = dc_requests(&inputs);
    let needles = needles(&requests);
    for kind in [
        "STREETADDRESS",
        "INSPECTORNAME",
        "SERVICEREQUESTID",
        "coordinate",
    ] {
        let n = needles.iter().filter(|(k, _)| *k == kind).count();
        assert!(n >= 50, "only {n} {kind} values to look for");
    }

    let publish = tmp.path().join("publish");
    std::fs::create_dir(&publish).unwrap();
    for (name, extra) in [
        ("ranking.csv", vec!["--summary-json", "summary.json"]),
        ("ranking.geojson", vec![]),
        ("ranking.shp", vec![]),
    ] {
        let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
        args.extend(dc_args(&requests));
        args.extend(["-o".into(), publish.join(name).into()]);
        if let [flag, file] = extra.as_slice() {
            args.extend([(*flag).into(), publish.join(file).into()]);
        }
        let run = streetrank(&args);
        assert!(run.status.success(), "{name}: {}", text(&run).1);
    }
    let mut args: Vec<std::ffi::OsString> = vec!["plan".into()];
    args.extend(dc_args(&requests));
    for (flag, file) in [
        ("-o", "plan.csv"),
        ("-o", "plan.geojson"),
        ("--summary-json", "plan-summary.json"),
        ("--report", "plan.html"),
    ] {
        args.extend([flag.into(), publish.join(file).into()]);
    }
    args.extend(["--budget".into(), "5e6".into()]);
    let run = streetrank(&args);
    assert!(run.status.success(), "plan: {}", text(&run).1);

    let written: Vec<String> = files_in(&publish)
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for name in [
        "ranking.csv",
        "ranking.csv.manifest.json",
        "ranking.geojson.manifest.json",
        "ranking.shp.manifest.json",
        "ranking.dbf",
        "summary.json.manifest.json",
        "plan.csv.manifest.json",
        "plan.geojson.manifest.json",
        "plan-summary.json.manifest.json",
        "plan.html.manifest.json",
    ] {
        assert!(
            written.iter().any(|w| w == name),
            "{name} not in {written:?}"
        );
    }
    let found = scan(&publish, &needles);
    assert!(found.is_empty(), "publish outputs leak: {found:?}");

    // The same mapping under `internal`, with the per-complaint table: the scan finds all three.
    let internal = tmp.path().join("internal");
    std::fs::create_dir(&internal).unwrap();
    let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
    args.extend(dc_args(&requests));
    args.extend([
        "--profile".into(),
        "internal".into(),
        "-o".into(),
        internal.join("ranking.csv").into(),
        "--assignments".into(),
        internal.join("assignments.csv").into(),
    ]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    // The warning names both personal columns, and only them.
    for c in ["`STREETADDRESS`", "`INSPECTORNAME`"] {
        assert!(
            err.contains(&format!("warning: complaints column {c}")),
            "{err}"
        );
    }
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    let kinds: BTreeSet<&str> = scan(&internal, &needles).iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "STREETADDRESS",
            "INSPECTORNAME",
            "SERVICEREQUESTID",
            "coordinate"
        ])
    );
}

/// A hand-made city in metres: four parallel 100 m streets with 1, 2, 3 and 0 complaints.
fn small_city(dir: &Path, extra_config: &str) -> Vec<std::ffi::OsString> {
    let mut s = String::from("segment_id,OWNER_PHONE,WKT\n");
    for k in 0..4 {
        let y = 4_760_000 + 200 * k;
        s.push_str(&format!(
            "{},555,\"LINESTRING (400000 {y}, 400100 {y})\"\n",
            k + 1
        ));
    }
    std::fs::write(dir.join("streets.csv"), s).unwrap();
    let mut c = String::from("id,x,y,created,caller_phone,notes\n");
    let mut id = 0;
    for (k, n) in [1, 2, 3, 0].into_iter().enumerate() {
        for j in 0..n {
            id += 1;
            let y = 4_760_000 + 200 * k + 2;
            // 60 m apart: no de-duplication.
            let x = 400_010 + 60 * (j % 2) + j / 2;
            c.push_str(&format!(
                "{id},{x},{y},2020-01-0{},202-555-01{id:02},write to person{id}@example.org\n",
                j + 1
            ));
        }
    }
    std::fs::write(dir.join("complaints.csv"), c).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[streets]\nid = \"segment_id\"\ncrs = \"EPSG:32618\"\n[complaints]\nid = \"id\"\nx = \"x\"\ny = \"y\"\ncrs = \"EPSG:32618\"\ncreated = \"created\"\n{extra_config}"
        ),
    )
    .unwrap();
    vec![
        "--streets".into(),
        dir.join("streets.csv").into(),
        "--complaints".into(),
        dir.join("complaints.csv").into(),
        "--config".into(),
        dir.join("config.toml").into(),
    ]
}

/// `(segment_id, complaints, complaints_kept, pressure_raw, score, rank)` per row.
fn ranking_rows(path: &Path) -> Vec<[String; 6]> {
    let (h, rows) = read_csv(path);
    let c = [
        "segment_id",
        "complaints",
        "complaints_kept",
        "pressure_raw",
        "score",
        "rank",
    ]
    .map(|n| col(&h, n));
    let mut out: Vec<[String; 6]> = rows.iter().map(|r| c.map(|k| r[k].clone())).collect();
    out.sort();
    out
}

fn score_small(dir: &Path, extra_config: &str, flags: &[&str]) -> Vec<[String; 6]> {
    let out = dir.join("r.csv");
    let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
    args.extend(small_city(dir, extra_config));
    args.extend(["-o".into(), out.clone().into(), "--quiet".into()]);
    args.extend(flags.iter().map(Into::into));
    let run = streetrank(&args);
    assert!(run.status.success(), "{}", text(&run).1);
    ranking_rows(&out)
}

/// Which segments have their counts, pressure and score written as empty.
fn suppressed(rows: &[[String; 6]]) -> Vec<String> {
    rows.iter()
        .filter(|r| r[1].is_empty())
        .map(|r| {
            assert!(
                r[2].is_empty() && r[3].is_empty() && r[4].is_empty(),
                "{r:?}"
            );
            assert!(!r[5].is_empty(), "the rank stays: {r:?}");
            r[0].clone()
        })
        .collect()
}

#[test]
fn small_counts_are_suppressed_below_k() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Default k = 3: the streets with 1 and 2 complaints; 0 and 3 are written.
    let rows = score_small(d, "", &[]);
    assert_eq!(suppressed(&rows), ["1", "2"]);
    assert_eq!(rows[2][1], "3");
    assert_eq!(rows[3][1], "0");
    assert!(!rows[2][4].is_empty() && !rows[3][4].is_empty());
    // --min-count 2: only the single complaint.
    assert_eq!(
        suppressed(&score_small(d, "", &["--min-count", "2"])),
        ["1"]
    );
    // [privacy] min_count = 4 in the config: 1, 2 and 3.
    let rows = score_small(d, "[privacy]\nmin_count = 4\n", &[]);
    assert_eq!(suppressed(&rows), ["1", "2", "3"]);
    // --min-count 1 turns suppression off; so does internal, whose rows are the full ones.
    let off = score_small(d, "", &["--min-count", "1"]);
    assert!(suppressed(&off).is_empty());
    let internal = score_small(d, "", &["--profile", "internal"]);
    assert!(suppressed(&internal).is_empty());
    assert_eq!(
        internal.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(),
        ["1", "2", "3", "0"]
    );
    // Publish changes no value it writes.
    for (p, i) in rows.iter().zip(&internal) {
        for k in 0..6 {
            assert!(p[k].is_empty() || p[k] == i[k], "{p:?} vs {i:?}");
        }
    }
}

#[test]
fn every_output_has_a_manifest_naming_each_column_and_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = d.join("r.geojson");
    let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
    args.extend(small_city(d, ""));
    args.extend([
        "-o".into(),
        out.clone().into(),
        "--summary-json".into(),
        d.join("s.json").into(),
        "--quiet".into(),
    ]);
    let run = streetrank(&args);
    assert!(run.status.success(), "{}", text(&run).1);
    let m = json(&d.join("r.geojson.manifest.json"));
    assert_eq!(m["profile"], "publish");
    assert_eq!(m["min_count"], 3);
    assert_eq!(m["output"], "r.geojson");
    assert_eq!(m["rows"], 4);
    assert_eq!(m["suppressed_rows"], 2);
    let written = json(&out);
    let props: Vec<String> = written["features"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let cols: Vec<&Value> = m["columns"].as_array().unwrap().iter().collect();
    let names: BTreeSet<String> = cols
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, props.into_iter().collect::<BTreeSet<_>>());
    let source = |name: &str| {
        cols.iter()
            .find(|c| c["name"] == name)
            .map(|c| c["source"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(
        source("segment_id"),
        "streets streets.csv: column segment_id"
    );
    assert!(
        source("complaints")
            .starts_with("computed: count of complaints (complaints complaints.csv)")
    );
    assert!(source("score").starts_with("computed: "));
    for c in &cols {
        let s = c["source"].as_str().unwrap();
        assert!(
            s.starts_with("computed: ") || s.starts_with("streets "),
            "{c}"
        );
        assert!(!c["type"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        m["geometry"],
        "streets streets.csv: the segment's line, reprojected to WGS84"
    );
    assert_eq!(m["inputs"][0]["role"], "streets");
    assert_eq!(m["inputs"][1]["file"], "complaints.csv");
    assert_eq!(m["inputs"][1]["sha256"].as_str().unwrap().len(), 64);
    let s = json(&d.join("s.json.manifest.json"));
    assert_eq!(s["profile"], "publish");
    // No temporary file is left behind.
    let names: Vec<String> = files_in(d)
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");

    // The internal assignments' manifest names the kept complaint column and the location.
    let asg = d.join("a.csv");
    let mut args: Vec<std::ffi::OsString> = vec!["score".into()];
    args.extend(small_city(d, ""));
    args.extend([
        "--profile".into(),
        "internal".into(),
        "--keep".into(),
        "notes".into(),
        "-o".into(),
        d.join("r2.csv").into(),
        "--assignments".into(),
        asg.into(),
        "--quiet".into(),
    ]);
    let run = streetrank(&args);
    assert!(run.status.success(), "{}", text(&run).1);
    let m = json(&d.join("a.csv.manifest.json"));
    assert_eq!(m["profile"], "internal");
    let cols = m["columns"].as_array().unwrap();
    let notes = cols.iter().find(|c| c["name"] == "notes").unwrap();
    assert_eq!(
        notes["source"],
        "complaints complaints.csv: column notes (kept: complaints keep)"
    );
    assert_eq!(cols[0]["source"], "complaints complaints.csv: column id");
    assert!(m["geometry"].as_str().unwrap().contains("own location"));
}

#[test]
fn per_complaint_output_under_publish_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for cmd in [
        vec!["score", "-o", "r.csv", "--assignments", "a.csv"],
        vec!["snap", "-o", "a.csv"],
        vec!["snap", "--profile", "publish", "-o", "-"],
    ] {
        let mut args: Vec<std::ffi::OsString> = vec![cmd[0].into()];
        args.extend(small_city(d, ""));
        args.extend(cmd[1..].iter().map(|a| {
            if a.ends_with(".csv") {
                d.join(a).into_os_string()
            } else {
                (*a).into()
            }
        }));
        let run = streetrank(&args);
        let (out, err) = text(&run);
        assert_eq!(run.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("pass `--profile internal`"), "{cmd:?}: {err}");
        assert!(out.is_empty());
        assert!(!d.join("a.csv").exists() && !d.join("r.csv").exists());
    }
}

#[test]
fn personal_columns_that_reach_an_output_are_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let base = |flags: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec!["--quiet".into()];
        args.extend(flags.iter().map(Into::into));
        args
    };
    // internal snap keeping a phone column (by name) and a notes column with e-mails (by value).
    let mut args = base(&[
        "snap",
        "--profile",
        "internal",
        "--keep",
        "caller_phone,notes",
    ]);
    args.extend(small_city(d, ""));
    args.extend(["-o".into(), d.join("a.csv").into()]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains(
            "warning: complaints column `caller_phone` looks personal (its name contains PHONE)"
        ),
        "{err}"
    );
    assert!(
        err.contains("warning: complaints column `notes` looks personal (6 sampled value(s) hold an e-mail address)"),
        "{err}"
    );
    // Under publish the complaint columns are dropped (no per-complaint table): no warning;
    // a kept street column is written, and warned about.
    let mut args = base(&[
        "score",
        "--keep",
        "caller_phone,notes",
        "--streets-keep",
        "OWNER_PHONE",
    ]);
    args.extend(small_city(d, ""));
    args.extend(["-o".into(), d.join("r.csv").into()]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(
        !err.contains("caller_phone") && !err.contains("`notes`"),
        "{err}"
    );
    assert!(
        err.contains("warning: streets column `OWNER_PHONE` looks personal"),
        "{err}"
    );
    // An id column is written as complaint_id: one of phone numbers is warned about.
    let mut args = base(&[
        "snap",
        "--profile",
        "internal",
        "--complaints-id",
        "caller_phone",
    ]);
    args.extend(small_city(d, ""));
    args.extend(["-o".into(), d.join("a.csv").into()]);
    let run = streetrank(&args);
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("warning: complaints column `caller_phone` looks personal"),
        "{err}"
    );
    // Nothing personal kept: no warning at all.
    let mut args = base(&["score"]);
    args.extend(small_city(d, ""));
    args.extend(["-o".into(), d.join("r.csv").into()]);
    let run = streetrank(&args);
    assert!(run.stderr.is_empty(), "{}", text(&run).1);
}

/// `(segment_id, why)` of every plan row.
fn plan_why(dir: &Path, flags: &[&str]) -> Vec<(String, String)> {
    let out = dir.join("plan.csv");
    let mut args: Vec<std::ffi::OsString> = vec!["plan".into()];
    args.extend(small_city(dir, ""));
    args.extend([
        "--budget".into(),
        "1e7".into(),
        "-o".into(),
        out.clone().into(),
    ]);
    args.extend(flags.iter().map(Into::into));
    let run = streetrank(&args);
    assert!(run.status.success(), "{}", text(&run).1);
    let (h, rows) = read_csv(&out);
    let (s, w) = (col(&h, "segment_id"), col(&h, "why"));
    rows.iter().map(|r| (r[s].clone(), r[w].clone())).collect()
}

#[test]
fn plan_why_quotes_no_pressure_of_a_small_segment_under_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let quoted = |rows: &[(String, String)]| -> Vec<String> {
        rows.iter()
            .filter(|(_, why)| why.contains("many complaints (pressure"))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let internal = plan_why(tmp.path(), &["--profile", "internal"]);
    assert_eq!(quoted(&internal), ["2", "3"], "{internal:?}");
    let publish = plan_why(tmp.path(), &[]);
    assert_eq!(quoted(&publish), ["3"], "{publish:?}");
    // Nothing else of the plan changes.
    assert_eq!(publish.len(), internal.len());
    let m = json(&tmp.path().join("plan.csv.manifest.json"));
    assert_eq!(m["profile"], "publish");
    assert!(
        m["notes"][0]
            .as_str()
            .unwrap()
            .contains("quotes no complaint pressure"),
        "{m}"
    );
}
