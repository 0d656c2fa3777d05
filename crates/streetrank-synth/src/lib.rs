//! # streetrank-synth
//!
//! A seeded generator of synthetic cities for streetrank's fixtures, tests and
//! benchmarks: a street network, 311-style complaints clustered on streets in
//! bad condition, and a pavement-ratings table, plus writers for GeoJSON and
//! CSV.
//!
//! The city is fictional. It lies in New York State, in WGS 84 / UTM zone 18N
//! ([`CRS_EPSG`] = 32618) around easting 400,000 m, northing 4,700,000 m
//! ([`CITY_CENTER`]), about 76.2° W, 42.4° N.
//!
//! The data are valid (strict readers accept them) but have the quirks of real
//! exports: repeated reports of one spot, undated rows, far outliers, points
//! exactly on a centerline, segments rated twice. See [`complaints`] and
//! [`ratings`].
//!
//! Output is deterministic: the same [`CityOptions`] give the same bytes on
//! every platform. The generator has its own SplitMix64 generator and computes
//! geometry with IEEE-exact operations only (`+ − × ÷ sqrt floor round`; no
//! `sin`, `cos`, `ln` or `exp`, whose last bits can differ between libms), and
//! never iterates a hash map.
//!
//! | preset | segments | complaints |
//! |---|---|---|
//! | `small` (default) | 2,000 | 20,000 |
//! | `city` | 100,000 | 1,000,000 |
//! | `metro` | 1,000,000 | 10,000,000 |
//!
//! # Examples
//!
//! ```
//! use streetrank_synth::{CityOptions, complaints, generate_city, ratings};
//!
//! let opts = CityOptions::preset("small").unwrap().seed(7);
//! let city = generate_city(&opts);
//! assert_eq!(city.network.segments.len(), 2_000);
//! assert_eq!(complaints(&city, &opts).count(), 20_000);
//! assert!(ratings(&city).len() > 1_700);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod city;
mod complaints;
mod geom;
mod options;
mod ratings;
mod rng;
mod write;

pub use city::{CITY_CENTER, CRS_EPSG, City, Hotspot, RoadClass, generate_city};
pub use complaints::{
    CATEGORIES, ComplaintIter, LabeledComplaint, Placement, complaints, labeled_complaints,
};
pub use geom::distance_to_line;
pub use options::CityOptions;
pub use ratings::{RatingRow, ratings};
pub use write::{write_complaints_csv, write_ratings_csv, write_streets_geojson};

#[cfg(test)]
mod tests;
