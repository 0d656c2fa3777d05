//! The street network of the synthetic city: a perturbed grid of local streets
//! with straight arterials and collectors, diagonal arterials and neighbourhoods
//! of curved streets, split at intersections into segments.

use geo_types::{Coord, LineString, Rect, coord};
use streetrank::{PropertyValue, Segment, SegmentAttributes, SourceId, StreetNetwork, Timestamp};

use crate::CityOptions;
use crate::rng::{SplitMix64, hash, noise1, noise2, unit};

/// EPSG code of the coordinates the generator produces: WGS 84 / UTM zone 18N,
/// in metres.
pub const CRS_EPSG: u32 = 32618;

/// Centre of the city in EPSG:32618 metres (easting, northing): about
/// 76.2° W, 42.4° N, between Ithaca and Cortland in New York State. The city is
/// fictional.
pub const CITY_CENTER: (f64, f64) = (400_000.0, 4_700_000.0);

/// Every `ARTERIAL_EVERY`-th grid line is an arterial; the lines halfway
/// between are collectors.
const ARTERIAL_EVERY: usize = 8;

// Random streams, one per concern, so that changing one does not shift the others.
const S_SPACING_X: u64 = 1;
const S_SPACING_Y: u64 = 2;
const S_JITTER: u64 = 3;
const S_EDGES: u64 = 4;
const S_PCI_COARSE: u64 = 5;
const S_PCI_FINE: u64 = 6;
const S_CURVY: u64 = 7;
const S_STREET: u64 = 8;
const S_HOTSPOTS: u64 = 9;

/// Functional class of a street.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoadClass {
    /// A through street: straight, wide, busy; has AADT. About 13% of segments.
    Arterial,
    /// A collector: every eighth grid line halfway between arterials. About 12%.
    Collector,
    /// A local street. About 75%.
    Local,
}

impl RoadClass {
    /// The text stored in [`SegmentAttributes::road_class`]: `"arterial"`,
    /// `"collector"` or `"local"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Arterial => "arterial",
            RoadClass::Collector => "collector",
            RoadClass::Local => "local",
        }
    }

    fn of_line(k: usize) -> RoadClass {
        match k % ARTERIAL_EVERY {
            0 => RoadClass::Arterial,
            4 => RoadClass::Collector,
            _ => RoadClass::Local,
        }
    }

    /// Complaint-rate factor: busier streets get more reports per metre.
    fn traffic_factor(self) -> f64 {
        match self {
            RoadClass::Arterial => 2.5,
            RoadClass::Collector => 1.5,
            RoadClass::Local => 1.0,
        }
    }
}

/// A cluster of complaints around one spot of a bad segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hotspot {
    /// Index of the segment in [`City::network`].
    pub segment: usize,
    /// Position of the spot along the segment, 0 (start) to 1 (end).
    pub fraction: f64,
    /// Relative share of the hot-spot complaints this spot receives.
    pub intensity: f64,
}

/// A generated city: its street network plus the ground truth the complaint
/// generator uses.
#[derive(Debug, Clone)]
pub struct City {
    /// The streets in EPSG:32618 metres. Each segment carries one pass-through
    /// property, `"name"`.
    pub network: StreetNetwork,
    /// The as-of date: every dated complaint is created before it.
    pub as_of: Timestamp,
    seed: u64,
    bounds: Rect<f64>,
    true_condition: Vec<f64>,
    segment_table: AliasTable,
    hotspots: Vec<Hotspot>,
    hotspot_table: AliasTable,
}

impl City {
    /// The seed the city was generated with (also used by [`crate::ratings`]).
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Bounding box of the full street grid in EPSG:32618 metres (the last row
    /// may be partly filled). Far-outlier complaints lie 1-3 km outside it.
    #[must_use]
    pub fn bounds(&self) -> Rect<f64> {
        self.bounds
    }

    /// The hot spots, in segment order.
    #[must_use]
    pub fn hotspots(&self) -> &[Hotspot] {
        &self.hotspots
    }

    /// True pavement condition (PCI 0-100) of every segment, by segment index,
    /// including the ~8% whose [`SegmentAttributes::condition`] is missing.
    /// Complaint rates follow this value: it is the ground truth a ranking can
    /// be judged against.
    #[must_use]
    pub fn true_condition(&self) -> &[f64] {
        &self.true_condition
    }

    /// A segment index drawn with probability proportional to its complaint
    /// weight, or `None` for an empty city.
    pub(crate) fn sample_segment(&self, rng: &mut SplitMix64) -> Option<usize> {
        self.segment_table.sample(rng)
    }

    /// A hot spot drawn by intensity, or `None` when there is none.
    pub(crate) fn sample_hotspot(&self, rng: &mut SplitMix64) -> Option<Hotspot> {
        self.hotspot_table
            .sample(rng)
            .and_then(|k| self.hotspots.get(k).copied())
    }
}

/// Walker's alias table (Vose's construction): draws an index with
/// probability proportional to its weight in O(1), touching two array slots,
/// which keeps complaint generation fast on million-segment cities.
#[derive(Debug, Clone, Default)]
struct AliasTable {
    /// Probability of keeping the drawn slot rather than taking its alias.
    keep: Vec<f64>,
    alias: Vec<u32>,
}

impl AliasTable {
    /// A table for non-negative finite weights (others count as zero); empty
    /// when all weights are zero.
    fn new(weights: &[f64]) -> AliasTable {
        let clean = |w: f64| if w.is_finite() && w > 0.0 { w } else { 0.0 };
        let total: f64 = weights.iter().map(|&w| clean(w)).sum();
        let n = weights.len();
        if n == 0 || total <= 0.0 || u32::try_from(n).is_err() {
            return AliasTable::default();
        }
        let mut keep: Vec<f64> = weights
            .iter()
            .map(|&w| clean(w) * n as f64 / total)
            .collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&i| keep[i as usize] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s as usize] = l;
            keep[l as usize] -= 1.0 - keep[s as usize];
            if keep[l as usize] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Left-overs are 1 up to rounding.
        for i in small.into_iter().chain(large) {
            keep[i as usize] = 1.0;
        }
        AliasTable { keep, alias }
    }

    fn sample(&self, rng: &mut SplitMix64) -> Option<usize> {
        if self.keep.is_empty() {
            return None;
        }
        let i = rng.below(self.keep.len() as u64) as usize;
        if rng.f64() < self.keep[i] {
            Some(i)
        } else {
            self.alias.get(i).map(|&a| a as usize)
        }
    }
}

/// Complaint weight of a segment: length × traffic × badness, where badness
/// grows with the cube of (100 − PCI): a PCI-20 street draws ~14× the reports
/// per metre of a PCI-90 street.
fn complaint_weight(length_m: f64, class: RoadClass, pci: f64) -> f64 {
    let bad = (100.0 - pci) / 100.0;
    length_m * class.traffic_factor() * (0.15 + 4.0 * bad * bad * bad)
}

/// The grid's geometry: line positions and diagonals.
struct Grid {
    seed: u64,
    xs: Vec<f64>,
    ys: Vec<f64>,
    /// Main diagonals: nodes with `i - j == c`.
    mains: Vec<i64>,
    /// Anti-diagonals: nodes with `i + j == c`.
    antis: Vec<i64>,
}

impl Grid {
    fn new(seed: u64, n: usize) -> Grid {
        // Block sizes vary smoothly (80-130 m east-west, 70-120 m north-south),
        // so diagonals through grid nodes bend only gently.
        let mut xs = Vec::with_capacity(n);
        let mut ys = Vec::with_capacity(n);
        let (mut x, mut y) = (0.0, 0.0);
        for k in 0..n {
            xs.push(x);
            ys.push(y);
            let t = k as f64 / 9.0;
            x += 80.0 + 50.0 * noise1(hash(seed, S_SPACING_X, 0), t);
            y += 70.0 + 50.0 * noise1(hash(seed, S_SPACING_Y, 0), t);
        }
        let (ox, oy) = (
            CITY_CENTER.0 - xs.last().copied().unwrap_or(0.0) / 2.0,
            CITY_CENTER.1 - ys.last().copied().unwrap_or(0.0) / 2.0,
        );
        for v in &mut xs {
            *v += ox;
        }
        for v in &mut ys {
            *v += oy;
        }
        // One main and one anti-diagonal per ~250 grid lines; all constants even
        // so a main and an anti-diagonal always cross at a node.
        let (mut mains, mut antis) = (Vec::new(), Vec::new());
        if n >= 12 {
            let count = (n / 250).max(1) as i64;
            let n = n as i64;
            let even = |v: i64| v - v.rem_euclid(2);
            for k in 0..count {
                mains.push(even((k + 1) * n / (count + 1) - n / 2 + n / 7));
                antis.push(even(n / 2 + (k + 1) * n / (count + 1) - n / 9));
            }
        }
        Grid {
            seed,
            xs,
            ys,
            mains,
            antis,
        }
    }

    fn diag_distance(&self, i: usize, j: usize) -> i64 {
        let (i, j) = (i as i64, j as i64);
        let m = self.mains.iter().map(|c| (i - j - c).abs());
        let a = self.antis.iter().map(|c| (i + j - c).abs());
        m.chain(a).min().unwrap_or(i64::MAX)
    }

    /// Intersection `(i, j)`: jittered by up to ±6 m, except across arterial
    /// lines and on diagonals, which stay straight.
    fn node(&self, i: usize, j: usize) -> Coord<f64> {
        let h = hash(self.seed, S_JITTER, ((i as u64) << 32) | j as u64);
        let on_diag = self.diag_distance(i, j) == 0;
        let jx = if i.is_multiple_of(ARTERIAL_EVERY) || on_diag {
            0.0
        } else {
            (unit(h) - 0.5) * 12.0
        };
        let jy = if j.is_multiple_of(ARTERIAL_EVERY) || on_diag {
            0.0
        } else {
            (unit(crate::rng::mix(h)) - 0.5) * 12.0
        };
        round_mm(coord! { x: self.xs[i] + jx, y: self.ys[j] + jy })
    }

    fn bounds(&self) -> Rect<f64> {
        let (x0, x1) = (self.xs.first(), self.xs.last());
        let (y0, y1) = (self.ys.first(), self.ys.last());
        match (x0, x1, y0, y1) {
            (Some(&x0), Some(&x1), Some(&y0), Some(&y1)) => {
                Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 })
            }
            _ => Rect::new(
                coord! { x: CITY_CENTER.0, y: CITY_CENTER.1 },
                coord! { x: CITY_CENTER.0, y: CITY_CENTER.1 },
            ),
        }
    }
}

fn round_mm(c: Coord<f64>) -> Coord<f64> {
    coord! { x: (c.x * 1000.0).round() / 1000.0, y: (c.y * 1000.0).round() / 1000.0 }
}

/// Which street line an edge belongs to.
#[derive(Debug, Clone, Copy)]
enum Line {
    Row(usize),
    Column(usize),
    Diagonal(usize),
}

/// A straight polyline from `a` to `b` with `interior` extra vertices, each
/// moved sideways by up to `wiggle` metres (digitising noise).
fn straight(
    a: Coord<f64>,
    b: Coord<f64>,
    interior: usize,
    wiggle: f64,
    rng: &mut SplitMix64,
) -> Vec<Coord<f64>> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    let (nx, ny) = (-dy / len, dx / len);
    let mut v = Vec::with_capacity(interior + 2);
    v.push(a);
    let parts = (interior + 1) as f64;
    for k in 1..=interior {
        let t = (k as f64 + rng.range(-0.3, 0.3)) / parts;
        let w = if wiggle > 0.0 {
            rng.range(-wiggle, wiggle)
        } else {
            0.0
        };
        v.push(round_mm(
            coord! { x: a.x + dx * t + nx * w, y: a.y + dy * t + ny * w },
        ));
    }
    v.push(b);
    v
}

/// A circular arc from `a` to `b` with `m` vertices whose sagitta is `h` times
/// the chord, bulging to the left of `a → b` when `left`. Exact circle points
/// from a rational quadratic Bézier: no trigonometry.
fn arc(a: Coord<f64>, b: Coord<f64>, h: f64, left: bool, m: usize) -> Vec<Coord<f64>> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let c = (dx * dx + dy * dy).sqrt();
    let sign = if left { 1.0 } else { -1.0 };
    let (nx, ny) = (-dy / c * sign, dx / c * sign);
    let u = 2.0 * h; // tan of a quarter of the arc's angle
    let tan_half = 2.0 * u / (1.0 - u * u);
    let w = (1.0 - u * u) / (1.0 + u * u);
    let p1 = coord! {
        x: (a.x + b.x) / 2.0 + nx * c / 2.0 * tan_half,
        y: (a.y + b.y) / 2.0 + ny * c / 2.0 * tan_half,
    };
    let mut v = Vec::with_capacity(m);
    v.push(a);
    for k in 1..m - 1 {
        let t = k as f64 / (m - 1) as f64;
        let (b0, b1, b2) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t) * w, t * t);
        let s = b0 + b1 + b2;
        v.push(round_mm(coord! {
            x: (b0 * a.x + b1 * p1.x + b2 * b.x) / s,
            y: (b0 * a.y + b1 * p1.y + b2 * b.y) / s,
        }));
    }
    v.push(b);
    v
}

const COLUMN_NAMES: [&str; 32] = [
    "Maple",
    "Oak",
    "Elm",
    "Cedar",
    "Walnut",
    "Chestnut",
    "Spruce",
    "Willow",
    "Birch",
    "Hickory",
    "Ash",
    "Poplar",
    "Sycamore",
    "Linden",
    "Locust",
    "Magnolia",
    "Cherry",
    "Laurel",
    "Juniper",
    "Hemlock",
    "Tamarack",
    "Beech",
    "Alder",
    "Cottonwood",
    "Dogwood",
    "Hawthorn",
    "Larch",
    "Mulberry",
    "Pine",
    "Redbud",
    "Sassafras",
    "Tupelo",
];
const COLUMN_PREFIXES: [&str; 6] = ["", "North ", "Old ", "South ", "West ", "East "];
const DIAGONAL_NAMES: [&str; 6] = [
    "Broadway",
    "Erie Blvd",
    "Genesee Pkwy",
    "Seneca Tpke",
    "Cayuga Way",
    "Onondaga Blvd",
];

fn suffix(class: RoadClass) -> &'static str {
    match class {
        RoadClass::Arterial => "Ave",
        RoadClass::Collector => "Rd",
        RoadClass::Local => "St",
    }
}

fn ordinal(k: usize) -> String {
    let s = match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{k}{s}")
}

fn street_name(line: Line, class: RoadClass) -> String {
    match line {
        Line::Row(j) => format!("{} {}", ordinal(j + 1), suffix(class)),
        Line::Column(i) => {
            let cycle = i / COLUMN_NAMES.len();
            let prefix = COLUMN_PREFIXES[cycle % COLUMN_PREFIXES.len()];
            let base = COLUMN_NAMES[i % COLUMN_NAMES.len()];
            if cycle < COLUMN_PREFIXES.len() {
                format!("{prefix}{base} {}", suffix(class))
            } else {
                format!(
                    "{prefix}{base} {} {}",
                    suffix(class),
                    cycle / COLUMN_PREFIXES.len() + 1
                )
            }
        }
        Line::Diagonal(k) => DIAGONAL_NAMES[k % DIAGONAL_NAMES.len()].to_owned(),
    }
}

/// Builds segments one edge at a time until the target count is reached.
struct Builder<'g> {
    grid: &'g Grid,
    target: usize,
    rng: SplitMix64,
    bounds: Rect<f64>,
    segments: Vec<Segment>,
    true_condition: Vec<f64>,
    weights: Vec<f64>,
}

impl Builder<'_> {
    fn full(&self) -> bool {
        self.segments.len() >= self.target
    }

    /// Adds the edge between two grid nodes; `false` once the city is full.
    fn add(&mut self, (i0, j0): (usize, usize), (i1, j1): (usize, usize), line: Line) -> bool {
        if self.full() {
            return false;
        }
        let seed = self.grid.seed;
        let class = match line {
            Line::Row(j) => RoadClass::of_line(j),
            Line::Column(i) => RoadClass::of_line(i),
            Line::Diagonal(_) => RoadClass::Arterial,
        };
        let (a, b) = (self.grid.node(i0, j0), self.grid.node(i1, j1));
        let mid = coord! { x: (a.x + b.x) / 2.0, y: (a.y + b.y) / 2.0 };
        let rel = coord! {
            x: (mid.x - self.bounds.min().x) / self.bounds.width().max(1.0),
            y: (mid.y - self.bounds.min().y) / self.bounds.height().max(1.0),
        };
        let rng = &mut self.rng;

        // Geometry.
        let curvy = class == RoadClass::Local
            && !matches!(line, Line::Diagonal(_))
            && self.grid.diag_distance(i0, j0) > 2
            && self.grid.diag_distance(i1, j1) > 2
            && noise2(hash(seed, S_CURVY, 0), mid.x / 900.0, mid.y / 900.0) > 0.68;
        let coords = if curvy {
            // Parallel winding streets: the bulge alternates along each line.
            let left = match line {
                Line::Row(_) => i0 % 2 == 0,
                _ => j0 % 2 == 0,
            };
            let m = 4 + rng.below(5) as usize;
            arc(a, b, rng.range(0.06, 0.14), left, m)
        } else {
            let (interior, wiggle) = match class {
                RoadClass::Local => ([0, 0, 0, 0, 1, 1, 1, 2, 2, 3][rng.below(10) as usize], 0.6),
                RoadClass::Collector => ([0, 0, 1, 1, 2][rng.below(5) as usize], 0.3),
                RoadClass::Arterial => ([0, 0, 0, 1, 2][rng.below(5) as usize], 0.0),
            };
            straight(a, b, interior, wiggle, rng)
        };

        // Attributes: lanes, parking and AADT level belong to the whole street
        // line; width and AADT vary a little per block.
        let line_key = match line {
            Line::Row(k) => k as u64,
            Line::Column(k) => (1 << 40) | k as u64,
            Line::Diagonal(k) => (2 << 40) | k as u64,
        };
        let street = hash(seed, S_STREET, line_key);
        let (u1, u2) = (unit(street), unit(crate::rng::mix(street)));
        let (lanes, width_m, aadt) = match class {
            RoadClass::Arterial => {
                let lanes = [3, 4, 4, 4, 4, 4, 6, 6][(street % 8) as usize];
                let width = f64::from(lanes) * 3.3 + 5.0 * u1 + rng.range(-0.3, 0.3);
                let aadt = (8_000.0 + 26_000.0 * u2 * u2) * rng.range(0.9, 1.1);
                (lanes, width, Some((aadt / 100.0).round() * 100.0))
            }
            RoadClass::Collector => {
                let lanes = if u1 < 0.85 { 2 } else { 3 };
                (lanes, 10.0 + 3.0 * u2 + rng.range(-0.3, 0.3), None)
            }
            RoadClass::Local if u1 < 0.1 => (1, 5.5 + 1.5 * u2 + rng.range(-0.2, 0.2), None),
            RoadClass::Local => (2, 7.0 + 3.0 * u2 + rng.range(-0.3, 0.3), None),
        };
        let (district, district_bias) = match (rel.y >= 0.5, rel.x) {
            (true, x) if x < 1.0 / 3.0 => ("D1", 6.0),
            (true, x) if x < 2.0 / 3.0 => ("D2", 3.0),
            (true, _) => ("D3", 0.0),
            (false, x) if x < 0.5 => ("D4", -5.0),
            (false, _) => ("D5", -9.0),
        };
        let field = 0.65 * noise2(hash(seed, S_PCI_COARSE, 0), mid.x / 1500.0, mid.y / 1500.0)
            + 0.35 * noise2(hash(seed, S_PCI_FINE, 0), mid.x / 400.0, mid.y / 400.0);
        let class_bias = match class {
            RoadClass::Arterial => 6.0,
            RoadClass::Collector => 3.0,
            RoadClass::Local => 0.0,
        };
        let pci =
            (66.0 + (field - 0.5) * 110.0 + district_bias + class_bias + 8.0 * rng.normalish())
                .clamp(0.0, 100.0)
                .round();
        let observed = if rng.chance(0.08) { None } else { Some(pci) };

        let id = SourceId::Int(100_000 + 7 * self.segments.len() as i64);
        // Cannot fail: nodes are finite and at least 58 m apart.
        if let Ok(segment) = Segment::new(id, LineString::new(coords)) {
            let weight = complaint_weight(segment.length_m, class, pci);
            let segment = segment
                .with_attributes(SegmentAttributes {
                    road_class: Some(class.as_str().to_owned()),
                    condition: observed,
                    aadt,
                    width_m: Some((width_m * 10.0).round() / 10.0),
                    lanes: Some(lanes),
                    district: Some(district.to_owned()),
                })
                .with_properties(vec![PropertyValue::Text(street_name(line, class))]);
            self.weights.push(weight);
            self.true_condition.push(pci);
            self.segments.push(segment);
        }
        !self.full()
    }
}

/// Smallest grid side `n` whose `2·n·(n−1)` row and column edges reach `target`.
fn grid_side(target: usize) -> usize {
    let mut n: usize = 2;
    while n.saturating_mul(n - 1).saturating_mul(2) < target {
        n += 1;
    }
    n
}

/// Generates the streets of a city (no complaints: see [`crate::complaints`]).
///
/// Uses `opts`' seed and segment count; exactly `opts.get_segments()`
/// segments are made. Layout: a square grid of intersections about 105 m ×
/// 95 m apart (block sizes vary smoothly, intersections jittered by up to
/// ±6 m), centred on [`CITY_CENTER`] in EPSG:32618 metres. Every 8th row and
/// column is a straight arterial and the lines halfway between are
/// collectors; one diagonal and one anti-diagonal arterial per ~250 grid lines
/// run through intersections; in a few neighbourhoods local streets are
/// circular arcs. Edges are added row by row from the south, so the northern
/// edge of the city is ragged when the count does not fill the grid.
///
/// Each segment runs from one intersection to the next: 2-8 vertices, 58-240 m
/// (the test `segment_shape_stats` prints the distribution), id
/// `100000 + 7·k`. Attributes: `road_class` (`"arterial"`, `"collector"`,
/// `"local"`), `width_m`, `lanes`, `district` (`"D1"`-`"D3"` across the north
/// half, `"D4"`, `"D5"` across the south half), `condition` (integer PCI
/// 0-100, spatially correlated, worse in D4/D5; missing for ~8%) and `aadt`
/// (arterials only). Pass-through property: `"name"`.
///
/// # Units
///
/// Coordinates in metres, EPSG:32618, rounded to the millimetre.
///
/// # Determinism
///
/// Coordinates are computed with `+ − × ÷`, `sqrt`, `floor` and `round` only
/// (IEEE 754 exact), so a seed gives the same bytes on every platform.
/// `Segment::length_m` comes from the core crate, which uses `hypot`.
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, generate_city};
/// let city = generate_city(&CityOptions::default().segments(500));
/// assert_eq!(city.network.segments.len(), 500);
/// ```
#[must_use]
pub fn generate_city(opts: &CityOptions) -> City {
    let seed = opts.get_seed();
    let target = opts.get_segments();
    let n = if target == 0 { 0 } else { grid_side(target) };
    let grid = Grid::new(seed, n);
    let bounds = grid.bounds();
    // Grows further if needed; a huge request fails by running out of memory
    // while generating, not by a capacity overflow up front.
    let capacity = target.min(1 << 24);
    let mut b = Builder {
        grid: &grid,
        target,
        rng: SplitMix64::new(seed, S_EDGES),
        bounds,
        segments: Vec::with_capacity(capacity),
        true_condition: Vec::with_capacity(capacity),
        weights: Vec::with_capacity(capacity),
    };
    'rows: for j in 0..n {
        for i in 0..n - 1 {
            if !b.add((i, j), (i + 1, j), Line::Row(j)) {
                break 'rows;
            }
        }
        if j + 1 == n {
            break;
        }
        for i in 0..n {
            if !b.add((i, j), (i, j + 1), Line::Column(i)) {
                break 'rows;
            }
        }
        let ni = n as i64;
        for (k, &c) in grid.mains.iter().enumerate() {
            let i = j as i64 + c;
            if (0..ni - 1).contains(&i)
                && !b.add(
                    (i as usize, j),
                    (i as usize + 1, j + 1),
                    Line::Diagonal(2 * k),
                )
            {
                break 'rows;
            }
        }
        for (k, &c) in grid.antis.iter().enumerate() {
            let i = c - j as i64;
            if (1..ni).contains(&i)
                && !b.add(
                    (i as usize, j),
                    (i as usize - 1, j + 1),
                    Line::Diagonal(2 * k + 1),
                )
            {
                break 'rows;
            }
        }
    }

    let Builder {
        segments,
        true_condition,
        weights,
        ..
    } = b;
    let mut rng = SplitMix64::new(seed, S_HOTSPOTS);
    let mut hotspots = Vec::new();
    for (segment, &pci) in true_condition.iter().enumerate() {
        if pci < 45.0 && rng.chance(0.06) {
            let h = Hotspot {
                segment,
                fraction: rng.range(0.1, 0.9),
                intensity: rng.range(0.5, 2.0),
            };
            hotspots.push(h);
        }
    }
    // Ids are unique by construction (100000 + 7k), so this cannot fail.
    let network = StreetNetwork::new(segments, vec!["name".to_owned()]).unwrap_or_default();
    City {
        network,
        as_of: opts.get_as_of(),
        seed,
        bounds,
        true_condition,
        segment_table: AliasTable::new(&weights),
        hotspot_table: AliasTable::new(&hotspots.iter().map(|h| h.intensity).collect::<Vec<_>>()),
        hotspots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_table_follows_weights_table() {
        let cases: [&[f64]; 6] = [
            &[],
            &[0.0, 0.0],
            &[5.0],
            &[1.0, 1.0, 1.0, 1.0],
            &[1.0, 0.0, 3.0, f64::NAN, 6.0],
            &[1e-9, 1.0, 1e9],
        ];
        for weights in cases {
            let table = AliasTable::new(weights);
            let mut rng = SplitMix64::new(1, 1);
            let mut counts = vec![0u32; weights.len()];
            let draws = 200_000;
            for _ in 0..draws {
                match table.sample(&mut rng) {
                    Some(i) => counts[i] += 1,
                    None => break,
                }
            }
            let clean: Vec<f64> = weights
                .iter()
                .map(|&w| if w.is_finite() && w > 0.0 { w } else { 0.0 })
                .collect();
            let total: f64 = clean.iter().sum();
            if total == 0.0 {
                assert!(counts.iter().all(|&c| c == 0), "{weights:?}");
                continue;
            }
            for (k, &w) in clean.iter().enumerate() {
                let got = f64::from(counts[k]) / f64::from(draws);
                assert!(
                    (got - w / total).abs() < 0.005,
                    "{weights:?}: slot {k} {got}"
                );
                if w == 0.0 {
                    assert_eq!(counts[k], 0, "{weights:?}");
                }
            }
        }
    }

    #[test]
    fn ordinal_table() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (112, "112th"),
            (123, "123rd"),
        ];
        for (k, want) in cases {
            assert_eq!(ordinal(k), want);
        }
    }
}
