//! Privacy profiles: what a run may write (`publish` or `internal`), small-count suppression,
//! and the check for input columns that look personal. See `docs/privacy.md`.

use rayon::prelude::*;
use streetrank::{PropertyValue, Ranking};

use crate::{Column, Error, FeatureTable, Result};

/// The default `k`: per-segment complaint counts from 1 to `k - 1` are suppressed under
/// [`Profile::Publish`].
pub const DEFAULT_MIN_COUNT: usize = 3;

/// How many values of a column [`looks_personal`] callers sample.
pub const PERSONAL_SAMPLE: usize = 1000;

/// What a run may write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// For anything meant to leave the building (the default): per-segment aggregates only,
    /// counts below `k` suppressed, no per-complaint table, no complaint id or location.
    #[default]
    Publish,
    /// Everything, including the per-complaint assignments with each complaint's id and
    /// location. Must be chosen explicitly.
    Internal,
}

impl Profile {
    /// `"publish"` or `"internal"`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(streetrank_io::Profile::default().as_str(), "publish");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Publish => "publish",
            Profile::Internal => "internal",
        }
    }

    /// Parses `publish` or `internal` (case-insensitive).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for any other name.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Profile;
    /// assert_eq!(Profile::parse("Internal")?, Profile::Internal);
    /// assert!(Profile::parse("open").is_err());
    /// # Ok::<(), streetrank_io::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Profile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "publish" => Ok(Profile::Publish),
            "internal" => Ok(Profile::Internal),
            other => Err(Error::Config {
                context: "profile".into(),
                problem: format!("unknown profile `{other}`"),
                fix: "use `publish` (the default) or `internal`".into(),
            }),
        }
    }

    /// The usage error for a per-complaint table (`what`, e.g. `"--assignments"`) under
    /// `publish`; `None` under `internal`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_io::Profile;
    /// let e = Profile::Publish.refuse_per_complaint("snap").unwrap();
    /// assert!(e.to_string().contains("--profile internal"));
    /// assert!(Profile::Internal.refuse_per_complaint("snap").is_none());
    /// ```
    #[must_use]
    pub fn refuse_per_complaint(self, what: &str) -> Option<Error> {
        match self {
            Profile::Internal => None,
            Profile::Publish => Some(Error::Config {
                context: what.to_owned(),
                problem:
                    "the per-complaint table carries each complaint's id and location, and the \
                          publish profile (the default) writes no per-complaint data"
                        .into(),
                fix: "pass `--profile internal` (Python: `profile=\"internal\"`) for an internal \
                      file that must not be published, or leave the per-complaint output out"
                    .into(),
            }),
        }
    }
}

/// Privacy settings: the `[privacy]` table of the run configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacySection {
    /// `k`: under [`Profile::Publish`] a segment with 1 to `k - 1` complaints has its counts
    /// (and the values they could be reconstructed from) written as empty. Default 3; 1 turns
    /// suppression off.
    pub min_count: usize,
}

impl Default for PrivacySection {
    fn default() -> Self {
        PrivacySection {
            min_count: DEFAULT_MIN_COUNT,
        }
    }
}

impl PrivacySection {
    /// True for the defaults (the table is then left out of the settings hash).
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == PrivacySection::default()
    }
}

/// The ranking-table columns written as empty for a segment with a small complaint count.
pub const SUPPRESSED_COLUMNS: [&str; 6] = [
    "complaints",
    "complaints_kept",
    "pressure_raw",
    "pressure_norm",
    "pressure_pts",
    "score",
];

/// Per segment (network order): true when its complaint count is from 1 to `min_count - 1`,
/// i.e. when `publish` suppresses it.
///
/// # Examples
///
/// ```
/// assert!(streetrank_io::is_small_count(2, 3));
/// assert!(!streetrank_io::is_small_count(0, 3));
/// assert!(!streetrank_io::is_small_count(3, 3));
/// ```
#[must_use]
pub fn is_small_count(complaints: usize, min_count: usize) -> bool {
    complaints > 0 && complaints < min_count
}

/// Per segment, in network order: [`is_small_count`] of its complaint count.
#[must_use]
pub fn small_count_segments(ranking: &Ranking, min_count: usize) -> Vec<bool> {
    ranking
        .scores
        .iter()
        .map(|s| is_small_count(s.complaints, min_count))
        .collect()
}

/// Applies the publish rule to a ranking table (as [`crate::ranking_table`] makes it): in
/// every row whose `complaints` cell is from 1 to `min_count - 1`, the
/// [`SUPPRESSED_COLUMNS`] are set to empty. Returns the number of rows suppressed.
///
/// Why the pressure values and the score go too: `pressure_raw × max(length_m,
/// min_length_m) / per_length_m` is the recency-weighted count, which *is* the count when the
/// complaints are undated; `pressure_norm` and `pressure_pts` give `pressure_raw` back through
/// the published cap and weights; and `score` minus the other three contributions gives
/// `pressure_pts`. The rank stays.
///
/// # Errors
///
/// [`Error::File`] when the table has no `complaints` column.
///
/// # Examples
///
/// ```
/// use streetrank::PropertyValue as V;
/// use streetrank_io::{Column, ColumnType, FeatureTable, suppress_small_counts};
/// let mut t = FeatureTable {
///     columns: vec![
///         Column::new("rank", ColumnType::Int, ""),
///         Column::new("score", ColumnType::Float, ""),
///         Column::new("complaints", ColumnType::Int, ""),
///     ],
///     rows: vec![
///         vec![V::Int(1), V::Float(9.0), V::Int(5)],
///         vec![V::Int(2), V::Float(4.0), V::Int(2)],
///         vec![V::Int(3), V::Float(1.0), V::Int(0)],
///     ],
///     geometries: vec![],
/// };
/// assert_eq!(suppress_small_counts(&mut t, 3)?, 1);
/// assert_eq!(t.rows[1], vec![V::Int(2), V::Null, V::Null]);
/// assert_eq!(t.rows[2][2], V::Int(0));
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn suppress_small_counts(table: &mut FeatureTable, min_count: usize) -> Result<usize> {
    let Some(count_col) = table.columns.iter().position(|c| c.name == "complaints") else {
        return Err(Error::file(
            "<ranking>",
            "the table has no `complaints` column to suppress small counts in",
            "pass a ranking table (streetrank_io::ranking_table)",
        ));
    };
    let cols = suppressed_positions(&table.columns);
    // Row by row on the pool: each row's cells are independent of every other row's.
    let suppressed = table
        .rows
        .par_iter_mut()
        .with_min_len(1024)
        .filter(|row| {
            let n = match row.get(count_col) {
                Some(PropertyValue::Int(n)) => usize::try_from(*n).unwrap_or(0),
                _ => return false,
            };
            is_small_count(n, min_count)
        })
        .map(|row| {
            for &k in &cols {
                if let Some(cell) = row.get_mut(k) {
                    *cell = PropertyValue::Null;
                }
            }
        })
        .count();
    Ok(suppressed)
}

/// The positions of the [`SUPPRESSED_COLUMNS`] among `columns`.
pub(crate) fn suppressed_positions(columns: &[Column]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| SUPPRESSED_COLUMNS.contains(&c.name.as_str()))
        .map(|(k, _)| k)
        .collect()
}

/// Which input a column comes from, for [`looks_personal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    /// A street file column: `NAME`, `FULLNAME`, `ST_NAME` and address ranges name streets,
    /// not people, so only the unambiguous name patterns count.
    Streets,
    /// A complaint file column: every pattern counts.
    Complaints,
}

/// Header fragments (upper case, letters and digits only) that name personal data in any file.
const PERSONAL_ANY: [&str; 14] = [
    "PHONE",
    "MOBILE",
    "EMAIL",
    "CONTACT",
    "INSPECTOR",
    "REQUESTER",
    "REQUESTOR",
    "REPORTER",
    "CALLER",
    "OWNER",
    "FIRSTNAME",
    "LASTNAME",
    "DEVICEID",
    "ACCOUNTID",
];
/// Header fragments that name personal data in a complaint file (streets have street names
/// and address ranges).
const PERSONAL_COMPLAINTS: [&str; 3] = ["NAME", "ADDRESS", "ADDR"];

/// Whether a column looks personal: by its header (names, phone numbers, e-mail, street
/// addresses, contacts: `INSPECTORNAME`, `STREETADDRESS`, Open311's `first_name`,
/// `address_string` …) or by its values (`sample`: e-mail addresses, North American or
/// `+`-international phone numbers). Returns the reason, in words, or `None`.
///
/// # Examples
///
/// ```
/// use streetrank::PropertyValue as V;
/// use streetrank_io::{ColumnRole, looks_personal};
/// let c = ColumnRole::Complaints;
/// assert!(looks_personal(c, "INSPECTORNAME", &[]).is_some());
/// assert!(looks_personal(c, "STREETADDRESS", &[]).is_some());
/// assert!(looks_personal(ColumnRole::Streets, "FULLNAME", &[]).is_none());
/// let notes = [V::Text("call me at (202) 555-0143".into())];
/// assert!(looks_personal(c, "notes", &notes).unwrap().contains("phone"));
/// let ids = [V::Text("16-00596165".into())];
/// assert!(looks_personal(c, "SERVICEREQUESTID", &ids).is_none());
/// ```
#[must_use]
pub fn looks_personal(role: ColumnRole, name: &str, sample: &[PropertyValue]) -> Option<String> {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let by_name = PERSONAL_ANY.iter().find(|p| key.contains(*p)).or_else(|| {
        (role == ColumnRole::Complaints)
            .then(|| PERSONAL_COMPLAINTS.iter().find(|p| key.contains(*p)))
            .flatten()
    });
    if let Some(p) = by_name {
        return Some(format!("its name contains {p}"));
    }
    let mut emails = 0;
    let mut phones = 0;
    for v in sample {
        if let PropertyValue::Text(s) = v {
            if has_email(s) {
                emails += 1;
            }
            if has_phone(s) {
                phones += 1;
            }
        }
    }
    match (emails, phones) {
        (0, 0) => None,
        (e, 0) => Some(format!("{e} sampled value(s) hold an e-mail address")),
        (0, p) => Some(format!("{p} sampled value(s) hold a phone number")),
        (e, p) => Some(format!(
            "{e} sampled value(s) hold an e-mail address and {p} a phone number"
        )),
    }
}

/// A word with `local@domain.tld`.
fn has_email(s: &str) -> bool {
    s.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .any(|w| {
            let Some((local, domain)) = w.split_once('@') else {
                return false;
            };
            let domain = domain.trim_end_matches(['.', ':']);
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
                && domain.rsplit('.').next().is_some_and(|tld| {
                    tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
                })
        })
}

/// A phone number: `ddd-ddd-dddd`, `(ddd) ddd-dddd`, `ddd.ddd.dddd`, `ddd ddd dddd` with an
/// optional leading `1`/`+1`, or `+` and 8 to 15 digits in groups.
fn has_phone(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        // Start of a number: not preceded by a digit.
        if i > 0 && b[i - 1].is_ascii_digit() {
            return false;
        }
        nanp_at(&b[i..]) || international_at(&b[i..])
    })
}

/// `(ddd) ddd-dddd` and friends at the start of `b`, not followed by another digit.
fn nanp_at(b: &[u8]) -> bool {
    let mut i = 0;
    if b.get(i) == Some(&b'+') && b.get(i + 1) == Some(&b'1') {
        i += 2;
        while b.get(i) == Some(&b' ') || b.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    let paren = b.get(i) == Some(&b'(');
    if paren {
        i += 1;
    }
    let digits = |i: usize, n: usize| (i..i + n).all(|k| b.get(k).is_some_and(u8::is_ascii_digit));
    if !digits(i, 3) {
        return false;
    }
    i += 3;
    if paren {
        if b.get(i) != Some(&b')') {
            return false;
        }
        i += 1;
        if b.get(i) == Some(&b' ') {
            i += 1;
        }
    } else {
        let Some(&sep) = b.get(i) else { return false };
        if !matches!(sep, b'-' | b'.' | b' ') {
            return false;
        }
        i += 1;
    }
    if !digits(i, 3) {
        return false;
    }
    i += 3;
    if !matches!(b.get(i), Some(b'-' | b'.' | b' ')) {
        return false;
    }
    i += 1;
    digits(i, 4) && !b.get(i + 4).is_some_and(u8::is_ascii_digit)
}

/// `+` then 8 to 15 digits, in groups split by single spaces, dashes or dots.
fn international_at(b: &[u8]) -> bool {
    if b.first() != Some(&b'+') {
        return false;
    }
    let mut n = 0;
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        let separator = matches!(c, b' ' | b'-' | b'.')
            && b[i - 1].is_ascii_digit()
            && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !c.is_ascii_digit() && !separator {
            break;
        }
        if c.is_ascii_digit() {
            n += 1;
        }
        i += 1;
    }
    (8..=15).contains(&n)
}

/// One input column that looks personal and is carried into an output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonalColumn {
    /// `"streets"` or `"complaints"`.
    pub input: String,
    /// The column's name in the input.
    pub column: String,
    /// Why it looks personal.
    pub reason: String,
}

impl std::fmt::Display for PersonalColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} column `{}` looks personal ({}) and is written to the output",
            self.input, self.column, self.reason
        )
    }
}

/// The carried columns (`names`, with each row's values from `rows`) that
/// [`looks_personal`]; the first [`PERSONAL_SAMPLE`] non-empty values of each are sampled.
#[must_use]
pub fn personal_columns<'a, I>(role: ColumnRole, names: &[String], rows: &I) -> Vec<PersonalColumn>
where
    I: Iterator<Item = &'a [PropertyValue]> + Clone,
{
    names
        .iter()
        .enumerate()
        .filter_map(|(k, name)| {
            let sample: Vec<PropertyValue> = rows
                .clone()
                .filter_map(|r| r.get(k))
                .filter(|v| !matches!(v, PropertyValue::Null))
                .take(PERSONAL_SAMPLE)
                .cloned()
                .collect();
            looks_personal(role, name, &sample).map(|reason| PersonalColumn {
                input: match role {
                    ColumnRole::Streets => "streets",
                    ColumnRole::Complaints => "complaints",
                }
                .to_owned(),
                column: name.clone(),
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use PropertyValue as V;

    #[test]
    fn header_patterns_table() {
        let cases = [
            (ColumnRole::Complaints, "INSPECTORNAME", true),
            (ColumnRole::Complaints, "STREETADDRESS", true),
            (ColumnRole::Complaints, "address_string", true),
            (ColumnRole::Complaints, "first_name", true),
            (ColumnRole::Complaints, "E-Mail", true),
            (ColumnRole::Complaints, "Contact Phone", true),
            (ColumnRole::Complaints, "MARADDRESSREPOSITORYID", true),
            (ColumnRole::Complaints, "SERVICECODEDESCRIPTION", false),
            (ColumnRole::Complaints, "WARD", false),
            (ColumnRole::Complaints, "", false),
            (ColumnRole::Streets, "FULLNAME", false),
            (ColumnRole::Streets, "ST_NAME", false),
            (ColumnRole::Streets, "LFROMADD", false),
            (ColumnRole::Streets, "OWNER_NAME", true),
            (ColumnRole::Streets, "INSPECTORNAME", true),
        ];
        for (role, name, want) in cases {
            assert_eq!(
                looks_personal(role, name, &[]).is_some(),
                want,
                "{role:?} {name}"
            );
        }
    }

    #[test]
    fn value_patterns_table() {
        let cases = [
            ("jane.doe@example.org", true),
            ("write to <a@b.co>.", true),
            ("a@b", false),
            ("@home", false),
            ("202-555-0143", true),
            ("(202) 555-0143", true),
            ("+1 202.555.0143", true),
            ("+44 20 7946 0958", true),
            ("16-00596165", false),
            ("3507 SPRINGLAND LANE NW", false),
            ("12345678901", false),
            ("2016-07-19T17:46:17.000Z", false),
            ("38.9404430046", false),
            ("", false),
        ];
        for (text, want) in cases {
            let got = looks_personal(ColumnRole::Streets, "x", &[V::Text(text.into())]).is_some();
            assert_eq!(got, want, "{text}");
        }
        assert!(looks_personal(ColumnRole::Streets, "x", &[V::Int(2_025_550_143)]).is_none());
    }

    #[test]
    fn suppression_boundaries() {
        for (n, k, want) in [
            (0, 3, false),
            (1, 3, true),
            (2, 3, true),
            (3, 3, false),
            (1, 1, false),
            (1, 0, false),
            (4, 5, true),
        ] {
            assert_eq!(is_small_count(n, k), want, "{n} {k}");
        }
    }

    #[test]
    fn profile_and_section_defaults() {
        assert_eq!(Profile::default(), Profile::Publish);
        assert!(PrivacySection::default().is_default());
        assert_eq!(PrivacySection::default().min_count, 3);
        assert!(Profile::parse("nope").is_err());
        let e = Profile::Publish
            .refuse_per_complaint("--assignments")
            .unwrap();
        assert!(e.to_string().contains("--profile internal"), "{e}");
    }

    #[test]
    fn personal_columns_samples_the_rows() {
        let rows = [
            vec![V::Null, V::Text("ok".into())],
            vec![V::Text("x@y.org".into()), V::Text("fine".into())],
        ];
        let names = ["notes".to_owned(), "category".to_owned()];
        let found = personal_columns(
            ColumnRole::Complaints,
            &names,
            &rows.iter().map(Vec::as_slice),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].column, "notes");
        assert!(found[0].to_string().contains("e-mail"), "{}", found[0]);
    }
}
