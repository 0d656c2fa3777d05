//! Pavement condition tables keyed by segment id (Syracuse's road ratings, a
//! city's PCI export) and how they join onto a street network.
//!
//! # The rule
//!
//! A table may hold several rows per segment id: one per year, and one per
//! rated block when a segment spans several. For each id [`read_ratings`]
//! takes the rows of its **latest year** with a usable value (a text rating
//! such as `NA` in the latest year falls back to the year before), or of
//! [`RatingsMapping::use_year`] when set (ids without a row that year get no
//! rating), and combines them
//! with [`RatingsMapping::aggregate`], by default the **minimum**: the worst
//! block decides, the conservative choice when ranking streets for repair.
//!
//! Values are taken on the source's own scale; a value that is not a number
//! (`'SU jurisdiction'`, `'BRICK PVMT'`, `NA`, empty) is a record error under
//! [`OnError::Fail`] and a counted skip under [`OnError::Skip`]. A rating of 0
//! is kept as 0.

use std::collections::BTreeMap;
use std::path::Path;

use streetrank::StreetNetwork;

use crate::mapping::{csv_error, detect_column, mapped_column, open_csv};
use crate::{Error, LoadReport, OnError, Result};

/// How duplicate rows of one id (within the chosen year) combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The smallest value: the worst block (the default).
    #[default]
    Min,
    /// The arithmetic mean.
    Mean,
    /// The largest value.
    Max,
    /// The last row in file order.
    Last,
}

/// How the columns of a condition table map. In the config file this is the
/// `[ratings]` table.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RatingsMapping {
    /// Column of the segment id. Default: auto-detected.
    pub id: Option<String>,
    /// Column of the rating. Default: auto-detected.
    pub value: Option<String>,
    /// Column of the rating year. Default: auto-detected; without one, all
    /// rows of an id are combined.
    pub year: Option<String>,
    /// How rows of one id and year combine. Default: [`Aggregate::Min`].
    pub aggregate: Aggregate,
    /// Use only this year. Default: per id, its latest year.
    pub use_year: Option<i32>,
}

/// Ratings read from one table.
#[derive(Debug, Clone)]
pub struct Ratings {
    /// One value per segment id (the id as text, as written in the table).
    pub by_id: BTreeMap<String, f64>,
    /// Counts, skips and the columns chosen.
    pub report: LoadReport,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

const ID_NAMES: &[&str] = &["streetID", "street_id", "segment_id", "Street_ID"];
const VALUE_NAMES: &[&str] = &["overall", "overall_1to10", "rating", "pci", "condition"];
const YEAR_NAMES: &[&str] = &["rating_year", "year"];

/// Reads a condition table (CSV) into one value per segment id.
///
/// The rule: per id, the rows of its latest year with a usable value (or of
/// [`RatingsMapping::use_year`]) combine with [`RatingsMapping::aggregate`]
/// (default: the minimum, the worst block).
/// `report.loaded` counts the rows used.
///
/// # Errors
///
/// - [`Error::Io`], or [`Error::File`] for an empty file, a missing column
///   (listing the columns there are) or broken CSV;
/// - [`Error::Record`] under [`OnError::Fail`] for an empty id, or a value or
///   year that is not a number, naming the row and the value.
///
/// # Examples
///
/// ```
/// use streetrank_io::{read_ratings, OnError, RatingsMapping};
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("r.csv");
/// std::fs::write(&p, "streetID,year,overall\n7,2014,3\n7,2015,6\n7,2015,5\n8,2015,9\n")?;
/// let r = read_ratings(&p, &RatingsMapping::default(), OnError::Fail)?;
/// assert_eq!(r.by_id["7"], 5.0); // latest year, worst block
/// assert_eq!(r.by_id["8"], 9.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_ratings(path: &Path, mapping: &RatingsMapping, on_error: OnError) -> Result<Ratings> {
    let mut report = LoadReport::new(path);
    let mut table = open_csv(path)?;
    let names = std::mem::take(&mut table.columns);
    let mut column = |setting: &str,
                      mapped: &Option<String>,
                      candidates: &[&str],
                      required: bool|
     -> Result<Option<usize>> {
        if let Some(n) = mapped {
            return mapped_column(path, &names, setting, n).map(Some);
        }
        match detect_column(&names, candidates) {
            Some((i, _)) => {
                report.note(format!(
                    "{setting} from column `{}` (auto-detected; set `{setting}` in [ratings] to override)",
                    names[i]
                ));
                Ok(Some(i))
            }
            None if required => Err(Error::file(
                path,
                format!(
                    "no {setting} column found (tried {}); the columns are {}",
                    candidates.join(", "),
                    crate::mapping::list_columns(&names)
                ),
                format!("set `{setting} = \"<column>\"` in [ratings]"),
            )),
            None => Ok(None),
        }
    };
    let id_col = column("id", &mapping.id, ID_NAMES, true)?.unwrap_or_default();
    let value_col = column("value", &mapping.value, VALUE_NAMES, true)?.unwrap_or_default();
    let year_col = column("year", &mapping.year, YEAR_NAMES, false)?;
    if year_col.is_none() {
        report.note("no year column: all rows of an id are combined");
    }
    if mapping.use_year.is_some() && year_col.is_none() {
        return Err(Error::Config {
            context: path.display().to_string(),
            problem: "`use_year` is set but the table has no year column".into(),
            fix: "map the year column with `year` in [ratings], or remove `use_year`".into(),
        });
    }

    // id -> (year, values in file order)
    let mut rows: BTreeMap<String, (Option<i32>, Vec<f64>)> = BTreeMap::new();
    let mut row = csv::ByteRecord::new();
    let mut record = 0usize;
    let cell = |row: &csv::ByteRecord, i: usize| {
        row.get(i)
            .map(|b| String::from_utf8_lossy(b).trim().to_owned())
            .unwrap_or_default()
    };
    loop {
        match table.reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let error = csv_error(path, &e, "a record");
                // Too few or too many fields (half a last row): one bad row.
                if matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    record += 1;
                    report.skip_or_fail(on_error, "wrong number of fields", error)?;
                    continue;
                }
                return Err(error);
            }
        }
        record += 1;
        let id = cell(&row, id_col);
        if id.is_empty() {
            let e = Error::record(
                path,
                record,
                Some(&names[id_col]),
                "the segment id is empty",
                "give every row an id, or load with skipping",
            );
            report.skip_or_fail(on_error, "empty id", e)?;
            continue;
        }
        let year = match year_col {
            None => None,
            Some(yc) => {
                let t = cell(&row, yc);
                match t.parse::<i32>() {
                    Ok(y) => Some(y),
                    Err(_) => {
                        let e = Error::record(
                            path,
                            record,
                            Some(&names[yc]),
                            format!("year `{t}` is not a whole number"),
                            "fix the value, or load with skipping",
                        );
                        report.skip_or_fail(on_error, "bad year", e)?;
                        continue;
                    }
                }
            }
        };
        let v = cell(&row, value_col);
        let value = match v.parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => {
                let (reason, problem) = if v.is_empty() {
                    ("empty rating", "the rating is empty".to_owned())
                } else {
                    (
                        "non-numeric rating",
                        format!("rating `{v}` is not a number"),
                    )
                };
                let e = Error::record(
                    path,
                    record,
                    Some(&names[value_col]),
                    problem,
                    "fix or remove the row, or load with skipping to leave such rows out (their segments stay unrated unless another row rates them)",
                );
                report.skip_or_fail(on_error, reason, e)?;
                continue;
            }
        };
        if let (Some(want), Some(y)) = (mapping.use_year, year)
            && want != y
        {
            continue;
        }
        let entry = rows.entry(id).or_insert((year, Vec::new()));
        match year.cmp(&entry.0) {
            std::cmp::Ordering::Greater => *entry = (year, vec![value]),
            std::cmp::Ordering::Equal => entry.1.push(value),
            std::cmp::Ordering::Less => {}
        }
    }
    if record == 0 {
        return Err(Error::file(
            path,
            "the table has a header but no rows",
            "give a table with one row per rated segment",
        ));
    }
    let mut used = 0;
    let by_id: BTreeMap<String, f64> = rows
        .into_iter()
        .filter_map(|(id, (_, vs))| {
            used += vs.len();
            combine(&vs, mapping.aggregate).map(|v| (id, v))
        })
        .collect();
    report.loaded = used;
    report.note(format!(
        "{} segment ids rated from {used} rows ({} per id: {}, {})",
        by_id.len(),
        match mapping.use_year {
            Some(y) => format!("year {y}"),
            None => "latest year".to_owned(),
        },
        match mapping.aggregate {
            Aggregate::Min => "min",
            Aggregate::Mean => "mean",
            Aggregate::Max => "max",
            Aggregate::Last => "last",
        },
        "set `aggregate`/`use_year` in [ratings] to change"
    ));
    Ok(Ratings {
        by_id,
        report,
        sha256: crate::digest::digest_file(path)?,
    })
}

fn combine(vs: &[f64], how: Aggregate) -> Option<f64> {
    let first = *vs.first()?;
    Some(match how {
        Aggregate::Min => vs.iter().copied().fold(first, f64::min),
        Aggregate::Max => vs.iter().copied().fold(first, f64::max),
        #[allow(clippy::cast_precision_loss)]
        Aggregate::Mean => vs.iter().sum::<f64>() / vs.len() as f64,
        Aggregate::Last => *vs.last()?,
    })
}

/// Sets each segment's `attributes.condition` from the ratings, matching the
/// segment id's text form ([`streetrank::SourceId`]'s `Display`) to the table's id.
///
/// Segments without a rating keep their condition. Returns the number of
/// segments rated and the number of table ids that match no segment.
///
/// # Examples
///
/// ```
/// use geo_types::line_string;
/// use streetrank::{Segment, SourceId, StreetNetwork};
/// use streetrank_io::{apply_ratings, Ratings, LoadReport};
/// let seg = Segment::new(SourceId::from(7), line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0)])?;
/// let mut net = StreetNetwork::new(vec![seg], vec![])?;
/// let ratings = Ratings {
///     by_id: [("7".to_string(), 4.0), ("99".to_string(), 1.0)].into(),
///     report: LoadReport::default(),
///     sha256: String::new(),
/// };
/// assert_eq!(apply_ratings(&mut net, &ratings), (1, 1));
/// assert_eq!(net.segments[0].attributes.condition, Some(4.0));
/// # Ok::<(), streetrank::Error>(())
/// ```
pub fn apply_ratings(network: &mut StreetNetwork, ratings: &Ratings) -> (usize, usize) {
    let mut rated = 0;
    let mut matched = std::collections::BTreeSet::new();
    for s in &mut network.segments {
        let key = s.id.to_string();
        if let Some((k, v)) = ratings.by_id.get_key_value(&key) {
            s.attributes.condition = Some(*v);
            matched.insert(k.as_str());
            rated += 1;
        }
    }
    (rated, ratings.by_id.len() - matched.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn combine_table() {
        let vs = [5.0, 3.0, 7.0];
        let cases = [
            (Aggregate::Min, Some(3.0)),
            (Aggregate::Max, Some(7.0)),
            (Aggregate::Mean, Some(5.0)),
            (Aggregate::Last, Some(7.0)),
        ];
        for (how, want) in cases {
            assert_eq!(combine(&vs, how), want, "{how:?}");
            assert_eq!(combine(&[], how), None, "{how:?} of nothing");
            assert_eq!(combine(&[2.0, 2.0], how), Some(2.0), "{how:?} tie");
        }
    }

    #[test]
    fn latest_year_then_aggregate_and_use_year() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "r.csv",
            "street_id;rating_year;overall_1to10\n1;2014;2\n1;2015;6\n1;2015;4\n2;2013;8\n2;2015;0\n3;2014;5\n",
        );
        let r = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap();
        assert_eq!(r.by_id.len(), 3);
        assert_eq!((r.by_id["1"], r.by_id["2"], r.by_id["3"]), (4.0, 0.0, 5.0));
        assert_eq!(r.report.loaded, 4);
        let m = RatingsMapping {
            aggregate: Aggregate::Mean,
            ..Default::default()
        };
        assert_eq!(read_ratings(&p, &m, OnError::Fail).unwrap().by_id["1"], 5.0);
        let m = RatingsMapping {
            use_year: Some(2014),
            ..Default::default()
        };
        let r = read_ratings(&p, &m, OnError::Fail).unwrap();
        assert_eq!(
            r.by_id,
            BTreeMap::from([("1".into(), 2.0), ("3".into(), 5.0)])
        );
    }

    #[test]
    fn bad_rows_fail_or_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            &dir,
            "r.csv",
            "streetID,overall\n1,5\n2,SU jurisdiction\n3,\n,4\n4,NaN\n",
        );
        let e = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: record 2, field `overall`: rating `SU jurisdiction` is not a number. Fix: fix or remove the row, or load with skipping to leave such rows out (their segments stay unrated unless another row rates them)",
                p.display()
            )
        );
        let r = read_ratings(&p, &RatingsMapping::default(), OnError::Skip).unwrap();
        assert_eq!(r.by_id, BTreeMap::from([("1".into(), 5.0)]));
        assert_eq!(r.report.skipped["non-numeric rating"], 2);
        assert_eq!(r.report.skipped["empty rating"], 1);
        assert_eq!(r.report.skipped["empty id"], 1);
    }

    #[test]
    fn missing_columns_and_empty_tables() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "r.csv", "segment,score\n1,5\n");
        let e = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap_err();
        assert!(e.to_string().contains("no id column found (tried streetID, street_id, segment_id, Street_ID); the columns are `segment`, `score`"), "{e}");
        let m = RatingsMapping {
            id: Some("segment".into()),
            value: Some("score".into()),
            ..Default::default()
        };
        assert_eq!(read_ratings(&p, &m, OnError::Fail).unwrap().by_id["1"], 5.0);
        let p = write(&dir, "h.csv", "streetID,overall\n");
        let e = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap_err();
        assert!(e.to_string().contains("no rows"), "{e}");
        let p = write(&dir, "e.csv", "");
        let e = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap_err();
        assert!(e.to_string().contains("the file is empty"), "{e}");
    }

    fn data_dir() -> std::path::PathBuf {
        let dir = std::env::var_os("STREETRANK_DATA").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
            std::path::PathBuf::from,
        );
        assert!(
            dir.is_dir(),
            "test data not found at {}: set STREETRANK_DATA to the shared data directory",
            dir.display()
        );
        dir
    }

    #[test]
    fn syracuse_long_table_in_skip_mode() {
        let p = data_dir().join("syracuse/converted/road_ratings_2000_2015_long.csv");
        let r = read_ratings(&p, &RatingsMapping::default(), OnError::Skip).unwrap();
        // 4,853 ids in the table; 9 of them never have a numeric rating.
        assert_eq!(r.by_id.len(), 4844);
        assert_eq!(r.report.loaded, 4924);
        assert_eq!(r.report.skipped["empty rating"], 273);
        assert_eq!(r.report.skipped["non-numeric rating"], 19);
        assert_eq!(r.by_id["12581174"], 6.0); // its 2015 value
        // 2015 'NA' (brick), so its latest numeric year, 2007.
        assert_eq!(r.by_id["12573889"], 8.0);
        let notes = r.report.notes.join("\n");
        assert!(notes.contains("id from column `street_id`"), "{notes}");
        assert!(
            notes.contains("value from column `overall_1to10`"),
            "{notes}"
        );
        assert!(notes.contains("year from column `rating_year`"), "{notes}");
        let y2015 = RatingsMapping {
            use_year: Some(2015),
            ..Default::default()
        };
        let r15 = read_ratings(&p, &y2015, OnError::Skip).unwrap();
        assert!(r15.by_id.len() < r.by_id.len());
        assert!(!r15.by_id.contains_key("12573889"));
    }

    #[test]
    fn syracuse_2015_original_fails_on_its_first_text_rating() {
        let p = data_dir().join("syracuse/original/RoadsChallenge/data/roads/RoadRatings2015.csv");
        let e = read_ratings(&p, &RatingsMapping::default(), OnError::Fail).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: record 229, field `overall`: rating `NA` is not a number. Fix: fix or remove the row, or load with skipping to leave such rows out (their segments stay unrated unless another row rates them)",
                p.display()
            )
        );
    }
}
