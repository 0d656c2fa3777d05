//! The pavement-ratings table of the synthetic city, as a city's pavement
//! management system would export it.

use streetrank::SourceId;

use crate::City;
use crate::rng::SplitMix64;

const S_RATINGS: u64 = 200;

/// One row of a pavement-ratings table.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingRow {
    /// Id of the rated segment (an id of [`City::network`]).
    pub segment_id: SourceId,
    /// PCI, 0-100 (higher is better).
    pub rating: f64,
    /// Inspection year (2023-2025).
    pub year: i32,
}

/// The ratings table of `city`: one row per segment whose
/// [`condition`](streetrank::SegmentAttributes::condition) is known (none for
/// the ~8% without), in segment order; ~3% of them are rated in two blocks and
/// have **two rows**, `c + d` and `c − d`, whose mean is the segment's
/// condition `c`. Deterministic for the city's seed.
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, generate_city, ratings};
/// let city = generate_city(&CityOptions::default().segments(1_000));
/// let rows = ratings(&city);
/// let rated = city.network.segments.iter().filter(|s| s.attributes.condition.is_some()).count();
/// assert!(rows.len() > rated && rows.len() < rated + 100);
/// ```
#[must_use]
pub fn ratings(city: &City) -> Vec<RatingRow> {
    let mut rng = SplitMix64::new(city.seed(), S_RATINGS);
    let mut rows = Vec::with_capacity(city.network.segments.len() * 24 / 23);
    for s in &city.network.segments {
        let Some(c) = s.attributes.condition else {
            continue;
        };
        let year = 2023 + rng.below(3) as i32;
        if rng.chance(0.03) {
            let d = (1.0 + rng.below(8) as f64).min(c).min(100.0 - c);
            for rating in [c + d, c - d] {
                rows.push(RatingRow {
                    segment_id: s.id.clone(),
                    rating,
                    year,
                });
            }
        } else {
            rows.push(RatingRow {
                segment_id: s.id.clone(),
                rating: c,
                year,
            });
        }
    }
    rows
}
