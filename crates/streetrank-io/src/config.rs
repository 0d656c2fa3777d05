//! The run configuration: one TOML file for scoring, snapping and every
//! column mapping.
//!
//! ```toml
//! work_crs = "EPSG:32618"
//!
//! [snap]
//! max_distance_m = 30.0
//!
//! [streets]
//! id = "STREET_ID"
//!
//! [complaints]
//! x = "Latitude"     # this file's headers are swapped …
//! y = "Longitude"
//! keep = ["VehicleName"]
//!
//! [ratings]
//! aggregate = "min"
//!
//! [plan]
//! budgets = [2e6, 2e6, 2e6]
//! [plan.solver]
//! method = "greedy"
//!
//! [privacy]
//! min_count = 5
//! ```
//!
//! Every table and key is optional; unknown keys are errors, so a typo never
//! silently falls back to a default.

use std::path::Path;

use crate::complaints::ComplaintMapping;
use crate::crs::Crs;
use crate::privacy::PrivacySection;
use crate::ratings::RatingsMapping;
use crate::streets::StreetMapping;
use crate::{Error, Result};

/// Snapping settings: the `[snap]` table.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnapSection {
    /// Complaints farther than this from every street stay unmatched.
    ///
    /// # Units
    ///
    /// Metres. Default 30.
    pub max_distance_m: f64,
    /// Two streets within this distance of each other's snap distance are a tie
    /// (reported as ambiguous).
    ///
    /// # Units
    ///
    /// Metres. Default 1.
    pub ambiguity_tolerance_m: f64,
}

impl Default for SnapSection {
    fn default() -> Self {
        SnapSection {
            max_distance_m: 30.0,
            ambiguity_tolerance_m: 1.0,
        }
    }
}

/// Everything a run can be configured with. `Default` gives the documented
/// defaults of every section.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// The scoring model: the `[score]` table.
    pub score: streetrank::ScoreConfig,
    /// Snapping: the `[snap]` table.
    pub snap: SnapSection,
    /// Street file mapping: the `[streets]` table.
    pub streets: StreetMapping,
    /// Complaint file mapping: the `[complaints]` table.
    pub complaints: ComplaintMapping,
    /// Condition table mapping: the `[ratings]` table.
    pub ratings: RatingsMapping,
    /// The metric CRS everything is projected into. Default: chosen from the
    /// streets (their own CRS when metric, else the UTM zone of their centre).
    pub work_crs: Option<Crs>,
    /// Repair planning (`streetrank plan`): the `[plan]` table, a
    /// [`streetrank_plan::PlanConfig`]. Absent by default; a config without it
    /// keeps the settings hash it had before planning existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<streetrank_plan::PlanConfig>,
    /// Privacy: the `[privacy]` table (`min_count`, the `k` of small-count suppression).
    /// Left out of the settings hash while it holds the defaults, so runs without it keep
    /// the hash they had before it existed.
    #[serde(skip_serializing_if = "PrivacySection::is_default")]
    pub privacy: PrivacySection,
}

/// Reads and checks a TOML run configuration.
///
/// Only syntax, types and key names are checked here; the CLI validates value
/// ranges (`ScoreConfig::validate`) once the command-line flags are merged in.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read; [`Error::Config`] naming the
/// line, column and key for bad TOML, an unknown key, a wrong type or an
/// invalid CRS.
///
/// # Examples
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let p = dir.path().join("run.toml");
/// std::fs::write(&p, "[snap]\nmax_distance_m = 40.0\n[complaints]\nswap_xy = true\n")?;
/// let c = streetrank_io::read_config(&p)?;
/// assert_eq!(c.snap.max_distance_m, 40.0);
/// assert!(c.complaints.swap_xy);
/// assert_eq!(c.snap.ambiguity_tolerance_m, 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_config(path: &Path) -> Result<RunConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_config(&text, &path.display().to_string())
}

/// Parses a TOML run configuration from text; `context` names it in errors.
///
/// # Errors
///
/// As [`read_config`].
pub fn parse_config(text: &str, context: &str) -> Result<RunConfig> {
    toml::from_str::<RunConfig>(text).map_err(|e| {
        let message = e.message().trim_end();
        // A nested error (an invalid CRS) may carry its own fix.
        let (problem, fix) = match message.split_once(". Fix: ") {
            Some((p, f)) => (p.to_owned(), f.to_owned()),
            None => (
                message.to_owned(),
                "correct that setting; unknown keys are errors, see the docs for the keys each table accepts".to_owned(),
            ),
        };
        let at = e.span().map_or_else(String::new, |span| {
            let start = span.start.min(text.len());
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |p| p + 1);
            let column = start - line_start + 1;
            let key = key_at(text, line_start)
                .map(|k| format!(", key `{k}`"))
                .unwrap_or_default();
            format!("line {line}, column {column}{key}: ")
        });
        Error::Config {
            context: context.to_owned(),
            problem: format!("{at}{problem}"),
            fix,
        }
    })
}

/// The dotted key assigned on the line starting at `line_start`
/// (`snap.max_distance_m`), when the line is a `key = value` pair.
fn key_at(text: &str, line_start: usize) -> Option<String> {
    let line = text[line_start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(['[', ']']).trim());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_owned(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_all_defaults() {
        let c = parse_config("", "t.toml").unwrap();
        assert_eq!(c, RunConfig::default());
        assert_eq!(c.snap.max_distance_m, 30.0);
        assert!(c.work_crs.is_none());
    }

    #[test]
    fn privacy_table_parses_and_stays_out_of_the_hash_at_its_defaults() {
        let c = parse_config("[privacy]\nmin_count = 5\n", "t.toml").unwrap();
        assert_eq!(c.privacy.min_count, 5);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"privacy\":{\"min_count\":5}"), "{json}");
        let default = serde_json::to_string(&RunConfig::default()).unwrap();
        assert!(!default.contains("privacy"), "{default}");
        let explicit = parse_config("[privacy]\nmin_count = 3\n", "t.toml").unwrap();
        assert_eq!(serde_json::to_string(&explicit).unwrap(), default);
        let e = parse_config("[privacy]\nk = 5\n", "t.toml").unwrap_err();
        assert!(e.to_string().contains("privacy.k"), "{e}");
    }

    #[test]
    fn every_section_parses() {
        let c = parse_config(
            r#"
work_crs = "EPSG:32618"
[snap]
max_distance_m = 25.5
ambiguity_tolerance_m = 0.5
[streets]
id = "STREET_ID"
[complaints]
x = "Latitude"
y = "Longitude"
keep = ["VehicleName", "dtTime"]
crs = "EPSG:4326"
swap_xy = true
date_format = "%m/%d/%Y %H:%M"
[ratings]
value = "overall"
aggregate = "mean"
use_year = 2015
"#,
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.work_crs.map(|c| c.label()), Some("EPSG:32618".to_owned()));
        assert_eq!(c.snap.ambiguity_tolerance_m, 0.5);
        assert_eq!(c.streets.id.as_deref(), Some("STREET_ID"));
        assert_eq!(c.complaints.keep, ["VehicleName", "dtTime"]);
        assert!(c.complaints.swap_xy);
        assert_eq!(c.ratings.aggregate, crate::Aggregate::Mean);
        assert_eq!(c.ratings.use_year, Some(2015));
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let cases = [
            (
                "[complaints]\nswap_xy = true\nswapxy = true\n",
                "t.toml: line 3, column 1, key `complaints.swapxy`: unknown field `swapxy`, expected one of `id`, `x`, `y`",
            ),
            (
                "[snap]\nmax_distance_m = \"far\"\n",
                "t.toml: line 2, column 18, key `snap.max_distance_m`: invalid type: string \"far\", expected f64. Fix: correct that setting",
            ),
            (
                "[ratings]\naggregate = \"median\"\n",
                "t.toml: line 2, column 13, key `ratings.aggregate`: unknown variant `median`, expected one of `min`, `mean`, `max`, `last`",
            ),
            ("[snap\n", "t.toml: line 1, column 6:"),
            (
                "[score]\nbogus = 1\n",
                "t.toml: line 2, column 1, key `score.bogus`: unknown field `bogus`",
            ),
            (
                "work_crs = \"EPSG:0\"\n",
                "t.toml: line 1, column 12, key `work_crs`: CRS `EPSG:0`",
            ),
        ];
        for (text, want) in cases {
            let e = parse_config(text, "t.toml").unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{e:?}");
            assert!(e.to_string().starts_with(want), "{text:?}: {e}");
        }
    }
}
