//! The file readers of `streetrank-io`, their results as numpy arrays and lists.

use std::path::PathBuf;

use numpy::IntoPyArray;
use numpy::ndarray::Array2;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use streetrank::{Complaint, PropertyValue, SourceId};
use streetrank_io::{
    ComplaintMapping, ComplaintsOptions, Crs, LoadReport, OnError, RunConfig, StreamedComplaints,
    StreetMapping, StreetsOptions,
};

use crate::convert::{TextCodes, coded_texts, ids_to_py, properties_to_py};
use crate::errors::{config_error, data_error, io_error};

/// The bad-record policy from its Python name.
pub fn on_error(name: &str) -> PyResult<OnError> {
    match name {
        "fail" => Ok(OnError::Fail),
        "skip" => Ok(OnError::Skip),
        other => Err(config_error(format!(
            "on_error={other:?}: expected \"fail\" or \"skip\""
        ))),
    }
}

/// Parses a CRS definition (`EPSG:NNNN`, WKT, PROJJSON).
pub fn crs(def: &str) -> PyResult<Crs> {
    Crs::parse(def).map_err(|e| io_error(&e))
}

fn mapping<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| config_error(format!("{what} mapping: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(|e| config_error(format!("serialising a setting: {e}")))
}

fn report<'py>(py: Python<'py>, r: &LoadReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("path", r.path.display().to_string())?;
    d.set_item("loaded", r.loaded)?;
    d.set_item("skipped", r.skipped.clone())?;
    d.set_item("notes", r.notes.clone())?;
    Ok(d)
}

/// `(n, 2)` array from coordinates.
fn coord_array<'py>(
    py: Python<'py>,
    xy: impl Iterator<Item = (f64, f64)>,
) -> PyResult<Bound<'py, PyAny>> {
    let flat: Vec<f64> = xy.flat_map(|(x, y)| [x, y]).collect();
    let n = flat.len() / 2;
    let a = Array2::from_shape_vec((n, 2), flat)
        .map_err(|e| config_error(format!("coordinate array: {e}")))?;
    Ok(a.into_pyarray(py).into_any())
}

/// Reads a street file; returns its columns as arrays and lists, in the working CRS. Text ids
/// come as Arrow buffers when `text_ids_as_buffers` ([`ids_to_py`]).
#[pyfunction]
#[pyo3(signature = (path, mapping_json, on_error_name, work_crs=None, text_ids_as_buffers=false))]
pub fn read_streets<'py>(
    py: Python<'py>,
    path: PathBuf,
    mapping_json: &str,
    on_error_name: &str,
    work_crs: Option<&str>,
    text_ids_as_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = StreetsOptions {
        mapping: mapping::<StreetMapping>(mapping_json, "streets")?,
        on_error: on_error(on_error_name)?,
        work_crs: work_crs.map(crs).transpose()?,
    };
    let loaded = py
        .detach(|| streetrank_io::read_streets(&path, &opts))
        .map_err(|e| io_error(&e))?;
    let segs = &loaded.network.segments;
    let d = PyDict::new(py);
    d.set_item(
        "ids",
        ids_to_py(py, segs.iter().map(|s| &s.id), text_ids_as_buffers)?,
    )?;
    d.set_item(
        "coords",
        coord_array(
            py,
            segs.iter()
                .flat_map(|s| s.geometry.0.iter().map(|c| (c.x, c.y))),
        )?,
    )?;
    let mut offsets = Vec::with_capacity(segs.len() + 1);
    let mut at = 0_i64;
    offsets.push(at);
    for s in segs {
        at += i64::try_from(s.geometry.0.len()).unwrap_or(i64::MAX);
        offsets.push(at);
    }
    d.set_item("offsets", offsets.into_pyarray(py))?;
    let nan = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let attrs = segs.iter().map(|s| &s.attributes);
    d.set_item(
        "road_class",
        coded_texts(py, attrs.clone().map(|a| a.road_class.as_deref()))?,
    )?;
    let v: Vec<f64> = attrs.clone().map(|a| nan(a.condition)).collect();
    d.set_item("condition", v.into_pyarray(py))?;
    let v: Vec<f64> = attrs.clone().map(|a| nan(a.aadt)).collect();
    d.set_item("aadt", v.into_pyarray(py))?;
    let v: Vec<f64> = attrs.clone().map(|a| nan(a.width_m)).collect();
    d.set_item("width_m", v.into_pyarray(py))?;
    let v: Vec<f64> = attrs
        .clone()
        .map(|a| a.lanes.map_or(f64::NAN, f64::from))
        .collect();
    d.set_item("lanes", v.into_pyarray(py))?;
    d.set_item(
        "district",
        coded_texts(py, attrs.map(|a| a.district.as_deref()))?,
    )?;
    d.set_item(
        "properties",
        properties_to_py(
            py,
            &loaded.network.property_names,
            segs.iter().map(|s| s.properties.as_slice()),
        )?,
    )?;
    d.set_item("work_crs", loaded.work_crs.definition())?;
    d.set_item("work_crs_label", loaded.work_crs.label())?;
    d.set_item("source_crs", loaded.source_crs.label())?;
    d.set_item("extent_lonlat", loaded.extent_lonlat.to_vec())?;
    d.set_item("sha256", &loaded.sha256)?;
    d.set_item("mapping", to_json(&opts.mapping)?)?;
    d.set_item("report", report(py, &loaded.report)?)?;
    Ok(d)
}

/// Reads a complaints file into `work_crs`; returns its columns as arrays and lists. Text ids
/// come as Arrow buffers when `text_ids_as_buffers` ([`ids_to_py`]).
#[pyfunction]
#[pyo3(signature = (path, mapping_json, on_error_name, work_crs, extent_lonlat=None, far_km=streetrank_io::DEFAULT_FAR_KM, text_ids_as_buffers=false))]
#[allow(clippy::too_many_arguments)] // the Python signature: keyword arguments with defaults
pub fn read_complaints<'py>(
    py: Python<'py>,
    path: PathBuf,
    mapping_json: &str,
    on_error_name: &str,
    work_crs: &str,
    extent_lonlat: Option<[f64; 4]>,
    far_km: f64,
    text_ids_as_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = ComplaintsOptions {
        mapping: mapping::<ComplaintMapping>(mapping_json, "complaints")?,
        on_error: on_error(on_error_name)?,
        work_crs: crs(work_crs)?,
        streets_extent_lonlat: extent_lonlat,
        far_km,
    };
    let keep = !opts.mapping.keep.is_empty();
    let (loaded, columns) = py
        .detach(|| {
            let mut columns = ComplaintColumns::default();
            let streamed = streetrank_io::stream_complaints(&path, &opts, &mut |batch| {
                columns.add(batch, keep);
            })?;
            columns.drop_retracted(&streamed);
            Ok::<_, streetrank_io::Error>((streamed.file, columns))
        })
        .map_err(|e| io_error(&e))?;
    let d = PyDict::new(py);
    d.set_item(
        "ids",
        ids_to_py(py, columns.ids.iter(), text_ids_as_buffers)?,
    )?;
    let n = columns.xy.len();
    let xy = Array2::from_shape_vec((n, 2), columns.xy.into_flattened())
        .map_err(|e| data_error(format!("complaint coordinates: {e}")))?;
    d.set_item("coords", xy.into_pyarray(py))?;
    // numpy's NaT is i64::MIN, so the array views as datetime64[s] with NaT for missing.
    d.set_item("created", columns.created.into_pyarray(py))?;
    d.set_item("category", columns.category.into_py(py)?)?;
    d.set_item("status", columns.status.into_py(py)?)?;
    d.set_item(
        "properties",
        properties_to_py(
            py,
            &loaded.property_names,
            columns.properties.iter().map(|p| &**p),
        )?,
    )?;
    d.set_item("source_crs", loaded.source_crs.label())?;
    d.set_item("swapped", loaded.swapped)?;
    d.set_item("far_away", loaded.far_away)?;
    d.set_item("sha256", &loaded.sha256)?;
    d.set_item("mapping", to_json(&opts.mapping)?)?;
    d.set_item("report", report(py, &loaded.report)?)?;
    Ok(d)
}

/// A complaint file's columns, gathered batch by batch as the reader hands the complaints on
/// ([`streetrank_io::stream_complaints`]): the file's complaints are never all in memory at
/// once, only what Python gets of them.
#[derive(Default)]
struct ComplaintColumns {
    ids: Vec<SourceId>,
    xy: Vec<[f64; 2]>,
    created: Vec<i64>,
    category: TextCodes,
    status: TextCodes,
    /// Each complaint's kept columns (none gathered when nothing is kept).
    properties: Vec<Box<[PropertyValue]>>,
}

impl ComplaintColumns {
    fn add(&mut self, batch: Vec<Complaint>, keep: bool) {
        self.category
            .extend(batch.iter().map(|c| c.category.as_deref()));
        self.status
            .extend(batch.iter().map(|c| c.status.as_deref()));
        self.xy
            .extend(batch.iter().map(|c| [c.point.x(), c.point.y()]));
        self.created
            .extend(batch.iter().map(|c| c.created.map_or(i64::MIN, |t| t.0)));
        self.ids.reserve(batch.len());
        for c in batch {
            self.ids.push(c.id);
            if keep {
                self.properties.push(c.properties);
            }
        }
    }

    /// Drops the complaints the reader retracted from every column.
    fn drop_retracted(&mut self, streamed: &StreamedComplaints) {
        streamed.drop_retracted(&mut self.ids);
        streamed.drop_retracted(&mut self.xy);
        streamed.drop_retracted(&mut self.created);
        self.category.drop_retracted(streamed);
        self.status.drop_retracted(streamed);
        streamed.drop_retracted(&mut self.properties);
    }
}

/// Checks a column mapping (`kind` is `"streets"`, `"complaints"` or `"ratings"`) and returns it
/// normalised as JSON.
#[pyfunction]
pub fn parse_mapping(kind: &str, mapping_json: &str) -> PyResult<String> {
    match kind {
        "streets" => to_json(&mapping::<StreetMapping>(mapping_json, kind)?),
        "complaints" => to_json(&mapping::<ComplaintMapping>(mapping_json, kind)?),
        "ratings" => to_json(&mapping::<streetrank_io::RatingsMapping>(
            mapping_json,
            kind,
        )?),
        other => Err(config_error(format!("unknown mapping kind {other:?}"))),
    }
}

/// A run configuration from a TOML file or from JSON (the same schema), as normalised JSON.
#[pyfunction]
#[pyo3(signature = (path=None, json=None))]
pub fn load_config(path: Option<PathBuf>, json: Option<&str>) -> PyResult<String> {
    let cfg = match (path, json) {
        (Some(p), _) => streetrank_io::read_config(&p).map_err(|e| io_error(&e))?,
        (None, Some(j)) => run_config(j)?,
        (None, None) => RunConfig::default(),
    };
    to_json(&cfg)
}

/// Parses a run configuration from JSON.
pub fn run_config(json: &str) -> PyResult<RunConfig> {
    serde_json::from_str(json).map_err(|e| config_error(format!("config: {e}")))
}
