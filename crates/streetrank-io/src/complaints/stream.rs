//! Complaints streamed batch by batch: the CSV reader's blocks checked, projected and handed
//! on as they are read, so memory holds a block of complaints and a few bytes per complaint
//! (its id key and check flags), never the whole file.
//!
//! Every check of the reader that parses a whole file before checking it
//! ([`super::read_parsed`], which reads GeoJSON and Open311 files) is made, with the same
//! messages, record numbers, counts and notes; the tests and the fuzz target hold this reader
//! to it on CSV files. [`super::read_complaints`] reads a CSV file with this reader, gathering
//! its batches ([`gather`]). Checks that need the whole file are completed at its end, in the
//! order the parse-then-check reader makes them: repeated ids (found by sorting the ids'
//! compact keys), the swapped-axis verdict (from counts kept per complaint), then the records
//! skipped for out-of-range or unprojectable coordinates, then a non-finite projected point.
//! Complaints already handed on that turn out to repeat an earlier id are listed in
//! [`StreamedComplaints::retracted`].

use std::cmp::Ordering;
use std::path::Path;

use geo_types::{Coord, Point};
use rayon::prelude::*;
use streetrank::{Complaint, SourceId};

use super::csv::{BLOCK, PIECE, read_in_blocks};
use super::{
    AXIS_CHECK_PAD_KM, AxisSwapEvidence, AxisVerdict, Columns, ComplaintsOptions, Drafts, Format,
    LoadedComplaints, in_extent, km_outside, pad_extent, reading, sniff_format,
};
use crate::crs::{Crs, Transform};
use crate::error::fmt_number;
use crate::report::thousands;
use crate::{Error, LoadReport, Result};

/// What [`stream_complaints`] read, besides the complaints it handed on.
#[derive(Debug, Clone)]
pub struct StreamedComplaints {
    /// Everything [`super::read_complaints`] returns except the complaints
    /// ([`LoadedComplaints::complaints`] is empty): names, CRS, counts, report, SHA-256.
    pub file: LoadedComplaints,
    /// Complaints handed on, retracted ones included.
    pub delivered: usize,
    /// Positions (among all complaints handed on, from 0, ascending) of the complaints handed
    /// on that must be dropped: repeats of an earlier id, found once the whole file was read
    /// and skipped under [`crate::OnError::Skip`] or [`crate::OnError::List`]. Empty under
    /// [`crate::OnError::Fail`] (a repeat is then an error).
    pub retracted: Vec<usize>,
}

impl StreamedComplaints {
    /// Drops the [`StreamedComplaints::retracted`] complaints from `column`, something the
    /// caller gathered with one element per complaint handed on, in the order they came.
    ///
    /// # Examples
    ///
    /// ```
    /// # use streetrank_io::{Crs, LoadedComplaints, StreamedComplaints};
    /// # let file = LoadedComplaints {
    /// #     complaints: Vec::new(), property_names: Vec::new(),
    /// #     source_crs: Crs::wgs84(), swapped: false, far_away: 0,
    /// #     report: streetrank_io::LoadReport::new(std::path::Path::new("c.csv")),
    /// #     sha256: String::new(),
    /// # };
    /// let streamed = StreamedComplaints { file, delivered: 4, retracted: vec![1, 3] };
    /// let mut ids = vec!["a", "b", "c", "d"];
    /// streamed.drop_retracted(&mut ids);
    /// assert_eq!(ids, ["a", "c"]);
    /// ```
    pub fn drop_retracted<T>(&self, column: &mut Vec<T>) {
        if self.retracted.is_empty() {
            return;
        }
        let mut position = 0;
        let mut next = self.retracted.iter().peekable();
        column.retain(|_| {
            let drop = next.next_if_eq(&&position).is_some();
            position += 1;
            !drop
        });
    }
}

/// Reads complaints like [`super::read_complaints`], handing them to `on_batch` a batch at a
/// time, in file order, instead of returning them.
///
/// A CSV file is read in blocks of 8 MiB, parsed in pieces of 1 MiB on all threads, and each
/// piece's complaints are handed on, in file order, once they are checked and projected.
/// Called from outside rayon's pool (as from `main`), `on_batch` runs on the calling thread
/// while the pool parses the next block, so the caller's work on a batch overlaps the
/// reading; called from one of the pool's threads, between blocks. Memory holds two blocks
/// of the file, two blocks' complaints, and per complaint of the file about 17 bytes (the key
/// of its id for the repeated-id check, and one byte of flags). GeoJSON and Open311 files are
/// read whole and handed on as one batch.
///
/// The complaints handed on, minus [`StreamedComplaints::retracted`], are exactly those
/// [`super::read_complaints`] returns, and the report, counts and digest are the same; so is
/// every error (message and record number). On an error, the complaints already handed on
/// must be discarded.
///
/// # Errors
///
/// As [`super::read_complaints`].
///
/// # Examples
///
/// ```no_run
/// use std::path::Path;
/// use streetrank_io::{stream_complaints, ComplaintsOptions, Crs};
/// let opts = ComplaintsOptions::new(Crs::epsg(32618));
/// let mut n = 0;
/// let read = stream_complaints(Path::new("requests.csv"), &opts, &mut |batch| n += batch.len())?;
/// assert_eq!(read.file.report.loaded, n - read.retracted.len());
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn stream_complaints(
    path: &Path,
    opts: &ComplaintsOptions,
    on_batch: &mut dyn FnMut(Vec<Complaint>),
) -> Result<StreamedComplaints> {
    stream_in_blocks(path, opts, &mut |batch, _| on_batch(batch), BLOCK, PIECE)
}

/// [`super::read_complaints`] for a CSV file: the streamed reader's batches gathered into one
/// vector, the retracted complaints dropped. Each piece is checked and projected on the pool
/// as it is parsed, while it is in cache, instead of in passes over the whole file afterwards.
/// `block` and `piece`: as [`stream_in_blocks`].
pub(super) fn gather(
    path: &Path,
    opts: &ComplaintsOptions,
    block: usize,
    piece: usize,
) -> Result<LoadedComplaints> {
    let mut all: Vec<Complaint> = Vec::new();
    let streamed = stream_in_blocks(
        path,
        opts,
        &mut |batch, expected| {
            if all.capacity() == 0 {
                if batch.len() >= expected {
                    // The whole file in one batch (a file read whole): taken as it is.
                    all = batch;
                    return;
                }
                // Room for the whole file at once: growing by doubling would copy the
                // complaints again and touch twice the fresh memory. The estimate comes from
                // the first piece alone; if that much cannot be had, the vector grows instead.
                let _ = all.try_reserve_exact(expected);
                crate::memory::advise_huge_pages(&mut all);
            }
            all.extend(batch);
        },
        block,
        piece,
    )?;
    debug_assert_eq!(streamed.delivered, all.len());
    streamed.drop_retracted(&mut all);
    let mut file = streamed.file;
    debug_assert_eq!(file.report.loaded, all.len());
    if all.capacity() - all.len() > all.len() / 8 {
        // The first piece's density overestimated the file's records.
        all.shrink_to_fit();
    }
    file.complaints = all;
    Ok(file)
}

/// [`stream_complaints`] with the block and piece sizes given (tests use tiny ones);
/// `on_batch` is also given the number of complaints the file is expected to hold (an
/// estimate from the first piece's density; exact for a file read whole).
pub(super) fn stream_in_blocks(
    path: &Path,
    opts: &ComplaintsOptions,
    on_batch: &mut dyn FnMut(Vec<Complaint>, usize),
    block: usize,
    piece: usize,
) -> Result<StreamedComplaints> {
    let whole = |on_batch: &mut dyn FnMut(Vec<Complaint>, usize)| {
        let mut file = super::read_parsed(path, opts)?;
        let complaints = std::mem::take(&mut file.complaints);
        let delivered = complaints.len();
        on_batch(complaints, delivered);
        Ok(StreamedComplaints {
            file,
            delivered,
            retracted: Vec::new(),
        })
    };
    if !matches!(sniff_format(path)?, Format::Csv) {
        return whole(on_batch);
    }
    // The CRS work each piece needs; when it cannot be set up, the whole-file reader reports
    // the problem at the point where it meets it.
    let Ok(checker) = Checker::new(path, opts) else {
        return whole(on_batch);
    };
    let file_len = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut s = Streamer::new(&checker, file_len);
    let mut report = LoadReport::new(path);
    let (parsed, sha256) = {
        // On the calling thread, while the pool parses the next block.
        let mut sink = |pieces: Vec<(Drafts, Prepared)>, cols: &Columns| {
            for (drafts, prepared) in pieces {
                let batch = s.take(drafts, prepared, cols);
                if !batch.is_empty() {
                    on_batch(batch, s.expected);
                }
            }
        };
        read_in_blocks(
            path,
            opts,
            &mut report,
            block,
            piece,
            Some((&checker, &mut sink)),
        )?
    };
    let mut streamed = s.finish(parsed, sha256, report)?;
    super::check_near_streets(path, opts, &mut streamed.file)?;
    Ok(streamed)
}

/// Flags kept per complaint for the checks completed at the end of the file.
mod flag {
    pub const INSIDE_GIVEN: u8 = 1;
    pub const INSIDE_SWAPPED: u8 = 2;
    pub const BAD_LAT_GIVEN: u8 = 4;
    pub const BAD_LAT_SWAPPED: u8 = 8;
    pub const FAR: u8 = 16;
    /// Not handed on (out of range, unprojectable or not finite).
    pub const HELD_BACK: u8 = 32;
}

/// A complaint id in 16 bytes: an integer or a text of up to 14 bytes exactly; a longer text
/// as its place in [`Streamer::long_ids`].
#[derive(Clone, Copy)]
struct IdKey(u128);

const TAG_INT: u128 = 0;
const TAG_SHORT: u128 = 1;
const TAG_LONG: u128 = 2;

impl IdKey {
    fn new(id: &SourceId, long_ids: &mut Vec<u8>) -> IdKey {
        match id {
            SourceId::Int(i) => IdKey(u128::from(i.cast_unsigned())),
            SourceId::Text(t) if t.len() <= 14 => {
                // Tag, text, length, from the most significant byte down: texts in a file's
                // increasing order give increasing keys, which sort in one pass.
                // In two registers, a fixed number of bytes each: a copy of a variable length
                // through memory is a call, and the wide load after narrow stores stalls.
                let b = t.as_bytes();
                let byte = |i: usize| u64::from(b.get(i).copied().unwrap_or(0));
                let (mut high, mut low) = (1u64, 0u64);
                for i in 0..7 {
                    high = (high << 8) | byte(i);
                    low = (low << 8) | byte(i + 7);
                }
                low = (low << 8) | b.len() as u64;
                IdKey((u128::from(high) << 64) | u128::from(low))
            }
            SourceId::Text(t) => {
                let at = long_ids.len() as u128;
                long_ids.extend_from_slice(t.as_bytes());
                IdKey((TAG_LONG << 120) | ((t.len() as u128) << 64) | at)
            }
        }
    }

    fn tag(self) -> u128 {
        self.0 >> 120
    }

    fn long(self, long_ids: &[u8]) -> &[u8] {
        #[allow(clippy::cast_possible_truncation)]
        let (at, len) = (self.0 as u64 as usize, (self.0 >> 64) as u32 as usize);
        long_ids.get(at..at + len).unwrap_or_default()
    }

    fn cmp(self, other: IdKey, long_ids: &[u8]) -> Ordering {
        if self.tag() == TAG_LONG && other.tag() == TAG_LONG {
            self.long(long_ids).cmp(other.long(long_ids))
        } else {
            self.0.cmp(&other.0)
        }
    }

    /// The id as [`SourceId`]'s `Display` writes it.
    fn text(self, long_ids: &[u8]) -> String {
        match self.tag() {
            TAG_INT => {
                #[allow(clippy::cast_possible_truncation)]
                let i = (self.0 as u64).cast_signed();
                i.to_string()
            }
            TAG_SHORT => {
                let b = self.0.to_be_bytes();
                let len = usize::from(b[15]).min(14);
                String::from_utf8_lossy(&b[1..=len]).into_owned()
            }
            _ => String::from_utf8_lossy(self.long(long_ids)).into_owned(),
        }
    }
}

/// Whether the keys are certainly all distinct: no long ids (their keys are places, not
/// texts), and keys that strictly ascend in file order (ids as an export sorted by id gives
/// them: one pass) or no two keys equal once sorted. Sorting the 16-byte keys themselves is
/// several times faster than sorting positions by key, which finding the repeats needs.
fn all_distinct(keys: &[IdKey]) -> bool {
    if keys.par_iter().any(|k| k.tag() == TAG_LONG) {
        return false;
    }
    keys.par_windows(2).all(|w| w[0].0 < w[1].0)
        || sorted_distinct(keys.par_iter().map(|k| k.0).collect())
}

/// Whether the keys are all distinct: they strictly ascend (one pass), or no two are equal once
/// sorted.
fn keys_distinct(keys: Vec<u128>) -> bool {
    keys.par_windows(2).all(|w| w[0] < w[1]) || sorted_distinct(keys)
}

/// Whether the complaints' ids are certainly all distinct (as [`SourceId`]s): each an
/// integer or a text of at most 14 bytes, and no two keys equal once sorted. `false` says
/// only that the slower exact check must run.
pub(super) fn ids_all_distinct(complaints: &[Complaint]) -> bool {
    let keys: Option<Vec<u128>> = complaints
        .par_iter()
        .map(|c| match &c.id {
            SourceId::Text(t) if t.len() > 14 => None,
            id => Some(IdKey::new(id, &mut Vec::new()).0),
        })
        .collect();
    keys.is_some_and(keys_distinct)
}

fn sorted_distinct(mut keys: Vec<u128>) -> bool {
    keys.par_sort_unstable();
    keys.par_windows(2).all(|w| w[0] != w[1])
}

/// A record whose rejection waits for the end of the file (it may turn out to be a repeat).
struct Held {
    /// Position among the file's accepted records.
    draft: usize,
    reason: &'static str,
    error: Error,
}

/// Which of the lists a held-back record goes to (they are reported in this order at the
/// end of the file).
#[derive(Clone, Copy)]
enum HeldList {
    OutOfRange,
    Unprojectable,
    NonFinite,
}

/// A record held back by [`Checker::prepare`], before its record number is known.
struct Pending {
    /// Position within its piece.
    k: usize,
    list: HeldList,
    reason: &'static str,
    problem: Problem,
}

/// What is wrong with a held-back record.
enum Problem {
    /// A record error: the problem and the fix.
    Record(String, &'static str),
    /// A projected point that is not finite; the complaint's id (replaced by the record
    /// number when the file has no id column) names it.
    NonFinite(SourceId, Coord<f64>),
}

/// One piece's checks, made on the pool as the piece is parsed ([`Checker::prepare`]).
pub(super) struct Prepared {
    /// Id keys, one per record of the piece (none without an id column); a long id's key
    /// points into `long_ids`.
    keys: Vec<IdKey>,
    long_ids: Vec<u8>,
    /// Check flags, one per record of the piece.
    flags: Vec<u8>,
    /// Records held back, in order.
    held: Vec<Pending>,
    /// Bytes of the file the piece holds.
    bytes: usize,
}

/// What the checks of one file need, shared by the threads that parse its pieces.
pub(super) struct Checker<'a> {
    path: &'a Path,
    opts: &'a ComplaintsOptions,
    source_crs: Crs,
    geographic: bool,
    /// Source to WGS84, for a projected source whose axes are checked.
    to_lonlat: Option<Transform>,
    to_work: Transform,
    check: bool,
    padded: Option<[f64; 4]>,
}

impl<'a> Checker<'a> {
    fn new(path: &'a Path, opts: &'a ComplaintsOptions) -> Result<Checker<'a>> {
        let source_crs = opts.mapping.crs.clone().unwrap_or_else(Crs::wgs84);
        let geographic = source_crs.is_geographic()?;
        let check = geographic || opts.streets_extent_lonlat.is_some();
        let to_lonlat = if check && !geographic {
            Some(Transform::new(&source_crs, &Crs::wgs84())?)
        } else {
            None
        };
        let to_work = Transform::new(&source_crs, &opts.work_crs)?;
        Ok(Checker {
            path,
            opts,
            geographic,
            to_lonlat,
            to_work,
            check,
            padded: opts
                .streets_extent_lonlat
                .map(|e| pad_extent(e, AXIS_CHECK_PAD_KM)),
            source_crs,
        })
    }

    /// Checks and projects one piece's complaints (in place: each point becomes its
    /// projection into the work CRS, exchanged first if `swap_xy` asks), needing nothing from
    /// the other pieces, so the pieces are prepared in parallel. `ids` when the file has an id
    /// column (the complaints' ids are then final); `bytes`: the piece's length in the file.
    pub(super) fn prepare(&self, batch: &mut [Complaint], ids: bool, bytes: usize) -> Prepared {
        let mut keys = Vec::new();
        let mut long_ids = Vec::new();
        if ids {
            keys.reserve_exact(batch.len());
            keys.extend(batch.iter().map(|c| IdKey::new(&c.id, &mut long_ids)));
        }
        let m = &self.opts.mapping;
        let mut flags = vec![0u8; batch.len()];
        let mut held = Vec::new();

        // Both readings as lon/lat, for the axis check and the far-away count: the points
        // themselves for a geographic source, else through PROJ, the piece at once.
        let projected_lonlat = |swap: bool| {
            self.to_lonlat.as_ref().filter(|_| self.check).map(|t| {
                let mut ll: Vec<Coord<f64>> = batch.iter().map(|c| reading(c, swap)).collect();
                t.in_place_or_nan(&mut ll);
                ll
            })
        };
        let (ll_given, ll_swapped) = (projected_lonlat(false), projected_lonlat(true));
        let bad_lat = |c: Coord<f64>| c.y.is_nan() || c.y.abs() > 90.0;
        let far = self.opts.streets_extent_lonlat;
        for (k, (c, f)) in batch.iter_mut().zip(&mut flags).enumerate() {
            let (x, y) = c.point.x_y();
            let mut given = Coord::default();
            if self.check {
                let (g, s) = match (&ll_given, &ll_swapped) {
                    (Some(g), Some(s)) => (g[k], s[k]),
                    _ => (Coord { x, y }, Coord { x: y, y: x }),
                };
                if let Some(e) = self.padded {
                    *f |= u8::from(in_extent(e, g)) * flag::INSIDE_GIVEN;
                    *f |= u8::from(in_extent(e, s)) * flag::INSIDE_SWAPPED;
                }
                *f |= u8::from(bad_lat(g)) * flag::BAD_LAT_GIVEN;
                *f |= u8::from(bad_lat(s)) * flag::BAD_LAT_SWAPPED;
                given = if m.swap_xy { s } else { g };
            }
            if m.swap_xy {
                c.point = Point::new(y, x);
            }
            // Geographic coordinates out of range: rejected at the end, unless a repeat.
            let (x, y) = c.point.x_y();
            if self.geographic && !((-90.0..=90.0).contains(&y) && (-360.0..=360.0).contains(&x)) {
                *f |= flag::HELD_BACK;
                held.push(Pending {
                    k,
                    list: HeldList::OutOfRange,
                    reason: "coordinate out of range",
                    problem: Problem::Record(
                        format!(
                            "longitude/latitude ({}, {}) is out of range",
                            fmt_number(x),
                            fmt_number(y)
                        ),
                        "latitude must be within ±90° and longitude within ±360°; check the columns and `crs` in [complaints]",
                    ),
                });
            } else if let Some(e) = far {
                *f |= u8::from(km_outside(e, given) > self.opts.far_km) * flag::FAR;
            }
        }

        // Project into the work CRS: the piece in one PROJ call, point by point when a
        // point is held back or the call fails.
        let mut coords: Vec<Coord<f64>> = batch.iter().map(|c| c.point.0).collect();
        let all_ok = held.is_empty() && self.to_work.in_place(&mut coords).is_ok();
        if !all_ok {
            for (k, (c, f)) in batch.iter().zip(&mut flags).enumerate() {
                if *f & flag::HELD_BACK != 0 {
                    continue;
                }
                match self.to_work.point(c.point.x(), c.point.y()) {
                    Ok((x, y)) => coords[k] = Coord { x, y },
                    Err(err) => {
                        *f |= flag::HELD_BACK;
                        held.push(Pending {
                            k,
                            list: HeldList::Unprojectable,
                            reason: "coordinate outside the CRS",
                            problem: Problem::Record(
                                format!(
                                    "({}, {}) cannot be projected from {} to {}: {err}",
                                    c.point.x(),
                                    c.point.y(),
                                    self.source_crs.label(),
                                    self.opts.work_crs.label()
                                ),
                                "check the coordinate columns and `crs` in [complaints]",
                            ),
                        });
                    }
                }
            }
        }
        for (k, ((c, p), f)) in batch.iter_mut().zip(&coords).zip(&mut flags).enumerate() {
            if *f & flag::HELD_BACK != 0 {
                continue;
            }
            if (p.x.is_finite() && p.y.is_finite())
                || Complaint::new(c.id.clone(), Point(*p)).is_ok()
            {
                c.point = Point(*p);
            } else {
                *f |= flag::HELD_BACK;
                held.push(Pending {
                    k,
                    list: HeldList::NonFinite,
                    reason: "",
                    problem: Problem::NonFinite(c.id.clone(), *p),
                });
            }
        }
        Prepared {
            keys,
            long_ids,
            flags,
            held,
            bytes,
        }
    }
}

/// The state carried from piece to piece.
struct Streamer<'c, 'a> {
    c: &'c Checker<'a>,
    /// Length of the file in bytes.
    file_len: u64,
    /// Records the file is expected to hold, estimated from the first piece's density (0
    /// before it).
    expected: usize,
    /// Accepted records so far.
    drafts: usize,
    /// (position among accepted records, record number) where the numbering jumps over
    /// skipped records; the first entry is the first record.
    jumps: Vec<(usize, usize)>,
    /// Record number of the last accepted record (0 before the first).
    last_record: usize,
    /// Id keys of the accepted records (empty without an id column: ids are then unique).
    keys: Vec<IdKey>,
    long_ids: Vec<u8>,
    id_field: Option<String>,
    flags: Vec<u8>,
    out_of_range: Vec<Held>,
    unprojectable: Vec<Held>,
    non_finite: Vec<Held>,
    delivered: usize,
}

impl<'c, 'a> Streamer<'c, 'a> {
    /// `file_len`: the file's length in bytes (for reserving room).
    fn new(c: &'c Checker<'a>, file_len: u64) -> Streamer<'c, 'a> {
        Streamer {
            expected: 0,
            c,
            file_len,
            drafts: 0,
            jumps: Vec::new(),
            last_record: 0,
            keys: Vec::new(),
            long_ids: Vec::new(),
            id_field: None,
            flags: Vec::new(),
            out_of_range: Vec::new(),
            unprojectable: Vec::new(),
            non_finite: Vec::new(),
            delivered: 0,
        }
    }

    /// The record number of accepted record `draft`.
    fn record(&self, draft: usize) -> usize {
        let k = self.jumps.partition_point(|&(d, _)| d <= draft);
        match k.checked_sub(1).and_then(|k| self.jumps.get(k)) {
            Some(&(d, r)) => r + (draft - d),
            None => draft + 1,
        }
    }

    /// Takes one piece's complaints, checked and projected by [`Checker::prepare`], and
    /// returns those not held back, to be handed on.
    fn take(&mut self, drafts: Drafts, prepared: Prepared, cols: &Columns) -> Vec<Complaint> {
        let Drafts {
            complaints: mut batch,
            records,
        } = drafts;
        let Prepared {
            keys,
            long_ids,
            flags,
            held,
            bytes,
        } = prepared;
        if self.flags.capacity() == 0 && bytes > 0 {
            // Room for the whole file's records at this piece's density, so the per-record
            // vectors grow once rather than by doubling copies (and fresh pages each time).
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let want = (flags.len() as f64 / bytes as f64 * self.file_len as f64 * 1.01) as usize;
            self.expected = want;
            self.flags.reserve_exact(want);
            if cols.id.is_some() {
                self.keys.reserve_exact(want);
            }
        }
        let base = self.drafts;
        for (k, &r) in records.iter().enumerate() {
            if r != self.last_record + 1 {
                self.jumps.push((base + k, r));
            }
            self.last_record = r;
        }
        self.drafts += batch.len();
        if let Some(i) = cols.id {
            if self.id_field.is_none() {
                self.id_field = Some(cols.names[i].clone());
            }
            let offset = self.long_ids.len() as u128;
            self.long_ids.extend_from_slice(&long_ids);
            self.keys.reserve(keys.len());
            self.keys.extend(keys.into_iter().map(|key| {
                if key.tag() == TAG_LONG {
                    IdKey(key.0 + offset)
                } else {
                    key
                }
            }));
        }
        let path = self.c.path;
        let have_held = !held.is_empty();
        for h in held {
            let record = records.get(h.k).copied().unwrap_or_default();
            let error = match h.problem {
                Problem::Record(problem, fix) => Error::record(path, record, None, problem, fix),
                Problem::NonFinite(id, p) => {
                    let id = if cols.id.is_some() {
                        id
                    } else {
                        SourceId::Int(i64::try_from(record).unwrap_or(i64::MAX))
                    };
                    // `prepare` held it back because this fails.
                    match Complaint::new(id, Point(p)) {
                        Err(source) => Error::Model {
                            path: path.to_path_buf(),
                            source,
                        },
                        Ok(_) => Error::record(
                            path,
                            record,
                            None,
                            format!("the projected point ({}, {}) is not finite", p.x, p.y),
                            "check the coordinate columns and `crs` in [complaints]",
                        ),
                    }
                }
            };
            let held = Held {
                draft: base + h.k,
                reason: h.reason,
                error,
            };
            match h.list {
                HeldList::OutOfRange => self.out_of_range.push(held),
                HeldList::Unprojectable => self.unprojectable.push(held),
                HeldList::NonFinite => self.non_finite.push(held),
            }
        }
        if have_held {
            let mut k = 0;
            batch.retain(|_| {
                k += 1;
                flags[k - 1] & flag::HELD_BACK == 0
            });
        }
        self.flags.extend_from_slice(&flags);
        self.delivered += batch.len();
        batch
    }

    /// The checks that need the whole file, in the whole-file reader's order.
    fn finish(
        self,
        parsed: super::Parsed,
        sha256: String,
        mut report: LoadReport,
    ) -> Result<StreamedComplaints> {
        let path = self.c.path;
        let opts = self.c.opts;
        let m = &opts.mapping;

        // Repeated ids: every record whose id an earlier accepted record has.
        let mut repeated = vec![false; if self.keys.is_empty() { 0 } else { self.drafts }];
        if !self.keys.is_empty() && !all_distinct(&self.keys) {
            let long_ids = &self.long_ids;
            let keys = &self.keys;
            let mut order: Vec<u32> = Vec::new();
            let mut order64: Vec<usize> = Vec::new();
            let mut repeats: Vec<(usize, usize)> = Vec::new();
            let mut group = |sorted: &mut dyn Iterator<Item = usize>| {
                let mut first: Option<usize> = None;
                let mut prev: Option<usize> = None;
                for i in sorted {
                    match (first, prev) {
                        (Some(f), Some(p)) if keys[p].cmp(keys[i], long_ids).is_eq() => {
                            repeats.push((i, f));
                        }
                        _ => first = Some(i),
                    }
                    prev = Some(i);
                }
            };
            let by_key = |a: usize, b: usize| keys[a].cmp(keys[b], long_ids).then(a.cmp(&b));
            if let Ok(n) = u32::try_from(keys.len()) {
                order.extend(0..n);
                order.par_sort_unstable_by(|&a, &b| by_key(a as usize, b as usize));
                group(&mut order.iter().map(|&i| i as usize));
            } else {
                order64.extend(0..keys.len());
                order64.par_sort_unstable_by(|&a, &b| by_key(a, b));
                group(&mut order64.iter().copied());
            }
            drop(order);
            drop(order64);
            repeats.sort_unstable();
            for &(i, f) in &repeats {
                let e = Error::record(
                    path,
                    self.record(i),
                    self.id_field.as_deref(),
                    format!(
                        "id `{}` was already used by record {}",
                        keys[i].text(long_ids),
                        self.record(f)
                    ),
                    "complaint ids must be unique: remove the repeated row, map another id column with `id` in [complaints], or load with skipping to drop repeats",
                );
                report.skip_or_fail(opts.on_error, "duplicate id", e)?;
                repeated[i] = true;
            }
        }
        let is_repeat = |d: usize| repeated.get(d).copied().unwrap_or(false);

        if parsed.records == 0 {
            return Err(Error::file(
                path,
                "the file holds no records",
                "give a file with at least one complaint",
            ));
        }
        report.note(match &m.crs {
            Some(c) => format!(
                "coordinates read in {} (set by `crs` in [complaints])",
                c.label()
            ),
            None => "coordinates read as WGS84 longitude/latitude (the default); set `crs` in [complaints] if they are in another CRS".to_owned(),
        });

        // Counts over the records left once repeats are dropped.
        let count = |bit: u8| {
            self.flags
                .par_iter()
                .enumerate()
                .filter(|&(d, f)| f & bit != 0 && !is_repeat(d))
                .count()
        };
        let total = self.drafts - repeated.iter().filter(|r| **r).count();
        let swapped = m.swap_xy;
        if self.c.check && total > 0 {
            let mut ev = AxisSwapEvidence {
                total,
                inside_as_given: self.c.padded.map(|_| count(flag::INSIDE_GIVEN)),
                inside_swapped: self.c.padded.map(|_| count(flag::INSIDE_SWAPPED)),
                bad_latitude_as_given: count(flag::BAD_LAT_GIVEN),
                bad_latitude_swapped: count(flag::BAD_LAT_SWAPPED),
            };
            if !self.c.geographic {
                ev.bad_latitude_as_given = 0;
                ev.bad_latitude_swapped = 0;
            }
            match (ev.verdict(), m.swap_xy) {
                (AxisVerdict::Swapped, false) => {
                    return Err(Error::file(
                        path,
                        format!(
                            "x ({}) and y ({}) look swapped: {}",
                            parsed.x_name,
                            parsed.y_name,
                            ev.describe()
                        ),
                        "pass --swap-xy or `swap_xy = true` in [complaints]",
                    ));
                }
                (AxisVerdict::Swapped, true) => report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks: {}",
                    parsed.x_name,
                    parsed.y_name,
                    ev.describe()
                )),
                (AxisVerdict::AsGiven, true) => report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks, although the points fit as given: {}; check the setting",
                    parsed.x_name,
                    parsed.y_name,
                    ev.describe()
                )),
                (AxisVerdict::Unknown, true) => report.note(format!(
                    "x ({}) and y ({}) exchanged as `swap_xy` asks",
                    parsed.x_name, parsed.y_name
                )),
                (_, false) => {}
            }
        } else if m.swap_xy {
            report.note(format!(
                "x ({}) and y ({}) exchanged as `swap_xy` asks",
                parsed.x_name, parsed.y_name
            ));
        }

        for held in self.out_of_range {
            if !is_repeat(held.draft) {
                report.skip_or_fail(opts.on_error, held.reason, held.error)?;
            }
        }
        let mut far_away = 0;
        if opts.streets_extent_lonlat.is_some() {
            far_away = count(flag::FAR);
            if far_away > 0 {
                report.note(format!(
                    "{} of {} complaints lie more than {} km outside the streets' extent; they will stay unmatched",
                    thousands(far_away),
                    thousands(total),
                    opts.far_km
                ));
            }
        }
        for held in self.unprojectable {
            if !is_repeat(held.draft) {
                report.skip_or_fail(opts.on_error, held.reason, held.error)?;
            }
        }
        if let Some(held) = self.non_finite.into_iter().find(|h| !is_repeat(h.draft)) {
            return Err(held.error);
        }

        // Repeats that were handed on, by their position among the complaints handed on.
        let mut retracted = Vec::new();
        let mut position = 0;
        for (d, f) in self.flags.iter().enumerate() {
            if f & flag::HELD_BACK == 0 {
                if is_repeat(d) {
                    retracted.push(position);
                }
                position += 1;
            }
        }
        report.loaded = self.delivered - retracted.len();
        Ok(StreamedComplaints {
            file: LoadedComplaints {
                complaints: Vec::new(),
                property_names: parsed.property_names,
                source_crs: self.c.source_crs.clone(),
                swapped,
                far_away,
                report,
                sha256,
            },
            delivered: self.delivered,
            retracted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short-text key is tag, text, length from the most significant byte down, so texts
    /// in increasing order give increasing keys (issue 4 builds it in a register).
    #[test]
    fn short_text_keys_are_tag_text_length() {
        for t in ["", "a", "SR-00001002", "abcdefghijklmn", "é1"] {
            let mut b = [0u8; 16];
            b[0] = 1;
            b[1..=t.len()].copy_from_slice(t.as_bytes());
            b[15] = u8::try_from(t.len()).unwrap_or(0);
            let key = IdKey::new(&SourceId::from(t), &mut Vec::new());
            assert_eq!(key.0, u128::from_be_bytes(b), "{t}");
            assert_eq!(key.text(&[]), t);
        }
        let (a, b) = (
            IdKey::new(&SourceId::Text("SR-1".into()), &mut Vec::new()),
            IdKey::new(&SourceId::Text("SR-2".into()), &mut Vec::new()),
        );
        assert!(a.0 < b.0);
    }

    /// Issue 4: the checks for repeated keys, with their one-pass answer for keys that ascend,
    /// say "all distinct" exactly when no two keys are equal: ascending, descending, shuffled,
    /// with repeats next to each other or apart, and with a long id (always the exact check).
    #[test]
    fn distinct_checks_agree_with_comparing_every_pair() {
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15u64);
        for round in 0..3000 {
            let len = usize::try_from(next() % 12).unwrap_or(0);
            let mut ids: Vec<i64> = (0..len)
                .map(|_| i64::try_from(next() % 16).unwrap_or(0))
                .collect();
            match round % 3 {
                0 => ids.sort_unstable(),
                1 => ids.sort_unstable_by(|a, b| b.cmp(a)),
                _ => {}
            }
            let want = (0..ids.len()).all(|i| (0..i).all(|j| ids[i] != ids[j]));
            let keys: Vec<IdKey> = ids
                .iter()
                .map(|&i| {
                    let id = if round % 2 == 0 {
                        SourceId::Int(i)
                    } else {
                        SourceId::from(format!("SR-{i:03}"))
                    };
                    IdKey::new(&id, &mut Vec::new())
                })
                .collect();
            assert_eq!(all_distinct(&keys), want, "{ids:?}");
            assert_eq!(
                keys_distinct(keys.iter().map(|k| k.0).collect()),
                want,
                "{ids:?}"
            );
            let mut long_ids = Vec::new();
            let mut with_long = keys.clone();
            with_long.push(IdKey::new(&SourceId::from("x".repeat(20)), &mut long_ids));
            assert!(!all_distinct(&with_long));
        }
    }
}
