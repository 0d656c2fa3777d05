//! Conversions between Python values / numpy arrays and the core model. No decisions here.

use std::collections::HashMap;

use geo_types::{Coord, LineString};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use streetrank::{PropertyValue, SourceId};
use streetrank_io::{ColumnType, FeatureTable};

use crate::errors::data_error;

/// A 1-D array as a slice (Python passes contiguous arrays).
pub fn slice1<'a, T: numpy::Element>(
    a: &'a PyReadonlyArray1<'_, T>,
    what: &str,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| data_error(format!("{what}: expected a contiguous 1-D array")))
}

/// An `(n, 2)` C-contiguous coordinate array as coordinates.
pub fn coords(a: &PyReadonlyArray2<'_, f64>, what: &str) -> PyResult<Vec<Coord<f64>>> {
    let shape = a.shape();
    if shape.len() != 2 || shape[1] != 2 {
        return Err(data_error(format!(
            "{what}: expected an (n, 2) coordinate array, got shape {shape:?}"
        )));
    }
    let flat = a
        .as_slice()
        .map_err(|_| data_error(format!("{what}: expected a C-contiguous (n, 2) array")))?;
    Ok(flat
        .chunks_exact(2)
        .map(|c| Coord { x: c[0], y: c[1] })
        .collect())
}

/// Lines from flat coordinates and `shapely.to_ragged_array` offsets (`m + 1` of them).
pub fn lines(all: &[Coord<f64>], offsets: &[i64]) -> PyResult<Vec<LineString<f64>>> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (a, b) = (usize::try_from(w[0]), usize::try_from(w[1]));
        let part = match (a, b) {
            (Ok(a), Ok(b)) if a <= b => all.get(a..b),
            _ => None,
        };
        let Some(part) = part else {
            return Err(data_error(format!(
                "line offsets {}..{} do not fit {} coordinates",
                w[0],
                w[1],
                all.len()
            )));
        };
        out.push(LineString::new(part.to_vec()));
    }
    Ok(out)
}

/// Ids from a Python sequence of `int` or `str`.
pub fn ids(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<SourceId>> {
    let mut out = Vec::with_capacity(seq.len().unwrap_or(0));
    for item in seq.try_iter()? {
        let item = item?;
        if let Ok(s) = item.cast::<PyString>() {
            out.push(SourceId::from(&*s.to_cow()?));
        } else if let Ok(i) = item.extract::<i64>() {
            out.push(SourceId::Int(i));
        } else {
            return Err(data_error(format!(
                "{what}: ids must be integers or strings, got {}",
                item.repr()?
            )));
        }
    }
    Ok(out)
}

/// Texts given as `(codes, values)`, what the Python side makes of a column (`_coded_column`):
/// `values` the distinct texts, `codes` an int64 array of each row's place in them, -1 for
/// missing. Each distinct text becomes one `T`, cloned per row: `Arc<str>` rows share it, so a
/// million complaints hold a few category allocations (as the file readers give), and no
/// Python string is made per row on either side.
pub fn coded_texts_in<T: for<'t> From<&'t str> + Clone>(
    coded: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Vec<Option<T>>> {
    let (codes, values): (PyReadonlyArray1<'_, i64>, Vec<String>) =
        coded.extract().map_err(|e| {
            PyTypeError::new_err(format!(
                "{what}: expected (int64 codes, list of str), got {} ({e})",
                coded.repr().map_or_else(|_| "?".into(), |r| r.to_string())
            ))
        })?;
    let values: Vec<T> = values.iter().map(|v| T::from(v.as_str())).collect();
    slice1(&codes, what)?
        .iter()
        .map(|&c| match c {
            -1 => Ok(None),
            _ => usize::try_from(c)
                .ok()
                .and_then(|i| values.get(i))
                .map(|v| Some(v.clone()))
                .ok_or_else(|| {
                    data_error(format!(
                        "{what}: code {c} is not -1 or the place of one of {} values",
                        values.len()
                    ))
                }),
        })
        .collect()
}

/// Texts as `(codes, values)`: `values` the distinct texts in the order first met, `codes` an
/// int64 array of each text's place in `values` (-1 for missing). A million complaints'
/// categories cross into Python as a few strings, not a million.
pub fn coded_texts<'a, 'py>(
    py: Python<'py>,
    texts: impl Iterator<Item = Option<&'a str>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut places: HashMap<&'a str, i64> = HashMap::new();
    let mut values: Vec<&'a str> = Vec::new();
    // Neighbours often repeat a text (and share its allocation): compared by address first.
    let mut last: Option<(*const u8, usize, i64)> = None;
    let codes: Vec<i64> = texts
        .map(|t| {
            let Some(t) = t else { return -1 };
            if let Some((ptr, len, code)) = last
                && std::ptr::eq(ptr, t.as_ptr())
                && len == t.len()
            {
                return code;
            }
            let next = i64::try_from(values.len()).unwrap_or(i64::MAX);
            let code = *places.entry(t).or_insert_with(|| {
                values.push(t);
                next
            });
            last = Some((t.as_ptr(), t.len(), code));
            code
        })
        .collect();
    (codes.into_pyarray(py), values).into_pyobject(py)
}

/// A NaN-for-missing float.
pub fn opt_f64(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// One id as a Python object.
pub fn id_to_py<'py>(py: Python<'py>, id: &SourceId) -> PyResult<Bound<'py, PyAny>> {
    Ok(match id {
        SourceId::Int(i) => i.into_pyobject(py)?.into_any(),
        SourceId::Text(s) => s.as_str().into_pyobject(py)?.into_any(),
    })
}

/// Ids as a Python list.
pub fn ids_to_py<'a, 'py>(
    py: Python<'py>,
    ids: impl Iterator<Item = &'a SourceId>,
) -> PyResult<Bound<'py, PyList>> {
    let items = ids
        .map(|id| id_to_py(py, id))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// One cell as a Python object (`None` for null).
pub fn value_to_py<'py>(py: Python<'py>, v: &PropertyValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        PropertyValue::Null => py.None().into_bound(py),
        PropertyValue::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        PropertyValue::Int(i) => i.into_pyobject(py)?.into_any(),
        PropertyValue::Float(x) => x.into_pyobject(py)?.into_any(),
        PropertyValue::Text(s) => s.into_pyobject(py)?.into_any(),
    })
}

/// One column of cells: a numpy array for complete numeric and boolean columns (floats keep NaN
/// for null), otherwise a list of Python values with `None` for null.
pub fn column_to_py<'py>(
    py: Python<'py>,
    ty: ColumnType,
    cells: &[&PropertyValue],
) -> PyResult<Bound<'py, PyAny>> {
    let complete = cells.iter().all(|v| !matches!(v, PropertyValue::Null));
    match ty {
        ColumnType::Float => {
            let mut out = Vec::with_capacity(cells.len());
            for v in cells {
                out.push(match v {
                    PropertyValue::Float(x) => *x,
                    #[allow(clippy::cast_precision_loss)]
                    PropertyValue::Int(i) => *i as f64,
                    _ => f64::NAN,
                });
            }
            Ok(out.into_pyarray(py).into_any())
        }
        ColumnType::Int if complete && cells.iter().all(|v| matches!(v, PropertyValue::Int(_))) => {
            let out: Vec<i64> = cells
                .iter()
                .map(|v| if let PropertyValue::Int(i) = v { *i } else { 0 })
                .collect();
            Ok(out.into_pyarray(py).into_any())
        }
        ColumnType::Bool
            if complete && cells.iter().all(|v| matches!(v, PropertyValue::Bool(_))) =>
        {
            let out: Vec<bool> = cells
                .iter()
                .map(|v| matches!(v, PropertyValue::Bool(true)))
                .collect();
            Ok(out.into_pyarray(py).into_any())
        }
        _ => {
            let items = cells
                .iter()
                .map(|v| value_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
    }
}

/// A feature table's columns (not its geometry) as `{name: array or list}`, in column order.
pub fn table_to_py<'py>(py: Python<'py>, table: &FeatureTable) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let null = PropertyValue::Null;
    for (k, col) in table.columns.iter().enumerate() {
        let cells: Vec<&PropertyValue> = table
            .rows
            .iter()
            .map(|r| r.get(k).unwrap_or(&null))
            .collect();
        out.set_item(&col.name, column_to_py(py, col.ty, &cells)?)?;
    }
    Ok(out)
}

/// Pass-through properties as `{name: list}`.
pub fn properties_to_py<'py, 'a>(
    py: Python<'py>,
    names: &[String],
    rows: impl Iterator<Item = &'a [PropertyValue]> + Clone,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    let null = PropertyValue::Null;
    for (k, name) in names.iter().enumerate() {
        let items = rows
            .clone()
            .map(|r| value_to_py(py, r.get(k).unwrap_or(&null)))
            .collect::<PyResult<Vec<_>>>()?;
        out.set_item(name, PyList::new(py, items)?)?;
    }
    Ok(out)
}
