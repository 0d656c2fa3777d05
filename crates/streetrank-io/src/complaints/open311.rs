//! Complaints from Open311 GeoReport v2 JSON: a top-level array of service requests.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::{Cell, Collector, ComplaintsOptions, Parsed, build_draft, resolve_columns};
use crate::{Error, LoadReport, Result};

/// Reads every request of an Open311 `requests.json` array.
pub(super) fn read(
    path: &Path,
    opts: &ComplaintsOptions,
    report: &mut LoadReport,
) -> Result<Parsed> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let requests: Vec<serde_json::Value> =
        serde_json::from_reader(BufReader::new(file)).map_err(|e| {
            Error::file(
                path,
                format!("not a valid Open311 JSON array of requests: {e}"),
                "give the GeoReport v2 `requests.json` response (a JSON array of objects)",
            )
        })?;
    report.note("read as Open311 GeoReport v2 JSON (a top-level array of service requests)");
    // Column names: every key, in order of first appearance.
    let mut names: Vec<String> = Vec::new();
    for r in &requests {
        if let Some(o) = r.as_object() {
            for k in o.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    let cols = resolve_columns(path, names, &opts.mapping, report, false)?;
    let mut collector = Collector::new(path, opts.on_error, &cols);
    let date_format = opts.mapping.date_format.as_deref();
    let empty = serde_json::Map::new();
    let mut labels = super::Interner::default();
    for (n, r) in requests.iter().enumerate() {
        let record = n + 1;
        let Some(o) = r.as_object() else {
            collector.accept(
                Err(super::reject(
                    path,
                    record,
                    None,
                    "not an object",
                    format!("request {record} is not a JSON object but `{r}`"),
                    "every element of the array must be a service request object",
                )),
                report,
            )?;
            continue;
        };
        let o = if o.is_empty() { &empty } else { o };
        let get =
            |i: usize| -> Cell<'_> { o.get(&cols.names[i]).map_or(Cell::Missing, Cell::Json) };
        let draft = build_draft(path, record, &cols, date_format, get, None, &mut labels);
        collector.accept(draft, report)?;
    }
    collector.into_parsed(&cols, "field", &opts.mapping.keep, report)
}
