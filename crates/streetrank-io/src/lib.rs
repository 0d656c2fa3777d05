//! # streetrank-io
//!
//! Readers and writers for streetrank, and coordinate reference systems.
//!
//! Streets come from ESRI Shapefiles (also inside a `.zip`), GeoJSON and CSV
//! with a WKT column; complaints from CSV with lon/lat or x/y columns (Socrata
//! exports), GeoJSON and Open311 GeoReport v2 JSON; condition ratings from CSV
//! tables keyed by segment id. Everything is projected with PROJ into one
//! metric CRS before it reaches the core engine.
//!
//! ## Features
//!
//! - `bundled-proj` (default): compiles PROJ 9.6.2 from source (cmake, a C++
//!   compiler and the sqlite3 tool needed; minutes on 2 cores) and links it
//!   statically, so binaries need no PROJ installed. Without it, a PROJ of at
//!   least 9.6.2 found by pkg-config is linked (`PROJ_STATIC=1` for a static
//!   `libproj.a`), and PROJ is compiled from source only when none is found.
#![deny(missing_docs)]
// Unsafe code only in `memory`: one system call, measured (see there).
#![deny(unsafe_code)]

mod archive;
mod complaints;
mod config;
mod crs;
mod dates;
mod digest;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod lonlat;
mod mapping;
mod memory;
mod plan;
mod privacy;
mod ratings;
mod report;
mod run;
mod streets;
mod tables;
#[cfg(test)]
mod testing;
mod write;

pub use complaints::{
    AXIS_CHECK_PAD_KM, AxisSwapEvidence, AxisVerdict, ComplaintMapping, ComplaintsOptions,
    DEFAULT_FAR_KM, LoadedComplaints, StreamedComplaints, detect_axis_swap, read_complaints,
    stream_complaints,
};
pub use config::{RunConfig, SnapSection, parse_config, read_config};
pub use crs::{Crs, Transform, area_of_use_lonlat, choose_work_crs, transform_parallel, utm_for};
pub use dates::{ACCEPTED_DATE_FORMATS, parse_timestamp, timestamp_from_epoch_millis};
pub use digest::digest_file;
pub use error::{Error, Result};
pub use lonlat::LonLatLines;
pub use mapping::{detect_column, find_column, source_id_from_text};
pub use plan::{
    FRONTIER_LEVELS, MapColour, PlanRun, fit_ratings_history, plan_report_html, plan_summary,
    plan_table, plan_table_for, read_rating_history, run_plan,
};
pub use privacy::{
    ColumnRole, DEFAULT_MIN_COUNT, PERSONAL_SAMPLE, PersonalColumn, PrivacySection, Profile,
    SUPPRESSED_COLUMNS, is_small_count, looks_personal, personal_columns, small_count_segments,
    suppress_small_counts,
};
pub use ratings::{Aggregate, Ratings, RatingsMapping, apply_ratings, read_ratings};
pub use report::{LoadReport, OnError, SKIP_EXAMPLES, thousands};
pub use run::{check_ids_across, input_digest, merge_complaints, run_config_digest};
pub use streets::{LoadedStreets, StreetMapping, StreetsOptions, read_streets};
pub use tables::{
    AssignmentsTable, RankingTable, assignments_table, check_kept_columns, ranking_table,
    ranking_table_for, unmatched_reason_text,
};
pub use write::{
    Column, ColumnType, CsvGeometry, Destination, FeatureTable, Format, GeometryRef, Manifest,
    ManifestColumn, ManifestInput, Table, WriteOptions, WriteReport, prefetched, write_csv,
    write_file_atomically, write_geojson, write_shapefile, write_table,
};
