//! Shapefile streets: one input is cut into .shp, .shx and .dbf (see `split_parts`); flag bits
//! say which of .shx, .dbf and .prj exist, the lenient mode, and which .prj: one of eight, real
//! ones and refused ones. Must not panic.
//!
//! Why a menu of .prj texts rather than the input's bytes: PROJ parses the .prj (C++, not
//! instrumented, so libFuzzer learns nothing there), and the `proj` crate (0.31) leaks a PROJ
//! context (~190 KB) for every distinct definition PROJ refuses, which ran this fuzzer out of
//! memory in minutes; see docs/fuzzing.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streetrank_fuzz::{on_error, remove_scratch, scratch_file, split_parts};
use streetrank_io::{StreetsOptions, read_streets};

const PRJ: [&str; 8] = [
    r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
    r#"GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
    r#"PROJCS["NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet",GEOGCS["GCS_North_American_1983",DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",820208.3333333333],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-76.58333333333333],PARAMETER["Scale_Factor",0.9999375],PARAMETER["Latitude_Of_Origin",40.0],UNIT["Foot_US",0.3048006096012192]]"#,
    r#"PROJCS["WGS_1984_UTM_Zone_18N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",-75.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
    "",
    "MY_CITY_GRID_1987 (ask Bob)\n",
    r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_19"#,
    "\u{feff}EPSG:2261",
];

fuzz_target!(|data: &[u8]| {
    let (flags, parts) = split_parts(data, 3);
    let path = scratch_file("streets.shp", parts[0]);
    let prj = PRJ[usize::from(flags >> 5) % PRJ.len()].as_bytes();
    for (bit, ext, bytes) in [(1, "shx", parts[1]), (2, "dbf", parts[2]), (4, "prj", prj)] {
        let name = format!("streets.{ext}");
        if flags & bit == 0 {
            remove_scratch(&name);
        } else {
            scratch_file(&name, bytes);
        }
    }
    let opts = StreetsOptions {
        on_error: on_error((flags >> 3) & 3),
        ..StreetsOptions::default()
    };
    let _ = read_streets(&path, &opts);
});
