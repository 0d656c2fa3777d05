//! Complaints from CSV: the file streamed in large blocks, each cut at record boundaries into
//! pieces that are parsed in parallel straight into complaints; BOM and `;`/tab delimiters
//! handled; the SHA-256 computed from the same blocks.
//!
//! Memory holds two blocks of the file (the one parsed and the next, read meanwhile) besides
//! the complaints. Records are numbered, and errors reported, in file order, exactly as a
//! sequential csv crate reader does: a piece numbers its records from 1 and counts its line
//! ends, and the block's pieces are put together in order.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use geo_types::Point;
use rayon::prelude::*;
use streetrank::{Complaint, Sha256Writer, SourceId};

use super::blocks::{Records, cuts};
use super::stream::{Checker, Prepared};
use super::{
    Bad, COORDINATE_FIX, Collector, Columns, ComplaintsOptions, Drafts, Interner, Parsed,
    coordinate_text, resolve_columns,
};
use crate::dates::parse_timestamp;
use crate::mapping::{property_from_text, sniff_delimiter, source_id_from_text, trim};
use crate::{Error, LoadReport, Result};

/// Bytes read from the file at a time: 8 MiB (two in memory at once, ~4 pieces per thread
/// on 2 threads). On the city, `streetrank score` measured peak RSS 317 MB with 16 MiB and
/// 290-294 MB with 8 MiB, read times equal within noise (interleaved runs); 32 MiB measured
/// 35 MB more than 16 MiB.
pub(super) const BLOCK: usize = 8 << 20;
/// Bytes per piece parsed on one thread: small enough to balance the threads, large enough
/// that a piece's own copy of each category and status is shared by thousands of complaints.
pub(super) const PIECE: usize = 1 << 20;
/// Room beyond a block in each file buffer for the start of a record carried over from the
/// block before (a longer one makes that buffer grow once).
const CARRY_ROOM: usize = 64 << 10;

/// Reads every record of a CSV complaint file; returns them with the file's SHA-256.
pub(super) fn read(
    path: &Path,
    opts: &ComplaintsOptions,
    report: &mut LoadReport,
) -> Result<(Parsed, String)> {
    read_in_blocks(path, opts, report, BLOCK, PIECE, None)
}

/// What receives each block's complaints as soon as the block is read: the checker prepares
/// each piece on the pool as it is parsed ([`Checker::prepare`]: checks and projection), then
/// the function takes the block's pieces, in file order, with the file's columns.
pub(super) type Sink<'s> = (
    &'s Checker<'s>,
    &'s mut dyn FnMut(Vec<(Drafts, Prepared)>, &Columns),
);

/// [`read`] with the block and piece sizes given (tests use tiny ones). With a `sink`, each
/// block's complaints go to it instead of into the returned [`Parsed`] (whose drafts are then
/// empty; repeated ids are the sink's to find).
pub(super) fn read_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    report: &mut LoadReport,
    block: usize,
    piece: usize,
    mut sink: Option<Sink<'_>>,
) -> Result<(Parsed, String)> {
    let (block, piece) = (block.max(1), piece.max(1));
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_or(0, |m| m.len());
    let mut buf = Vec::new();
    buf.reserve_exact(block.max(8192) + CARRY_ROOM);
    // At least the 8 KiB a buffered reader first sees, where the delimiter is sniffed.
    let mut eof = fill(&mut file, &mut buf, block.max(8192)).map_err(|e| Error::io(path, e))?;
    // The buffer of the block before, reused for the next block: fresh memory costs a page
    // fault per 4 KiB, the same again in every block.
    let mut spare: Vec<u8> = Vec::new();
    if buf.is_empty() {
        return Err(Error::file(
            path,
            "the file is empty",
            "give a CSV file with a header line and one row per record",
        ));
    }
    // The delimiter from the header line, within what an 8 KiB buffered read first sees.
    let start = if buf.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let peek = &buf[..buf.len().min(8192)];
    let line_end = peek[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(peek.len(), |p| p + start);
    let delimiter = sniff_delimiter(&peek[start..line_end]);

    // The header: the first record, read with a reader of its own as the csv crate does.
    let (names, header_end, header_line) = loop {
        let mut r = Records::new(&buf[start..], delimiter, false);
        let got = r.next_record();
        if !eof && (!got || r.ended_by_eof()) {
            eof = fill(&mut file, &mut buf, block)
                .map_err(|e| read_failed(path, "the header line", &e))?;
            continue;
        }
        let names: Vec<String> = if got {
            (0..r.len())
                .map(|i| String::from_utf8_lossy(r.field(i)).trim().to_owned())
                .collect()
        } else {
            Vec::new()
        };
        break (names, start + r.consumed(), r.line());
    };
    if names.iter().all(String::is_empty) {
        return Err(Error::file(
            path,
            "the header line is empty",
            "the first line must name the columns",
        ));
    }
    if delimiter != b',' {
        report.note(format!(
            "delimiter `{}` detected from the header line",
            if delimiter == b'\t' {
                "tab".to_owned()
            } else {
                char::from(delimiter).to_string()
            }
        ));
    }
    let ncols = names.len();
    let cols = resolve_columns(path, names, &opts.mapping, report, false)?;
    let mut collector = Collector::new(path, opts.on_error, &cols);
    let ctx = Ctx {
        cols: &cols,
        ncols,
        delimiter,
        date_format: opts.mapping.date_format.as_deref(),
    };

    let mut hasher = Sha256Writer::new();
    let mut hashed = 0; // bytes of `buf` already hashed
    let mut data_start = header_end;
    let mut numbering = Numbering {
        base: 0,
        line_at: header_line,
        last_record_line: header_line,
    };
    let mut first_block = true;
    let checker = sink.as_ref().map(|(checker, _)| *checker);
    // The pieces of the block before, checked, for the sink.
    let mut pending: Vec<(Drafts, Prepared)> = Vec::new();
    // Called from outside the pool, this thread hands a block's complaints on while the pool
    // parses the next one. Called from one of the pool's threads, that thread is one of the
    // parsers, and the block is handed on at once, between blocks (overlapping then measured
    // 16 % slower on 2 threads: criterion's streamed reader, which runs inside a pool).
    let overlap = rayon::current_thread_index().is_none();
    loop {
        let region = &buf[data_start..];
        let c = cuts(region, delimiter, piece);
        let cut = if eof { Some(region.len()) } else { c.last };
        let Some(cut) = cut else {
            // Not one whole record in the buffer: read on.
            eof =
                fill(&mut file, &mut buf, block).map_err(|e| read_failed(path, "a record", &e))?;
            continue;
        };
        let mut ranges = Vec::with_capacity(c.pieces.len() + 1);
        let mut from = 0;
        for &e in c.pieces.iter().filter(|&&e| e < cut) {
            ranges.push(from..e);
            from = e;
        }
        if from < cut {
            ranges.push(from..cut);
        }
        let mut next = std::mem::take(&mut spare);
        next.clear();
        if !eof {
            // Exactly this much (a block and the carried part of a record, with room to
            // spare), so the buffer is reused block after block without growing.
            let carry = region.len() - cut;
            next.reserve_exact(block + carry.max(CARRY_ROOM));
            next.extend_from_slice(&region[cut..]);
        }
        let carry = next.len();
        let parse = |r: &std::ops::Range<usize>| {
            // No second search for quotes where `cuts` found none.
            let quotes = c.first_quote.is_some_and(|q| q < r.end);
            let mut out = parse_piece(&region[r.clone()], quotes, &ctx);
            let prepared = checker
                .map(|checker| checker.prepare(&mut out.complaints, cols.id.is_some(), r.len()));
            (out, prepared)
        };
        // Parse this block's pieces and hash its new bytes while the next block is read, on
        // the pool; meanwhile this thread hands on the block before's complaints.
        let mut work = None;
        rayon::in_place_scope(|scope| {
            scope.spawn(|_| {
                work = Some(rayon::join(
                    || {
                        rayon::join(
                            || ranges.par_iter().map(parse).collect::<Vec<_>>(),
                            || hasher.write_all(&buf[hashed..]),
                        )
                    },
                    || {
                        if eof {
                            Ok(true)
                        } else {
                            fill(&mut file, &mut next, block)
                        }
                    },
                ));
            });
            if let Some((_, take)) = sink.as_mut()
                && !pending.is_empty()
            {
                take(std::mem::take(&mut pending), &cols);
            }
        });
        let Some(((outs, hash), more)) = work else {
            // The scope returns once its task has run (a panic in it is propagated).
            return Err(Error::file(
                path,
                "the block was not parsed (internal error)",
                "report this as a bug",
            ));
        };
        hash.map_err(|e| Error::io(path, e))?;
        let records_before = collector.records;
        if sink.is_some() {
            // Each piece's complaints handed on as they are, in file order (while the next
            // block is parsed, or at once: see `overlap`): no copy into a block-sized vector.
            for (out, prepared) in outs {
                numbering.merge(out, &mut collector, &ctx, report)?;
                if let Some(prepared) = prepared {
                    pending.push((std::mem::take(&mut collector.drafts), prepared));
                }
            }
            if !overlap && let Some((_, take)) = sink.as_mut() {
                take(std::mem::take(&mut pending), &cols);
            }
        } else {
            // The block's complaints in one allocation: appending piece by piece would grow
            // the vectors by doubling (a copy of the block each time, and fresh pages).
            let block_len: usize = outs.iter().map(|(o, _)| o.complaints.len()).sum();
            collector.drafts.complaints.reserve(block_len);
            collector.drafts.records.reserve(block_len);
            for (out, _) in outs {
                numbering.merge(out, &mut collector, &ctx, report)?;
            }
        }
        if sink.is_none() && first_block && cut > 0 {
            // Room for the whole file's complaints at this block's density, so the vectors
            // grow once rather than by doubling copies.
            first_block = false;
            let per_byte = (collector.records - records_before) as f64 / cut as f64;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let want = (per_byte * file_len as f64 * 1.01) as usize;
            let d = &mut collector.drafts;
            d.complaints
                .reserve(want.saturating_sub(d.complaints.len()));
            d.records.reserve(want.saturating_sub(d.records.len()));
            crate::memory::advise_huge_pages(&mut d.complaints);
        }
        if eof {
            if let Some((_, take)) = sink.as_mut()
                && !pending.is_empty()
            {
                take(pending, &cols);
            }
            break;
        }
        eof = more.map_err(|e| read_failed(path, "a record", &e))?;
        spare = std::mem::replace(&mut buf, next);
        hashed = carry;
        data_start = 0;
    }
    let parsed = collector.into_parsed(&cols, "column", &opts.mapping.keep, report)?;
    Ok((parsed, hasher.finish()))
}

/// Appends up to `want` bytes of the file to `buf`; `true` at the end of the file.
fn fill(file: &mut File, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    buf.reserve(want);
    let n = Read::take(&mut *file, want as u64).read_to_end(buf)?;
    Ok(n < want)
}

fn read_failed(path: &Path, what: &str, e: &std::io::Error) -> Error {
    Error::file(
        path,
        format!("reading {what} failed: {e}"),
        "check that the file is complete and readable",
    )
}

/// What every piece needs to read its records.
struct Ctx<'c> {
    cols: &'c Columns,
    ncols: usize,
    delimiter: u8,
    date_format: Option<&'c str>,
}

/// Why a record of a piece cannot be used.
enum Problem {
    Row(Bad),
    /// Not as many fields as the header; `line` is the piece's line count before the record
    /// (`None` for its first record).
    Fields {
        line: Option<u64>,
        len: usize,
    },
}

/// The records of one piece, numbered from 1 within it.
struct PieceOut {
    complaints: Vec<Complaint>,
    /// Record number of each complaint.
    records: Vec<usize>,
    bad: Vec<(usize, Problem)>,
    nrecords: usize,
    /// Line ends in the piece.
    lines: u64,
    /// Line ends before the end of its last record.
    last_line: Option<u64>,
    /// The piece's shared copy of each category and status.
    categories: Interner,
    statuses: Interner,
}

/// Room for the records of a piece: its length over the mean length of its first lines, with
/// an eighth to spare (a vector grown by doubling copies itself and touches fresh pages).
fn records_estimate(data: &[u8]) -> usize {
    const SAMPLE: usize = 64;
    let (mut lines, mut at) = (0, 0);
    for p in memchr::memchr_iter(b'\n', data).take(SAMPLE) {
        lines += 1;
        at = p + 1;
    }
    if lines < SAMPLE {
        return lines + 1;
    }
    let per_line = at / lines;
    data.len() / per_line.max(1) * 9 / 8 + 16
}

/// Reads one piece; `quotes`: whether it may hold a `"` (quoted fields).
fn parse_piece(data: &[u8], quotes: bool, ctx: &Ctx<'_>) -> PieceOut {
    let room = records_estimate(data);
    let mut out = PieceOut {
        complaints: Vec::with_capacity(room),
        records: Vec::with_capacity(room),
        bad: Vec::new(),
        nrecords: 0,
        lines: 0,
        last_line: None,
        categories: Interner::default(),
        statuses: Interner::default(),
    };
    match std::str::from_utf8(data) {
        Ok(text) if !quotes || memchr::memchr(b'"', data).is_none() => {
            plain_records(text, ctx, &mut out);
        }
        _ => quoted_records(data, ctx, &mut out),
    }
    out
}

/// The records of a piece without quotes, valid UTF-8: lines split at the delimiter, read
/// as csv-core reads them (`\n`, `\r\n` or `\r` end a record, empty lines are skipped) with
/// the same line counts, without copying fields out.
fn plain_records(text: &str, ctx: &Ctx<'_>, out: &mut PieceOut) {
    let b = text.as_bytes();
    let n = b.len();
    let delimiter = ctx.delimiter;
    let mut fields: Vec<&str> = Vec::with_capacity(ctx.ncols + 1);
    let (mut i, mut lines, mut prev) = (0, 0u64, None);
    loop {
        while i < n && matches!(b[i], b'\n' | b'\r') {
            lines += u64::from(b[i] == b'\n');
            i += 1;
        }
        if i >= n {
            break;
        }
        // One pass over the record: fields end at the delimiter, the record at a line end.
        // Every cut is at an ASCII byte (or the end): a character boundary.
        fields.clear();
        let mut start = i;
        let end = loop {
            let j = next_special(b, start, delimiter);
            if j < n && b[j] == delimiter {
                fields.push(text.get(start..j).unwrap_or_default());
                start = j + 1;
            } else {
                break j;
            }
        };
        fields.push(text.get(start..end).unwrap_or_default());
        if end < n {
            lines += u64::from(b[end] == b'\n');
        }
        i = end + 1;
        let line = prev;
        prev = Some(lines);
        out.push(fields.len(), line, ctx, |k| {
            Cow::Borrowed(fields.get(k).copied().unwrap_or_default())
        });
    }
    out.lines = lines;
    out.last_line = prev;
}

/// Every byte set to 1.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `x` (exactly: no carries between bytes).
fn zero_bytes(x: u64) -> u64 {
    !(((x & !HIGHS) + !HIGHS) | x) & HIGHS
}

/// The first delimiter or line end (`\n`, `\r`) in `b` from `from`, or `b.len()`; eight bytes
/// at a time (fields are short, so this beats a call to a vectorized search).
fn next_special(b: &[u8], from: usize, delimiter: u8) -> usize {
    let (d, lf, cr) = (ONES * u64::from(delimiter), ONES * 0x0A, ONES * 0x0D);
    let mut j = from;
    while let Some(word) = b.get(j..j + 8) {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let hits = zero_bytes(w ^ d) | zero_bytes(w ^ lf) | zero_bytes(w ^ cr);
        if hits != 0 {
            return j + (hits.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < b.len() && !(b[j] == delimiter || matches!(b[j], b'\n' | b'\r')) {
        j += 1;
    }
    j.min(b.len())
}

/// The records of any piece, read with csv-core.
fn quoted_records(data: &[u8], ctx: &Ctx<'_>, out: &mut PieceOut) {
    let mut r = Records::new(data, ctx.delimiter, true);
    let mut prev = None;
    while r.next_record() {
        let line = prev;
        prev = Some(r.line());
        // One UTF-8 check per record; a field is read lossily (as the csv crate's reader
        // does) only when the record is not UTF-8 or the field does not start and end on
        // characters.
        let whole = std::str::from_utf8(r.bytes()).ok();
        out.push(r.len(), line, ctx, |k| {
            match whole.and_then(|w| w.get(r.bounds(k))) {
                Some(f) => Cow::Borrowed(f),
                None => text(r.field(k)),
            }
        });
    }
    out.lines = r.line();
    out.last_line = prev;
}

impl PieceOut {
    /// Adds the next record of the piece: `nfields` fields read with `field`; `line` is the
    /// piece's line count before it.
    fn push<'f>(
        &mut self,
        nfields: usize,
        line: Option<u64>,
        ctx: &Ctx<'_>,
        field: impl Fn(usize) -> Cow<'f, str>,
    ) {
        self.nrecords += 1;
        if nfields != ctx.ncols {
            let problem = Problem::Fields { line, len: nfields };
            self.bad.push((self.nrecords, problem));
            return;
        }
        match complaint(
            field,
            self.nrecords,
            ctx,
            &mut self.categories,
            &mut self.statuses,
        ) {
            Ok(c) => {
                self.complaints.push(c);
                self.records.push(self.nrecords);
            }
            Err(b) => self.bad.push((self.nrecords, Problem::Row(b))),
        }
    }
}

/// A cell as text: borrowed when it is UTF-8, as the csv crate's lossy reading otherwise.
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// One record's complaint, its point as read (the same checks and messages as
/// [`super::build_draft`]). Without an id column the id is the record number within the
/// piece; [`Numbering::merge`] makes it the file's.
fn complaint<'f>(
    field: impl Fn(usize) -> Cow<'f, str>,
    record: usize,
    ctx: &Ctx<'_>,
    categories: &mut Interner,
    statuses: &mut Interner,
) -> std::result::Result<Complaint, Bad> {
    let cols = ctx.cols;
    let coordinate = |i: usize| {
        coordinate_text(&field(i)).map_err(|(reason, problem)| Bad {
            field: Some(i),
            reason,
            problem,
            fix: COORDINATE_FIX,
        })
    };
    let (Some(xi), Some(yi)) = (cols.x, cols.y) else {
        return Err(Bad {
            field: None,
            reason: "missing geometry",
            problem: "the record has no location".into(),
            fix: "give every record a location",
        });
    };
    let (x, y) = (coordinate(xi)?, coordinate(yi)?);
    let id = match cols.id {
        None => SourceId::Int(i64::try_from(record).unwrap_or(i64::MAX)),
        Some(i) => {
            let t = field(i);
            if trim(&t).is_empty() {
                return Err(Bad {
                    field: Some(i),
                    reason: "empty id",
                    problem: "the id is empty".into(),
                    fix: "give every record an id, or map another id column with `id` in [complaints]",
                });
            }
            source_id_from_text(&t)
        }
    };
    let created = match cols.created {
        None => None,
        Some(i) => parse_timestamp(&field(i), ctx.date_format).map_err(|problem| Bad {
            field: Some(i),
            reason: "bad date",
            problem,
            fix: "fix the value, set `date_format` (a chrono format such as \"%d.%m.%Y %H:%M\") in [complaints], or load with skipping",
        })?,
    };
    let shared = |i: Option<usize>, table: &mut Interner| {
        let t = field(i?);
        let t = trim(&t);
        (!t.is_empty()).then(|| table.get(t))
    };
    Ok(Complaint {
        id,
        point: Point::new(x, y),
        created,
        category: shared(cols.category, categories),
        status: shared(cols.status, statuses),
        properties: cols
            .keep
            .iter()
            .map(|&i| property_from_text(&field(i)))
            .collect(),
    })
}

/// Record and line numbers across pieces: what the pieces before have counted.
struct Numbering {
    /// Records before the next piece.
    base: usize,
    /// The csv crate's line count at the start of the next piece.
    line_at: u64,
    /// Its line count at the end of the last record (the position line of the next record).
    last_record_line: u64,
}

impl Numbering {
    /// Adds a piece's complaints to the collector and reports its bad records, in file order.
    fn merge(
        &mut self,
        mut out: PieceOut,
        collector: &mut Collector<'_>,
        ctx: &Ctx<'_>,
        report: &mut LoadReport,
    ) -> Result<()> {
        let path = collector.path;
        for (local, problem) in out.bad {
            let record = self.base + local;
            let rejected = match problem {
                Problem::Row(b) => b.at(path, record, ctx.cols),
                Problem::Fields { line, len } => {
                    let line = line.map_or(self.last_record_line, |l| self.line_at + l);
                    super::Rejected {
                        reason: "wrong number of fields",
                        error: Error::record(
                            path,
                            record,
                            None,
                            format!(
                                "line {line} has {len} fields where the header has {} (a truncated line or an unquoted delimiter)",
                                ctx.ncols
                            ),
                            "repair the line, or quote values that contain the delimiter",
                        ),
                    }
                }
            };
            report.skip_or_fail(collector.on_error, rejected.reason, rejected.error)?;
        }
        if ctx.cols.id.is_none() {
            for (c, &r) in out.complaints.iter_mut().zip(&out.records) {
                c.id = SourceId::Int(i64::try_from(self.base + r).unwrap_or(i64::MAX));
            }
        }
        let d = &mut collector.drafts;
        for r in &mut out.records {
            *r += self.base;
        }
        if d.complaints.capacity() == 0 && d.records.is_empty() {
            // Nothing gathered nor reserved (the streamed reader takes each piece): move.
            d.complaints = std::mem::take(&mut out.complaints);
            d.records = std::mem::take(&mut out.records);
        } else {
            d.complaints.append(&mut out.complaints);
            d.records.append(&mut out.records);
        }
        collector.records += out.nrecords;
        self.base += out.nrecords;
        if let Some(l) = out.last_line {
            self.last_record_line = self.line_at + l;
        }
        self.line_at += out.lines;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Everything a piece read, as comparable text.
    fn summary(out: &PieceOut) -> String {
        let bad: Vec<String> = out
            .bad
            .iter()
            .map(|(r, p)| match p {
                Problem::Row(b) => format!("{r} {:?} {} {}", b.field, b.reason, b.problem),
                Problem::Fields { line, len } => format!("{r} fields {line:?} {len}"),
            })
            .collect();
        format!(
            "{:?} {:?} {bad:?} {} {} {:?}",
            out.complaints, out.records, out.nrecords, out.lines, out.last_line
        )
    }

    fn piece_out() -> PieceOut {
        PieceOut {
            complaints: Vec::new(),
            records: Vec::new(),
            bad: Vec::new(),
            nrecords: 0,
            lines: 0,
            last_line: None,
            categories: Interner::default(),
            statuses: Interner::default(),
        }
    }

    /// Oracle: on text without quotes the split-lines reader reads what csv-core reads (and
    /// csv-core reads what the csv crate reads: see `blocks`).
    #[test]
    fn plain_records_read_like_csv_core() {
        let cols = Columns {
            names: vec!["x".into(), "y".into(), "c".into()],
            x: Some(0),
            y: Some(1),
            id: None,
            created: None,
            category: Some(2),
            status: None,
            keep: vec![2],
        };
        let alphabet = b"1.-,,;\n\n\r a\xC3\xA9";
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1du64);
        for round in 0..5000 {
            let len = usize::try_from(next() % 40).unwrap();
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()])
                .collect();
            let Ok(s) = std::str::from_utf8(&text) else {
                continue;
            };
            let ctx = Ctx {
                cols: &cols,
                ncols: 3,
                delimiter: if round % 2 == 0 { b',' } else { b';' },
                date_format: None,
            };
            let (mut plain, mut quoted) = (piece_out(), piece_out());
            plain_records(s, &ctx, &mut plain);
            quoted_records(&text, &ctx, &mut quoted);
            assert_eq!(summary(&plain), summary(&quoted), "{s:?}");
        }
    }
}
