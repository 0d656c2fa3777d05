//! `streetrank._streetrank`: the Python extension of streetrank.
//!
//! Glue only: it converts numpy arrays and Python values to the core model, calls `streetrank` and
//! `streetrank-io` with the GIL released, and converts the results back to numpy arrays. Every
//! decision (readers, CRS choice, snapping, scoring, the output columns) is made by those crates,
//! so the Python package and the CLI give identical results by construction. The public Python
//! API (GeoDataFrames in and out) lives in `python/streetrank/`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
// pyo3 extracts `#[pyfunction]` arguments by value (arrays, paths): the lint cannot apply there.
#![allow(clippy::needless_pass_by_value)]

mod convert;
mod dask;
mod errors;
mod index;
mod plan;
mod readers;
mod scoring;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _streetrank(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("StreetrankError", py.get_type::<errors::StreetrankError>())?;
    m.add("CRSError", py.get_type::<errors::CRSError>())?;
    m.add("InputError", py.get_type::<errors::InputError>())?;
    m.add("DataError", py.get_type::<errors::DataError>())?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add_class::<index::StreetIndex>()?;
    m.add_function(wrap_pyfunction!(readers::read_streets, m)?)?;
    m.add_function(wrap_pyfunction!(readers::read_complaints, m)?)?;
    m.add_function(wrap_pyfunction!(readers::parse_mapping, m)?)?;
    m.add_function(wrap_pyfunction!(readers::load_config, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::score, m)?)?;
    m.add_function(wrap_pyfunction!(plan::plan, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::looks_personal, m)?)?;
    m.add_function(wrap_pyfunction!(scoring::per_complaint_refusal, m)?)?;
    m.add_function(wrap_pyfunction!(dask::project_streets, m)?)?;
    m.add_function(wrap_pyfunction!(dask::project_points, m)?)?;
    m.add_function(wrap_pyfunction!(dask::check_complaint, m)?)?;
    m.add_function(wrap_pyfunction!(dask::unmatched_reasons, m)?)?;
    m.add_function(wrap_pyfunction!(dask::resolve_as_of, m)?)?;
    m.add_function(wrap_pyfunction!(dask::tally_segments, m)?)?;
    m.add_function(wrap_pyfunction!(dask::score_tallies, m)?)?;
    Ok(())
}
