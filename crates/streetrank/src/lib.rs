//! # streetrank
//!
//! The core engine of streetrank: street segments and complaints in a projected
//! metric coordinate system, an R-tree index that snaps each complaint to its
//! street, and a scoring model that ranks segments for repair.
//!
//! This crate knows no file format and does not depend on PROJ: an embedding
//! developer with projected data uses it directly. Readers, writers and CRS
//! handling live in `streetrank-io`.
//!
//! # Examples
//!
//! ```
//! use geo_types::{line_string, Point};
//! use streetrank::{Segment, SourceId, StreetIndex, SnapOptions, SnapOutcome};
//!
//! let streets = vec![
//!     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?,
//!     Segment::new(SourceId::from(2), line_string![(x: 0.0, y: 50.0), (x: 100.0, y: 50.0)])?,
//! ];
//! let index = StreetIndex::new(&streets);
//! let outcome = index.snap(Point::new(40.0, 10.0), &SnapOptions::default());
//! let SnapOutcome::Snapped(snap) = outcome else { panic!("expected a match") };
//! assert_eq!(streets[snap.segment].id, SourceId::from(1));
//! assert_eq!(snap.distance_m, 10.0);
//! # Ok::<(), streetrank::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod error;
mod grid;
mod hash;
mod hilbert;
mod id_text;
mod index;
mod label;
mod model;
mod score;
mod snap;

pub use config::{
    Cap, ConditionConfig, EquityConfig, PressureConfig, ScoreConfig, UsageConfig, Weights,
};
pub use error::Error;
pub use hash::{
    InputDigest, Sha256Writer, settings_document, settings_hash, sha256_hex, sha256_reader,
};
pub use id_text::IdText;
pub use index::StreetIndex;
pub use label::Label;
pub use model::{
    Complaint, PropertyValue, Segment, SegmentAttributes, SourceId, StreetNetwork, Timestamp,
};
pub use score::{
    FactorScore, PressurePoint, PressureTally, Ranking, ScoreInput, ScoreTotals, SegmentScore,
    pressure_tally, score, score_input, score_tallies,
};
#[doc(hidden)]
pub use snap::brute_force_snap;
pub use snap::{RunnerUp, Side, Snap, SnapOptions, SnapOutcome, UnmatchedReason};
