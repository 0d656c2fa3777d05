//! Complaints CSV (the block-parallel reader): the answer (complaints, report, hash or error)
//! must not depend on the block and piece sizes, nor on whether the file is read whole or
//! streamed batch by batch (what `streetrank score` does); must not panic. The first byte picks the
//! lenient mode, the second the small block and piece sizes compared with the defaults.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streetrank_fuzz::{on_error, scratch_file};
use streetrank_io::fuzzing::{
    CSV_BLOCK_AND_PIECE, read_complaints_csv_in_blocks, stream_complaints_csv_in_blocks,
};
use streetrank_io::{ComplaintsOptions, Crs};

/// The extent of `streetrank generate`'s city (the seeds' city), for the swapped-axis check.
const EXTENT: [f64; 4] = [-76.234, 42.433, -76.198, 42.458];

fuzz_target!(|data: &[u8]| {
    let [flags, sizes, text @ ..] = data else {
        return;
    };
    let path = scratch_file("complaints.csv", text);
    let mut opts = ComplaintsOptions::new(Crs::epsg(32618));
    opts.on_error = on_error(*flags);
    if flags & 0x80 == 0 {
        opts.streets_extent_lonlat = Some(EXTENT);
    }
    let (block, piece) = CSV_BLOCK_AND_PIECE;
    let want = format!(
        "{:?}",
        read_complaints_csv_in_blocks(&path, &opts, block, piece)
    );
    let small_block = 1 + usize::from(sizes & 0x1f);
    let small_piece = 1 + usize::from(sizes >> 5);
    let got = format!(
        "{:?}",
        read_complaints_csv_in_blocks(&path, &opts, small_block, small_piece)
    );
    assert_eq!(
        got, want,
        "block {small_block}, piece {small_piece} differ from the default sizes"
    );
    let streamed = format!(
        "{:?}",
        stream_complaints_csv_in_blocks(&path, &opts, small_block, small_piece)
    );
    assert_eq!(
        streamed, want,
        "streamed in blocks of {small_block}, pieces of {small_piece}: differs from whole-file reading"
    );
});
