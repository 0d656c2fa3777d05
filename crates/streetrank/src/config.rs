//! Settings of the scoring model ([`ScoreConfig`]), their defaults and their validation.
//!
//! The same schema is read from TOML by `streetrank-io` and from dicts by the
//! Python package: every struct is `#[serde(deny_unknown_fields, default)]`,
//! so a file names only the settings it changes and a misspelt key is an
//! error, not a silent default. Maps are [`BTreeMap`]s so that
//! [`ScoreConfig::canonical_json`] is the same bytes for the same settings.
//!
//! Where each default comes from is documented on the field and in
//! `docs/scoring.md`.
//!
//! # Examples
//!
//! ```
//! use streetrank::{Cap, ScoreConfig};
//!
//! // A partial document: everything not named keeps its default.
//! let cfg: ScoreConfig = serde_json::from_str(
//!     r#"{"pressure": {"half_life_days": 30, "cap": {"fixed": 2.0}},
//!         "condition": {"worst": 1, "best": 10}}"#,
//! ).unwrap();
//! assert_eq!(cfg.pressure.half_life_days, 30.0);
//! assert_eq!(cfg.pressure.cap, Cap::Fixed(2.0));
//! assert_eq!(cfg.pressure.dedup_distance_m, 50.0);
//! assert_eq!(cfg.weights.pressure, 0.5);
//! cfg.validate()?;
//!
//! // Unknown keys are refused.
//! assert!(serde_json::from_str::<ScoreConfig>(r#"{"wieghts": {}}"#).is_err());
//! # Ok::<(), streetrank::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::{Error, Timestamp};

/// All settings of the scoring model.
///
/// `Default` gives the documented defaults; see each field.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreConfig {
    /// The moment complaint ages are measured from (UTC). In a config file an
    /// RFC 3339 string (`"2024-07-01T00:00:00Z"`), a date (`"2024-07-01"`,
    /// midnight UTC) or integer seconds since the Unix epoch.
    ///
    /// Default `None`: the latest `created` time among all input complaints
    /// (matched or not), so re-running on the same files gives the same
    /// ranking whatever today's date is. The ranking's notes say which time was used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Timestamp>,
    /// Relative weights of the four factors.
    pub weights: Weights,
    /// Complaint pressure settings.
    pub pressure: PressureConfig,
    /// Pavement condition settings.
    pub condition: ConditionConfig,
    /// Usage (traffic) settings.
    pub usage: UsageConfig,
    /// Equity settings.
    pub equity: EquityConfig,
}

/// Relative weights of the factors; only their ratios matter.
///
/// Each must be finite and `>= 0`, and their sum `> 0`.
///
/// Defaults (a project choice, not an external standard): complaints are the
/// most direct signal of a problem the city does not yet know about, condition
/// surveys the second, traffic the third; equity is off until a city supplies
/// district weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// Weight of complaint pressure. Default `0.5`.
    pub pressure: f64,
    /// Weight of pavement condition. Default `0.3`.
    pub condition: f64,
    /// Weight of usage. Default `0.2`.
    pub usage: f64,
    /// Weight of equity. Default `0.0` (off).
    pub equity: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            pressure: 0.5,
            condition: 0.3,
            usage: 0.2,
            equity: 0.0,
        }
    }
}

/// How the pressure factor's raw value is scaled to 0..1.
///
/// In TOML: `cap = "p95"` or `cap = { fixed = 2.5 }`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cap {
    /// The 95th percentile (nearest-rank) of the positive raw values of all
    /// segments; 0 when no segment has a positive value. The default: a few
    /// extreme segments do not squash everyone else towards 0.
    #[default]
    #[serde(alias = "P95")]
    P95,
    /// A fixed cap in complaints per `per_length_m` metres; must be finite and `> 0`.
    /// Use it to compare rankings across runs or cities on one scale.
    Fixed(f64),
}

/// Complaint pressure: de-duplicated, recency-weighted complaints per length of street.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PressureConfig {
    /// Age in days at which a complaint counts half. Default `90.0`: one
    /// season, so last winter's pothole reports fade by the next one but a
    /// street nobody fixed for a year still shows (a year-old report weighs
    /// 0.5^(365/90) ≈ 0.06). Must be finite and `> 0`.
    pub half_life_days: f64,
    /// Length of street the raw value is expressed per, in metres. Default
    /// `100.0` (roughly one city block). Must be finite and `> 0`.
    pub per_length_m: f64,
    /// Shortest length, in metres, a segment counts as when complaints are
    /// divided by length. Default `50.0` (half a block): street files split
    /// streets at every intersection and ramp, leaving stubs of 10-20 m on
    /// which a single complaint would otherwise outrank a whole block with
    /// five. Must be finite and `>= 0`; `0` divides by the true length.
    pub min_length_m: f64,
    /// Two complaints closer than this (Euclidean, metres, inclusive) can be
    /// duplicates. Default `50.0`: FixMyStreet searches a 50 m radius for
    /// possible duplicates of a new report (mysociety/fixmystreet#1677).
    /// Must be finite and `>= 0`; `0` merges
    /// only complaints at the very same point.
    pub dedup_distance_m: f64,
    /// A complaint within this many days (inclusive) after a kept complaint
    /// near it is a duplicate. Default `30.0` (a project choice: a month is
    /// long enough to catch repeat reports of one open defect and short enough
    /// that a defect coming back after a repair counts again). Must be finite and `>= 0`.
    pub dedup_window_days: f64,
    /// Weight of a complaint with no creation time. Default `1.0` (as if new:
    /// an undated complaint is evidence, and its age is unknown). Must be finite and `>= 0`.
    pub undated_weight: f64,
    /// How the raw value is scaled to 0..1. Default [`Cap::P95`].
    pub cap: Cap,
}

impl Default for PressureConfig {
    fn default() -> Self {
        PressureConfig {
            half_life_days: 90.0,
            per_length_m: 100.0,
            min_length_m: 50.0,
            dedup_distance_m: 50.0,
            dedup_window_days: 30.0,
            undated_weight: 1.0,
            cap: Cap::P95,
        }
    }
}

/// Pavement condition: how far a segment's rating is from the best one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConditionConfig {
    /// Rating of the worst possible pavement on the source's scale. Default
    /// `0.0` (PCI, ASTM D6433). Syracuse's 1-10 ratings use `1`.
    pub worst: f64,
    /// Rating of perfect pavement. Default `100.0` (PCI). Syracuse uses `10`.
    /// May be below `worst` for scales where a higher number is worse; must differ from it.
    pub best: f64,
    /// Need (0..1) given to a segment without a usable rating. Default `0.5`:
    /// unknown is treated as middling, neither urgent nor fine.
    pub missing: f64,
}

impl Default for ConditionConfig {
    fn default() -> Self {
        ConditionConfig {
            worst: 0.0,
            best: 100.0,
            missing: 0.5,
        }
    }
}

/// Usage: how many people a repair serves, from traffic counts or road class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageConfig {
    /// Usage (0..1) by road class, matched case-insensitively after trimming.
    ///
    /// Default: TIGER/Line MTFCC codes (`S1100` primary road 1.0, `S1200`
    /// secondary 0.8, `S1400` local 0.4, `S1630` ramp 0.6, `S1640` service
    /// drive 0.3, `S1710` walkway, `S1730` alley, `S1820` bike path 0.1),
    /// Syracuse `CART_CLASS` (`INTERSTATE` 1.0, `MAJOR` 0.8, `MINOR` 0.4,
    /// `DRIVEWAY` 0.1, `TRAIL` 0.1) and generic functional classes
    /// (`arterial` 1.0, `collector` 0.7, `local` 0.4). A map given in a config
    /// file replaces this table as a whole.
    pub class_weights: BTreeMap<String, f64>,
    /// AADT (vehicles per day) that counts as full usage. Default `20000.0`,
    /// a busy urban arterial. Must be finite and `> 0`.
    pub aadt_reference: f64,
    /// Usage (0..1) of a segment with neither AADT nor a known class. Default
    /// `0.4`, the same as a local street: most unclassified segments are.
    pub missing: f64,
}

impl Default for UsageConfig {
    fn default() -> Self {
        let class_weights = [
            ("S1100", 1.0),
            ("S1200", 0.8),
            ("S1400", 0.4),
            ("S1630", 0.6),
            ("S1640", 0.3),
            ("S1710", 0.1),
            ("S1730", 0.1),
            ("S1820", 0.1),
            ("INTERSTATE", 1.0),
            ("MAJOR", 0.8),
            ("MINOR", 0.4),
            ("DRIVEWAY", 0.1),
            ("TRAIL", 0.1),
            ("arterial", 1.0),
            ("collector", 0.7),
            ("local", 0.4),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        UsageConfig {
            class_weights,
            aadt_reference: 20_000.0,
            missing: 0.4,
        }
    }
}

/// Equity: a priority the city assigns to districts (wards, council districts …).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EquityConfig {
    /// Weight (0..1) per district name, matched case-insensitively after
    /// trimming. Default empty: the city decides; there is no neutral default.
    pub district_weights: BTreeMap<String, f64>,
    /// Weight (0..1) of a segment whose district is missing or not in the map. Default `0.0`.
    pub missing: f64,
}

/// Key used to look up class and district names: trimmed and lowercased.
pub(crate) fn lookup_key(name: &str) -> String {
    name.trim().to_lowercase()
}

fn invalid(setting: impl Into<String>, message: String) -> Error {
    Error::InvalidConfig {
        setting: setting.into(),
        message,
    }
}

/// `Ok` when `v` is finite and `> 0`.
fn positive(setting: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(setting, format!("must be > 0, got {v}")))
    }
}

/// `Ok` when `v` is finite and `>= 0`.
fn non_negative(setting: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(setting, format!("must be >= 0, got {v}")))
    }
}

/// `Ok` when `0 <= v <= 1`.
fn unit(setting: &str, v: f64) -> Result<(), Error> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be between 0 and 1, got {v}"),
        ))
    }
}

/// Checks a name -> 0..1 map: values in range, no two names equal ignoring case.
fn unit_map(setting: &str, map: &BTreeMap<String, f64>) -> Result<(), Error> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (name, &v) in map {
        unit(&format!("{setting}.{name}"), v)?;
        if let Some(first) = seen.insert(lookup_key(name), name) {
            return Err(invalid(
                setting,
                format!(
                    "`{first}` and `{name}` are the same name (names match case-insensitively); keep one"
                ),
            ));
        }
    }
    Ok(())
}

impl ScoreConfig {
    /// Checks every setting's range.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the first bad setting by its dotted
    /// name, e.g. `pressure.half_life_days` with `must be > 0, got -3`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank::ScoreConfig;
    /// let mut cfg = ScoreConfig::default();
    /// cfg.validate()?;
    /// cfg.pressure.half_life_days = -3.0;
    /// assert_eq!(
    ///     cfg.validate().unwrap_err().to_string(),
    ///     "invalid setting `pressure.half_life_days`: must be > 0, got -3"
    /// );
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        let w = &self.weights;
        non_negative("weights.pressure", w.pressure)?;
        non_negative("weights.condition", w.condition)?;
        non_negative("weights.usage", w.usage)?;
        non_negative("weights.equity", w.equity)?;
        let sum = w.sum();
        if !(sum.is_finite() && sum > 0.0) {
            return Err(invalid(
                "weights",
                format!("the weights must add up to a finite number > 0, got {sum}"),
            ));
        }

        let p = &self.pressure;
        positive("pressure.half_life_days", p.half_life_days)?;
        positive("pressure.per_length_m", p.per_length_m)?;
        non_negative("pressure.min_length_m", p.min_length_m)?;
        non_negative("pressure.dedup_distance_m", p.dedup_distance_m)?;
        non_negative("pressure.dedup_window_days", p.dedup_window_days)?;
        non_negative("pressure.undated_weight", p.undated_weight)?;
        if let Cap::Fixed(x) = p.cap {
            positive("pressure.cap.fixed", x)?;
        }

        let c = &self.condition;
        if !c.worst.is_finite() {
            return Err(invalid(
                "condition.worst",
                format!("must be a finite number, got {}", c.worst),
            ));
        }
        if !c.best.is_finite() {
            return Err(invalid(
                "condition.best",
                format!("must be a finite number, got {}", c.best),
            ));
        }
        if c.worst == c.best {
            return Err(invalid(
                "condition.best",
                format!("must differ from condition.worst, both are {}", c.best),
            ));
        }
        unit("condition.missing", c.missing)?;

        let u = &self.usage;
        unit_map("usage.class_weights", &u.class_weights)?;
        positive("usage.aadt_reference", u.aadt_reference)?;
        unit("usage.missing", u.missing)?;

        let e = &self.equity;
        unit_map("equity.district_weights", &e.district_weights)?;
        unit("equity.missing", e.missing)?;
        Ok(())
    }

    /// The settings as compact JSON with every object's keys sorted.
    ///
    /// The same settings always give the same bytes (whatever serde_json
    /// features other crates enable), so the text can be hashed; see
    /// [`crate::settings_hash`]. `as_of` is left out when it is `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank::ScoreConfig;
    /// let json = ScoreConfig::default().canonical_json();
    /// assert!(json.starts_with(r#"{"condition":{"best":100.0,"missing":0.5,"worst":0.0},"#));
    /// ```
    #[must_use]
    pub fn canonical_json(&self) -> String {
        canonical_json_of(self)
    }
}

impl Weights {
    /// Sum of the four weights, in the order pressure, condition, usage, equity.
    #[must_use]
    pub fn sum(&self) -> f64 {
        self.pressure + self.condition + self.usage + self.equity
    }
}

/// Compact JSON of any serialisable value with object keys sorted.
pub(crate) fn canonical_json_of<T: Serialize>(value: &T) -> String {
    // Serialising these plain structs and string-keyed maps cannot fail; should
    // it ever, the error text is hashed instead, which still differs from any valid document.
    match serde_json::to_value(value) {
        Ok(v) => {
            let mut out = String::new();
            write_sorted(&v, &mut out);
            out
        }
        Err(e) => format!("{{\"error\":{:?}}}", e.to_string()),
    }
}

fn write_sorted(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // A string's JSON form is its own canonical text.
                let _ = write!(out, "{}", Value::String(k.clone()));
                out.push(':');
                write_sorted(val, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        scalar => {
            let _ = write!(out, "{scalar}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        ScoreConfig::default().validate().unwrap();
    }

    #[test]
    fn validation_table() {
        type Edit = fn(&mut ScoreConfig);
        let cases: Vec<(Edit, Option<(&str, &str)>)> = vec![
            (
                |c| c.pressure.half_life_days = -3.0,
                Some(("pressure.half_life_days", "must be > 0, got -3")),
            ),
            (
                |c| c.pressure.half_life_days = 0.0,
                Some(("pressure.half_life_days", "must be > 0, got 0")),
            ),
            (
                |c| c.pressure.half_life_days = f64::NAN,
                Some(("pressure.half_life_days", "got NaN")),
            ),
            (
                |c| c.pressure.half_life_days = f64::INFINITY,
                Some(("pressure.half_life_days", "got inf")),
            ),
            (
                |c| c.pressure.per_length_m = 0.0,
                Some(("pressure.per_length_m", "> 0")),
            ),
            (|c| c.pressure.min_length_m = 0.0, None),
            (
                |c| c.pressure.min_length_m = -5.0,
                Some(("pressure.min_length_m", ">= 0")),
            ),
            (|c| c.pressure.dedup_distance_m = 0.0, None),
            (
                |c| c.pressure.dedup_distance_m = -1.0,
                Some(("pressure.dedup_distance_m", ">= 0")),
            ),
            (|c| c.pressure.dedup_window_days = 0.0, None),
            (
                |c| c.pressure.dedup_window_days = f64::NAN,
                Some(("pressure.dedup_window_days", "NaN")),
            ),
            (
                |c| c.pressure.undated_weight = -0.1,
                Some(("pressure.undated_weight", ">= 0")),
            ),
            (|c| c.pressure.cap = Cap::Fixed(2.0), None),
            (
                |c| c.pressure.cap = Cap::Fixed(0.0),
                Some(("pressure.cap.fixed", "> 0")),
            ),
            (
                |c| c.weights.pressure = -1.0,
                Some(("weights.pressure", ">= 0, got -1")),
            ),
            (
                |c| c.weights.equity = f64::NAN,
                Some(("weights.equity", "NaN")),
            ),
            (
                |c| {
                    c.weights = Weights {
                        pressure: 0.0,
                        condition: 0.0,
                        usage: 0.0,
                        equity: 0.0,
                    }
                },
                Some(("weights", "add up to a finite number > 0, got 0")),
            ),
            (
                |c| {
                    c.weights = Weights {
                        pressure: 0.0,
                        condition: 0.0,
                        usage: 0.0,
                        equity: 1.0,
                    }
                },
                None,
            ),
            (
                |c| {
                    c.weights.usage = f64::MAX;
                    c.weights.pressure = f64::MAX;
                },
                Some(("weights", "got inf")),
            ),
            (
                |c| c.condition.best = 0.0,
                Some(("condition.best", "must differ")),
            ),
            (
                |c| {
                    c.condition.worst = 10.0;
                    c.condition.best = 1.0;
                },
                None,
            ),
            (
                |c| c.condition.worst = f64::NEG_INFINITY,
                Some(("condition.worst", "finite")),
            ),
            (
                |c| c.condition.missing = 1.5,
                Some(("condition.missing", "between 0 and 1, got 1.5")),
            ),
            (|c| c.condition.missing = 1.0, None),
            (
                |c| {
                    c.usage.class_weights.insert("major".into(), 0.5);
                },
                Some(("usage.class_weights", "`MAJOR` and `major`")),
            ),
            (
                |c| {
                    c.usage.class_weights.insert("X".into(), -0.5);
                },
                Some(("usage.class_weights.X", "between 0 and 1")),
            ),
            (
                |c| c.usage.aadt_reference = 0.0,
                Some(("usage.aadt_reference", "> 0")),
            ),
            (
                |c| c.usage.missing = f64::NAN,
                Some(("usage.missing", "NaN")),
            ),
            (
                |c| {
                    c.equity.district_weights.insert("D1".into(), 2.0);
                },
                Some(("equity.district_weights.D1", "between 0 and 1, got 2")),
            ),
            (
                |c| c.equity.missing = -0.5,
                Some(("equity.missing", "between 0 and 1")),
            ),
        ];
        for (i, (edit, want)) in cases.into_iter().enumerate() {
            let mut cfg = ScoreConfig::default();
            edit(&mut cfg);
            match (cfg.validate(), want) {
                (Ok(()), None) => {}
                (Err(Error::InvalidConfig { setting, message }), Some((s, m))) => {
                    assert_eq!(setting, s, "case {i}");
                    assert!(message.contains(m), "case {i}: {message:?} lacks {m:?}");
                }
                (got, want) => panic!("case {i}: got {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn canonical_json_is_sorted_and_stable() {
        let mut cfg = ScoreConfig::default();
        cfg.equity.district_weights.insert("b".into(), 0.5);
        cfg.equity.district_weights.insert("a".into(), 1.0);
        let json = cfg.canonical_json();
        assert_eq!(json, cfg.clone().canonical_json());
        // Keys sorted at every level.
        assert!(json.starts_with(r#"{"condition":"#), "{json}");
        assert!(json.contains(r#""equity":{"district_weights":{"a":1.0,"b":0.5},"missing":0.0}"#));
        assert!(
            json.ends_with(
                r#""weights":{"condition":0.3,"equity":0.0,"pressure":0.5,"usage":0.2}}"#
            )
        );
        assert!(!json.contains("as_of"));
        // It parses back to the same settings.
        let back: ScoreConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cfg);
        // A change shows.
        cfg.as_of = Some(Timestamp(86_400));
        assert!(
            cfg.canonical_json()
                .starts_with(r#"{"as_of":"1970-01-02T00:00:00Z","#)
        );
        cfg.pressure.cap = Cap::Fixed(2.5);
        assert!(cfg.canonical_json().contains(r#""cap":{"fixed":2.5}"#));
    }

    #[test]
    fn partial_documents_keep_defaults_and_unknown_keys_fail() {
        let cfg: ScoreConfig = serde_json::from_str(r#"{"pressure":{"cap":"p95"}}"#).unwrap();
        assert_eq!(cfg, ScoreConfig::default());
        let empty: ScoreConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, ScoreConfig::default());
        for bad in [
            r#"{"pressure":{"half_life":3}}"#,
            r#"{"weights":{"traffic":1}}"#,
            r#"{"pressure":{"cap":"p90"}}"#,
        ] {
            assert!(serde_json::from_str::<ScoreConfig>(bad).is_err(), "{bad}");
        }
    }
}
