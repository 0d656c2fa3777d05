//! # streetrank-io
//!
//! Readers and writers for streetrank, and coordinate reference systems.
//!
//! Streets come from ESRI Shapefiles (also inside a `.zip`), GeoJSON and CSV
//! with a WKT column; complaints from CSV with lon/lat or x/y columns (Socrata
//! exports), GeoJSON and Open311 GeoReport v2 JSON; condition ratings from CSV
//! tables keyed by segment id. Everything is projected with PROJ into one
//! metric CRS before it reaches the core engine.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod error;
mod report;

pub use error::{Error, Result};
pub use report::{LoadReport, OnError, SKIP_EXAMPLES};
