//! The self-contained HTML plan report: inline SVG map and charts, no network requests
//! (no scripts, no external stylesheets, fonts or images).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use streetrank::StreetNetwork;

use super::PlanRun;

/// Colours for years / treatments / districts (Okabe-Ito, then a few more), cycled.
const PALETTE: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000",
    "#8C564B", "#7F7F7F",
];

fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn money(v: f64) -> String {
    let r = v.round();
    let neg = r < 0.0;
    let digits = format!("{:.0}", r.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if neg { format!("-{out}") } else { out }
}

/// Bounds of the network in its (metric) working CRS.
fn bounds(net: &StreetNetwork) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for c in net.segments.iter().flat_map(|s| s.geometry.0.iter()) {
        if !(c.x.is_finite() && c.y.is_finite()) {
            continue;
        }
        b = Some(match b {
            None => (c.x, c.y, c.x, c.y),
            Some((x0, y0, x1, y1)) => (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y)),
        });
    }
    b
}

/// How the map colours the planned segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapColour {
    /// By the year of the segment's first treatment.
    #[default]
    Year,
    /// By the treatment (the first one).
    Treatment,
}

fn map_svg(net: &StreetNetwork, run: &PlanRun, by: MapColour) -> String {
    const W: f64 = 900.0;
    const H: f64 = 600.0;
    const PAD: f64 = 10.0;
    let mut s = String::new();
    let Some((x0, y0, x1, y1)) = bounds(net) else {
        let _ = write!(
            s,
            r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}"><text x="20" y="40">no streets</text></svg>"#
        );
        return s;
    };
    let scale = ((W - 2.0 * PAD) / (x1 - x0).max(1e-9)).min((H - 2.0 * PAD) / (y1 - y0).max(1e-9));
    let px = |x: f64| PAD + (x - x0) * scale;
    let py = |y: f64| H - PAD - (y - y0) * scale;
    let path_of = |idx: &mut dyn Iterator<Item = usize>| {
        let mut d = String::new();
        for i in idx {
            for (k, c) in net.segments[i].geometry.0.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{:.1} {:.1}",
                    if k == 0 { "M" } else { "L" },
                    px(c.x),
                    py(c.y)
                );
            }
        }
        d
    };
    // First treatment of each segment: (year, treatment).
    let mut first: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for y in &run.scenario.years {
        for t in &y.treated {
            first.entry(t.segment).or_insert((y.year, t.treatment));
        }
    }
    let labels: Vec<String> = match by {
        MapColour::Year => run
            .scenario
            .years
            .iter()
            .map(|y| format!("year {}", y.year))
            .collect(),
        MapColour::Treatment => run.config.treatments.iter().map(|t| esc(&t.name)).collect(),
    };
    let group = |&(y, t): &(usize, usize)| match by {
        MapColour::Year => y - 1,
        MapColour::Treatment => t,
    };
    let _ = write!(
        s,
        r#"<svg id="map" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="map of the plan">"#
    );
    let _ = write!(
        s,
        r##"<rect x="0" y="0" width="{W}" height="{H}" fill="#fafafa"/>"##
    );
    let base = path_of(&mut (0..net.segments.len()).filter(|i| !first.contains_key(i)));
    let _ = write!(
        s,
        r##"<path class="network" d="{base}" fill="none" stroke="#c8c8c8" stroke-width="0.8"/>"##
    );
    for (g, label) in labels.iter().enumerate() {
        let d = path_of(&mut first.iter().filter(|(_, v)| group(v) == g).map(|(i, _)| *i));
        if d.is_empty() {
            continue;
        }
        let _ = write!(
            s,
            r#"<path class="planned" data-group="{label}" d="{d}" fill="none" stroke="{}" stroke-width="2.2" stroke-linecap="round"/>"#,
            colour(g)
        );
    }
    // Legend.
    let lh = 18.0;
    let lw = 170.0;
    let lx = W - lw - 10.0;
    let ly = 10.0;
    let _ = write!(
        s,
        r##"<g class="legend"><rect x="{lx}" y="{ly}" width="{lw}" height="{:.0}" fill="#ffffff" fill-opacity="0.9" stroke="#999"/>"##,
        lh * (labels.len() as f64 + 1.0) + 8.0
    );
    for (g, label) in labels.iter().enumerate() {
        let y = ly + 6.0 + lh * g as f64;
        let _ = write!(
            s,
            r#"<line x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="{}" stroke-width="4"/><text x="{:.0}" y="{:.0}" font-size="12">{label}</text>"#,
            lx + 8.0,
            y + 9.0,
            lx + 32.0,
            y + 9.0,
            colour(g),
            lx + 40.0,
            y + 13.0
        );
    }
    let y = ly + 6.0 + lh * labels.len() as f64;
    let _ = write!(
        s,
        r##"<line x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="#c8c8c8" stroke-width="2"/><text x="{:.0}" y="{:.0}" font-size="12">no work</text></g>"##,
        lx + 8.0,
        y + 9.0,
        lx + 32.0,
        y + 9.0,
        lx + 40.0,
        y + 13.0
    );
    s.push_str("</svg>");
    s
}

/// Axes box of a chart: returns (left, top, width, height).
const CW: f64 = 440.0;
const CH: f64 = 280.0;
const ML: f64 = 74.0;
const MT: f64 = 20.0;
const MR: f64 = 20.0;
const MB: f64 = 40.0;

fn axes(s: &mut String, ymax: f64, ylabel: &str, xlabels: &[String]) {
    let (w, h) = (CW - ML - MR, CH - MT - MB);
    let _ = write!(
        s,
        r##"<line x1="{ML}" y1="{MT}" x2="{ML}" y2="{}" stroke="#333"/><line x1="{ML}" y1="{}" x2="{}" y2="{}" stroke="#333"/>"##,
        MT + h,
        MT + h,
        ML + w,
        MT + h
    );
    for k in 0..=4 {
        let v = ymax * f64::from(k) / 4.0;
        let y = MT + h - h * f64::from(k) / 4.0;
        let label = if ymax >= 1000.0 {
            money(v)
        } else {
            format!("{v:.0}")
        };
        let _ = write!(
            s,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{ML}" y2="{y:.1}" stroke="#333"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{label}</text>"##,
            ML - 4.0,
            ML - 6.0,
            y + 3.0
        );
    }
    let n = xlabels.len().max(1) as f64;
    for (i, l) in xlabels.iter().enumerate() {
        let x = ML + w * (i as f64 + 0.5) / n;
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
            MT + h + 14.0,
            esc(l)
        );
    }
    let _ = write!(
        s,
        r#"<text x="10" y="{:.1}" font-size="11" transform="rotate(-90 10 {:.1})" text-anchor="middle">{}</text>"#,
        MT + h / 2.0,
        MT + h / 2.0,
        esc(ylabel)
    );
}

fn condition_chart(run: &PlanRun) -> String {
    let mut s = format!(
        r#"<svg id="chart-condition" xmlns="http://www.w3.org/2000/svg" width="{CW}" height="{CH}" viewBox="0 0 {CW} {CH}" role="img" aria-label="network condition by year">"#
    );
    let mut values = vec![run.scenario.start.average_condition];
    let mut labels = vec!["start".to_owned()];
    for y in &run.scenario.years {
        values.push(y.end.average_condition);
        labels.push(format!("end of {}", y.year));
    }
    axes(&mut s, 100.0, "average condition (0-100)", &labels);
    let (w, h) = (CW - ML - MR, CH - MT - MB);
    let n = values.len() as f64;
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            (
                ML + w * (i as f64 + 0.5) / n,
                MT + h - h * v.clamp(0.0, 100.0) / 100.0,
            )
        })
        .collect();
    let d: String = pts
        .iter()
        .enumerate()
        .map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" }))
        .collect();
    let _ = write!(
        s,
        r##"<path class="series" d="{d}" fill="none" stroke="#0072B2" stroke-width="2.5"/>"##
    );
    for ((x, y), v) in pts.iter().zip(&values) {
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="#0072B2"/><text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle">{v:.1}</text>"##,
            y - 8.0
        );
    }
    s.push_str("</svg>");
    s
}

fn spend_chart(run: &PlanRun) -> String {
    let mut s = format!(
        r#"<svg id="chart-spend" xmlns="http://www.w3.org/2000/svg" width="{CW}" height="{CH}" viewBox="0 0 {CW} {CH}" role="img" aria-label="spend by district and year">"#
    );
    let districts: Vec<String> = run
        .scenario
        .years
        .iter()
        .flat_map(|y| y.allocation.spend_by_district.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let ymax = run
        .scenario
        .years
        .iter()
        .map(|y| y.budget.max(y.allocation.cost))
        .fold(0.0, f64::max)
        .max(1.0);
    let labels: Vec<String> = run
        .scenario
        .years
        .iter()
        .map(|y| format!("year {}", y.year))
        .collect();
    axes(&mut s, ymax, "spend", &labels);
    let (w, h) = (CW - ML - MR, CH - MT - MB);
    let n = labels.len().max(1) as f64;
    let bw = (w / n * 0.6).min(60.0);
    for (i, y) in run.scenario.years.iter().enumerate() {
        let cx = ML + w * (i as f64 + 0.5) / n;
        let mut acc = 0.0;
        for (k, d) in districts.iter().enumerate() {
            let v = y
                .allocation
                .spend_by_district
                .get(d)
                .copied()
                .unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let y0 = MT + h - h * (acc + v) / ymax;
            let bh = h * v / ymax;
            let _ = write!(
                s,
                r#"<rect class="bar" x="{:.1}" y="{y0:.1}" width="{bw:.1}" height="{bh:.1}" fill="{}"><title>{} year {}: {}</title></rect>"#,
                cx - bw / 2.0,
                colour(k),
                esc(d),
                y.year,
                money(v)
            );
            acc += v;
        }
        // The budget as a tick.
        let yb = MT + h - h * y.budget / ymax;
        let _ = write!(
            s,
            r##"<line x1="{:.1}" y1="{yb:.1}" x2="{:.1}" y2="{yb:.1}" stroke="#333" stroke-dasharray="3 2"/>"##,
            cx - bw / 2.0 - 4.0,
            cx + bw / 2.0 + 4.0
        );
    }
    // The legend: one row under the axis when it fits, else a column at the top right.
    let row = districts.len() <= 5;
    for (k, d) in districts.iter().enumerate().take(12) {
        let (x, y) = if row {
            (ML + 75.0 * k as f64, CH - 14.0)
        } else {
            (ML + w - 90.0, MT + 4.0 + 13.0 * k as f64)
        };
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"#,
            colour(k),
            x + 14.0,
            y + 9.0,
            esc(d)
        );
    }
    s.push_str("</svg>");
    s
}

fn frontier_chart(run: &PlanRun) -> String {
    let mut s = format!(
        r#"<svg id="chart-frontier" xmlns="http://www.w3.org/2000/svg" width="{CW}" height="{CH}" viewBox="0 0 {CW} {CH}" role="img" aria-label="equity frontier">"#
    );
    let pts = &run.frontier;
    if pts.is_empty() {
        s.push_str(r#"<text x="20" y="40" font-size="12">no equity frontier: the network has fewer than two districts</text></svg>"#);
        return s;
    }
    let (w, h) = (CW - ML - MR, CH - MT - MB);
    let cmin = pts
        .iter()
        .map(|p| p.average_condition)
        .fold(f64::INFINITY, f64::min);
    let cmax = pts
        .iter()
        .map(|p| p.average_condition)
        .fold(f64::NEG_INFINITY, f64::max);
    let gmax = pts.iter().map(|p| p.gini).fold(0.0, f64::max).max(1e-6);
    let span = (cmax - cmin).max(0.01);
    let _ = write!(
        s,
        r##"<line x1="{ML}" y1="{MT}" x2="{ML}" y2="{}" stroke="#333"/><line x1="{ML}" y1="{}" x2="{}" y2="{}" stroke="#333"/>"##,
        MT + h,
        MT + h,
        ML + w,
        MT + h
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">district Gini of benefit (0 = equal), 0 to {gmax:.3}</text><text x="12" y="{:.1}" font-size="11" transform="rotate(-90 12 {:.1})" text-anchor="middle">condition after work {cmin:.2} to {cmax:.2}</text>"#,
        ML + w / 2.0,
        CH - 8.0,
        MT + h / 2.0,
        MT + h / 2.0
    );
    let xy = |p: &streetrank_plan::FrontierPoint| {
        (
            ML + 10.0 + (w - 20.0) * p.gini / gmax,
            MT + h - 10.0 - (h - 20.0) * (p.average_condition - cmin) / span,
        )
    };
    let d: String = pts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = xy(p);
            format!("{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" })
        })
        .collect();
    let _ = write!(
        s,
        r##"<path class="series" d="{d}" fill="none" stroke="#999" stroke-width="1.5"/>"##
    );
    for p in pts {
        let (x, y) = xy(p);
        let _ = write!(
            s,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{}"><title>level {:.2}: condition {:.2}, Gini {:.3}</title></circle><text x="{:.1}" y="{:.1}" font-size="10">{:.0}%</text>"##,
            if p.pareto { "#D55E00" } else { "#999999" },
            p.level,
            p.average_condition,
            p.gini,
            x + 7.0,
            y - 5.0,
            p.level * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// The plan report as one self-contained HTML page: a summary table per year, an SVG map of
/// the plan (planned segments coloured by year or treatment, with a legend), SVG charts of
/// network condition over the years, spend by district and the equity frontier, and the
/// settings hash. The page makes no network request: no script, no external stylesheet,
/// font or image.
///
/// The map is drawn in the network's (metric) working CRS, north up.
#[must_use]
pub fn plan_report_html(net: &StreetNetwork, run: &PlanRun, colour_by: MapColour) -> String {
    let mut s = String::with_capacity(1 << 16);
    s.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<title>streetrank repair plan</title><style>\
body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}\
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}\
th{background:#f0f0f0}td.l,th.l{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:16px}\
figure{margin:0}figcaption{font-size:13px;color:#555}code{font-size:12px}\
</style></head><body>\n",
    );
    let years = run.scenario.years.len();
    let spent: f64 = run.scenario.years.iter().map(|y| y.allocation.cost).sum();
    let _ = write!(
        s,
        "<h1>Repair plan</h1>\n<p>{} segments, {:.1} km; {years} year(s), {} spent in all; method <b>{:?}</b>.</p>\n",
        run.segments.len(),
        run.segments.iter().map(|x| x.length_m).sum::<f64>() / 1000.0,
        money(spent),
        run.config.solver.method
    );
    s.push_str("<h2>Per year</h2>\n<table id=\"years\"><tr><th>year</th><th>budget</th><th>spent</th><th>treated</th><th>condition at the end</th><th>backlog</th>");
    for b in &run.config.report.bands {
        let _ = write!(s, "<th>{}</th>", esc(&b.name));
    }
    s.push_str("<th>gap</th><th>Gini</th></tr>\n");
    let start = &run.scenario.start;
    let _ = write!(
        s,
        "<tr><td class=\"l\">start</td><td></td><td></td><td></td><td>{:.1}</td><td>{}</td>",
        start.average_condition,
        money(start.backlog_cost)
    );
    for v in &start.band_shares {
        let _ = write!(s, "<td>{:.0}%</td>", v * 100.0);
    }
    s.push_str("<td></td><td></td></tr>\n");
    for y in &run.scenario.years {
        let _ = write!(
            s,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td>",
            y.year,
            money(y.budget),
            money(y.allocation.cost),
            y.treated.len(),
            y.end.average_condition,
            money(y.end.backlog_cost)
        );
        for v in &y.end.band_shares {
            let _ = write!(s, "<td>{:.0}%</td>", v * 100.0);
        }
        let _ = writeln!(
            s,
            "<td>{:.2}%{}</td><td>{:.3}</td></tr>",
            y.allocation.gap * 100.0,
            if y.allocation.optimal {
                " (optimal)"
            } else {
                ""
            },
            y.gini
        );
    }
    s.push_str("</table>\n");
    let notes: Vec<&String> = run
        .scenario
        .years
        .iter()
        .flat_map(|y| y.allocation.notes.iter())
        .collect();
    if !notes.is_empty() {
        s.push_str("<ul class=\"notes\">");
        for n in notes {
            let _ = write!(s, "<li>{}</li>", esc(n));
        }
        s.push_str("</ul>\n");
    }
    let _ = write!(
        s,
        "<h2>Map</h2>\n<figure>{}<figcaption>Planned segments coloured by {}; grey: no work in the plan.</figcaption></figure>\n",
        map_svg(net, run, colour_by),
        match colour_by {
            MapColour::Year => "the year of their first treatment",
            MapColour::Treatment => "their (first) treatment",
        }
    );
    let _ = write!(
        s,
        "<h2>Charts</h2>\n<div class=\"charts\"><figure>{}<figcaption>Network average condition (length-weighted), at the start and at the end of each year.</figcaption></figure>\
<figure>{}<figcaption>Spend by district and year; dashed: the year's budget.</figcaption></figure>\
<figure>{}<figcaption>Equity frontier on the first year's budget: a share (label) of it reserved for districts by lane-km; orange: not dominated.</figcaption></figure></div>\n",
        condition_chart(run),
        spend_chart(run),
        frontier_chart(run)
    );
    // The costliest treatments of year 1 with their reasons.
    if let Some(y) = run.scenario.years.first() {
        let mut top: Vec<&streetrank_plan::Treated> = y.treated.iter().collect();
        top.sort_by(|a, b| {
            b.benefit
                .total_cmp(&a.benefit)
                .then(a.segment.cmp(&b.segment))
        });
        s.push_str("<h2>Year 1: the 15 largest benefits</h2>\n<table id=\"top\"><tr><th class=\"l\">segment</th><th class=\"l\">district</th><th class=\"l\">treatment</th><th>cost</th><th>benefit</th><th class=\"l\">why</th></tr>\n");
        for t in top.into_iter().take(15) {
            let seg = &run.segments[t.segment];
            let _ = writeln!(
                s,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{:.3}</td><td class=\"l\">{}</td></tr>",
                esc(&seg.id.to_string()),
                esc(seg.district.as_deref().unwrap_or("")),
                esc(&run.config.treatments[t.treatment].name),
                money(t.cost),
                t.benefit,
                esc(&super::why(run, t))
            );
        }
        s.push_str("</table>\n");
    }
    let _ = write!(
        s,
        "<h2>Settings</h2>\n<p>Plan settings hash <code id=\"settings-hash\">{}</code><br>Ranking settings hash <code>{}</code><br>Condition bands: {}</p>\n<p>Made by streetrank {}. Complaints enter only as each segment's complaint pressure; no complaint or its location is shown.</p>\n</body></html>\n",
        run.settings_hash,
        run.ranking_settings_hash,
        run.config
            .report
            .bands
            .iter()
            .map(|b| format!("{} &ge; {}", esc(&b.name), b.min))
            .collect::<Vec<_>>()
            .join(", "),
        env!("CARGO_PKG_VERSION")
    );
    s
}
