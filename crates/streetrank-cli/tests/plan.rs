//! `streetrank plan` (issue 5): a generated city end to end, and hand-made cases whose right
//! answer is known (a budget that fits exactly two treatments, a district floor).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{read_csv, streetrank, text};

/// Complaint columns of the generated city; none may reach a plan output.
const COMPLAINT_COLUMNS: [&str; 6] = [
    "request_id",
    "created_at",
    "category",
    "status",
    "lon",
    "lat",
];

fn generate(dir: &Path) -> PathBuf {
    let city = dir.join("city");
    let run = streetrank([
        "--quiet".as_ref(),
        "generate".as_ref(),
        "--preset".as_ref(),
        "small".as_ref(),
        "--out-dir".as_ref(),
        city.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run).1);
    city
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn plans_a_generated_city() {
    let dir = tempfile::tempdir().unwrap();
    let city = generate(dir.path());
    let (csv_out, geo_out, sum_out, html_out) = (
        dir.path().join("plan.csv"),
        dir.path().join("plan.geojson"),
        dir.path().join("plan.json"),
        dir.path().join("plan.html"),
    );
    let args = |extra: &[&str]| {
        let mut a: Vec<std::ffi::OsString> = vec![
            "plan".into(),
            "--streets".into(),
            city.join("streets.geojson").into(),
            "--complaints".into(),
            city.join("complaints.csv").into(),
            "--ratings".into(),
            city.join("ratings.csv").into(),
            "--config".into(),
            city.join("config.toml").into(),
        ];
        a.extend(extra.iter().map(Into::into));
        a
    };
    let run = streetrank(args(&[
        "--budget",
        "1.5e6,1e6",
        "--years",
        "3",
        "-o",
        csv_out.to_str().unwrap(),
        "-o",
        geo_out.to_str().unwrap(),
        "--summary-json",
        sum_out.to_str().unwrap(),
        "--report",
        html_out.to_str().unwrap(),
    ]));
    let (_, err) = text(&run);
    assert!(run.status.success(), "{err}");
    assert!(err.contains("year 3: spent"), "{err}");

    let (header, rows) = read_csv(&csv_out);
    for c in COMPLAINT_COLUMNS {
        assert!(!header.iter().any(|h| h == c), "{c} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (year, cost, why, seg) = (col("year"), col("cost"), col("why"), col("segment_id"));
    assert!(!rows.is_empty());
    let budgets = [1.5e6, 1e6, 1e6];
    for (y, budget) in budgets.iter().enumerate() {
        let spent: f64 = rows
            .iter()
            .filter(|r| r[year] == (y + 1).to_string())
            .map(|r| r[cost].parse::<f64>().unwrap())
            .sum();
        assert!(
            spent <= budget * (1.0 + 1e-9) && spent > 0.9 * budget,
            "year {y}: {spent}"
        );
    }
    assert!(
        rows.iter()
            .all(|r| r[why].contains("benefit per 1,000 spent"))
    );
    // One treatment per segment and year.
    let mut keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[year].as_str(), r[seg].as_str()))
        .collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);

    let geo = json(&geo_out);
    let feats = geo["features"].as_array().unwrap();
    assert_eq!(feats.len(), rows.len());
    for f in feats {
        assert_eq!(f["geometry"]["type"], "LineString");
        let props = f["properties"].as_object().unwrap();
        for c in COMPLAINT_COLUMNS {
            assert!(!props.contains_key(c));
        }
    }

    let s = json(&sum_out);
    let years = s["years"].as_array().unwrap();
    assert_eq!(years.len(), 3);
    for (y, b) in years.iter().zip(budgets) {
        assert_eq!(y["budget"].as_f64().unwrap(), b);
        assert!(y["spent"].as_f64().unwrap() <= b * (1.0 + 1e-9));
        let shares: f64 = y["band_shares"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        assert!(y["spend_by_district"].as_object().unwrap().len() >= 2);
        assert!(y["gap"].as_f64().unwrap() >= 0.0);
        assert!(y["backlog_cost"].as_f64().is_some());
    }
    assert_eq!(s["frontier"].as_array().unwrap().len(), 5);
    let hash = s["settings_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);

    let html = std::fs::read_to_string(&html_out).unwrap();
    assert!(html.contains(hash));
    for id in [
        "id=\"map\"",
        "id=\"chart-condition\"",
        "id=\"chart-spend\"",
        "id=\"chart-frontier\"",
    ] {
        assert!(html.contains(id), "{id}");
    }
    // Nothing that could load anything: no script, no link, no src, no url(), no @import;
    // the only URL is the SVG namespace.
    for bad in ["<script", "<link", "src=", "url(", "@import", "<img"] {
        assert!(!html.contains(bad), "{bad}");
    }
    let urls = html.matches("http").count();
    assert_eq!(
        urls,
        html.matches("http://www.w3.org/2000/svg").count() + html.matches("http-equiv").count()
    );
    for c in ["request_id", "created_at"] {
        assert!(!html.contains(c));
    }

    // Deterministic: the same run writes the same bytes.
    let csv2 = dir.path().join("plan2.csv");
    let run = streetrank(args(&[
        "--quiet",
        "--budget",
        "1.5e6,1e6",
        "--years",
        "3",
        "-o",
        csv2.to_str().unwrap(),
    ]));
    assert!(run.status.success(), "{}", text(&run).1);
    assert_eq!(
        std::fs::read(&csv_out).unwrap(),
        std::fs::read(&csv2).unwrap()
    );
}

/// A hand-made network in UTM 18N: each street 100 m long and 10 m wide (1,000 m²).
/// `streets` is `(id, condition, district)`.
fn hand_made(dir: &Path, streets: &[(u32, f64, &str)], plan_toml: &str) -> [PathBuf; 3] {
    let mut s = String::from("segment_id,condition,width_m,road_class,district,WKT\n");
    for (k, (id, c, d)) in streets.iter().enumerate() {
        let y = 4_760_000 + 50 * k;
        s.push_str(&format!(
            "{id},{c},10,local,{d},\"LINESTRING (400000 {y}, 400100 {y})\"\n"
        ));
    }
    let streets_path = dir.join("streets.csv");
    std::fs::write(&streets_path, s).unwrap();
    // One complaint, far from every street (unmatched): complaint pressure is 0 everywhere.
    let complaints = dir.join("complaints.csv");
    std::fs::write(&complaints, "id,x,y,created\n1,401000,4761000,2020-01-01\n").unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[streets]
id = "segment_id"
condition = "condition"
width = "width_m"
road_class = "road_class"
district = "district"
crs = "EPSG:32618"
[complaints]
id = "id"
x = "x"
y = "y"
crs = "EPSG:32618"
created = "created"
[plan]
{plan_toml}
[[plan.treatments]]
name = "overlay"
unit_cost = 10.0
min_condition = 0
max_condition = 100
after = {{ reset = 100 }}
life_years = 10
"#
        ),
    )
    .unwrap();
    [streets_path, complaints, config]
}

/// `(year, segment_id, cost)` of each planned treatment.
fn plan_rows(dir: &Path, files: &[PathBuf; 3], extra: &[&str]) -> Vec<(String, String, f64)> {
    let out = dir.join("plan.csv");
    let mut a: Vec<std::ffi::OsString> = vec![
        "--quiet".into(),
        "plan".into(),
        "--streets".into(),
        files[0].clone().into(),
        "--complaints".into(),
        files[1].clone().into(),
        "--config".into(),
        files[2].clone().into(),
        "-o".into(),
        out.clone().into(),
    ];
    a.extend(extra.iter().map(Into::into));
    let run = streetrank(a);
    assert!(run.status.success(), "{}", text(&run).1);
    let (h, rows) = read_csv(&out);
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    rows.iter()
        .map(|r| {
            (
                r[col("year")].clone(),
                r[col("segment_id")].clone(),
                r[col("cost")].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_budget_that_fits_exactly_two_treatments_gets_the_two_worst_streets() {
    let dir = tempfile::tempdir().unwrap();
    let files = hand_made(
        dir.path(),
        &[
            (1, 80.0, "A"),
            (2, 30.0, "A"),
            (3, 55.0, "A"),
            (4, 40.0, "A"),
        ],
        "",
    );
    for method in ["exact", "greedy", "incremental"] {
        let rows = plan_rows(
            dir.path(),
            &files,
            &["--budget", "20000", "--method", method],
        );
        let got: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(got, ["2", "4"], "{method}");
        assert!(rows.iter().all(|r| r.2 == 10_000.0), "{rows:?}");
    }
    // One cent less: only one fits.
    let rows = plan_rows(dir.path(), &files, &["--budget", "19999.99"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "2");
}

#[test]
fn a_district_floor_forces_a_choice() {
    let dir = tempfile::tempdir().unwrap();
    let streets = [(1, 20.0, "A"), (2, 30.0, "A"), (3, 60.0, "B")];
    // Without a floor the two worst streets (both in A) win.
    let files = hand_made(dir.path(), &streets, "budgets = [20000]");
    let rows = plan_rows(dir.path(), &files, &[]);
    let got: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(got, ["1", "2"]);
    // Half the budget reserved for B: B's street, then the worst of A.
    let files = hand_made(
        dir.path(),
        &streets,
        "budgets = [20000]\n[plan.districts]\nmin_spend_share = { B = 0.5 }",
    );
    let rows = plan_rows(dir.path(), &files, &[]);
    let got: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(got, ["1", "3"]);
}

#[test]
fn plan_settings_errors_name_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let files = hand_made(dir.path(), &[(1, 50.0, "A")], "");
    let base: Vec<std::ffi::OsString> = vec![
        "plan".into(),
        "--streets".into(),
        files[0].clone().into(),
        "--complaints".into(),
        files[1].clone().into(),
        "--config".into(),
        files[2].clone().into(),
    ];
    let cases: [(&[&str], &str); 4] = [
        (&[], "plan needs a budget: give --budget AMOUNT"),
        (&["--budget=-5"], "budgets"),
        (&["--budget", "10", "--years", "0"], "--years 0"),
        (
            &["--budget", "10", "--fit-ratings"],
            "--fit-ratings needs --ratings",
        ),
    ];
    for (extra, want) in cases {
        let mut a = base.clone();
        a.extend(extra.iter().map(Into::into));
        let run = streetrank(a);
        assert_eq!(run.status.code(), Some(2), "{extra:?}");
        let (_, err) = text(&run);
        assert!(err.contains(want), "{extra:?}: {err}");
    }
}

#[test]
fn fit_ratings_fits_the_history_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let streets: Vec<(u32, f64, &str)> = (1..=30).map(|i| (i, 50.0, "A")).collect();
    let files = hand_made(dir.path(), &streets, "budgets = [30000]");
    // Three ratings of each street, falling a little faster on the worse ones (PCI scale).
    let mut r = String::from("segment_id,year,rating\n");
    for i in 1..=30u32 {
        let start = 60.0 + f64::from(i);
        for (k, year) in [2018, 2020, 2022].into_iter().enumerate() {
            r.push_str(&format!(
                "{i},{year},{}\n",
                start - 4.0 * k as f64 - 0.1 * f64::from(i % 3)
            ));
        }
    }
    let ratings = dir.path().join("ratings.csv");
    std::fs::write(&ratings, r).unwrap();
    let summary = dir.path().join("plan.json");
    let run = streetrank([
        "--quiet".as_ref(),
        "plan".as_ref(),
        "--streets".as_ref(),
        files[0].as_os_str(),
        "--complaints".as_ref(),
        files[1].as_os_str(),
        "--config".as_ref(),
        files[2].as_os_str(),
        "--ratings".as_ref(),
        ratings.as_os_str(),
        "--fit-ratings".as_ref(),
        "-o".as_ref(),
        dir.path().join("plan.csv").as_os_str(),
        "--summary-json".as_ref(),
        summary.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run).1);
    let s = json(&summary);
    let fit = &s["deterioration_fit"];
    assert_eq!(fit["overall"]["n"].as_u64(), Some(60), "{fit}");
    assert!(fit["overall"]["a"].as_f64().unwrap() > 0.0, "{fit}");
    // The fitted curves change the plan's settings hash.
    let plain = dir.path().join("plain.json");
    let run = streetrank([
        "--quiet".as_ref(),
        "plan".as_ref(),
        "--streets".as_ref(),
        files[0].as_os_str(),
        "--complaints".as_ref(),
        files[1].as_os_str(),
        "--config".as_ref(),
        files[2].as_os_str(),
        "--ratings".as_ref(),
        ratings.as_os_str(),
        "-o".as_ref(),
        dir.path().join("plain.csv").as_os_str(),
        "--summary-json".as_ref(),
        plain.as_os_str(),
    ]);
    assert!(run.status.success(), "{}", text(&run).1);
    let p = json(&plain);
    assert!(p["deterioration_fit"].is_null());
    assert_ne!(p["settings_hash"], s["settings_hash"]);
    assert_eq!(p["ranking_settings_hash"], s["ranking_settings_hash"]);
}
