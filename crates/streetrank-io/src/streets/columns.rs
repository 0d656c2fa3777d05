//! Column resolution (mapping or auto-detection) and typed attribute values.

use std::path::Path;

use streetrank::{PropertyValue, SegmentAttributes, SourceId};

use super::StreetMapping;
use crate::mapping::{find_column, missing_column};
use crate::{Error, LoadReport, Result};

/// Auto-detection candidates, in order of preference.
pub(crate) const ID_CANDIDATES: &[&str] = &[
    "STREET_ID",
    "segment_id",
    "LINEARID",
    "ROADWAYSEGID",
    "STREETSEGID",
    "GIS_ID",
    "OBJECTID",
    "FID",
    "id",
];
const CLASS_CANDIDATES: &[&str] = &[
    "road_class",
    "CART_CLASS",
    "MTFCC",
    "FUNCTIONALCLASS",
    "FUNC_CLASS",
    "class",
];
const CONDITION_CANDIDATES: &[&str] = &["condition", "PCI", "overall"];
const AADT_CANDIDATES: &[&str] = &["AADT"];
const WIDTH_CANDIDATES: &[&str] = &["width", "width_m"];
const LANES_CANDIDATES: &[&str] = &["lanes", "NUM_LANES"];
const DISTRICT_CANDIDATES: &[&str] = &["district", "WARD", "council_district"];

/// Metres per foot (international foot) for `width_unit = "ft"`.
const FOOT_M: f64 = 0.3048;

/// One feature's attribute values, looked up by the file's own column name.
pub(crate) trait Row {
    /// The value of `column` (a name as the file spells it); `Null` when absent.
    fn value(&self, column: &str) -> PropertyValue;
}

/// The resolved source column (file spelling) of each attribute.
#[derive(Debug, Clone, Default)]
pub(crate) struct Columns {
    pub id: Option<String>,
    pub road_class: Option<String>,
    pub condition: Option<String>,
    pub aadt: Option<String>,
    pub width: Option<String>,
    pub width_factor: f64,
    pub lanes: Option<String>,
    pub district: Option<String>,
    /// (name as mapped, name as in the file).
    pub keep: Vec<(String, String)>,
}

/// The file's spelling of a column: exact match first, then ignoring ASCII case and blanks.
fn find<'a>(available: &'a [String], name: &str) -> Option<&'a String> {
    available
        .iter()
        .find(|a| a.as_str() == name)
        .or_else(|| find_column(available, name).and_then(|i| available.get(i)))
}

/// Resolves the mapping against the file's columns, noting every choice.
///
/// # Errors
///
/// [`Error::File`] for a mapped column the file lacks; [`Error::Config`] for a bad `width_unit`.
pub(crate) fn resolve(
    path: &Path,
    available: &[String],
    mapping: &StreetMapping,
    report: &mut LoadReport,
) -> Result<Columns> {
    let pick = |setting: &str,
                given: &Option<String>,
                candidates: &[&str],
                report: &mut LoadReport|
     -> Result<Option<String>> {
        if let Some(name) = given {
            let found = find(available, name)
                .ok_or_else(|| missing_column(path, available, setting, name))?;
            report.note(format!("{setting} from column `{found}` (mapping)"));
            return Ok(Some(found.clone()));
        }
        match candidates.iter().find_map(|c| find(available, c)) {
            Some(found) => {
                report.note(format!(
                    "{setting} from column `{found}` (auto-detected; set `{setting} = \"COLUMN\"` in the streets mapping to use another)"
                ));
                Ok(Some(found.clone()))
            }
            None => Ok(None),
        }
    };
    let id = pick("id", &mapping.id, ID_CANDIDATES, report)?;
    if id.is_none() {
        report.note(format!(
            "no id column found (tried {}): segments are identified by their 1-based feature number; set `id = \"COLUMN\"` in the streets mapping to use a column",
            ID_CANDIDATES.join(", ")
        ));
    }
    let road_class = pick("road_class", &mapping.road_class, CLASS_CANDIDATES, report)?;
    let condition = pick(
        "condition",
        &mapping.condition,
        CONDITION_CANDIDATES,
        report,
    )?;
    let aadt = pick("aadt", &mapping.aadt, AADT_CANDIDATES, report)?;
    let width = pick("width", &mapping.width, WIDTH_CANDIDATES, report)?;
    let lanes = pick("lanes", &mapping.lanes, LANES_CANDIDATES, report)?;
    let district = pick("district", &mapping.district, DISTRICT_CANDIDATES, report)?;
    let silent: Vec<&str> = [
        ("road_class", &road_class),
        ("condition", &condition),
        ("aadt", &aadt),
        ("width", &width),
        ("lanes", &lanes),
        ("district", &district),
    ]
    .iter()
    .filter(|(_, c)| c.is_none())
    .map(|(n, _)| *n)
    .collect();
    if !silent.is_empty() {
        report.note(format!(
            "no column found for {}: left empty (set them in the streets mapping if the file has them)",
            silent.join(", ")
        ));
    }
    let width_factor = match mapping.width_unit.as_deref().map(str::trim) {
        None | Some("m" | "M" | "metre" | "meter" | "metres" | "meters") => 1.0,
        Some("ft" | "FT" | "foot" | "feet") => FOOT_M,
        Some(other) => {
            return Err(Error::Config {
                context: path.display().to_string(),
                problem: format!("unknown `width_unit` \"{other}\""),
                fix: "set `width_unit` to \"m\" or \"ft\"".into(),
            });
        }
    };
    if width.is_some() && width_factor != 1.0 {
        report.note("width converted from feet to metres (`width_unit = \"ft\"`)");
    }
    let mut keep = Vec::with_capacity(mapping.keep.len());
    for k in &mapping.keep {
        let found = find(available, k).ok_or_else(|| missing_column(path, available, "keep", k))?;
        keep.push((k.clone(), found.clone()));
    }
    Ok(Columns {
        id,
        road_class,
        condition,
        aadt,
        width,
        width_factor,
        lanes,
        district,
        keep,
    })
}

/// A record-level problem: (skip reason, field, problem, fix).
pub(crate) type Problem = (&'static str, String, String, String);

impl Columns {
    /// The segment id of a feature; the feature number when no id column.
    pub(crate) fn id<R: Row + ?Sized>(&self, row: &R, feature: usize) -> Result<SourceId, Problem> {
        let Some(col) = &self.id else {
            return Ok(SourceId::Int(i64::try_from(feature).unwrap_or(i64::MAX)));
        };
        let missing = || {
            (
                "missing id",
                col.clone(),
                "the segment id is empty".to_owned(),
                "give every street an id, or map another id column with `id = \"COLUMN\"`"
                    .to_owned(),
            )
        };
        match row.value(col) {
            PropertyValue::Null => Err(missing()),
            PropertyValue::Int(i) => Ok(SourceId::Int(i)),
            PropertyValue::Float(f) => Ok(float_id(f)),
            PropertyValue::Bool(b) => Ok(SourceId::from(b.to_string())),
            PropertyValue::Text(s) => {
                let t = s.trim();
                if t.is_empty() {
                    Err(missing())
                } else {
                    Ok(SourceId::from(t))
                }
            }
        }
    }

    /// The typed attributes of a feature.
    pub(crate) fn attributes<R: Row + ?Sized>(
        &self,
        row: &R,
    ) -> Result<SegmentAttributes, Problem> {
        let width_m = number(row, self.width.as_deref())?.map(|w| w * self.width_factor);
        let lanes = match number(row, self.lanes.as_deref())? {
            None => None,
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
            Some(n) => {
                return Err(bad_value(
                    self.lanes.as_deref().unwrap_or("lanes"),
                    &n.to_string(),
                    "a whole number of lanes",
                ));
            }
        };
        Ok(SegmentAttributes {
            road_class: text(row, self.road_class.as_deref()),
            condition: number(row, self.condition.as_deref())?,
            aadt: number(row, self.aadt.as_deref())?,
            width_m,
            lanes,
            district: text(row, self.district.as_deref()),
        })
    }

    /// The pass-through values, in `keep` order.
    pub(crate) fn properties<R: Row + ?Sized>(&self, row: &R) -> Vec<PropertyValue> {
        self.keep.iter().map(|(_, col)| row.value(col)).collect()
    }

    /// Names of the pass-through properties, as mapped.
    pub(crate) fn property_names(&self) -> Vec<String> {
        self.keep.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The field name to blame for an id problem.
    pub(crate) fn id_field(&self) -> &str {
        self.id.as_deref().unwrap_or("id")
    }
}

/// A float id: whole numbers (DBF numerics) become integers.
fn float_id(f: f64) -> SourceId {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        SourceId::Int(f as i64)
    } else {
        SourceId::from(f.to_string())
    }
}

fn bad_value(col: &str, value: &str, wanted: &str) -> Problem {
    (
        "bad attribute",
        col.to_owned(),
        format!("value `{value}` is not {wanted}"),
        format!("correct the value, or map another column (or none) for `{col}`"),
    )
}

fn number<R: Row + ?Sized>(row: &R, col: Option<&str>) -> Result<Option<f64>, Problem> {
    let Some(col) = col else { return Ok(None) };
    match row.value(col) {
        PropertyValue::Null => Ok(None),
        PropertyValue::Int(i) => Ok(Some(i as f64)),
        PropertyValue::Float(f) if f.is_finite() => Ok(Some(f)),
        PropertyValue::Float(f) => Err(bad_value(col, &f.to_string(), "a finite number")),
        PropertyValue::Bool(b) => Err(bad_value(col, &b.to_string(), "a number")),
        PropertyValue::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Some(f)),
                _ => Err(bad_value(col, t, "a number")),
            }
        }
    }
}

fn text<R: Row + ?Sized>(row: &R, col: Option<&str>) -> Option<String> {
    match row.value(col?) {
        PropertyValue::Null => None,
        PropertyValue::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else if t.len() == s.len() {
                Some(s)
            } else {
                Some(t.to_owned())
            }
        }
        other => Some(other.to_string()),
    }
}

/// A CSV cell as a typed value: empty -> Null, canonical integers -> Int,
/// other finite numbers -> Float, anything else -> Text. Integers written
/// with leading zeros (`"007"`) stay text.
pub(crate) fn cell_value(cell: &str) -> PropertyValue {
    let t = cell.trim();
    if t.is_empty() {
        return PropertyValue::Null;
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    let integer = !leading_zero && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if integer && let Ok(i) = t.parse::<i64>() {
        return PropertyValue::Int(i);
    }
    let numeric = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if numeric
        && !leading_zero
        && let Ok(f) = t.parse::<f64>()
        && f.is_finite()
    {
        return PropertyValue::Float(f);
    }
    PropertyValue::Text(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapRow(HashMap<&'static str, PropertyValue>);
    impl Row for MapRow {
        fn value(&self, column: &str) -> PropertyValue {
            self.0.get(column).cloned().unwrap_or_default()
        }
    }

    #[test]
    fn cell_value_table() {
        let cases = [
            ("", PropertyValue::Null),
            ("  ", PropertyValue::Null),
            ("12", PropertyValue::Int(12)),
            ("-3", PropertyValue::Int(-3)),
            ("0", PropertyValue::Int(0)),
            ("007", PropertyValue::Text("007".into())),
            ("1.5", PropertyValue::Float(1.5)),
            ("1e3", PropertyValue::Float(1000.0)),
            ("NaN", PropertyValue::Text("NaN".into())),
            ("inf", PropertyValue::Text("inf".into())),
            ("99999999999999999999", PropertyValue::Float(1e20)),
            ("abc", PropertyValue::Text("abc".into())),
            ("-", PropertyValue::Text("-".into())),
        ];
        for (cell, want) in cases {
            assert_eq!(cell_value(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn id_table() {
        let cols = Columns {
            id: Some("ID".into()),
            ..Columns::default()
        };
        let cases: Vec<(PropertyValue, Option<SourceId>)> = vec![
            (PropertyValue::Int(5), Some(SourceId::Int(5))),
            (
                PropertyValue::Float(13018186.0),
                Some(SourceId::Int(13018186)),
            ),
            (
                PropertyValue::Float(1.5),
                Some(SourceId::Text("1.5".into())),
            ),
            (
                PropertyValue::Float(f64::NAN),
                Some(SourceId::Text("NaN".into())),
            ),
            (
                PropertyValue::Text(" 110685419914 ".into()),
                Some(SourceId::Text("110685419914".into())),
            ),
            (PropertyValue::Text("".into()), None),
            (PropertyValue::Null, None),
        ];
        for (v, want) in cases {
            let row = MapRow(HashMap::from([("ID", v.clone())]));
            match (cols.id(&row, 3), want) {
                (Ok(got), Some(w)) => assert_eq!(got, w, "{v:?}"),
                (Err(p), None) => assert_eq!(p.0, "missing id"),
                (got, want) => panic!("{v:?}: {got:?} vs {want:?}"),
            }
        }
        // No id column: the feature number.
        let none = Columns::default();
        assert_eq!(
            none.id(&MapRow(HashMap::new()), 3).unwrap(),
            SourceId::Int(3)
        );
    }

    #[test]
    fn attributes_table() {
        let cols = Columns {
            condition: Some("PCI".into()),
            width: Some("W".into()),
            width_factor: FOOT_M,
            lanes: Some("L".into()),
            ..Columns::default()
        };
        let row = |pci: PropertyValue, w: PropertyValue, l: PropertyValue| {
            MapRow(HashMap::from([("PCI", pci), ("W", w), ("L", l)]))
        };
        let ok = cols
            .attributes(&row(
                PropertyValue::Text("71".into()),
                PropertyValue::Int(10),
                PropertyValue::Float(2.0),
            ))
            .unwrap();
        assert_eq!(ok.condition, Some(71.0));
        assert!((ok.width_m.unwrap() - 3.048).abs() < 1e-12);
        assert_eq!(ok.lanes, Some(2));
        let empty = cols
            .attributes(&row(
                PropertyValue::Null,
                PropertyValue::Text(" ".into()),
                PropertyValue::Null,
            ))
            .unwrap();
        assert_eq!(empty, SegmentAttributes::default());
        for (pci, l, field) in [
            (
                PropertyValue::Text("good".into()),
                PropertyValue::Null,
                "PCI",
            ),
            (PropertyValue::Float(f64::NAN), PropertyValue::Null, "PCI"),
            (PropertyValue::Null, PropertyValue::Float(2.5), "L"),
            (PropertyValue::Null, PropertyValue::Int(-1), "L"),
        ] {
            let err = cols
                .attributes(&row(pci, PropertyValue::Null, l))
                .unwrap_err();
            assert_eq!(err.1, field);
        }
    }

    #[test]
    fn resolve_notes_and_errors() {
        let cols: Vec<String> = ["OBJECTID", "street_id", "Cart_Class", "NAME"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut report = LoadReport::new("x.shp");
        let c = resolve(
            Path::new("x.shp"),
            &cols,
            &StreetMapping::default(),
            &mut report,
        )
        .unwrap();
        assert_eq!(c.id.as_deref(), Some("street_id"));
        assert_eq!(c.road_class.as_deref(), Some("Cart_Class"));
        assert!(report.notes[0].contains("id from column `street_id` (auto-detected"));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("no column found for condition, aadt, width, lanes, district"))
        );

        let mapping = StreetMapping {
            id: Some("GIS_ID".into()),
            ..StreetMapping::default()
        };
        let err = resolve(Path::new("x.shp"), &cols, &mapping, &mut report)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.shp") && err.contains("`GIS_ID`") && err.contains("`OBJECTID`"),
            "{err}"
        );

        let mapping = StreetMapping {
            width_unit: Some("yd".into()),
            ..StreetMapping::default()
        };
        assert!(resolve(Path::new("x.shp"), &cols, &mapping, &mut report).is_err());

        let mut report = LoadReport::new("y.csv");
        let c = resolve(
            Path::new("y.csv"),
            &["NAME".to_owned()],
            &StreetMapping::default(),
            &mut report,
        )
        .unwrap();
        assert!(c.id.is_none());
        assert!(report.notes[0].contains("1-based feature number"));
    }
}
