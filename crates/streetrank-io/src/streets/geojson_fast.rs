//! The fast path of the GeoJSON streets reader: the file read whole, its
//! `features` array cut into spans parsed in parallel, each feature by feature
//! in one pass where it lies (its end found by parsing it), its values borrowed
//! from the file and its vertices written end to end into one vector per span.
//!
//! It answers only when it is sure to answer as the streaming reader in
//! [`super::geojson`] would. Each feature is parsed by a strict parser that
//! accepts the plain shape (`"type": "Feature"`, a LineString or null geometry,
//! `id`, `bbox`, `properties`); any other feature (MultiLineString, foreign
//! members, duplicate keys, 3-part positions...) is parsed as a
//! [`geojson::Feature`] from the same bytes, which is what the streaming
//! reader does. A feature neither can read (a syntax error, a truncated file,
//! a `features` array the scan cannot cut) makes the fast path give up, and
//! the streaming reader reads the file again to word the error as it always
//! has.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use geo_types::Coord;
use rayon::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use streetrank::PropertyValue;

use super::build::{
    Builder, Fields, Prepared, RawGeometry, geometry_problem, prepare, prepare_line,
};
use super::columns::{self, Columns, Problem, Row};
use super::geojson::{JsonRow, lines, refuse_non_lines};
use super::{LoadedStreets, StreetsOptions};
use crate::mapping::property_from_json;
use crate::{Crs, Error, LoadReport, Result};

/// The bytes of the `features` array parsed as one run on one thread: the
/// array is cut into spans of this size, parsed in parallel. Bounds the memory
/// of parsed-but-not-built features (and, under `OnError::Fail`, the work done
/// past a failing feature).
#[cfg(not(test))]
const SPAN: usize = 1 << 20;
/// Small in tests, so that the test files span several runs.
#[cfg(test)]
const SPAN: usize = 1 << 11;

/// Reads the streets in `bytes` (the whole file at `path`), or `None` when the
/// streaming reader must read the file instead (see the module docs).
pub(crate) fn read(
    path: &Path,
    bytes: &[u8],
    opts: &StreetsOptions,
    crs: &Crs,
    report: LoadReport,
) -> Option<Result<LoadedStreets>> {
    let start = bytes.iter().position(|&b| b == b'[')? + 1;
    let (first, _) = scan(bytes, start, start)?;
    let available = first_feature_columns(first.first()?)?;
    let mut report = report;
    let cols = match columns::resolve(path, &available, &opts.mapping, &mut report) {
        Ok(c) => c,
        Err(e) => return Some(Err(e)),
    };
    let needed = needed_columns(&cols);
    let builder = Builder::new(path, opts, cols, report);
    // The file's hash on one thread while the features are parsed on the others; and
    // PROJ's first look-ups, which open its database (tens of milliseconds): their
    // answers are cached for the whole process, so `finish` does not wait for them.
    let ((sha256, area), built) = rayon::join(
        || {
            rayon::join(
                || streetrank::sha256_hex(bytes),
                || {
                    warm_crs(crs, opts.work_crs.as_ref());
                    crate::area_of_use_lonlat(crs)
                },
            )
        },
        || push_all(path, bytes, start, &needed, builder),
    );
    match built? {
        Ok(mut builder) => {
            builder.known_area_of_use(area);
            Some(builder.finish(crs.clone(), sha256))
        }
        Err(e) => Some(Err(e)),
    }
}

/// Asks PROJ now what [`Builder::finish`] will ask it about the source and
/// work CRSs, so that its database is open and the answers (errors too) are in
/// [`crate::Crs`]'s process-wide cache by then. The answers are dropped here:
/// `finish` asks again, in its own order, and words any error as it always has.
fn warm_crs(source: &Crs, work: Option<&Crs>) {
    let _ = source.is_geographic();
    if let Some(work) = work {
        let _ = work.metres_per_unit();
    }
}

/// Parses the features of the array that starts at `start` and hands them, in
/// order, to the builder; `None` when a feature cannot be read or the array
/// is not closed.
///
/// The array is cut into spans of [`SPAN`] bytes. Span `k` starts at a guessed
/// feature boundary (the first `},{` after its nominal start, see
/// [`guess_boundary`]) and is parsed on one thread, feature by feature, to the
/// first top-level comma past the next span's nominal start: where the next span
/// must start. A group of spans is parsed in parallel while the previous group is
/// handed to the builder; a span whose guess turns out wrong is parsed again from
/// where its predecessor stopped, so the features are those of [`split_features`].
fn push_all<'o>(
    path: &Path,
    bytes: &[u8],
    start: usize,
    needed: &[String],
    builder: Builder<'o>,
) -> Option<Result<Builder<'o>>> {
    let cols = builder.columns().clone();
    let spans = (bytes.len() - start).div_ceil(SPAN).max(1);
    let nominal = |k: usize| start + k * SPAN;
    let stop = |k: usize| {
        if k + 1 == spans {
            usize::MAX
        } else {
            nominal(k + 1)
        }
    };
    let ctx = RunContext {
        path,
        bytes,
        needed,
        cols: &cols,
        slots: column_uses(&cols)
            .filter_map(|c| Some((c.as_str(), needed.iter().position(|n| n == c)?)))
            .collect(),
    };
    let parse = |k: usize| -> Option<Run> {
        let from = if k == 0 {
            start
        } else {
            guess_boundary(bytes, nominal(k))?
        };
        Some(parse_run(&ctx, from, stop(k)))
    };
    let mut pusher = Pusher {
        builder,
        seen_geometry: false,
        next: Some(start),
        number: 0,
        array_bytes: bytes.len() - start,
    };
    let group = 2 * rayon::current_num_threads().max(1);
    let mut previous: Option<(usize, Vec<Option<Run>>)> = None;
    let mut first = 0;
    while first < spans && pusher.next.is_some() {
        let last = (first + group).min(spans);
        let (parsed, pushed) = rayon::join(
            || (first..last).into_par_iter().map(parse).collect::<Vec<_>>(),
            || {
                previous
                    .take()
                    .map_or(Some(Ok(())), |(k, runs)| pusher.push(&ctx, k, runs, stop))
            },
        );
        if let Err(e) = pushed? {
            return Some(Err(e));
        }
        previous = Some((first, parsed));
        first = last;
    }
    if let Some((k, runs)) = previous
        && let Err(e) = pusher.push(&ctx, k, runs, stop)?
    {
        return Some(Err(e));
    }
    // The last span runs to the end of the array, so the array is closed here.
    if pusher.next.is_some() {
        return None;
    }
    Some(Ok(pusher.builder))
}

/// What [`parse_run`] needs besides where to start and stop.
struct RunContext<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    needed: &'a [String],
    cols: &'a Columns,
    /// Each column name of `cols` (the string itself), with its index in `needed`.
    slots: Vec<(&'a str, usize)>,
}

/// Hands parsed runs to the builder in feature order.
struct Pusher<'o> {
    builder: Builder<'o>,
    /// Whether a feature with a geometry was seen (the first is checked for
    /// the wrong kind of file).
    seen_geometry: bool,
    /// Where the next feature starts; `None` once the array is closed.
    next: Option<usize>,
    /// How many features were handed over.
    number: usize,
    /// The bytes from the first feature to the end of the file.
    array_bytes: usize,
}

impl Pusher<'_> {
    /// Hands over the runs of spans `k..`, parsing again a span that did not
    /// start where its predecessor stopped; `None` at a feature that could not
    /// be read, or when the array turns out not to be closed.
    fn push(
        &mut self,
        ctx: &RunContext<'_>,
        k: usize,
        runs: Vec<Option<Run>>,
        stop: impl Fn(usize) -> usize,
    ) -> Option<Result<()>> {
        for (j, run) in runs.into_iter().enumerate() {
            let Some(next) = self.next else {
                return Some(Ok(()));
            };
            let run = match run {
                Some(run) if run.start == next => run,
                _ => parse_run(ctx, next, stop(k + j)),
            };
            let (start, end) = (run.start, run.end);
            let first = self.number == 0;
            if let Err(e) = self.push_run(run) {
                // An error stands only when the array is closed (else the streaming
                // reader words what is wrong with the file): scan it from this run on.
                scan(ctx.bytes, start, usize::MAX)?;
                return Some(Err(e));
            }
            if first {
                self.expect_features(start, end);
            }
            match end {
                End::Next(n) => self.next = Some(n),
                End::Closed => self.next = None,
                End::Unreadable => return None,
            }
        }
        Some(Ok(()))
    }

    /// Hands over one run's features.
    fn push_run(&mut self, run: Run) -> Result<()> {
        let mut at = 0;
        let numbered = self.builder.columns().id.is_none();
        for f in run.features {
            self.number += 1;
            let line = &run.coords[at..at + f.len];
            at += f.len;
            if f.has_geometry && !self.seen_geometry {
                self.seen_geometry = true;
                if let Some(e) = f.refusal {
                    return Err(*e);
                }
            }
            let mut fields = f.fields;
            if numbered && let Ok(fields) = &mut fields {
                fields.number_id(self.number);
            }
            self.builder.push_line(self.number, fields, line)?;
        }
        Ok(())
    }

    /// Makes room in the builder for as many features as the file probably
    /// holds, at the bytes per feature of the first run (`start..end`), handed
    /// over just now.
    fn expect_features(&mut self, start: usize, end: End) {
        let features = self.number;
        let estimate = match end {
            End::Next(end) => {
                features.saturating_mul(self.array_bytes.div_ceil((end - start).max(1)))
            }
            End::Closed | End::Unreadable => features,
        };
        self.builder.expect_features(estimate);
    }
}

/// Where a [`Run`] stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// At a top-level comma: the next feature starts here.
    Next(usize),
    /// At the `]` that closes the array.
    Closed,
    /// At a feature that neither parser can read, or where the array is cut
    /// short: the fast path gives up when it gets there.
    Unreadable,
}

/// Features parsed from consecutive pieces of the array, their lines end to end.
struct Run {
    /// Where the first feature starts.
    start: usize,
    end: End,
    /// The features' vertices, one line after the other.
    coords: Vec<Coord<f64>>,
    features: Vec<RunFeature>,
}

/// One feature of a [`Run`], checked.
struct RunFeature {
    /// How many vertices of the run's `coords` are this feature's.
    len: usize,
    /// Whether the feature has a (non-null) geometry.
    has_geometry: bool,
    /// Why the file is refused when this is its first geometry (Point or Polygon).
    refusal: Option<Box<Error>>,
    /// The checked values; the id is the feature number's placeholder when the
    /// file has no id column (see [`Fields::number_id`]).
    fields: std::result::Result<Fields, Problem>,
}

/// Parses the features from `start` (a top-level position) on, one after the
/// other, to the first top-level comma at or past `stop`, or to the end of the
/// array. The pieces are those [`scan`] cuts: a feature of the plain shape is
/// parsed by [`Cursor::feature`] where it lies, and ends where its object does;
/// any other piece is cut by [`scan`] and parsed by [`parse_other`].
fn parse_run(ctx: &RunContext<'_>, start: usize, stop: usize) -> Run {
    let mut run = Run {
        start,
        end: End::Unreadable,
        coords: Vec::with_capacity(SPAN / 64),
        features: Vec::with_capacity(SPAN / 256),
    };
    let mut values = vec![Scalar::Null; ctx.needed.len()];
    let mut memo = KeyMemo::new();
    let mut at = start;
    loop {
        let before = run.coords.len();
        let mut c = Cursor {
            b: ctx.bytes,
            i: at,
        };
        let plain = c
            .feature(ctx.needed, &mut run.coords, &mut values, &mut memo)
            .and_then(|has_geometry| {
                c.ws();
                match c.peek()? {
                    b',' => Some((has_geometry, Some(c.i))),
                    b']' => Some((has_geometry, None)),
                    _ => None,
                }
            });
        let comma = if let Some((has_geometry, comma)) = plain {
            let line = &run.coords[before..];
            let row = ScalarRow {
                names: ctx.needed,
                slots: &ctx.slots,
                values: &values,
            };
            let geometry = if has_geometry {
                Ok(line)
            } else {
                Err(null_geometry())
            };
            run.features.push(RunFeature {
                len: line.len(),
                has_geometry,
                refusal: None,
                fields: prepare_line(ctx.cols, 0, geometry, &row),
            });
            comma
        } else {
            run.coords.truncate(before);
            let Some((pieces, next)) = scan(ctx.bytes, at, at) else {
                return run;
            };
            let Some(parsed) = pieces
                .first()
                .and_then(|piece| parse_other(ctx.path, piece, ctx.needed, ctx.cols))
            else {
                return run;
            };
            let (fields, len) = match parsed.prepared {
                Ok(p) => {
                    let (fields, line) = p.into_parts();
                    run.coords.extend_from_slice(&line);
                    (Ok(fields), line.len())
                }
                Err(problem) => (Err(problem), 0),
            };
            run.features.push(RunFeature {
                len,
                has_geometry: parsed.has_geometry,
                refusal: parsed.refusal,
                fields,
            });
            next.map(|n| n - 1)
        };
        let Some(comma) = comma else {
            run.end = End::Closed;
            return run;
        };
        at = comma + 1;
        if comma >= stop {
            run.end = End::Next(at);
            return run;
        }
    }
}

/// A feature that is not of the plain shape, checked.
struct Parsed {
    /// Whether the feature has a (non-null) geometry.
    has_geometry: bool,
    /// Why the file is refused when this is its first geometry (Point or Polygon).
    refusal: Option<Box<Error>>,
    prepared: std::result::Result<Prepared, Problem>,
}

/// Parses and checks a feature that [`Cursor::feature`] leaves: the strict
/// parser first, else as a [`geojson::Feature`]; `None` when neither can read
/// it. The id is the placeholder of [`RunFeature::fields`].
fn parse_other(path: &Path, piece: &[u8], needed: &[String], cols: &Columns) -> Option<Parsed> {
    if let Some(f) = parse_strict(piece, needed) {
        let has_geometry = f.geometry.is_some();
        let geometry: RawGeometry = match f.geometry {
            None => Err(null_geometry()),
            Some(line) => Ok(vec![line]),
        };
        let row = ValuesRow {
            names: needed,
            values: &f.values,
        };
        return Some(Parsed {
            has_geometry,
            refusal: None,
            prepared: prepare(cols, 0, geometry, &row),
        });
    }
    let feature: geojson::Feature = serde_json::from_slice(piece).ok()?;
    let (has_geometry, refusal, geometry) = match &feature.geometry {
        None => (false, None, Err(null_geometry())),
        Some(g) => (
            true,
            refuse_non_lines(path, &g.value).err().map(Box::new),
            lines(&g.value),
        ),
    };
    let row = JsonRow(feature.properties.as_ref());
    Some(Parsed {
        has_geometry,
        refusal,
        prepared: prepare(cols, 0, geometry, &row),
    })
}

/// The strict parser: a feature of the plain shape through serde_json, or `None`.
fn parse_strict(piece: &[u8], needed: &[String]) -> Option<FastFeature> {
    let mut de = serde_json::Deserializer::from_slice(piece);
    FeatureSeed { needed }
        .deserialize(&mut de)
        .and_then(|f| de.end().map(|()| f))
        .ok()
}

/// The problem of a feature whose geometry is null (or absent).
pub(crate) fn null_geometry() -> Problem {
    geometry_problem(
        "empty geometry",
        "the feature has no geometry (null)".into(),
        "drop the feature or give it a LineString (or load with on_error = skip)",
    )
}

/// The property names of the first feature, sorted and without repeats (as
/// the streaming reader's `serde_json::Map` holds them); `None` when the
/// feature cannot be read.
fn first_feature_columns(piece: &[u8]) -> Option<Vec<String>> {
    let feature: geojson::Feature = serde_json::from_slice(piece).ok()?;
    Some(
        feature
            .properties
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default(),
    )
}

/// Every column a feature's values are looked up in, without repeats.
fn needed_columns(cols: &Columns) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in column_uses(cols) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The columns [`prepare`] looks up, one entry per look-up (a column mapped
/// to two settings appears twice).
fn column_uses(cols: &Columns) -> impl Iterator<Item = &String> {
    [
        &cols.id,
        &cols.road_class,
        &cols.condition,
        &cols.aadt,
        &cols.width,
        &cols.lanes,
        &cols.district,
    ]
    .into_iter()
    .flatten()
    .chain(cols.keep.iter().map(|(_, c)| c))
}

/// The features of a FeatureCollection as byte ranges, cut where the
/// streaming reader cuts them: the array opened by the file's first `[` byte,
/// split at its top-level commas, up to its closing `]` (bytes after it are
/// not read). Strings are skipped with their escapes, so a comma or bracket
/// inside a property value does not cut.
///
/// `None` when the scan does not find a closed array (a truncated file, a
/// stray bracket): the caller then reads the file the slow way. The pieces
/// are not validated here; each must still parse as one JSON value.
///
/// Also meant for the complaints GeoJSON reader, which streams the same way.
pub(crate) fn split_features(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let parts = if bytes.len() < PARALLEL_SPLIT_BYTES {
        1
    } else {
        2 * rayon::current_num_threads()
    };
    split_in_parts(bytes, parts)
}

/// Files smaller than this are cut on one thread.
const PARALLEL_SPLIT_BYTES: usize = 1 << 20;

/// [`split_features`] with the array cut into `parts` spans scanned in
/// parallel. Span `k` starts at a guessed feature boundary (the first `},{`
/// after its nominal start) and stops at the first top-level comma past the
/// next span's nominal start. The scan is a state machine that is at depth 0,
/// outside strings, right after any top-level comma, so when span `k` stops
/// exactly where span `k + 1` was guessed to start, the guess was right and
/// the pieces are those of one scan from the start; at the first span whose
/// guess was wrong, the rest of the array is scanned in one piece.
fn split_in_parts(bytes: &[u8], parts: usize) -> Option<Vec<&[u8]>> {
    let open = bytes.iter().position(|&b| b == b'[')?;
    let start = open + 1;
    let span = (bytes.len() - start) / parts.max(1);
    if parts <= 1 || span == 0 {
        return scan(bytes, start, usize::MAX).map(|(pieces, _)| pieces);
    }
    let nominal = |k: usize| start + k * span;
    let guesses: Vec<Option<usize>> = (0..parts)
        .into_par_iter()
        .map(|k| {
            if k == 0 {
                Some(start)
            } else {
                guess_boundary(bytes, nominal(k))
            }
        })
        .collect();
    let scans: Vec<Option<Scan<'_>>> = (0..parts)
        .into_par_iter()
        .map(|k| {
            let stop = if k + 1 == parts {
                usize::MAX
            } else {
                nominal(k + 1)
            };
            scan(bytes, guesses[k]?, stop)
        })
        .collect();
    let mut pieces = Vec::new();
    let mut next = start;
    for (guess, result) in guesses.into_iter().zip(scans) {
        match result {
            Some((found, after)) if guess == Some(next) => {
                pieces.extend(found);
                match after {
                    Some(after) => next = after,
                    None => return Some(pieces),
                }
            }
            _ => {
                let (rest, _) = scan(bytes, next, usize::MAX)?;
                pieces.extend(rest);
                return Some(pieces);
            }
        }
    }
    None
}

/// Where a feature probably starts at or after `from`: just after the first
/// comma there that has a `}` before it and a `{` after it (blanks aside).
fn guess_boundary(bytes: &[u8], from: usize) -> Option<usize> {
    let blank = |b: &&u8| b.is_ascii_whitespace();
    let mut i = from;
    loop {
        i += bytes.get(i..)?.iter().position(|&b| b == b',')?;
        let before = bytes[..i].iter().rev().find(|b| !blank(b));
        let after = bytes[i + 1..].iter().find(|b| !blank(b));
        if before == Some(&b'}') && after == Some(&b'{') {
            return Some(i + 1);
        }
        i += 1;
    }
}

/// The pieces a [`scan`] cut, and where the next piece starts when it stopped early.
type Scan<'b> = (Vec<&'b [u8]>, Option<usize>);

/// Scans from `start` (a top-level position: depth 0, outside strings),
/// cutting at top-level commas, until the array closes (then the second value
/// is `None`) or until a top-level comma at or past `stop` (then it is where
/// the next piece starts). `None` when the bytes end first.
fn scan(bytes: &[u8], start: usize, stop: usize) -> Option<Scan<'_>> {
    let mut pieces = Vec::new();
    let mut start = start;
    let mut depth: usize = 0;
    let mut i = start;
    loop {
        // Jump to the next byte that matters: inside a feature commas do not.
        let table = if depth == 0 { &TOP } else { &NESTED };
        i += bytes
            .get(i..)?
            .iter()
            .position(|&b| table[usize::from(b)])?;
        match bytes[i] {
            b'"' => {
                // Skip the string: to the next unescaped quote.
                i += 1;
                loop {
                    let rest = bytes.get(i..)?;
                    i += rest.iter().position(|&b| b == b'"' || b == b'\\')?;
                    if bytes[i] == b'\\' {
                        i += 2;
                    } else {
                        break;
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' => depth = depth.checked_sub(1)?,
            b']' if depth == 0 => {
                pieces.push(&bytes[start..i]);
                return Some((pieces, None));
            }
            b']' => depth -= 1,
            _ => {
                // A comma between features.
                pieces.push(&bytes[start..i]);
                start = i + 1;
                if i >= stop {
                    return Some((pieces, Some(start)));
                }
            }
        }
        i += 1;
    }
}

/// Every feature of a FeatureCollection as [`geojson::Feature`], parsed in
/// parallel from the whole file's bytes: exactly what
/// `geojson::FeatureReader::features` yields, or `None` when any feature (or
/// the array around them) cannot be read this way: the caller then streams the
/// file, to read its quirks (a file cut short just after a comma) and word its
/// errors as it does today.
///
/// For the complaints GeoJSON reader, which streams its Point features the same
/// way; its streets counterpart is the strict parser above.
#[allow(
    dead_code,
    reason = "for the complaints GeoJSON reader, which will call it in a later change"
)]
pub(crate) fn features_parallel(bytes: &[u8]) -> Option<Vec<geojson::Feature>> {
    split_features(bytes)?
        .par_iter()
        .map(|piece| serde_json::from_slice(piece).ok())
        .collect()
}

/// The bytes [`split_features`] stops at between features, and inside one.
static TOP: [bool; 256] = byte_set(b"\"{}[],");
static NESTED: [bool; 256] = byte_set(b"\"{}[]");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

/// A feature as the strict parser reads it.
#[derive(Debug)]
struct FastFeature {
    /// The line's vertices; `None` for a null or absent geometry.
    geometry: Option<Vec<Coord<f64>>>,
    /// The value of each needed column (`Null` when absent), in `needed` order.
    values: Vec<PropertyValue>,
}

/// A feature's values as the strict parser reads them, looked up among the
/// needed columns.
struct ValuesRow<'a> {
    names: &'a [String],
    values: &'a [PropertyValue],
}

impl Row for ValuesRow<'_> {
    fn value(&self, column: &str) -> PropertyValue {
        self.names
            .iter()
            .position(|n| n == column)
            .and_then(|i| self.values.get(i))
            .cloned()
            .unwrap_or_default()
    }
}

/// A feature's values as [`Cursor::feature`] reads them (borrowed from the
/// file), looked up among the needed columns: a text is copied only when
/// looked up.
///
/// [`prepare_line`] asks with the column names of [`RunContext::cols`]
/// themselves, so each is first found by its address in `slots`; a name from
/// elsewhere is compared with the needed names.
struct ScalarRow<'a, 'b> {
    names: &'a [String],
    slots: &'a [(&'a str, usize)],
    values: &'a [Scalar<'b>],
}

impl Row for ScalarRow<'_, '_> {
    fn value(&self, column: &str) -> PropertyValue {
        self.slots
            .iter()
            .find(|(name, _)| std::ptr::eq(*name, column))
            .map(|(_, i)| *i)
            .or_else(|| self.names.iter().position(|n| n == column))
            .and_then(|i| self.values.get(i))
            .map_or(PropertyValue::Null, |v| v.into_property())
    }
}

/// Refuses what the strict parser leaves to [`geojson::Feature`].
fn unusual<E: de::Error>(what: &str) -> E {
    E::custom(format_args!("not the plain feature shape: {what}"))
}

/// A map key or short string, borrowed from the input when it has no escapes.
struct Str<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

struct FeatureSeed<'a> {
    needed: &'a [String],
}

impl<'de> DeserializeSeed<'de> for FeatureSeed<'_> {
    type Value = FastFeature;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<FastFeature, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FeatureSeed<'_> {
    type Value = FastFeature;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON Feature")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<FastFeature, A::Error> {
        let mut ty = false;
        let mut id = false;
        let mut bbox = false;
        let mut geometry: Option<Option<Vec<Coord<f64>>>> = None;
        let mut values: Option<Vec<PropertyValue>> = None;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.0.as_ref() {
                "type" if !ty => {
                    ty = true;
                    if map.next_value::<Str<'de>>()?.0 != "Feature" {
                        return Err(unusual("type"));
                    }
                }
                "id" if !id => {
                    id = true;
                    map.next_value::<Option<IdCheck>>()?;
                }
                "bbox" if !bbox => {
                    bbox = true;
                    map.next_value::<Option<Vec<f64>>>()?;
                }
                "geometry" if geometry.is_none() => {
                    geometry = Some(map.next_value_seed(OptionSeed(GeometrySeed))?);
                }
                "properties" if values.is_none() => {
                    let v = map.next_value_seed(OptionSeed(PropertiesSeed {
                        needed: self.needed,
                    }))?;
                    values =
                        Some(v.unwrap_or_else(|| vec![PropertyValue::Null; self.needed.len()]));
                }
                _ => return Err(unusual("member")),
            }
        }
        let Some(geometry) = geometry.filter(|_| ty) else {
            return Err(unusual("no type or no geometry member"));
        };
        Ok(FastFeature {
            geometry,
            values: values.unwrap_or_else(|| vec![PropertyValue::Null; self.needed.len()]),
        })
    }
}

/// A feature `id`: a string or a number, as [`geojson::feature::Id`] takes it.
struct IdCheck;

impl<'de> de::Deserialize<'de> for IdCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IdCheck;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<IdCheck, E> {
                Ok(IdCheck)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<IdCheck, E> {
                Ok(IdCheck)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<IdCheck, E> {
                Ok(IdCheck)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<IdCheck, E> {
                Ok(IdCheck)
            }
        }
        d.deserialize_any(V)
    }
}

/// `null` as `None`, anything else through the inner seed.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null or a value")
    }
    fn visit_none<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// A LineString geometry object: `type`, `coordinates` and an optional `bbox`.
struct GeometrySeed;

impl<'de> DeserializeSeed<'de> for GeometrySeed {
    type Value = Vec<Coord<f64>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for GeometrySeed {
    type Value = Vec<Coord<f64>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a LineString geometry")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut ty = false;
        let mut bbox = false;
        let mut coords = None;
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.0.as_ref() {
                "type" if !ty => {
                    ty = true;
                    if map.next_value::<Str<'de>>()?.0 != "LineString" {
                        return Err(unusual("geometry type"));
                    }
                }
                "bbox" if !bbox => {
                    bbox = true;
                    map.next_value::<Option<Vec<f64>>>()?;
                }
                "coordinates" if coords.is_none() => {
                    coords = Some(map.next_value_seed(LineSeed)?);
                }
                _ => return Err(unusual("geometry member")),
            }
        }
        match (ty, coords) {
            (true, Some(c)) => Ok(c),
            _ => Err(unusual("geometry without type or coordinates")),
        }
    }
}

/// `[[x, y, ...], ...]` straight into vertices; a position of fewer than two
/// numbers is left to [`geojson::Feature`].
struct LineSeed;

impl<'de> DeserializeSeed<'de> for LineSeed {
    type Value = Vec<Coord<f64>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LineSeed {
    type Value = Vec<Coord<f64>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of positions")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(c) = seq.next_element_seed(PositionSeed)? {
            out.push(c);
        }
        Ok(out)
    }
}

struct PositionSeed;

impl<'de> DeserializeSeed<'de> for PositionSeed {
    type Value = Coord<f64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PositionSeed {
    type Value = Coord<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a position")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let x = seq.next_element::<f64>()?;
        let y = seq.next_element::<f64>()?;
        let (Some(x), Some(y)) = (x, y) else {
            return Err(unusual("short position"));
        };
        while seq.next_element::<f64>()?.is_some() {}
        Ok(Coord { x, y })
    }
}

/// The `properties` object: the needed columns' values (the last one when a
/// key repeats, as in a `serde_json::Map`), every other value checked as JSON
/// and dropped.
struct PropertiesSeed<'a> {
    needed: &'a [String],
}

impl<'de> DeserializeSeed<'de> for PropertiesSeed<'_> {
    type Value = Vec<PropertyValue>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PropertiesSeed<'_> {
    type Value = Vec<PropertyValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a properties object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut values = vec![PropertyValue::Null; self.needed.len()];
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match self
                .needed
                .iter()
                .position(|n| n.as_str() == key.0.as_ref())
            {
                Some(i) => values[i] = map.next_value::<JsonProperty>()?.0,
                None => {
                    map.next_value::<AnyJson>()?;
                }
            }
        }
        Ok(values)
    }
}

/// A property value as [`property_from_json`] makes it from a `serde_json::Value`.
struct JsonProperty(PropertyValue);

impl<'de> de::Deserialize<'de> for JsonProperty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonProperty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(PropertyValue::Null))
            }
            fn visit_none<E>(self) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(PropertyValue::Null))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(PropertyValue::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(property_from_json(&v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(property_from_json(&v.into())))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(property_from_json(&v.into())))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<JsonProperty, E> {
                Ok(JsonProperty(PropertyValue::Text(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<JsonProperty, A::Error> {
                let v: serde_json::Value =
                    de::Deserialize::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(JsonProperty(property_from_json(&v)))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<JsonProperty, A::Error> {
                let v: serde_json::Value =
                    de::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(JsonProperty(property_from_json(&v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// Any JSON value, parsed as a `serde_json::Value` would be (numbers out of
/// range are errors, as there) but kept nowhere.
struct AnyJson;

impl<'de> de::Deserialize<'de> for AnyJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyJson;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E>(self) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_none<E>(self) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<AnyJson, E> {
                Ok(AnyJson)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<AnyJson, A::Error> {
                while seq.next_element::<AnyJson>()?.is_some() {}
                Ok(AnyJson)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<AnyJson, A::Error> {
                while map.next_key::<IgnoredKey>()?.is_some() {
                    map.next_value::<AnyJson>()?;
                }
                Ok(AnyJson)
            }
        }
        d.deserialize_any(V)
    }
}

/// An object key, parsed (escapes checked) and dropped.
struct IgnoredKey;

impl<'de> de::Deserialize<'de> for IgnoredKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(IgnoredAny).map(|_| IgnoredKey)
    }
}

/// [`Cursor::feature`] on one piece, as [`parse_strict`] answers: for the tests
/// that hold the two parsers to each other.
#[cfg(test)]
fn parse_plain<'b>(
    piece: &'b [u8],
    needed: &[String],
    memo: &mut KeyMemo<'b>,
) -> Option<FastFeature> {
    let mut c = Cursor { b: piece, i: 0 };
    let mut coords = Vec::new();
    let mut values = vec![Scalar::Null; needed.len()];
    let has_geometry = c.feature(needed, &mut coords, &mut values, memo)?;
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    Some(FastFeature {
        geometry: has_geometry.then_some(coords),
        values: values.into_iter().map(Scalar::into_property).collect(),
    })
}

/// The property keys of an earlier feature, in order, each with the needed
/// column it is (its index in `needed`), if any.
type KeyMemo<'b> = Vec<(&'b [u8], Option<usize>)>;

/// A JSON number as serde_json hands it to a visitor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    /// A non-negative integer.
    U(u64),
    /// A negative integer.
    I(i64),
    /// A number with a fraction or exponent (or `-0`).
    F(f64),
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::U(u) => u as f64,
            Number::I(i) => i as f64,
            Number::F(f) => f,
        }
    }
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Powers of ten as integers, up to the most digits of a significand.
const POW10_INT: [u64; MAX_DIGITS + 1] = {
    let mut p = [1u64; MAX_DIGITS + 1];
    let mut k = 1;
    while k <= MAX_DIGITS {
        p[k] = p[k - 1] * 10;
        k += 1;
    }
    p
};

/// Most digits [`Cursor::number`] reads: the significand then fits a `u64`
/// without the overflow serde_json switches to another algorithm at.
const MAX_DIGITS: usize = 18;

/// The bytes that end a string for [`Cursor::string`]: its closing quote, or
/// what it leaves to serde_json (an escape, a control character).
static STRING_STOP: [bool; 256] = {
    let mut set = byte_set(b"\"\\");
    let mut b = 0;
    while b < 0x20 {
        set[b] = true;
        b += 1;
    }
    set
};

/// Where the first byte of [`STRING_STOP`] lies in `rest`: eight bytes at a
/// time while none of them is one (a word holds one when one of its bytes is
/// a quote, a backslash or below 0x20; the tests are exact up to the first such byte), then
/// byte by byte.
fn string_stop(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let mut k = 0;
    while let Some(word) = rest.get(k..k + 8) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let w = u64::from_le_bytes(bytes);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        if has_below(quote, 1) | has_below(backslash, 1) | has_below(w, 0x20) != 0 {
            break;
        }
        k += 8;
    }
    Some(
        k + rest
            .get(k..)?
            .iter()
            .position(|&b| STRING_STOP[usize::from(b)])?,
    )
}

/// A position in the bytes of one feature, for [`parse_plain`]. Every method
/// gives `None` for what it does not accept.
struct Cursor<'b> {
    b: &'b [u8],
    i: usize,
}

impl<'b> Cursor<'b> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Parses a feature of the commonest shape by hand, without serde, from
    /// here to the end of its object: members `type`, `id`, `geometry` (null or
    /// a LineString of `type` and `coordinates`) and `properties` (null or an
    /// object of strings without escapes, numbers, booleans and nulls), with
    /// short numbers. The line's vertices are pushed onto `coords`, the needed
    /// columns' values (`Null` when absent) set in `values`; the answer is
    /// whether the geometry is not null. `memo` carries the property keys of
    /// the features before (see [`properties`](Self::properties)).
    ///
    /// It answers only when the strict serde parser ([`FeatureSeed`]) would
    /// return the same feature, value for value and bit for bit; anything else
    /// (an escape, a nested value, a long or huge number, a `bbox`, a syntax
    /// error...) gives `None` (with `coords` and `values` in any state), and the
    /// caller runs that parser.
    fn feature(
        &mut self,
        needed: &[String],
        coords: &mut Vec<Coord<f64>>,
        values: &mut [Scalar<'b>],
        memo: &mut KeyMemo<'b>,
    ) -> Option<bool> {
        values.fill(Scalar::Null);
        self.ws();
        self.eat(b'{')?;
        let mut ty = false;
        let mut id = false;
        let mut geometry: Option<bool> = None;
        let mut properties = false;
        loop {
            self.ws();
            let key = self.string()?;
            self.colon()?;
            match key {
                b"type" if !ty => {
                    ty = true;
                    if self.string()? != b"Feature" {
                        return None;
                    }
                }
                b"id" if !id => {
                    id = true;
                    match self.peek()? {
                        b'"' => {
                            self.text()?;
                        }
                        b'n' => self.null()?,
                        _ => {
                            self.number()?;
                        }
                    }
                }
                b"geometry" if geometry.is_none() => {
                    geometry = Some(if self.peek()? == b'n' {
                        self.null()?;
                        false
                    } else {
                        self.line_string(coords)?;
                        true
                    });
                }
                b"properties" if !properties => {
                    properties = true;
                    if self.peek()? == b'n' {
                        self.null()?;
                    } else {
                        self.properties(needed, values, memo)?;
                    }
                }
                _ => return None,
            }
            if !self.next_member()? {
                break;
            }
        }
        if ty { geometry } else { None }
    }

    /// Skips JSON whitespace (exactly the four bytes serde_json skips).
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// `:` between blanks.
    fn colon(&mut self) -> Option<()> {
        self.ws();
        self.eat(b':')?;
        self.ws();
        Some(())
    }

    /// After an object member: `true` at a `,`, `false` at the closing `}`.
    fn next_member(&mut self) -> Option<bool> {
        self.ws();
        let more = match self.peek()? {
            b',' => true,
            b'}' => false,
            _ => return None,
        };
        self.i += 1;
        Some(more)
    }

    /// A string without escapes or control characters, as its raw bytes
    /// (UTF-8 not yet checked).
    fn string(&mut self) -> Option<&'b [u8]> {
        self.eat(b'"')?;
        let rest = self.b.get(self.i..)?;
        let len = string_stop(rest)?;
        if rest[len] != b'"' {
            return None;
        }
        self.i += len + 1;
        Some(&rest[..len])
    }

    /// A string as text (valid UTF-8, as serde_json requires).
    fn text(&mut self) -> Option<&'b str> {
        std::str::from_utf8(self.string()?).ok()
    }

    fn null(&mut self) -> Option<()> {
        let rest = self.b.get(self.i..)?;
        rest.starts_with(b"null").then(|| self.i += 4)
    }

    /// A number's digits, to the first byte that cannot continue it.
    fn digits(&mut self) -> Digits {
        let (digits, end) = digits_at(self.b, self.i);
        self.i = end;
        digits
    }

    /// The syntax of a JSON number (as serde_json checks it), in parts.
    fn number_token(&mut self) -> Option<Token> {
        let negative = self.peek()? == b'-';
        if negative {
            self.i += 1;
        }
        let int = self.digits();
        // At least one digit, and one leading zero only.
        if int.count == 0 || (int.count > 1 && self.b[self.i - int.count] == b'0') {
            return None;
        }
        let mut fraction = Digits { count: 0, value: 0 };
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            fraction = self.digits();
            if fraction.count == 0 {
                return None;
            }
        }
        let mut exponent: i32 = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            float = true;
            let negative_exp = match self.peek()? {
                b'-' => {
                    self.i += 1;
                    true
                }
                b'+' => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let e = self.digits();
            // Written exponents of one or two digits only.
            if e.count == 0 || e.count > 2 {
                return None;
            }
            exponent = i32::try_from(e.value).ok()?;
            if negative_exp {
                exponent = -exponent;
            }
        }
        Some(Token {
            negative,
            int,
            fraction,
            exponent,
            float,
        })
    }

    /// A number valued as serde_json values it: see [`Token::value`]. A number
    /// without an exponent (a coordinate) is read in one pass over local
    /// state; any other is left to [`number_token`](Self::number_token).
    fn number(&mut self) -> Option<Number> {
        let b = self.b;
        let start = self.i;
        let negative = b.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        let (int, mut i) = digits_at(b, int_start);
        let mut fraction = Digits { count: 0, value: 0 };
        let float = b.get(i) == Some(&b'.');
        if float {
            (fraction, i) = digits_at(b, i + 1);
        }
        let plain = int.count > 0
            // One leading zero only.
            && (int.count == 1 || b.get(int_start) != Some(&b'0'))
            && (!float || fraction.count > 0)
            && !matches!(b.get(i), Some(b'e' | b'E'));
        if !plain {
            return self.number_token()?.value();
        }
        self.i = i;
        Token {
            negative,
            int,
            fraction,
            exponent: 0,
            float,
        }
        .value()
    }

    /// A number whose value is not needed, which serde_json reads without error
    /// (it refuses a number too large for `f64`).
    fn skip_number(&mut self) -> Option<()> {
        let t = self.number_token()?;
        (t.int.count <= 200).then_some(())
    }

    /// A LineString geometry object: `type` and `coordinates`, once each; the
    /// vertices are pushed onto `coords`.
    fn line_string(&mut self, coords: &mut Vec<Coord<f64>>) -> Option<()> {
        self.eat(b'{')?;
        let mut ty = false;
        let mut positions = false;
        loop {
            self.ws();
            let key = self.string()?;
            self.colon()?;
            match key {
                b"type" if !ty => {
                    ty = true;
                    if self.string()? != b"LineString" {
                        return None;
                    }
                }
                b"coordinates" if !positions => {
                    positions = true;
                    self.positions(coords)?;
                }
                _ => return None,
            }
            if !self.next_member()? {
                break;
            }
        }
        (ty && positions).then_some(())
    }

    /// `[[x, y, ...], ...]`: positions of two or more numbers, pushed onto `out`.
    fn positions(&mut self, out: &mut Vec<Coord<f64>>) -> Option<()> {
        self.eat(b'[')?;
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.ws();
            self.eat(b'[')?;
            self.ws();
            let x = self.number()?.as_f64();
            self.ws();
            self.eat(b',')?;
            self.ws();
            let y = self.number()?.as_f64();
            loop {
                self.ws();
                match self.peek()? {
                    b']' => break,
                    b',' => {
                        self.i += 1;
                        self.ws();
                        self.number()?;
                    }
                    _ => return None,
                }
            }
            self.i += 1;
            out.push(Coord { x, y });
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A flat `properties` object: the needed columns' values set in `values`
    /// (the last one when a key repeats), every other value checked and dropped.
    ///
    /// The `k`-th key is first compared with the `k`-th key of an earlier
    /// object in `memo` (features of one file mostly list their properties in
    /// the same order); only when it differs is it searched and looked up.
    fn properties(
        &mut self,
        needed: &[String],
        values: &mut [Scalar<'b>],
        memo: &mut KeyMemo<'b>,
    ) -> Option<()> {
        self.eat(b'{')?;
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let mut k = 0;
        loop {
            self.ws();
            let slot = match memo.get(k) {
                Some(&(key, slot)) if self.quoted_is(key) => slot,
                _ => {
                    let key = self.string()?;
                    if !key.is_ascii() {
                        std::str::from_utf8(key).ok()?;
                    }
                    let slot = needed.iter().position(|n| n.as_bytes() == key);
                    memo.truncate(k);
                    memo.push((key, slot));
                    slot
                }
            };
            k += 1;
            self.colon()?;
            match slot {
                Some(i) => *values.get_mut(i)? = self.scalar(true)?,
                None => {
                    self.scalar(false)?;
                }
            }
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    /// Whether the string here is `"key"` exactly (then it is read): for a
    /// `key` that [`string`](Self::string) read, the string it would read.
    fn quoted_is(&mut self, key: &[u8]) -> bool {
        let end = self.i + key.len() + 1;
        let here = self.b.get(self.i..=end).is_some_and(|s| {
            s.first() == Some(&b'"')
                && s.last() == Some(&b'"')
                && s.get(1..s.len() - 1) == Some(key)
        });
        if here {
            self.i = end + 1;
        }
        here
    }

    /// A string, number, boolean or null; a number is valued only when `valued`
    /// (else it is checked, and read as null).
    fn scalar(&mut self, valued: bool) -> Option<Scalar<'b>> {
        Some(match self.peek()? {
            b'"' => Scalar::Text(self.text()?),
            b'n' => {
                self.null()?;
                Scalar::Null
            }
            b't' | b'f' => {
                let rest = self.b.get(self.i..)?;
                if rest.starts_with(b"true") {
                    self.i += 4;
                    Scalar::Bool(true)
                } else if rest.starts_with(b"false") {
                    self.i += 5;
                    Scalar::Bool(false)
                } else {
                    return None;
                }
            }
            _ if valued => Scalar::Number(self.number()?),
            _ => {
                self.skip_number()?;
                Scalar::Null
            }
        })
    }
}

/// The run of decimal digits at `i` in `b`, and where it ends.
fn digits_at(b: &[u8], mut i: usize) -> (Digits, usize) {
    let start = i;
    // Wraps past `MAX_DIGITS` digits, where it is not used.
    let mut value: u64 = 0;
    while let Some(&d) = b.get(i) {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    let count = i - start;
    let value = if count <= MAX_DIGITS { value } else { 0 };
    (Digits { count, value }, i)
}

/// A run of decimal digits: how many, and their value when at most [`MAX_DIGITS`].
#[derive(Clone, Copy)]
struct Digits {
    count: usize,
    value: u64,
}

/// A JSON number in parts: sign, integer digits, fraction digits, written exponent.
struct Token {
    negative: bool,
    int: Digits,
    fraction: Digits,
    exponent: i32,
    /// Whether it has a fraction or an exponent.
    float: bool,
}

impl Token {
    /// The value serde_json gives the number, when it is sure to be this one:
    /// at most [`MAX_DIGITS`] digits in all, and for a fraction or exponent a
    /// significand below 2^53 and a net exponent within ±22, so that the value
    /// is the significand times or divided by an exact power of ten, rounded
    /// once, which is both what serde_json computes and the correctly rounded
    /// value its `float_roundtrip` parser gives.
    fn value(&self) -> Option<Number> {
        let digits = self.int.count + self.fraction.count;
        if digits > MAX_DIGITS {
            return None;
        }
        let significand =
            self.int.value * *POW10_INT.get(self.fraction.count)? + self.fraction.value;
        if !self.float {
            return Some(match (self.negative, significand) {
                (false, u) => Number::U(u),
                // serde_json reads `-0` as a float.
                (true, 0) => Number::F(-0.0),
                (true, u) => Number::I(-i64::try_from(u).ok()?),
            });
        }
        if significand >= 1 << 53 {
            return None;
        }
        let exponent = self.exponent - i32::try_from(self.fraction.count).ok()?;
        let pow = *POW10.get(usize::try_from(exponent.unsigned_abs()).ok()?)?;
        let f = significand as f64;
        let f = if exponent >= 0 { f * pow } else { f / pow };
        Some(Number::F(if self.negative { -f } else { f }))
    }
}

/// A property value as [`Cursor::scalar`] reads it, borrowed until needed.
#[derive(Debug, Clone, Copy)]
enum Scalar<'b> {
    Null,
    Bool(bool),
    Number(Number),
    Text(&'b str),
}

impl Scalar<'_> {
    /// The value [`JsonProperty`] makes of the same JSON.
    fn into_property(self) -> PropertyValue {
        match self {
            Scalar::Null => PropertyValue::Null,
            Scalar::Bool(b) => PropertyValue::Bool(b),
            // As `property_from_json` values a `serde_json::Value` made of the number.
            Scalar::Number(Number::U(u)) => {
                i64::try_from(u).map_or(PropertyValue::Float(u as f64), PropertyValue::Int)
            }
            Scalar::Number(Number::I(i)) => PropertyValue::Int(i),
            Scalar::Number(Number::F(f)) if f.is_finite() => PropertyValue::Float(f),
            Scalar::Number(Number::F(_)) => PropertyValue::Null,
            Scalar::Text(t) => PropertyValue::Text(t.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::PathBuf;

    use super::*;
    use crate::OnError;
    use crate::streets::StreetMapping;
    use crate::streets::geojson::read_with;

    /// Both readers on `path`: (fast path's answer, whether it answered, streaming answer).
    fn both(path: &Path, opts: &StreetsOptions) -> (String, bool, String) {
        let (fast, answered) = read_with(path, opts, true);
        let (slow, _) = read_with(path, opts, false);
        (format!("{fast:?}"), answered, format!("{slow:?}"))
    }

    fn option_sets() -> Vec<StreetsOptions> {
        let keep = StreetMapping {
            keep: vec!["name".into(), "extra".into(), "big".into()],
            width_unit: Some("ft".into()),
            ..StreetMapping::default()
        };
        // Columns looked up twice or three times (see `used_once`).
        let mapped_id = StreetMapping {
            id: Some("name".into()),
            road_class: Some("district".into()),
            keep: vec!["name".into(), "district".into()],
            ..StreetMapping::default()
        };
        let mut out = Vec::new();
        for mapping in [StreetMapping::default(), keep, mapped_id] {
            for on_error in [OnError::Fail, OnError::Skip, OnError::List] {
                out.push(StreetsOptions {
                    mapping: mapping.clone(),
                    on_error,
                    work_crs: None,
                });
            }
        }
        out
    }

    /// A seeded xorshift generator.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn number(rng: &mut Rng, v: f64) -> String {
        match rng.below(5) {
            0 => format!("{v:.6}"),
            1 => format!("{v:e}"),
            2 => format!("{}", v.round()),
            _ => format!("{v}"),
        }
    }

    fn position(rng: &mut Rng, i: usize) -> String {
        let x = -76.15 + rng.unit() * 0.1 + i as f64 * 1e-4;
        let y = 43.0 + rng.unit() * 0.1;
        match rng.below(12) {
            0 => format!(
                "[{}, {}, {}]",
                number(rng, x),
                number(rng, y),
                rng.below(300)
            ),
            1 => format!("[ {} ,\n {} ]", number(rng, x), number(rng, y)),
            _ => format!("[{},{}]", number(rng, x), number(rng, y)),
        }
    }

    fn line(rng: &mut Rng) -> String {
        let n = match rng.below(20) {
            0 => 0,
            1 => 1,
            _ => 2 + rng.below(5) as usize,
        };
        let mut s = String::from("[");
        let first = position(rng, 0);
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            // Now and then a repeated vertex, or a line of one repeated vertex.
            if i > 0 && rng.below(8) == 0 {
                s.push_str(&first);
            } else {
                s.push_str(&position(rng, i));
            }
        }
        s.push(']');
        s
    }

    fn geometry(rng: &mut Rng) -> String {
        match rng.below(40) {
            0 => "null".into(),
            1 => format!(
                r#"{{"type":"MultiLineString","coordinates":[{}]}}"#,
                line(rng)
            ),
            2 => format!(
                r#"{{"type":"MultiLineString","coordinates":[{},{}]}}"#,
                line(rng),
                line(rng)
            ),
            3 => format!(
                r#"{{"coordinates":{},"type":"LineString","bbox":[-76.2,43.0,-76.1,43.1]}}"#,
                line(rng)
            ),
            4 => format!(
                r#"{{"type":"LineString","coordinates":{},"crs":null}}"#,
                line(rng)
            ),
            5 => r#"{"type":"Point","coordinates":[-76.1,43.0]}"#.into(),
            _ => format!(r#"{{"type":"LineString","coordinates":{}}}"#, line(rng)),
        }
    }

    fn value(rng: &mut Rng, kind: &str) -> String {
        match (kind, rng.below(14)) {
            (_, 0) => "null".into(),
            (_, 1) => r#""""#.into(),
            (_, 2) => r#"" 7 ""#.into(),
            (_, 3) => "true".into(),
            (_, 4) => "18446744073709551615".into(),
            (_, 5) => "-12".into(),
            (_, 6) => r#"{"b":1,"a":[1,2.5,"x"]}"#.into(),
            (_, 7) => r#""caf\u00e9 \"St\" \\ [x], {y}""#.into(),
            ("text", _) => format!(r#""Main {} St""#, rng.below(50)),
            (_, 8) => format!("{}.0", rng.below(100)),
            (_, 9) => format!("{}.5", rng.below(100)),
            (_, 10) => format!(r#""{}""#, rng.below(100)),
            _ => format!("{}", rng.below(10_000)),
        }
    }

    fn feature(rng: &mut Rng, i: usize) -> String {
        let id = if rng.below(50) == 0 {
            i.saturating_sub(1)
        } else {
            i
        };
        let mut props = vec![
            format!(r#""segment_id":{id}"#),
            format!(r#""name":{}"#, value(rng, "text")),
            format!(r#""road_class":{}"#, value(rng, "text")),
            format!(r#""width_m":{}"#, value(rng, "number")),
            format!(r#""lanes":{}"#, value(rng, "number")),
            format!(r#""district":{}"#, value(rng, "text")),
            format!(r#""aadt":{}"#, value(rng, "number")),
            format!(r#""condition":{}"#, value(rng, "number")),
            format!(r#""extra":{}"#, value(rng, "any")),
            format!(r#""big":{}"#, value(rng, "any")),
        ];
        match rng.below(30) {
            0 => props.push(format!(r#""segment_id":{}"#, id + 1_000_000)),
            1 => props.push(r#""name":null"#.into()),
            2 => {
                props.remove(0);
            }
            3 => props.reverse(),
            4 => props.push(r#""Segment_ID":"x""#.into()),
            _ => {}
        }
        let properties = match rng.below(60) {
            0 => "null".into(),
            _ => format!("{{{}}}", props.join(",")),
        };
        let g = geometry(rng);
        match rng.below(25) {
            0 => format!(
                "{{\n  \"properties\": {properties},\n  \"geometry\": {g},\n  \"type\": \"Feature\"\n}}"
            ),
            1 => format!(
                r#"{{"type":"Feature","geometry":{g},"properties":{properties},"foreign":{{"a":[1]}}}}"#
            ),
            2 => format!(
                r#"{{"type":"Feature","id":"s{i}","bbox":[1,2,3,4],"geometry":{g},"properties":{properties}}}"#
            ),
            3 => format!(r#"{{"type":"Feature","geometry":{g}}}"#),
            _ => {
                format!(r#"{{"type":"Feature","id":{i},"geometry":{g},"properties":{properties}}}"#)
            }
        }
    }

    fn generated(seed: u64, n: usize, first_plain: bool) -> String {
        let mut rng = Rng(seed);
        let mut s = String::from("{\"type\": \"FeatureCollection\",\n\"features\": [\n");
        for i in 1..=n {
            if i > 1 {
                s.push_str(if rng.below(3) == 0 { " ,\n" } else { "," });
            }
            if first_plain && i == 1 {
                let _ = write!(
                    s,
                    r#"{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[-76.1,43.0],[-76.11,43.01]]}},"properties":{{"segment_id":0,"name":"A","road_class":"x","width_m":1,"lanes":1,"district":"d","aadt":1,"condition":1,"extra":1,"big":1}}}}"#
                );
            } else {
                s.push_str(&feature(&mut rng, i));
            }
        }
        s.push_str("\n]\n}\n");
        s
    }

    #[test]
    fn generated_files_read_the_same_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let mut answered_ok = 0;
        for seed in 1..=12u64 {
            let path = dir.path().join(format!("g{seed}.geojson"));
            std::fs::write(&path, generated(seed, 400, seed % 2 == 0)).unwrap();
            for opts in option_sets() {
                let (fast, answered, slow) = both(&path, &opts);
                assert_eq!(fast, slow, "seed {seed}, {opts:?}");
                assert!(answered, "the fast path gave up on seed {seed}");
                answered_ok += usize::from(fast.starts_with("Ok"));
            }
        }
        // Some runs load (skipping), some fail on a bad feature.
        assert!(answered_ok > 10, "{answered_ok}");
    }

    #[test]
    fn a_clean_file_is_read_by_the_fast_path_identically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clean.geojson");
        let mut s = String::from(r#"{"type":"FeatureCollection","features":["#);
        for i in 1..=2000 {
            if i > 1 {
                s.push(',');
            }
            let x = -76.2 + f64::from(i) * 1e-5;
            let _ = write!(
                s,
                r#"{{"type":"Feature","id":{i},"geometry":{{"type":"LineString","coordinates":[[{x},43.05],[{},43.0501],[{},43.0502]]}},"properties":{{"segment_id":{i},"name":"{i}th St","road_class":"local","width_m":9.1,"lanes":2,"district":"D{}","aadt":1200.0,"condition":{}.5}}}}"#,
                x + 1e-4,
                x + 2e-4,
                i % 7,
                i % 100
            );
        }
        s.push_str("]}");
        std::fs::write(&path, s).unwrap();
        for (k, opts) in option_sets().iter().enumerate() {
            let (fast, answered, slow) = both(&path, opts);
            assert!(answered);
            // The second mapping keeps columns this file lacks.
            assert_eq!(fast.starts_with("Ok"), !(3..6).contains(&k), "{fast}");
            assert_eq!(fast, slow);
        }
    }

    /// Issue 4: the spans parsed in parallel are cut where one scan of the whole
    /// array cuts (a guessed start inside a string is caught, and the span parsed
    /// again from where its predecessor stopped), and an error stands only when
    /// the array is closed (else the streaming reader words what is wrong).
    #[test]
    fn runs_cut_where_one_scan_cuts() {
        let line =
            r#""geometry":{"type":"LineString","coordinates":[[-76.1,43.0],[-76.11,43.01]]}"#;
        let feature = |i: usize| match i % 5 {
            // `},{` inside strings and nested values: wrong guesses.
            0 => format!(
                r#"{{"type":"Feature",{line},"properties":{{"segment_id":{i},"name":"}},{{\"a\":[1],{{","extra":[{{"a":1}},{{"b":"}},{{"}}]}}}}"#
            ),
            1 => format!(
                r#"{{"type":"Feature",{line},"properties":{{"segment_id":{i},"name":"}},{{ }},{{","lanes":{}}}}}"#,
                if i == 41 { "2.5" } else { "2" }
            ),
            2 => format!(
                r#"{{"type":"Feature","id":"f{i}",{line},"properties":{{"segment_id":{i},"aadt":1e3}}}}"#
            ),
            _ => format!(
                r#"{{"type":"Feature",{line},"properties":{{"segment_id":{i},"name":"x"}}}}"#
            ),
        };
        let body: Vec<String> = (1..=300).map(feature).collect();
        let closed = format!(
            "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
            body.join(",\n")
        );
        let mut texts = vec![(closed.clone(), true)];
        // Cut short: at the end, after a comma, inside the last feature.
        texts.push((closed[..closed.len() - 2].to_owned(), false));
        texts.push((format!("{{\"features\":[{},", body.join(",")), false));
        texts.push((closed[..closed.len() - 40].to_owned(), false));
        // A feature neither parser reads, after the bad one (41) and before it.
        let mut broken = body.clone();
        broken[200] = "{\"type\":}".into();
        texts.push((format!("{{\"features\":[{}]}}", broken.join(",")), false));
        broken[10] = "[1,}".into();
        texts.push((format!("{{\"features\":[{}]}}", broken.join(",")), false));
        let dir = tempfile::tempdir().unwrap();
        for (i, (text, closed)) in texts.iter().enumerate() {
            let path = dir.path().join(format!("t{i}.geojson"));
            std::fs::write(&path, text).unwrap();
            for opts in option_sets() {
                let (fast, answered, slow) = both(&path, &opts);
                assert_eq!(fast, slow, "text {i}, {opts:?}");
                if opts.on_error == OnError::Fail && opts.mapping == StreetMapping::default() {
                    // Feature 41 fails in a closed array; feature 11 cannot be read first.
                    assert_eq!(answered, *closed || i == 4, "text {i}: {fast}");
                }
            }
        }
    }

    /// The word-at-a-time search finds the byte the byte-at-a-time one finds.
    #[test]
    fn string_stop_equals_the_byte_search() {
        let mut rng = Rng(0x57_0b);
        let alphabet = b"abc \"\\\x00\x1f\x20\x21\x7f\x80\xc3\xa9\xff";
        for _ in 0..20_000 {
            let len = rng.below(40) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| b'a' + (rng.below(26) as u8)).collect();
            for _ in 0..rng.below(3) {
                if len > 0 {
                    let at = rng.below(len as u64) as usize;
                    bytes[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
                }
            }
            let want = bytes.iter().position(|&b| STRING_STOP[usize::from(b)]);
            assert_eq!(string_stop(&bytes), want, "{bytes:?}");
        }
    }

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad")
    }

    #[test]
    fn bad_fixtures_read_the_same_both_ways() {
        let mut n = 0;
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !(name.ends_with(".geojson") || name.ends_with(".json")) {
                continue;
            }
            for opts in option_sets() {
                let (fast, _, slow) = both(&path, &opts);
                assert_eq!(fast, slow, "{name}, {opts:?}");
            }
            n += 1;
        }
        assert!(n >= 15, "{n}");
    }

    const LINE: &str = r#"{"type":"LineString","coordinates":[[-76.1,43.0],[-76.11,43.01]]}"#;

    fn feat(props: &str) -> String {
        format!(r#"{{"type":"Feature","geometry":{LINE},"properties":{props}}}"#)
    }

    #[test]
    fn hand_made_oddities_read_the_same_both_ways() {
        let a = feat(r#"{"segment_id":1,"name":"a [b], {c} \"d\""}"#);
        let b = feat(r#"{"segment_id":2,"name":"e"}"#);
        let cases: Vec<(String, Option<bool>)> = vec![
            // (file, whether the fast path must answer)
            (
                format!(r#"{{"type":"FeatureCollection","features":[{a},{b}]}}"#),
                Some(true),
            ),
            (
                format!(r#"{{"features":[{a},{b}], "type":"FeatureCollection"}}"#),
                Some(true),
            ),
            (format!("\u{feff}{{\"features\":[{a},{b}]}}"), Some(true)),
            (
                format!("{{\"features\":[ \n\t{a} \r\n,\n {b}\n ] }} trailing junk"),
                Some(true),
            ),
            (
                format!(r#"{{"bbox":[1,2,3,4],"features":[{a},{b}]}}"#),
                Some(false),
            ),
            (format!(r#"{{"features":[{a},{b},]}}"#), Some(false)),
            (format!(r#"{{"features":[{a},{b},"#), Some(false)),
            (format!(r#"{{"features":[{a},{b}"#), Some(false)),
            (format!(r#"{{"features":[{a}{b}]}}"#), Some(false)),
            (format!("{{\"features\":[{a}\u{a0},{b}]}}"), Some(false)),
            (format!("{{\"features\":[{a}\x0c,{b}]}}"), Some(false)),
            (r#"{"features":[]}"#.to_owned(), Some(false)),
            (r#"{"features":[1,2]}"#.to_owned(), Some(false)),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segment_id":3,"x":1e400}"#)
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segment_id":3,"x":"\ud800"}"#)
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segment_id":3,"x":"\q"}"#)
                ),
                Some(false),
            ),
            (
                format!(r#"{{"features":[{a},{}]}}"#, feat(r#"[1]"#)),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segment_id":3,"x":[[[[1]]]]}"#)
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segment_id":3,"segment_id":4}"#)
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{}]}}"#,
                    feat(r#"{"segm\u0065nt_id":3}"#)
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Featur\u0065","geometry":{LINE},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Point","geometry":{LINE},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"geometry":{LINE},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","id":null,"geometry":{LINE},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","id":[1],"geometry":{LINE},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{LINE},"geometry":null,"properties":{{"segment_id":5}}}}]}}"#
                ),
                None,
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[1],[2,3]]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[]]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[1,2]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[1,2],[3,null]]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString","coordinates":[[-76.1,43],[-76.2,43]],"geometries":[]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                None,
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"LineString"}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{{"type":"Feature","geometry":null,"properties":{{"segment_id":9}}}},{{"type":"Feature","geometry":{{"type":"Point","coordinates":[1,2]}},"properties":{{"segment_id":5}}}},{a}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":[]}},"properties":{{"segment_id":5}}}}]}}"#
                ),
                Some(true),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{LINE},"properties":[]}}]}}"#
                ),
                Some(false),
            ),
            (
                format!(
                    r#"{{"features":[{a},{{"type":"Feature","geometry":{LINE},"properties":{{"segment_id":-0,"name":-0.0}}}}]}}"#
                ),
                Some(true),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (i, (text, must)) in cases.iter().enumerate() {
            let path = dir.path().join(format!("case{i}.geojson"));
            std::fs::write(&path, text).unwrap();
            for (k, opts) in option_sets().iter().enumerate() {
                let (fast, answered, slow) = both(&path, opts);
                assert_eq!(fast, slow, "case {i}: {text}\n{opts:?}");
                // With the default mapping (the others may stop at a missing column first).
                if let Some(must) = must.filter(|_| k < 3) {
                    assert_eq!(answered, must, "case {i}: {text}\n{fast}");
                }
            }
        }
    }

    #[test]
    fn split_features_table() {
        let cases: [(&str, Option<Vec<&str>>); 8] = [
            ("[]", Some(vec![""])),
            (
                r#"{"f":[{"a":"],"}, {"b":[1,2]}]}"#,
                Some(vec![r#"{"a":"],"}"#, r#" {"b":[1,2]}"#]),
            ),
            (r#"[{"a":"\"]"},2] junk"#, Some(vec![r#"{"a":"\"]"}"#, "2"])),
            (r#"[{"a":"\\"},2]"#, Some(vec![r#"{"a":"\\"}"#, "2"])),
            ("no array", None),
            ("[{}", None),
            (r#"[{"a":"open]"#, None),
            ("[}]", None),
        ];
        for (text, want) in cases {
            let got = split_features(text.as_bytes()).map(|v| {
                v.iter()
                    .map(|p| std::str::from_utf8(p).unwrap())
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, want, "{text}");
        }
    }

    /// The parallel feature list equals the streaming reader's whenever it answers.
    #[test]
    fn features_parallel_matches_the_feature_reader() {
        let mut texts: Vec<(Vec<u8>, bool)> = (1..=4u64)
            .map(|seed| (generated(seed, 200, false).into_bytes(), true))
            .collect();
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e == "geojson" || e == "json")
            {
                texts.push((std::fs::read(path).unwrap(), false));
            }
        }
        for (text, must_answer) in texts {
            let streamed: std::result::Result<Vec<geojson::Feature>, _> =
                geojson::FeatureReader::from_reader(text.as_slice())
                    .features()
                    .collect();
            match features_parallel(&text) {
                Some(features) => assert_eq!(Ok(features), streamed.map_err(|e| e.to_string())),
                None => assert!(!must_answer, "{}", String::from_utf8_lossy(&text)),
            }
        }
    }

    /// Cutting in parallel spans gives the pieces of one scan, whatever the
    /// spans and wherever the guessed boundaries fall.
    #[test]
    fn split_in_parts_equals_one_scan() {
        let a = r#"{"type":"Feature","properties":{"s":"},{","t":[{"a":1},{"b":"\\\"},{"}]},"geometry":null}"#;
        let mut texts: Vec<String> = (1..=6u64).map(|seed| generated(seed, 120, false)).collect();
        texts.push(format!("{{\"features\":[{}]}}", vec![a; 40].join(",\n")));
        texts.push(format!(
            "{{\"features\":[{}]}} junk [1,2]",
            vec![a; 40].join(" , ")
        ));
        texts.push(format!("{{\"features\":[{}", vec![a; 40].join(",")));
        texts.push(format!("{{\"features\":[{},", vec![a; 40].join(",")));
        texts.push(format!("{{\"features\":[{}}}]", vec![a; 40].join(",")));
        for text in &texts {
            let bytes = text.as_bytes();
            let one = split_in_parts(bytes, 1);
            for parts in 2..40 {
                assert_eq!(split_in_parts(bytes, parts), one, "{parts} parts: {text}");
            }
        }
    }

    /// Whatever the hand parser answers, the serde parser answers the same (bit
    /// for bit: compared through `Debug`, which tells -0.0 from 0.0).
    ///
    /// The piece is read with no key memo, with its own keys in the memo, and
    /// with the keys of another feature in it: the answers are the same.
    fn plain_agrees(piece: &[u8], needed: &[String]) -> bool {
        const OTHER: &[u8] = br#"{"type":"Feature","geometry":null,"properties":{"segment_id":1,"nam":1,"name":"x","name2":2,"road_class":"r","width_m":1,"lanes":1,"district":"d","aadt":1,"condition":1,"extra":1,"big":1}}"#;
        let mut memo = KeyMemo::new();
        let plain = parse_plain(piece, needed, &mut memo);
        let debug = |f: &Option<FastFeature>| format!("{f:?}");
        let again = parse_plain(piece, needed, &mut memo);
        assert_eq!(
            debug(&plain),
            debug(&again),
            "{}",
            String::from_utf8_lossy(piece)
        );
        let mut other = KeyMemo::new();
        assert!(parse_plain(OTHER, needed, &mut other).is_some());
        let primed = parse_plain(piece, needed, &mut other);
        assert_eq!(
            debug(&plain),
            debug(&primed),
            "{}",
            String::from_utf8_lossy(piece)
        );
        if let Some(p) = &plain {
            let strict = parse_strict(piece, needed);
            assert_eq!(
                Some(format!("{p:?}")),
                strict.map(|f| format!("{f:?}")),
                "{}",
                String::from_utf8_lossy(piece)
            );
        }
        plain.is_some()
    }

    fn needed_sets() -> Vec<Vec<String>> {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        vec![
            names(&[
                "segment_id",
                "road_class",
                "width_m",
                "lanes",
                "district",
                "aadt",
                "condition",
                "name",
            ]),
            names(&["name", "extra", "big"]),
            names(&[]),
        ]
    }

    #[test]
    fn plain_parser_agrees_with_serde_on_generated_features() {
        let mut answered = 0;
        let mut total = 0;
        for seed in 1..=12u64 {
            let text = generated(seed, 400, seed % 2 == 0);
            for piece in split_features(text.as_bytes()).unwrap() {
                for needed in needed_sets() {
                    answered += usize::from(plain_agrees(piece, &needed));
                    total += 1;
                }
            }
        }
        // The generator makes most features odd somewhere (an escape, a nested value).
        assert!(answered > 500 && answered < total, "{answered} of {total}");
    }

    #[test]
    fn plain_parser_table() {
        let line =
            r#""geometry":{"type":"LineString","coordinates":[[-76.1,43.0],[-76.11,43.01]]}"#;
        let f = |props: &str| format!(r#"{{"type":"Feature",{line},"properties":{props}}}"#);
        // (feature, whether the hand parser answers)
        let cases: Vec<(String, bool)> = vec![
            (f(r#"{"segment_id":1,"name":"Main St"}"#), true),
            (format!(" \n{} \r\n\t", f(r#"{ "segment_id" : 1 , "name" : "x" }"#)), true),
            (f("null"), true),
            (f("{}"), true),
            (format!(r#"{{"type":"Feature",{line}}}"#), true),
            (r#"{"type":"Feature","geometry":null,"properties":{"a":1}}"#.into(), true),
            (r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[]},"properties":{}}"#.into(), true),
            (r#"{"geometry":{"coordinates":[[1,2,3],[4e2,5E-1,-0]],"type":"LineString"},"id":"a","type":"Feature"}"#.into(), true),
            (r#"{"type":"Feature","id":-12.5e1,"geometry":null}"#.into(), true),
            (r#"{"type":"Feature","id":null,"geometry":null}"#.into(), true),
            (f(r#"{"segment_id":-0,"name":-0.0,"aadt":0.1,"lanes":1e22,"width_m":123456789012345678}"#), true),
            (f(r#"{"segment_id":1,"segment_id":2,"x":true,"y":false,"z":null}"#), true),
            (f(r#"{"name":"caf\u00e9"}"#), false),
            (f(r#"{"name":"café ✓"}"#), true),
            (f(r#"{"name":[1]}"#), false),
            (f(r#"{"other":{"a":1}}"#), false),
            (f(r#"{"name":1234567890123456789}"#), false),
            (f(r#"{"name":1e23}"#), false),
            (f(r#"{"name":1e400}"#), false),
            (f(r#"{"name":01}"#), false),
            (f(r#"{"name":1.}"#), false),
            (f(r#"{"name":.5}"#), false),
            (f(r#"{"name":-}"#), false),
            (f(r#"{"name":+1}"#), false),
            (f(r#"{"name":1e}"#), false),
            (f(r#"{"name":nul}"#), false),
            (f(r#"{"name":tru}"#), false),
            (f(r#"{"name":1,}"#), false),
            (f(r#"{"name" 1}"#), false),
            (f("{\"name\":\"a\u{1}b\"}"), false),
            (format!(r#"{{"type":"Feature",{line},"bbox":[1,2,3,4]}}"#), false),
            (format!(r#"{{"type":"Feature",{line},"foreign":1}}"#), false),
            (format!(r#"{{"type":"Feature",{line},{line}}}"#), false),
            (format!(r#"{{"type":"Feature","type":"Feature",{line}}}"#), false),
            (format!(r#"{{"type":"Featur\u0065",{line}}}"#), false),
            (format!(r#"{{"type":"Point",{line}}}"#), false),
            (format!(r#"{{"type":"Feature",{line}}} x"#), false),
            (format!(r#"{{"type":"Feature",{line}"#), false),
            (r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1],[2,3]]}}"#.into(), false),
            (r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,null]]}}"#.into(), false),
            (r#"{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}}"#.into(), false),
            (r#"{"type":"Feature","geometry":{"type":"LineString"}}"#.into(), false),
            (r#"{"type":"Feature","geometry":{"coordinates":[[1,2],[3,4]]}}"#.into(), false),
            (r#"{"type":"Feature","id":true,"geometry":null}"#.into(), false),
            (r#"{"type":"Feature"}"#.into(), false),
            ("{}".into(), false),
            (String::new(), false),
        ];
        let needed: Vec<String> = ["segment_id", "name", "aadt", "lanes", "width_m"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        for (text, answers) in cases {
            assert_eq!(plain_agrees(text.as_bytes(), &needed), answers, "{text}");
        }
    }

    /// Bytes changed at random in plain features: the hand parser answers as
    /// serde does, or not at all.
    #[test]
    fn plain_parser_agrees_with_serde_on_mutated_features() {
        let mut rng = Rng(0x5eed);
        let bases: Vec<Vec<u8>> = split_features(generated(3, 60, true).as_bytes())
            .unwrap()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        let alphabet = b"0123456789-+.eE\"\\,:[]{} \n\tntrufalsx\x01\xc3\xa9\xff";
        let mut answered = 0;
        for round in 0..40_000 {
            let mut piece = bases[round % bases.len()].clone();
            for _ in 0..=rng.below(3) {
                let at = rng.below(piece.len() as u64 + 1) as usize;
                let byte = alphabet[rng.below(alphabet.len() as u64) as usize];
                match rng.below(3) {
                    0 if at < piece.len() => piece[at] = byte,
                    1 if at < piece.len() => {
                        piece.remove(at);
                    }
                    _ => piece.insert(at, byte),
                }
            }
            for needed in needed_sets() {
                answered += usize::from(plain_agrees(&piece, &needed));
            }
        }
        assert!(answered > 1000, "{answered}");
    }

    /// The real street files in the shared data read the same both ways.
    #[test]
    fn shared_street_files_read_the_same_both_ways() {
        let dir = std::env::var_os("STREETRANK_DATA").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
            PathBuf::from,
        );
        assert!(dir.is_dir(), "set STREETRANK_DATA (see complaints::tests)");
        for city in ["syracuse", "washington-dc"] {
            let path = dir.join(city).join("converted/streets_wgs84.geojson");
            // Real features take the hand parser's path, and it agrees with serde.
            let bytes = std::fs::read(&path).unwrap();
            let pieces = split_features(&bytes).unwrap();
            for needed in needed_sets() {
                let plain = pieces.iter().filter(|p| plain_agrees(p, &needed)).count();
                assert!(
                    plain * 100 >= pieces.len() * 99,
                    "{city}: {plain} of {}",
                    pieces.len()
                );
            }
            for opts in option_sets().into_iter().step_by(3) {
                let (fast, answered, slow) = both(&path, &opts);
                assert!(answered, "{}", path.display());
                assert_eq!(fast, slow, "{}", path.display());
            }
        }
    }
}
