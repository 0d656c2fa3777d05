//! Streets GeoJSON: the fast path and the streaming reader must give the same answer (the same
//! streets, or the same error); neither may panic. The first byte picks the lenient mode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streetrank_fuzz::{on_error, scratch_file};
use streetrank_io::StreetsOptions;
use streetrank_io::fuzzing::read_streets_geojson_both_ways;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else {
        return;
    };
    let path = scratch_file("streets.geojson", text);
    let opts = StreetsOptions {
        on_error: on_error(flags),
        ..StreetsOptions::default()
    };
    let (fast, answered, slow) = read_streets_geojson_both_ways(&path, &opts);
    if answered {
        assert_eq!(
            format!("{fast:?}"),
            format!("{slow:?}"),
            "the fast path and the streaming reader disagree"
        );
    }
});
