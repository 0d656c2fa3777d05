//! Loading the Syracuse data in `../shared/data/syracuse` for the planning tests and examples.
//!
//! Shared by `tests/syracuse.rs` and `examples/syracuse.rs` (`#[path]`-included).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use streetrank_plan::{PlanSegment, RatingRecord, WidthConfig};

/// `$STREETRANK_DATA/syracuse/converted`, else `shared/data/...` beside the
/// checkout or one of its parents (worktrees live deeper than the main checkout).
pub fn dir() -> PathBuf {
    let data = std::env::var_os("STREETRANK_DATA")
        .map(PathBuf::from)
        .or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .ancestors()
                .map(|a| a.join("shared/data"))
                .find(|d| d.join("syracuse").is_dir())
        });
    data.unwrap_or_default().join("syracuse/converted")
}

pub fn available() -> bool {
    dir().join("road_ratings_2000_2015_long.csv").is_file()
}

#[derive(Debug, serde::Deserialize)]
struct Row {
    street_id: String,
    rating_year: i32,
    overall_1to10: String,
    length_ft: String,
    width_ft: String,
    road_class: String,
    last_overlay_year: String,
}

fn rows() -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let mut rdr = csv::Reader::from_path(dir().join("road_ratings_2000_2015_long.csv"))?;
    let mut out = Vec::new();
    for r in rdr.deserialize() {
        out.push(r?);
    }
    Ok(out)
}

/// Every rating row 2000-2015 (text ratings become NaN and are skipped by the fit).
pub fn ratings() -> Result<Vec<RatingRecord>, Box<dyn std::error::Error>> {
    Ok(rows()?
        .into_iter()
        .map(|r| RatingRecord {
            street: r.street_id,
            year: r.rating_year,
            rating: r.overall_1to10.trim().parse().unwrap_or(f64::NAN),
            last_overlay_year: r.last_overlay_year.trim().parse().ok(),
            road_class: Some(r.road_class).filter(|c| !c.trim().is_empty()),
        })
        .collect())
}

/// The segments rated in 2015, as the planner sees them.
///
/// Condition: the mean 2015 rating of the street's rows on 1-10 → 0-100.
/// Length: the street file's `length_ft` (else the rating rows' sum); width:
/// the mean rated `width_ft` (else the class default); district: `ZIPL`;
/// usage by class (PA 1.0, MA 0.8, CO 0.7, Local 0.4); pressure: 2016
/// pothole fills per 100 m, scaled by their 95th percentile (as the core's
/// default cap).
pub fn segments_2015() -> Result<Vec<PlanSegment>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(dir().join("streets_wgs84.geojson"))?;
    let gj: serde_json::Value = serde_json::from_str(&text)?;
    let mut street_len = BTreeMap::new();
    let mut zip = BTreeMap::new();
    for f in gj["features"].as_array().into_iter().flatten() {
        let p = &f["properties"];
        let id = match &p["segment_id"] {
            serde_json::Value::Number(n) => n.to_string(),
            v => v.as_str().unwrap_or_default().to_owned(),
        };
        if let Some(l) = p["length_ft"].as_f64() {
            street_len.insert(id.clone(), l * 0.3048);
        }
        if let Some(z) = p["ZIPL"].as_str() {
            zip.insert(id, z.to_owned());
        }
    }
    let mut fills: BTreeMap<String, f64> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(dir().join("pothole_fills.csv"))?;
    let headers = rdr.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h == "street_id")
        .ok_or("no street_id")?;
    for r in rdr.records() {
        let r = r?;
        *fills
            .entry(r.get(col).unwrap_or_default().to_owned())
            .or_default() += 1.0;
    }

    struct Acc {
        rating: f64,
        n: f64,
        len: f64,
        width: f64,
        nw: f64,
        class: String,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for r in rows()?.into_iter().filter(|r| r.rating_year == 2015) {
        let Ok(rating) = r.overall_1to10.trim().parse::<f64>() else {
            continue;
        };
        if !(1.0..=10.0).contains(&rating) {
            continue;
        }
        let a = acc.entry(r.street_id.clone()).or_insert(Acc {
            rating: 0.0,
            n: 0.0,
            len: 0.0,
            width: 0.0,
            nw: 0.0,
            class: r.road_class.trim().to_owned(),
        });
        a.rating += rating;
        a.n += 1.0;
        a.len += r.length_ft.trim().parse::<f64>().unwrap_or(0.0) * 0.3048;
        if let Ok(w) = r.width_ft.trim().parse::<f64>()
            && w > 0.0
        {
            a.width += w * 0.3048;
            a.nw += 1.0;
        }
    }
    let widths = WidthConfig::default();
    let mut segs: Vec<PlanSegment> = Vec::new();
    let mut raw_pressure = Vec::new();
    for (id, a) in acc {
        let length_m = street_len.get(&id).copied().unwrap_or(a.len);
        if length_m.is_nan() || length_m <= 0.0 {
            continue;
        }
        let class = Some(a.class.clone()).filter(|c| !c.is_empty());
        let (width_m, lanes) =
            widths.resolve((a.nw > 0.0).then(|| a.width / a.nw), None, class.as_deref());
        let usage = match a.class.to_lowercase().as_str() {
            "pa" => 1.0,
            "ma" => 0.8,
            "co" => 0.7,
            _ => 0.4,
        };
        raw_pressure.push(fills.get(&id).copied().unwrap_or(0.0) / (length_m.max(50.0) / 100.0));
        let mut s = PlanSegment::new(
            id.parse::<i64>()
                .map(Into::into)
                .unwrap_or_else(|_| id.as_str().into()),
            length_m,
            width_m,
            100.0 * (a.rating / a.n - 1.0) / 9.0,
        );
        s.lanes = lanes;
        s.road_class = class;
        s.district = zip.get(&id).cloned();
        s.usage = usage;
        segs.push(s);
    }
    let mut positive: Vec<f64> = raw_pressure.iter().copied().filter(|p| *p > 0.0).collect();
    positive.sort_by(f64::total_cmp);
    let cap = if positive.is_empty() {
        0.0
    } else {
        positive[((0.95 * positive.len() as f64).ceil() as usize).max(1) - 1]
    };
    for (s, p) in segs.iter_mut().zip(raw_pressure) {
        s.pressure = if cap > 0.0 { (p / cap).min(1.0) } else { 0.0 };
    }
    Ok(segs)
}
