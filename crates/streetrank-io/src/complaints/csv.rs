//! Complaints from CSV: streamed records, BOM and `;`/tab delimiters handled.

use std::path::Path;

use super::{Cell, Collector, ComplaintsOptions, Parsed, Rejected, build_draft, resolve_columns};
use crate::mapping::{csv_error, open_csv};
use crate::{LoadReport, Result};

/// Reads every record of a CSV complaint file.
pub(super) fn read(
    path: &Path,
    opts: &ComplaintsOptions,
    report: &mut LoadReport,
) -> Result<Parsed> {
    let mut table = open_csv(path)?;
    if table.delimiter != b',' {
        report.note(format!(
            "delimiter `{}` detected from the header line",
            if table.delimiter == b'\t' {
                "tab".to_owned()
            } else {
                char::from(table.delimiter).to_string()
            }
        ));
    }
    let cols = resolve_columns(
        path,
        std::mem::take(&mut table.columns),
        &opts.mapping,
        report,
        false,
    )?;
    let mut collector = Collector::new(path, opts.on_error, &cols);
    let date_format = opts.mapping.date_format.as_deref();
    let mut row = csv::ByteRecord::new();
    let mut record = 0usize;
    loop {
        match table.reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let error = csv_error(path, &e, "a record");
                // A row with too few or too many fields (half a last row) is one
                // bad record: skippable. Anything else stops the file.
                if matches!(e.kind(), ::csv::ErrorKind::UnequalLengths { .. }) {
                    record += 1;
                    let reason = "wrong number of fields";
                    collector.accept(Err(Rejected { reason, error }), report)?;
                    continue;
                }
                return Err(error);
            }
        }
        record += 1;
        let get = |i: usize| -> Cell<'_> {
            row.get(i)
                .map_or(Cell::Missing, |b| Cell::Text(String::from_utf8_lossy(b)))
        };
        let draft = build_draft(path, record, &cols, date_format, get, None);
        collector.accept(draft, report)?;
    }
    collector.into_parsed(&cols, "column", &opts.mapping.keep, report)
}
