//! Complaints from GeoJSON: a streamed FeatureCollection of Points.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use geojson::{FeatureReader, GeometryValue};

use super::{
    Cell, Collector, Columns, ComplaintsOptions, Interner, Parsed, Rejected, build_draft, reject,
    resolve_columns,
};
use crate::{Error, LoadReport, Result};

/// Reads every feature of a GeoJSON complaint file.
pub(super) fn read(
    path: &Path,
    opts: &ComplaintsOptions,
    report: &mut LoadReport,
) -> Result<Parsed> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map_err(|e| Error::io(path, e))?.len() == 0 {
        return Err(Error::file(
            path,
            "the file is empty",
            "give a GeoJSON FeatureCollection of Point features",
        ));
    }
    let features = FeatureReader::from_reader(BufReader::new(file)).features();
    let mut cols: Option<Columns> = None;
    let mut collector: Option<Collector<'_>> = None;
    let date_format = opts.mapping.date_format.as_deref();
    let mut labels = Interner::default();
    for (n, feature) in features.enumerate() {
        let record = n + 1;
        let feature = feature.map_err(|e| {
            if record == 1 && has_no_features(path) {
                return no_features(path);
            }
            let (problem, fix) = crate::streets::describe_geojson_error(record, &e);
            Error::file(path, problem, fix)
        })?;
        let empty = serde_json::Map::new();
        let props = feature.properties.as_ref().unwrap_or(&empty);
        if cols.is_none() {
            let names: Vec<String> = props.keys().cloned().collect();
            let c = resolve_columns(path, names, &opts.mapping, report, true)?;
            collector = Some(Collector::new(path, opts.on_error, &c));
            cols = Some(c);
        }
        let (Some(c), Some(coll)) = (cols.as_ref(), collector.as_mut()) else {
            continue;
        };
        let get =
            |i: usize| -> Cell<'_> { props.get(&c.names[i]).map_or(Cell::Missing, Cell::Json) };
        let draft = if c.x.is_some() {
            build_draft(path, record, c, date_format, get, None, &mut labels)
        } else {
            match point_of(path, record, feature.geometry.as_ref()) {
                Ok(p) => build_draft(path, record, c, date_format, get, Some(p), &mut labels),
                Err(r) => Err(r),
            }
        };
        coll.accept(draft, report)?;
    }
    let (Some(c), Some(coll)) = (cols, collector) else {
        return Err(no_features(path));
    };
    let name = |i: Option<usize>, axis: &str| {
        i.map_or_else(
            || format!("the Point geometry's {axis}"),
            |i| format!("property `{}`", c.names[i]),
        )
    };
    Ok(Parsed {
        x_name: name(c.x, "x"),
        y_name: name(c.y, "y"),
        records: coll.records,
        drafts: coll.into_drafts(report)?,
        property_names: opts.mapping.keep.clone(),
        geojson: true,
    })
}

fn point_of(
    path: &Path,
    record: usize,
    g: Option<&geojson::Geometry>,
) -> std::result::Result<(f64, f64), Rejected> {
    let fix = "give every feature a Point geometry, or load with skipping to drop the others";
    match g.map(|g| &g.value) {
        None => Err(reject(
            path,
            record,
            Some("geometry"),
            "missing geometry",
            "the geometry is null".into(),
            fix,
        )),
        Some(GeometryValue::Point { coordinates }) => {
            let c = coordinates.as_slice();
            match c {
                [x, y, ..] if x.is_finite() && y.is_finite() => Ok((*x, *y)),
                _ => Err(reject(
                    path,
                    record,
                    Some("geometry"),
                    "bad coordinate",
                    format!("the Point has unusable coordinates {c:?}"),
                    fix,
                )),
            }
        }
        Some(other) => Err(reject(
            path,
            record,
            Some("geometry"),
            "not a point",
            format!("the geometry is a {}, not a Point", other.type_name()),
            fix,
        )),
    }
}

fn no_features(path: &Path) -> Error {
    Error::file(
        path,
        "the file holds no features",
        "give a GeoJSON FeatureCollection with at least one Point feature",
    )
}

/// Whether the file is a FeatureCollection with an empty `features` array
/// (the streaming reader reports that as a parse error).
fn has_no_features(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v.get("features")
                .and_then(|f| f.as_array().map(Vec::is_empty))
        })
        .unwrap_or(false)
}
