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

/// Reads a CSV complaint file as [`crate::read_complaints`] does, with the block and piece
/// sizes given (bytes; 0 is taken as 1).
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

/// Reads a CSV file with the streamed reader ([`crate::stream_complaints`]) with the block
/// and piece sizes given, and returns what [`crate::read_complaints`] would: the complaints
/// handed on minus the retracted ones, in the file's [`LoadedComplaints`].
///
/// # Errors
///
/// As [`crate::stream_complaints`].
pub fn stream_complaints_csv_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    let mut all = Vec::new();
    let streamed = crate::complaints::stream_csv_in_blocks(
        path,
        opts,
        &mut |batch| all.extend(batch),
        block,
        piece,
    )?;
    assert_eq!(streamed.delivered, all.len(), "complaints handed on");
    let mut k = 0;
    all.retain(|_| {
        k += 1;
        streamed.retracted.binary_search(&(k - 1)).is_err()
    });
    let mut file = streamed.file;
    file.complaints = all;
    Ok(file)
}
