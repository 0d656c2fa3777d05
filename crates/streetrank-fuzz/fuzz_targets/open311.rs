//! Open311 GeoReport v2 JSON complaints (a `.json` file; one starting with `{` goes to the
//! GeoJSON complaints reader, also covered). Must not panic. The first byte picks the lenient
//! mode and whether the streets' extent is known.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streetrank_fuzz::{on_error, scratch_file};
use streetrank_io::{ComplaintsOptions, Crs, read_complaints};

/// The extent of `streetrank generate`'s city (the seeds' city), for the swapped-axis check.
const EXTENT: [f64; 4] = [-76.234, 42.433, -76.198, 42.458];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let path = scratch_file("requests.json", text);
    let mut opts = ComplaintsOptions::new(Crs::epsg(32618));
    opts.on_error = on_error(flags);
    if flags & 0x80 == 0 {
        opts.streets_extent_lonlat = Some(EXTENT);
    }
    let _ = read_complaints(&path, &opts);
});
