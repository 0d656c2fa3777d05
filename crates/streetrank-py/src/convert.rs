//! Conversions between Python values / numpy arrays and the core model. No decisions here.

use std::collections::HashMap;

use geo_types::Coord;
use numpy::ndarray::ArrayView1;
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};
use rayon::prelude::*;
use streetrank::{PropertyValue, SourceId};
use streetrank_io::{ColumnType, StreamedComplaints, Table};

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

/// Coordinates from `x` and `y` arrays of one length (any strides: a column sliced out of an
/// `(n, 2)` array is one), read at once when both are contiguous.
pub fn xy_coords(x: ArrayView1<'_, f64>, y: ArrayView1<'_, f64>) -> Vec<Coord<f64>> {
    let coord = |(&x, &y): (&f64, &f64)| Coord { x, y };
    match (x.as_slice(), y.as_slice()) {
        (Some(xs), Some(ys)) => xs.iter().zip(ys).map(coord).collect(),
        _ => x.iter().zip(y.iter()).map(coord).collect(),
    }
}

/// The coordinate range of each line given by `shapely.to_ragged_array` offsets (`m + 1` of
/// them) over the flat coordinates `all`, checked.
pub fn line_parts(all: &[Coord<f64>], offsets: &[i64]) -> PyResult<Vec<(usize, usize)>> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (a, b) = (usize::try_from(w[0]), usize::try_from(w[1]));
        match (a, b) {
            (Ok(a), Ok(b)) if a <= b && b <= all.len() => out.push((a, b)),
            _ => {
                return Err(data_error(format!(
                    "line offsets {}..{} do not fit {} coordinates",
                    w[0],
                    w[1],
                    all.len()
                )));
            }
        }
    }
    Ok(out)
}

/// Ids from a Python sequence of `int` or `str`.
pub fn ids(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<SourceId>> {
    let mut out = Vec::with_capacity(seq.len().unwrap_or(0));
    for item in seq.try_iter()? {
        out.push(one_id(&item?, what)?);
    }
    Ok(out)
}

/// One id: an `int` or a `str`.
fn one_id(item: &Bound<'_, PyAny>, what: &str) -> PyResult<SourceId> {
    if let Ok(s) = item.cast::<PyString>() {
        Ok(SourceId::from(&*s.to_cow()?))
    } else if let Ok(i) = item.extract::<i64>() {
        Ok(SourceId::Int(i))
    } else if item.cast::<PyInt>().is_ok() && !item.is_instance_of::<PyBool>() {
        Err(data_error(format!(
            "{what}: id {} is outside the 64-bit signed integer range ({} to {}) streetrank keeps integer ids in. Fix: use the ids as text, e.g. `frame[column] = frame[column].astype(str)`",
            item.repr()?,
            i64::MIN,
            i64::MAX
        )))
    } else {
        Err(data_error(format!(
            "{what}: ids must be integers or strings, got {}",
            item.repr()?
        )))
    }
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
    let mut coded = TextCodes::default();
    coded.extend(texts);
    coded.into_py(py)
}

/// Texts coded batch by batch as [`coded_texts`] codes them: `values` the distinct texts in
/// the order first met, `codes` each text's place in `values` (-1 for missing).
#[derive(Default)]
pub struct TextCodes {
    codes: Vec<i64>,
    values: Vec<String>,
    places: HashMap<String, i64>,
}

impl TextCodes {
    /// Codes the texts of one batch. Neighbours often repeat a text (and share its
    /// allocation): compared by address first, within the batch only, while the texts live.
    pub fn extend<'a>(&mut self, texts: impl Iterator<Item = Option<&'a str>>) {
        let mut last: Option<(*const u8, usize, i64)> = None;
        for t in texts {
            let Some(t) = t else {
                self.codes.push(-1);
                continue;
            };
            if let Some((ptr, len, code)) = last
                && std::ptr::eq(ptr, t.as_ptr())
                && len == t.len()
            {
                self.codes.push(code);
                continue;
            }
            let code = match self.places.get(t) {
                Some(&code) => code,
                None => {
                    let code = i64::try_from(self.values.len()).unwrap_or(i64::MAX);
                    self.values.push(t.to_owned());
                    self.places.insert(t.to_owned(), code);
                    code
                }
            };
            last = Some((t.as_ptr(), t.len(), code));
            self.codes.push(code);
        }
    }

    /// Drops the rows of the complaints the reader retracted; their texts stay among the
    /// values.
    pub fn drop_retracted(&mut self, streamed: &StreamedComplaints) {
        streamed.drop_retracted(&mut self.codes);
    }

    /// `(codes, values)` as Python gets them from [`coded_texts`].
    pub fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyTuple>> {
        (self.codes.into_pyarray(py), self.values).into_pyobject(py)
    }
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

/// Ids for the Python layer: an int64 array when every id is an integer; when every id is a
/// text and `text_buffers`, `(offsets, data)`: `n + 1` int64 byte offsets into `data`, the
/// ids' UTF-8 bytes one after another, of which Python makes an Arrow string array without a
/// Python object per id (`_id_index` in `_api.py`); else (mixed kinds, no ids, or
/// `text_buffers` false) a list of `int` and `str`.
pub fn ids_to_py<'a, 'py>(
    py: Python<'py>,
    ids: impl Iterator<Item = &'a SourceId> + Clone,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (mut ints, mut texts, mut bytes) = (0usize, 0usize, 0usize);
    for id in ids.clone() {
        match id {
            SourceId::Int(_) => ints += 1,
            SourceId::Text(t) => {
                texts += 1;
                bytes += t.as_str().len();
            }
        }
    }
    if ints > 0 && texts == 0 {
        let column: Vec<i64> = ids
            .map(|id| match id {
                SourceId::Int(i) => *i,
                SourceId::Text(_) => 0, // counted above: there is none
            })
            .collect();
        return Ok(column.into_pyarray(py).into_any());
    }
    if texts > 0 && ints == 0 && text_buffers {
        let texts = ids.map(|id| match id {
            SourceId::Text(t) => Some(t.as_str()),
            SourceId::Int(_) => None, // counted above: there is none
        });
        let (offsets, data, _) = arrow_texts(texts, bytes);
        return Ok(PyTuple::new(
            py,
            [
                offsets.into_pyarray(py).into_any(),
                data.into_pyarray(py).into_any(),
            ],
        )?
        .into_any());
    }
    let items = ids
        .map(|id| id_to_py(py, id))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, items)?.into_any())
}

/// Texts (`None` for null) as the buffers of an Arrow large-string array: `n + 1` int64 byte
/// offsets, the UTF-8 bytes (`bytes` of them, the room reserved), and whether each is there.
fn arrow_texts<'a>(
    texts: impl Iterator<Item = Option<&'a str>>,
    bytes: usize,
) -> (Vec<i64>, Vec<u8>, Vec<bool>) {
    let mut offsets: Vec<i64> = vec![0];
    let mut data: Vec<u8> = Vec::with_capacity(bytes);
    let mut valid: Vec<bool> = Vec::new();
    for t in texts {
        if let Some(t) = t {
            data.extend_from_slice(t.as_bytes());
        }
        valid.push(t.is_some());
        offsets.push(i64::try_from(data.len()).unwrap_or(i64::MAX));
    }
    (offsets, data, valid)
}

/// Text ids from the buffers of an Arrow string column, as `_text_buffers` in `_api.py`
/// passes them: `n + 1` byte offsets into `data` (absolute: the first need not be 0) and the
/// UTF-8 bytes. Built on the pool, without a Python object per id.
///
/// # Errors
///
/// A `DataError` when the offsets do not ascend within `data` or a text is not UTF-8.
pub fn ids_from_buffers(offsets: &[i64], data: &[u8], what: &str) -> PyResult<Vec<SourceId>> {
    let bad = |why: String| data_error(format!("{what}: text ids' buffers {why}"));
    let (Some(&first), Some(&last)) = (offsets.first(), offsets.last()) else {
        return Err(bad("have no offsets".into()));
    };
    let within = |o: i64| usize::try_from(o).ok().filter(|&o| o <= data.len());
    let (Some(lo), Some(hi)) = (within(first), within(last)) else {
        return Err(bad(format!(
            "run from {first} to {last}, outside the {} bytes",
            data.len()
        )));
    };
    if let Some(k) = offsets.windows(2).position(|w| w[0] > w[1]) {
        return Err(bad(format!("descend at id {k}")));
    }
    // Valid as a whole and cut at character boundaries: each text is then valid.
    let text =
        std::str::from_utf8(&data[lo..hi]).map_err(|e| bad(format!("are not UTF-8 ({e})")))?;
    let at = |o: i64| usize::try_from(o).unwrap_or(0) - lo; // within lo..=hi, checked above
    if let Some(k) = offsets.iter().position(|&o| !text.is_char_boundary(at(o))) {
        return Err(bad(format!("cut a character at id {k}")));
    }
    Ok(offsets
        .par_windows(2)
        .map(|w| SourceId::from(&text[at(w[0])..at(w[1])]))
        .collect())
}

/// Ids as the Python layer passes them: an int64 array, `(offsets, data)` text buffers
/// ([`ids_from_buffers`]), or a sequence of `int` and `str` ([`ids`]).
pub fn ids_in(seq: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<SourceId>> {
    if let Ok(a) = seq.extract::<PyReadonlyArray1<'_, i64>>() {
        return Ok(slice1(&a, what)?
            .iter()
            .map(|&i| SourceId::Int(i))
            .collect());
    }
    if let Ok((offsets, data)) =
        seq.extract::<(PyReadonlyArray1<'_, i64>, PyReadonlyArray1<'_, u8>)>()
    {
        let (offsets, data) = (slice1(&offsets, what)?, slice1(&data, what)?);
        return seq.py().detach(|| ids_from_buffers(offsets, data, what));
    }
    ids(seq, what)
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

/// One column's cells as they are gathered: numbers and booleans typed, the rest as cells.
enum Cells {
    Float(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Values(Vec<PropertyValue>),
}

impl Cells {
    fn new(ty: ColumnType, room: usize) -> Cells {
        match ty {
            ColumnType::Float => Cells::Float(Vec::with_capacity(room)),
            ColumnType::Int => Cells::Int(Vec::with_capacity(room)),
            ColumnType::Bool => Cells::Bool(Vec::with_capacity(room)),
            ColumnType::Text => Cells::Values(Vec::with_capacity(room)),
        }
    }

    /// Adds a cell. A float column keeps NaN for what is not a number; an integer or boolean
    /// column meeting another kind of cell (a null) keeps cells from then on.
    fn push(&mut self, cell: &PropertyValue) {
        match (&mut *self, cell) {
            (Cells::Float(v), PropertyValue::Float(x)) => v.push(*x),
            #[allow(clippy::cast_precision_loss)]
            (Cells::Float(v), PropertyValue::Int(i)) => v.push(*i as f64),
            (Cells::Float(v), _) => v.push(f64::NAN),
            (Cells::Int(v), PropertyValue::Int(i)) => v.push(*i),
            (Cells::Bool(v), PropertyValue::Bool(b)) => v.push(*b),
            (Cells::Values(v), _) => v.push(cell.clone()),
            (Cells::Int(_) | Cells::Bool(_), _) => {
                self.make_values();
                self.push(cell);
            }
        }
    }

    /// An integer or boolean column as cells.
    fn make_values(&mut self) {
        let values = match self {
            Cells::Int(v) => v.iter().map(|&i| PropertyValue::Int(i)).collect(),
            Cells::Bool(v) => v.iter().map(|&b| PropertyValue::Bool(b)).collect(),
            Cells::Float(_) | Cells::Values(_) => return,
        };
        *self = Cells::Values(values);
    }

    /// Appends the cells of the rows after this column's.
    fn append(&mut self, mut next: Cells) {
        if matches!(next, Cells::Values(_)) {
            self.make_values();
        } else if matches!(self, Cells::Values(_)) {
            next.make_values();
        }
        match (self, next) {
            (Cells::Float(a), Cells::Float(mut b)) => a.append(&mut b),
            (Cells::Int(a), Cells::Int(mut b)) => a.append(&mut b),
            (Cells::Bool(a), Cells::Bool(mut b)) => a.append(&mut b),
            (Cells::Values(a), Cells::Values(mut b)) => a.append(&mut b),
            // One column has one type in every run of rows (its `ColumnType`, or cells).
            _ => debug_assert!(false, "runs of one column gathered as different types"),
        }
    }

    /// A numpy array for numbers and for complete boolean and integer columns; with
    /// `text_buffers`, a column of texts and nulls (one text at least) as the buffers of an
    /// Arrow string array, `(offsets, data, valid)` ([`arrow_texts`], `_table_columns` in
    /// `_api.py`); otherwise a list of Python values with `None` for null. Equal texts share
    /// one Python string (the settings hash of every row, a district's name) while there are
    /// few of them.
    fn into_py(self, py: Python<'_>, text_buffers: bool) -> PyResult<Bound<'_, PyAny>> {
        const SHARED_TEXTS: usize = 4096;
        Ok(match self {
            Cells::Float(v) => v.into_pyarray(py).into_any(),
            Cells::Int(v) => v.into_pyarray(py).into_any(),
            Cells::Bool(v) => v.into_pyarray(py).into_any(),
            Cells::Values(v)
                if text_buffers
                    && v.iter().any(|c| matches!(c, PropertyValue::Text(_)))
                    && v.iter()
                        .all(|c| matches!(c, PropertyValue::Text(_) | PropertyValue::Null)) =>
            {
                let texts = v.iter().map(|c| match c {
                    PropertyValue::Text(t) => Some(t.as_str()),
                    _ => None,
                });
                let bytes = texts.clone().map(|t| t.map_or(0, str::len)).sum();
                let (offsets, data, valid) = arrow_texts(texts, bytes);
                PyTuple::new(
                    py,
                    [
                        offsets.into_pyarray(py).into_any(),
                        data.into_pyarray(py).into_any(),
                        valid.into_pyarray(py).into_any(),
                    ],
                )?
                .into_any()
            }
            Cells::Values(v) => {
                let mut shared: HashMap<&str, Bound<'_, PyString>> = HashMap::new();
                let mut items = Vec::with_capacity(v.len());
                for cell in &v {
                    items.push(match cell {
                        PropertyValue::Text(t) => match shared.get(t.as_str()) {
                            Some(s) => s.clone().into_any(),
                            None => {
                                let s = PyString::new(py, t);
                                if shared.len() < SHARED_TEXTS {
                                    shared.insert(t, s.clone());
                                }
                                s.into_any()
                            }
                        },
                        other => value_to_py(py, other)?,
                    });
                }
                PyList::new(py, items)?.into_any()
            }
        })
    }
}

/// A table's columns (not its geometry) as `{name: array or list}`, in column order: numpy
/// arrays for float columns (NaN for null) and for complete integer and boolean columns,
/// text columns as Arrow buffers when `text_buffers` (`Cells::into_py`), otherwise lists of
/// Python values with `None` for null. The rows are built on the pool, a run of rows per
/// task, straight into columns: no row of cells is kept.
pub fn table_to_py<'py>(
    py: Python<'py>,
    table: &dyn Table,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    const ROWS_PER_TASK: usize = 1 << 14;
    let columns = table.columns();
    let n = table.len();
    let columns_of = |rows: std::ops::Range<usize>| {
        let mut cells: Vec<Cells> = columns
            .iter()
            .map(|c| Cells::new(c.ty, rows.len()))
            .collect();
        let mut scratch = Vec::new();
        for r in streetrank_io::prefetched(table, rows) {
            let row = table.row(r, &mut scratch);
            for (k, col) in cells.iter_mut().enumerate() {
                col.push(row.get(k).unwrap_or(&PropertyValue::Null));
            }
        }
        cells
    };
    let runs: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(ROWS_PER_TASK)
        .map(|lo| lo..(lo + ROWS_PER_TASK).min(n))
        .collect();
    let built: Vec<Cells> = py.detach(|| {
        runs.into_par_iter()
            .map(columns_of)
            .reduce_with(|mut a, b| {
                for (a, b) in a.iter_mut().zip(b) {
                    a.append(b);
                }
                a
            })
            .unwrap_or_else(|| columns_of(0..0))
    });
    let out = PyDict::new(py);
    for (col, cells) in columns.iter().zip(built) {
        out.set_item(&col.name, cells.into_py(py, text_buffers)?)?;
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
