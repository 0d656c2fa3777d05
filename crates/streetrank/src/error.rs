//! The error type of the core engine.

use crate::model::SourceId;

/// Everything the core engine can refuse.
///
/// Each variant names the record it is about; readers in `streetrank-io` add
/// the file and row on top.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A segment's geometry has fewer than two points.
    ///
    /// Fix: drop the record, or repair it in the source GIS.
    #[error(
        "segment {id}: geometry is empty or has a single point; a street needs at least two distinct points"
    )]
    EmptyGeometry {
        /// The segment's source id.
        id: SourceId,
    },
    /// A segment has zero length (all its points are the same).
    ///
    /// Fix: drop the record; a zero-length street cannot be snapped to or scored per metre.
    #[error("segment {id}: geometry has zero length (all points coincide)")]
    ZeroLength {
        /// The segment's source id.
        id: SourceId,
    },
    /// A coordinate is NaN or infinite.
    ///
    /// Fix: check the source's coordinate columns and its CRS.
    #[error("{what} {id}: coordinate {index} is not a finite number ({x}, {y})")]
    NonFiniteCoordinate {
        /// `"segment"` or `"complaint"`.
        what: &'static str,
        /// The record's source id.
        id: SourceId,
        /// Position of the bad coordinate within the geometry (0 for a point).
        index: usize,
        /// The x value as read.
        x: f64,
        /// The y value as read.
        y: f64,
    },
    /// Two segments share one source id.
    ///
    /// Fix: segment ids must be unique; deduplicate the street file or map another id column.
    #[error(
        "segment id {id} appears more than once (records {first} and {second}); segment ids must be unique"
    )]
    DuplicateSegmentId {
        /// The repeated id.
        id: SourceId,
        /// Position of the first record with it.
        first: usize,
        /// Position of the second record with it.
        second: usize,
    },
    /// A configuration value is out of its allowed range.
    ///
    /// Fix: correct the named setting in the config file or flag.
    #[error("invalid setting `{setting}`: {message}")]
    InvalidConfig {
        /// Dotted name of the setting, as in the TOML config (`snap.max_distance_m`).
        setting: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Inputs that should fit together do not: the complaint-to-segment
    /// assignments have another length than the complaints, name a segment
    /// the network does not have, or a segment's `length_m` is not a positive
    /// finite number.
    ///
    /// Fix: pass the assignments made by snapping these complaints to this
    /// network, in complaint order, and build segments with `Segment::new`.
    #[error("inputs do not fit together: {message}")]
    MismatchedInput {
        /// What does not fit, naming the record.
        message: String,
    },
}
