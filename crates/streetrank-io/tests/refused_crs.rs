//! A CRS definition PROJ refuses, asked about again and again (found by the `config` and
//! `shapefile` fuzz targets, which ran out of memory): the same error every time, and memory
//! that does not grow with the number of asks. The `proj` crate leaks a PROJ context (about
//! 190 KB) per refused definition, so streetrank-io asks PROJ only once per definition.
//! In a file of its own: the memory figure must not see other tests' allocations.
#![allow(clippy::unwrap_used)] // tests may unwrap

use streetrank_io::{Crs, parse_config};

/// Resident set size of this process, in bytes (Linux).
#[cfg(target_os = "linux")]
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn a_refused_definition_gives_the_same_error_and_does_not_grow_memory() {
    let bad = "MY_CITY_GRID_1987 (ask Bob)";
    let first = Crs::parse(bad).unwrap_err().to_string();
    assert!(first.contains("MY_CITY_GRID_1987"), "{first}");
    let config = "work_crs = \"MY_CITY_GRID_1987 (ask Bob)\"\n";
    let from_config = parse_config(config, "run.toml").unwrap_err().to_string();
    #[cfg(target_os = "linux")]
    let before = rss_bytes();
    for _ in 0..500 {
        assert_eq!(Crs::parse(bad).unwrap_err().to_string(), first);
        assert_eq!(
            parse_config(config, "run.toml").unwrap_err().to_string(),
            from_config
        );
    }
    // 1,000 refusals leaked ~190 MB before; allow 20 MB of allocator noise.
    #[cfg(target_os = "linux")]
    {
        let grown = rss_bytes().saturating_sub(before);
        assert!(grown < 20 << 20, "RSS grew by {grown} bytes");
    }
}
