//! Streets from CSV with a WKT column. Must not panic. The first byte picks the lenient mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streetrank_fuzz::{on_error, scratch_file};
use streetrank_io::{StreetsOptions, read_streets};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let path = scratch_file("streets.csv", text);
    let opts = StreetsOptions {
        on_error: on_error(flags),
        ..StreetsOptions::default()
    };
    let _ = read_streets(&path, &opts);
});
