//! CSV text cut into pieces of whole records, and the records of one piece read with
//! csv-core exactly as the csv crate reads them (the same fields, the same line numbers).
//!
//! A cut must never fall inside a quoted field, whose text may hold delimiters and line
//! ends. [`cuts`] follows csv-core's rule for quotes: a `"` opens a quoted field only at the
//! start of a field; inside one, `""` is a quote and a lone `"` closes it; elsewhere a `"`
//! is text. It jumps from quote to quote with `memchr`, so a file without quotes costs one
//! quote search plus a few bytes per cut.

use csv_core::ReadRecordResult;

/// Where [`cuts`] may cut a buffer that starts at a record boundary.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Cuts {
    /// Ends of pieces: for each multiple of `step`, the first record boundary at or after it.
    pub pieces: Vec<usize>,
    /// The last record boundary in the buffer: where the records known to be whole end.
    pub last: Option<usize>,
    /// The first `"` in the buffer: the text before it has no quotes.
    pub first_quote: Option<usize>,
}

/// The record boundary just after a line terminator at `t`, as csv-core reads one: `\n`,
/// `\r\n` (the boundary is after the `\n`) or a lone `\r` (when the next byte is known).
fn boundary_at(data: &[u8], t: usize) -> Option<usize> {
    match data.get(t) {
        Some(b'\n') => Some(t + 1),
        Some(b'\r') => match data.get(t + 1) {
            Some(b'\n') | None => None,
            Some(_) => Some(t + 1),
        },
        _ => None,
    }
}

/// Record boundaries in `data`, which starts at a record boundary outside quotes: piece ends
/// about every `step` bytes and the last boundary. `step` must be at least 1.
pub(super) fn cuts(data: &[u8], delimiter: u8, step: usize) -> Cuts {
    let mut c = Cuts::default();
    let mut target = step.max(1);
    // Start of the current stretch outside quotes, and where to look for the next quote.
    let mut from = 0;
    loop {
        let mut search = from;
        let mut open = None;
        while let Some(q) = memchr::memchr(b'"', &data[search..]).map(|q| q + search) {
            c.first_quote.get_or_insert(q);
            if q == 0 || matches!(data[q - 1], b'\n' | b'\r') || data[q - 1] == delimiter {
                open = Some(q);
                break;
            }
            search = q + 1;
        }
        let end = open.unwrap_or(data.len());
        stretch(data, from, end, step.max(1), &mut target, &mut c);
        let Some(q) = open else {
            return c;
        };
        // Past the quoted field: to a quote not followed by another.
        let mut j = q + 1;
        loop {
            let Some(close) = memchr::memchr(b'"', &data[j..]).map(|k| k + j) else {
                return c; // open to the end of the buffer
            };
            match data.get(close + 1) {
                Some(b'"') => j = close + 2,
                Some(_) => {
                    from = close + 1;
                    break;
                }
                None => return c,
            }
        }
    }
}

/// Notes the boundaries of `data[a..b]`, a stretch outside quotes.
fn stretch(data: &[u8], a: usize, b: usize, step: usize, target: &mut usize, c: &mut Cuts) {
    while *target <= b {
        let mut t = a.max(target.saturating_sub(1));
        let mut found = None;
        while let Some(k) = memchr::memchr2(b'\n', b'\r', &data[t..b]) {
            if let Some(bnd) = boundary_at(data, t + k) {
                found = Some(bnd);
                break;
            }
            t += k + 1;
        }
        let Some(bnd) = found else {
            break;
        };
        c.pieces.push(bnd);
        *target = bnd + step;
    }
    let mut hi = b;
    while let Some(k) = memchr::memrchr2(b'\n', b'\r', &data[a..hi]) {
        if let Some(bnd) = boundary_at(data, a + k) {
            c.last = Some(bnd);
            return;
        }
        hi = a + k;
    }
}

/// The records of a piece of CSV text, read with csv-core.
pub(super) struct Records<'a> {
    rdr: csv_core::Reader,
    input: &'a [u8],
    pos: usize,
    /// Whether the first call is still to come.
    fresh: bool,
    /// Whether to keep csv-core from taking the piece's first three bytes for a byte-order
    /// mark (a piece after the first starts inside the file).
    inside: bool,
    out: Vec<u8>,
    ends: Vec<usize>,
    nfields: usize,
    done: bool,
    by_eof: bool,
}

impl<'a> Records<'a> {
    /// Records of `input`. With `inside`, the text is a piece from inside the file: no
    /// byte-order mark is stripped and [`Records::line`] counts from 0 (line ends read);
    /// otherwise it counts as the csv crate does, from 1.
    pub fn new(input: &'a [u8], delimiter: u8, inside: bool) -> Records<'a> {
        let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        if inside {
            rdr.set_line(0);
        }
        Records {
            rdr,
            input,
            pos: 0,
            fresh: true,
            inside,
            out: vec![0; 1024],
            ends: vec![0; 64],
            nfields: 0,
            done: false,
            by_eof: false,
        }
    }

    /// Reads the next record; `false` at the end of the text. The end of the text ends the
    /// last record, as the end of the file does.
    pub fn next_record(&mut self) -> bool {
        if self.done {
            return false;
        }
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            let rest = &self.input[self.pos..];
            let input = if self.fresh && self.inside && !rest.is_empty() {
                &rest[..1]
            } else {
                rest
            };
            self.fresh = false;
            let (res, nin, nout, nend) =
                self.rdr
                    .read_record(input, &mut self.out[outlen..], &mut self.ends[endlen..]);
            self.pos += nin;
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    self.nfields = endlen;
                    self.by_eof = input.is_empty();
                    return true;
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return false;
                }
            }
        }
    }

    /// Fields in the current record.
    pub fn len(&self) -> usize {
        self.nfields
    }

    /// Field `i` of the current record (empty past the last field).
    pub fn field(&self, i: usize) -> &[u8] {
        self.out.get(self.bounds(i)).unwrap_or_default()
    }

    /// The current record's field bytes, all fields one after the other.
    pub fn bytes(&self) -> &[u8] {
        let end = if self.nfields == 0 {
            0
        } else {
            self.ends[self.nfields - 1]
        };
        self.out.get(..end).unwrap_or_default()
    }

    /// Where field `i` lies in [`Records::bytes`] (empty past the last field).
    pub fn bounds(&self, i: usize) -> std::ops::Range<usize> {
        if i >= self.nfields {
            return 0..0;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        start..self.ends[i]
    }

    /// csv-core's line count: line ends read so far (plus 1 unless `inside`).
    pub fn line(&self) -> u64 {
        self.rdr.line()
    }

    /// Bytes of the text read so far.
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Whether the current record was ended by the end of the text rather than a line end.
    pub fn ended_by_eof(&self) -> bool {
        self.by_eof
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Fields and the csv crate's position line of every record, read whole.
    fn with_csv_crate(text: &[u8], delimiter: u8) -> Vec<(Vec<Vec<u8>>, u64)> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let line = rec.position().unwrap().line();
            out.push((rec.iter().map(<[u8]>::to_vec).collect(), line));
        }
        out
    }

    /// The same, cut into pieces every `step` bytes and read piece by piece, lines fixed up
    /// as the complaint reader does.
    fn with_pieces(text: &[u8], delimiter: u8, step: usize) -> Vec<(Vec<Vec<u8>>, u64)> {
        let c = cuts(text, delimiter, step);
        let mut ends: Vec<usize> = c.pieces.clone();
        if ends.last() != Some(&text.len()) {
            ends.push(text.len());
        }
        let mut out = Vec::new();
        let (mut from, mut line_at, mut last_line) = (0, 1, 1);
        for e in ends {
            let mut r = Records::new(&text[from..e], delimiter, true);
            // The first piece starts the file: csv-core strips a byte-order mark there.
            if from == 0 {
                r = Records::new(&text[from..e], delimiter, false);
                r.rdr.set_line(0);
            }
            let mut prev: Option<u64> = None;
            while r.next_record() {
                let fields = (0..r.len()).map(|i| r.field(i).to_vec()).collect();
                let line = prev.map_or(last_line, |l| line_at + l);
                prev = Some(r.line());
                out.push((fields, line));
            }
            if let Some(l) = prev {
                last_line = line_at + l;
            }
            line_at += r.line();
            from = e;
        }
        out
    }

    #[test]
    fn cuts_table() {
        let cases: &[(&str, usize, &[usize], Option<usize>)] = &[
            ("", 1, &[], None),
            ("a,b", 1, &[], None),
            ("a\nb\n", 1, &[2, 4], Some(4)),
            ("a\r\nb\r\n", 1, &[3, 6], Some(6)),
            ("a\rb\r", 1, &[2], Some(2)), // a lone \r at the end may start \r\n
            ("\"x\ny\"\nz\n", 1, &[6, 8], Some(8)),
            ("\"x\"\"\n\"\nz", 1, &[7], Some(7)),
            ("a\"b\nc\n", 1, &[4, 6], Some(6)), // a quote inside a field is text
            ("\"open\nto the end", 1, &[], None),
            ("a,\"q\nq\"\nb\n", 100, &[], Some(10)),
            ("a\nb\nc\nd\n", 3, &[4, 8], Some(8)),
        ];
        for &(text, step, pieces, last) in cases {
            let c = cuts(text.as_bytes(), b',', step);
            assert_eq!(c.pieces, pieces, "{text:?}");
            assert_eq!(c.last, last, "{text:?}");
        }
    }

    /// Oracle: random texts of delimiters, quotes, CR, LF and letters read in pieces of every
    /// size give the csv crate's records and line numbers.
    #[test]
    fn pieces_read_like_the_csv_crate() {
        let alphabet = b"ab,;\"\"\n\n\r \xEF\xBB\xBF";
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1du64);
        for round in 0..3000 {
            let len = usize::try_from(next() % 40).unwrap();
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[usize::try_from(next() % alphabet.len() as u64).unwrap()])
                .collect();
            let delimiter = if round % 2 == 0 { b',' } else { b';' };
            let want = with_csv_crate(&text, delimiter);
            for step in [1, 2, 3, 7, 100] {
                assert_eq!(
                    with_pieces(&text, delimiter, step),
                    want,
                    "{:?} step {step}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
    }
}
