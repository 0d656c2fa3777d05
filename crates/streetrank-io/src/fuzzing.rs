//! Entry points for the fuzz targets in `crates/streetrank-fuzz` (feature `fuzzing`): the
//! internal paths that the public readers choose between, so that a fuzz target can check
//! that they agree. Not part of the public API; may change at any time.

use std::path::Path;

use crate::{ComplaintsOptions, LoadedComplaints, LoadedStreets, Result, StreetsOptions};

/// The default block and piece sizes of the CSV complaint reader, in bytes.
pub const CSV_BLOCK_AND_PIECE: (usize, usize) =
    (crate::complaints::CSV_BLOCK, crate::complaints::CSV_PIECE);

/// Reads a streets GeoJSON file with the fast path (falling back to the streaming reader
/// where it must) and with the streaming reader alone.
///
/// Returns (fast answer, whether the fast path answered, streaming answer).
pub fn read_streets_geojson_both_ways(
    path: &Path,
    opts: &StreetsOptions,
) -> (Result<LoadedStreets>, bool, Result<LoadedStreets>) {
    crate::streets::read_geojson_both_ways(path, opts)
}

/// Reads a CSV complaint file with the reader that parses the whole file before checking it
/// (the reader of GeoJSON and Open311 files, the reference the streamed reader is held to),
/// with the block and piece sizes given (bytes; 0 is taken as 1).
///
/// # Errors
///
/// As [`crate::read_complaints`].
pub fn read_complaints_csv_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    crate::complaints::read_csv_in_blocks(path, opts, block, piece)
}

/// Reads a CSV file as [`crate::read_complaints`] does (the streamed reader,
/// [`crate::stream_complaints`], its batches gathered and the retracted complaints dropped),
/// with the block and piece sizes given.
///
/// # Errors
///
/// As [`crate::read_complaints`].
pub fn stream_complaints_csv_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    crate::complaints::gather_csv_in_blocks(path, opts, block, piece)
}
