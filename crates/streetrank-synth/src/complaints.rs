//! Synthetic 311 complaints: clustered on bad streets, offset like real
//! geocodes, with the quirks of real exports (repeats, undated rows, far
//! outliers, points exactly on a centerline).

use geo_types::{Coord, Point, coord};
use streetrank::{Complaint, SourceId, Timestamp};

use crate::geom::{along, distance_to_line};
use crate::rng::SplitMix64;
use crate::{City, CityOptions};

/// The complaint categories and their shares: pothole 60%, street repair 25%,
/// sidewalk 15%.
pub const CATEGORIES: [(&str, f64); 3] = [
    ("Pothole", 0.60),
    ("Street Repair", 0.25),
    ("Sidewalk", 0.15),
];

const S_COMPLAINTS: u64 = 100;
/// Share of incidents that come from a hot spot.
const HOTSPOT_SHARE: f64 = 0.25;
/// Share of incidents placed 1-3 km outside the city.
const FAR_OUTLIER_SHARE: f64 = 0.0005;
/// Share of incidents placed exactly on a vertex of their segment.
const ON_CENTERLINE_SHARE: f64 = 0.005;
/// Share of (offset) incidents placed 30-60 m from their street; with the far
/// outliers about 5% of complaints lie beyond 30 m.
const BEYOND_30_SHARE: f64 = 0.0495;
/// Share of reports without a creation time.
const UNDATED_SHARE: f64 = 0.01;
/// Relative pothole reports by month (spring thaw peak), scaled to ≤ 1.
const POTHOLE_MONTH: [f64; 12] = [
    0.65, 0.8, 1.0, 0.95, 0.75, 0.55, 0.5, 0.5, 0.5, 0.55, 0.6, 0.65,
];

/// How a complaint's point was placed relative to its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// Beside the centerline, perpendicular to it (mostly 2-20 m; ~5% 30-60 m).
    Offset,
    /// Exactly on a vertex of the segment (possibly an end, i.e. an
    /// intersection shared with other segments: a tie for a snapper).
    OnCenterline,
    /// 1-3 km outside the city's bounds.
    FarOutlier,
}

/// A complaint with the ground truth of how it was generated.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledComplaint {
    /// The complaint as a reader would produce it.
    pub complaint: Complaint,
    /// Index in [`City::network`] of the segment the complaint is about.
    pub segment: usize,
    /// Distance in metres from the point to that segment (brute force).
    pub distance_m: f64,
    /// How the point was placed.
    pub placement: Placement,
    /// For a repeated report of the same spot, the position (0-based, in
    /// generation order) of the incident's first report.
    pub repeat_of: Option<usize>,
    /// Whether the incident came from a [`crate::Hotspot`].
    pub hotspot: bool,
}

/// Streaming complaint generator; see [`labeled_complaints`].
#[derive(Debug)]
pub struct ComplaintIter<'a> {
    city: &'a City,
    rng: SplitMix64,
    total: usize,
    produced: usize,
    next_number: u64,
    incident: Option<Incident>,
}

/// The spot, time and category of a reported problem, and how many repeat
/// reports are still to come.
#[derive(Debug)]
struct Incident {
    first: usize,
    segment: usize,
    point: Coord<f64>,
    placement: Placement,
    created: Option<i64>,
    category: usize,
    remaining: u32,
    hotspot: bool,
}

impl ComplaintIter<'_> {
    fn as_of(&self) -> i64 {
        self.city.as_of.0
    }

    fn category(&mut self) -> usize {
        let r = self.rng.f64();
        let mut acc = 0.0;
        for (k, (_, share)) in CATEGORIES.iter().enumerate() {
            acc += share;
            if r < acc {
                return k;
            }
        }
        CATEGORIES.len() - 1
    }

    /// A creation time in the 730 days before the as-of date, whole minutes,
    /// mostly 07:00-22:00; potholes peak in early spring.
    fn time(&mut self, category: usize) -> i64 {
        let as_of_day = self.as_of().div_euclid(Timestamp::DAY);
        let mut day = as_of_day.saturating_sub(1 + self.rng.below(730) as i64);
        if category == 0 {
            for _ in 0..32 {
                let (_, month, ..) = Timestamp(day.saturating_mul(Timestamp::DAY)).to_utc();
                if self.rng.chance(POTHOLE_MONTH[month as usize - 1]) {
                    break;
                }
                day = as_of_day.saturating_sub(1 + self.rng.below(730) as i64);
            }
        }
        let minute = if self.rng.chance(0.9) {
            7 * 60 + self.rng.below(15 * 60)
        } else {
            self.rng.below(24 * 60)
        } as i64;
        day.saturating_mul(Timestamp::DAY)
            .saturating_add(minute * 60)
    }

    fn new_incident(&mut self) -> Option<Incident> {
        let city = self.city;
        let hot = if self.rng.chance(HOTSPOT_SHARE) {
            city.sample_hotspot(&mut self.rng)
        } else {
            None
        };
        let segment = match hot {
            Some(h) => h.segment,
            None => city.sample_segment(&mut self.rng)?,
        };
        let street = city.network.segments.get(segment)?;
        let line = &street.geometry.0;
        let fraction = match hot {
            Some(h) => h.fraction + 10.0 * self.rng.normalish() / street.length_m.max(1.0),
            None => self.rng.f64(),
        };
        let r = self.rng.f64();
        let (point, placement) = if r < FAR_OUTLIER_SHARE {
            let b = city.bounds();
            let out = self.rng.range(1_000.0, 3_000.0);
            let (u, side) = (self.rng.f64(), self.rng.below(4));
            let p = match side {
                0 => coord! { x: b.min().x + u * b.width(), y: b.min().y - out },
                1 => coord! { x: b.min().x + u * b.width(), y: b.max().y + out },
                2 => coord! { x: b.min().x - out, y: b.min().y + u * b.height() },
                _ => coord! { x: b.max().x + out, y: b.min().y + u * b.height() },
            };
            (p, Placement::FarOutlier)
        } else if r < FAR_OUTLIER_SHARE + ON_CENTERLINE_SHARE {
            let k = self.rng.below(line.len() as u64) as usize;
            (*line.get(k)?, Placement::OnCenterline)
        } else {
            let (p, n) = along(line, fraction)?;
            let r = self.rng.f64();
            let offset = if r < BEYOND_30_SHARE {
                self.rng.range(30.5, 60.0)
            } else if r < 0.12 {
                self.rng.range(20.0, 30.0)
            } else if r < 0.14 {
                self.rng.range(0.3, 2.0)
            } else {
                2.0 + 18.0 * self.rng.f64() * self.rng.range(0.35, 1.0)
            };
            let side = if self.rng.chance(0.5) { 1.0 } else { -1.0 };
            let q = coord! { x: p.x + n.x * offset * side, y: p.y + n.y * offset * side };
            (round_cm(q), Placement::Offset)
        };
        let category = self.category();
        let created = if self.rng.chance(UNDATED_SHARE) {
            None
        } else {
            Some(self.time(category))
        };
        let repeat_chance = if hot.is_some() { 0.25 } else { 0.12 };
        let remaining = if placement != Placement::FarOutlier && self.rng.chance(repeat_chance) {
            1 + self.rng.below(3) as u32
        } else {
            0
        };
        Some(Incident {
            first: self.produced,
            segment,
            point,
            placement,
            created,
            category,
            remaining,
            hotspot: hot.is_some(),
        })
    }

    fn emit(
        &mut self,
        state: &Incident,
        point: Coord<f64>,
        created: Option<i64>,
        category: usize,
        repeat: bool,
    ) -> Option<LabeledComplaint> {
        let segment = self.city.network.segments.get(state.segment)?;
        self.next_number += 1 + self.rng.below(3);
        let id = SourceId::from(format!("SR-{:08}", self.next_number));
        let as_of = self.as_of();
        let status = match created {
            Some(t) if as_of.saturating_sub(t) < 30 * Timestamp::DAY => self.rng.chance(0.55),
            Some(_) => self.rng.chance(0.12),
            None => self.rng.chance(0.3),
        };
        let mut complaint = Complaint::new(id, Point::from(point))
            .ok()?
            .with_created(created.map(Timestamp));
        complaint.category = Some(CATEGORIES[category].0.into());
        complaint.status = Some(if status { "Open" } else { "Closed" }.into());
        let distance_m = distance_to_line(point, &segment.geometry.0);
        let out = LabeledComplaint {
            complaint,
            segment: state.segment,
            distance_m,
            placement: state.placement,
            repeat_of: repeat.then_some(state.first),
            hotspot: state.hotspot,
        };
        self.produced += 1;
        Some(out)
    }

    fn repeat(&mut self, state: &Incident) -> Option<LabeledComplaint> {
        // Same spot, or a few metres away (another resident's geocode).
        let point = if state.placement == Placement::OnCenterline || self.rng.chance(0.5) {
            state.point
        } else {
            round_cm(coord! {
                x: state.point.x + self.rng.range(-2.0, 2.0),
                y: state.point.y + self.rng.range(-2.0, 2.0),
            })
        };
        let created = match state.created {
            Some(t) if !self.rng.chance(UNDATED_SHARE) => {
                let delta = if self.rng.chance(0.6) {
                    (5 + self.rng.below(175)) as i64 * 60
                } else {
                    (1 + self.rng.below(21)) as i64 * Timestamp::DAY
                        + self.rng.below(600) as i64 * 60
                };
                if t.saturating_add(delta) < self.as_of() {
                    Some(t + delta)
                } else {
                    Some(t.saturating_sub(delta))
                }
            }
            _ => None,
        };
        let category = if self.rng.chance(0.9) {
            state.category
        } else {
            self.category()
        };
        self.emit(state, point, created, category, true)
    }
}

fn round_cm(c: Coord<f64>) -> Coord<f64> {
    coord! { x: (c.x * 100.0).round() / 100.0, y: (c.y * 100.0).round() / 100.0 }
}

impl Iterator for ComplaintIter<'_> {
    type Item = LabeledComplaint;

    fn next(&mut self) -> Option<LabeledComplaint> {
        if self.produced >= self.total {
            return None;
        }
        if let Some(mut state) = self.incident.take()
            && state.remaining > 0
        {
            state.remaining -= 1;
            let out = self.repeat(&state);
            self.incident = Some(state);
            return out;
        }
        let state = self.new_incident()?;
        let out = self.emit(&state, state.point, state.created, state.category, false);
        self.incident = Some(state);
        out
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.total - self.produced))
    }
}

/// Complaints for `city` with the ground truth of each; see [`complaints`].
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, Placement, generate_city, labeled_complaints};
/// let opts = CityOptions::default().segments(300).complaints(2_000);
/// let city = generate_city(&opts);
/// let far = labeled_complaints(&city, &opts)
///     .filter(|c| c.distance_m > 30.0)
///     .count();
/// assert!(far > 40 && far < 160, "{far}");
/// ```
pub fn labeled_complaints<'a>(city: &'a City, opts: &CityOptions) -> ComplaintIter<'a> {
    ComplaintIter {
        city,
        rng: SplitMix64::new(opts.get_seed(), S_COMPLAINTS),
        total: opts.get_complaints(),
        produced: 0,
        next_number: 1_000,
        incident: None,
    }
}

/// Streams `opts.get_complaints()` complaints for `city` (none for an empty
/// city), deterministically for `opts.get_seed()`; other options are ignored,
/// so one city can get several complaint sets.
///
/// What they look like:
/// - Each incident picks a segment with probability ∝ length × traffic ×
///   badness (cube of 100 − true PCI), or (25%) a [`crate::Hotspot`] on a
///   bad segment, reported around one spot (σ ≈ 10 m).
/// - Points are offset perpendicular to the centerline: mostly 2-20 m, ~7%
///   20-30 m, ~2% under 2 m, ~5% 30-60 m; 0.5% exactly on a vertex of the
///   segment (ends are intersections: ties); 0.05% 1-3 km outside the city.
///   Coordinates are rounded to the centimetre.
/// - ~13% of incidents (25% at hot spots) are reported again 1-3 times:
///   same point or within 2 m, 5 min-3 h or 1-21 days later, usually the same
///   category. A scorer should collapse them.
/// - Created in the 730 days before `city.as_of`, whole minutes, mostly
///   07:00-22:00, potholes peaking in March; ~1% undated (`created: None`).
/// - Categories per [`CATEGORIES`]; status `"Open"` (55% of the last 30
///   days, 12% before) or `"Closed"`.
/// - Ids `"SR-00001234"`, increasing with gaps, in generation order (not
///   sorted by time).
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, complaints, generate_city};
/// let opts = CityOptions::default().segments(200).complaints(100);
/// let city = generate_city(&opts);
/// let all: Vec<_> = complaints(&city, &opts).collect();
/// assert_eq!(all.len(), 100);
/// assert!(all.iter().all(|c| c.id.to_string().starts_with("SR-")));
/// ```
pub fn complaints<'a>(
    city: &'a City,
    opts: &CityOptions,
) -> impl Iterator<Item = Complaint> + 'a + use<'a> {
    labeled_complaints(city, opts).map(|l| l.complaint)
}
