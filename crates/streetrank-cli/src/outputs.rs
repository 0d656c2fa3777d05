//! Privacy-aware outputs: the manifest beside each output file, the warning for personal-looking
//! columns that reach an output, and the `publish` redaction of the summary (docs/privacy.md).

use std::path::Path;

use serde_json::Value;
use streetrank::{PropertyValue, SourceId};
use streetrank_io::{
    ColumnRole, Destination, Manifest, ManifestInput, PersonalColumn, Profile, RunConfig, Table,
};

use crate::pipeline::Loaded;

/// The privacy choice of one run.
#[derive(Debug, Clone, Copy)]
pub struct Privacy {
    /// `publish` or `internal`.
    pub profile: Profile,
    /// `k`.
    pub min_count: usize,
}

impl Privacy {
    /// The profile given with `k` from the run configuration.
    pub fn new(profile: Profile, cfg: &RunConfig) -> Privacy {
        Privacy {
            profile,
            min_count: cfg.privacy.min_count,
        }
    }

    /// True under `publish`.
    pub fn publish(self) -> bool {
        self.profile == Profile::Publish
    }
}

/// The column named in the first note `"{setting} from column `X`…"`, or the mapped one.
fn chosen(notes: &[String], mapped: Option<&String>, setting: &str) -> Option<String> {
    if let Some(m) = mapped {
        return Some(m.clone());
    }
    let prefix = format!("{setting} from column `");
    notes.iter().find_map(|n| {
        let rest = n.strip_prefix(&prefix)?;
        rest.split_once('`').map(|(c, _)| c.to_owned())
    })
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Where each output column of a run comes from.
pub struct Sources {
    streets: String,
    street_id: Option<String>,
    road_class: Option<String>,
    district: Option<String>,
    condition: String,
    complaints: String,
    complaint_id: Option<String>,
    complaint_xy: String,
    inputs: Vec<ManifestInput>,
    settings_hash: Option<String>,
}

impl Sources {
    /// The sources of a loaded run.
    pub fn new(loaded: &Loaded, cfg: &RunConfig, settings_hash: Option<&str>) -> Sources {
        let sn = &loaded.streets.report.notes;
        let s = &cfg.streets;
        let streets = format!("streets {}", file_name(&loaded.streets.report.path));
        let complaints = format!(
            "complaints {}",
            loaded
                .complaint_files
                .iter()
                .map(|f| file_name(&f.report.path))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let cn: Vec<String> = loaded
            .complaint_files
            .first()
            .map(|f| f.report.notes.clone())
            .unwrap_or_default();
        let c = &cfg.complaints;
        let complaint_xy = match (c.x.as_ref(), c.y.as_ref()) {
            (Some(x), Some(y)) => format!("columns {x}/{y}"),
            _ => cn
                .iter()
                .find(|n| n.starts_with("x (longitude) from column"))
                .map_or_else(
                    || "its point geometry or x/y columns".to_owned(),
                    |n| n.split(" (auto-detected").next().unwrap_or(n).to_owned(),
                ),
        };
        let condition = match &loaded.ratings {
            Some((r, _, _)) => {
                let value = chosen(&r.report.notes, cfg.ratings.value.as_ref(), "value")
                    .unwrap_or_else(|| "?".into());
                format!("ratings {}: column {value}", file_name(&r.report.path))
            }
            None => match chosen(sn, s.condition.as_ref(), "condition") {
                Some(col) => format!("{streets}: column {col}"),
                None => "no condition input (the missing-condition default)".to_owned(),
            },
        };
        let mut inputs = vec![ManifestInput {
            role: "streets".into(),
            file: file_name(&loaded.streets.report.path),
            sha256: loaded.streets.sha256.clone(),
        }];
        for f in &loaded.complaint_files {
            inputs.push(ManifestInput {
                role: "complaints".into(),
                file: file_name(&f.report.path),
                sha256: f.sha256.clone(),
            });
        }
        if let Some((r, _, _)) = &loaded.ratings {
            inputs.push(ManifestInput {
                role: "ratings".into(),
                file: file_name(&r.report.path),
                sha256: r.sha256.clone(),
            });
        }
        Sources {
            street_id: chosen(sn, s.id.as_ref(), "id"),
            road_class: chosen(sn, s.road_class.as_ref(), "road_class"),
            district: chosen(sn, s.district.as_ref(), "district"),
            condition,
            complaint_id: chosen(&cn, c.id.as_ref(), "complaint id"),
            complaint_xy,
            streets,
            complaints,
            inputs,
            settings_hash: settings_hash.map(str::to_owned),
        }
    }

    fn street_column(&self, col: Option<&String>, what: &str) -> String {
        match col {
            Some(c) => format!("{}: column {c}", self.streets),
            None => format!("computed: no {what} column in the street file (empty)"),
        }
    }

    /// The source of a ranking or plan column.
    fn segment_source(&self, name: &str, street_properties: &[String]) -> String {
        let c = &self.complaints;
        match name {
            "rank" => "computed: position by score, 1 = repair first".into(),
            "segment_id" => match &self.street_id {
                Some(id) => format!("{}: column {id}", self.streets),
                None => format!("computed: feature number in {}", self.streets),
            },
            "score" => "computed: sum of the four *_pts contributions".into(),
            "pressure_raw" | "pressure_norm" | "pressure_pts" => format!(
                "computed: de-duplicated, recency-weighted complaints per length of street, from \
                 each complaint's location and created date ({c}); no complaint field is written"
            ),
            "condition_raw" | "condition_norm" | "condition_pts" | "condition_missing" => {
                format!("computed: from the condition, {}", self.condition)
            }
            "condition_before" | "condition_after" | "benefit" => format!(
                "computed: the plan's deterioration model from the condition, {}",
                self.condition
            ),
            "usage_raw" | "usage_norm" | "usage_pts" => format!(
                "computed: from road class, traffic, width and lanes ({})",
                self.streets
            ),
            "equity_raw" | "equity_norm" | "equity_pts" => {
                format!("computed: from the district ({})", self.streets)
            }
            "complaints" | "complaints_kept" => {
                format!("computed: count of complaints ({c}) snapped to the segment")
            }
            "length_m" => "computed: length of the street line, metres".into(),
            "area_m2" => "computed: length × pavement width".into(),
            "road_class" => self.street_column(self.road_class.as_ref(), "road class"),
            "district" => self.street_column(self.district.as_ref(), "district"),
            "settings_hash" => {
                "computed: SHA-256 of the run configuration and the input files".into()
            }
            "year" | "treatment" | "cost" | "why" => {
                "computed: the repair plan ([plan] settings)".into()
            }
            other if street_properties.iter().any(|p| p == other) => {
                format!("{}: column {other} (kept: streets keep)", self.streets)
            }
            other => format!("computed: {other}"),
        }
    }

    /// The source of an assignments column.
    fn complaint_source(&self, name: &str, complaint_properties: &[String]) -> String {
        let c = &self.complaints;
        match name {
            "complaint_id" => match &self.complaint_id {
                Some(id) => format!("{c}: column {id}"),
                None => format!("computed: record number in {c}"),
            },
            "segment_id" | "runner_up_id" => match &self.street_id {
                Some(id) => format!("{}: column {id}", self.streets),
                None => format!("computed: feature number in {}", self.streets),
            },
            other if complaint_properties.iter().any(|p| p == other) => {
                format!("{c}: column {other} (kept: complaints keep)")
            }
            other => format!("computed: snapping ({other})"),
        }
    }

    fn manifest(&self, command: &str, path: &Path, privacy: Privacy) -> Manifest {
        let mut m = Manifest::new(command, path, privacy.profile, privacy.min_count);
        m.inputs.clone_from(&self.inputs);
        m.settings_hash.clone_from(&self.settings_hash);
        m
    }

    /// Writes the manifest of a per-segment table (ranking or plan) beside `dest` (nothing
    /// for standard output).
    pub fn write_segment_manifest(
        &self,
        command: &str,
        dest: &Destination,
        table: &dyn Table,
        loaded: &Loaded,
        privacy: Privacy,
        suppressed: Option<usize>,
    ) -> anyhow::Result<()> {
        let Destination::Path(path) = dest else {
            return Ok(());
        };
        let props = &loaded.streets.network.property_names;
        let mut m = self
            .manifest(command, path, privacy)
            .with_table(table, |name| self.segment_source(name, props));
        // As `RankingTable::for_streets` / `plan_table_for` take the lines.
        m.geometry = Some(if loaded.streets.lonlat_lines_in_step().is_some() {
            format!(
                "{}: the segment's line as the file gives it (WGS84)",
                self.streets
            )
        } else {
            format!("{}: the segment's line, reprojected to WGS84", self.streets)
        });
        m.suppressed_rows = suppressed;
        if privacy.publish() && suppressed.is_none() {
            m.notes.push(format!(
                "publish: the `why` text quotes no complaint pressure of a segment with 1 to {} \
                 complaints; no complaint id, field or location is written",
                privacy.min_count.saturating_sub(1)
            ));
        } else if privacy.publish() {
            m.notes.push(format!(
                "publish: rows of segments with 1 to {} complaints have complaints, \
                 complaints_kept, the pressure values and score written as empty (their rank \
                 stays); no complaint id, field or location is written",
                privacy.min_count.saturating_sub(1)
            ));
        }
        m.write(path)?;
        Ok(())
    }

    /// Writes the manifest of the per-complaint (internal) table beside `dest`.
    pub fn write_assignments_manifest(
        &self,
        command: &str,
        dest: &Destination,
        table: &dyn Table,
        loaded: &Loaded,
        privacy: Privacy,
    ) -> anyhow::Result<()> {
        let Destination::Path(path) = dest else {
            return Ok(());
        };
        let props = &loaded.complaint_properties;
        let mut m = self
            .manifest(command, path, privacy)
            .with_table(table, |name| self.complaint_source(name, props));
        m.geometry = Some(format!(
            "{}: each complaint's own location ({}), in WGS84",
            self.complaints, self.complaint_xy
        ));
        m.notes.push(
            "INTERNAL: one row per complaint with its id and location; must not be published"
                .into(),
        );
        m.write(path)?;
        Ok(())
    }

    /// Writes the manifest of a JSON summary or HTML report beside `path`.
    pub fn write_file_manifest(
        &self,
        command: &str,
        path: &Path,
        privacy: Privacy,
        what: &str,
    ) -> anyhow::Result<()> {
        let mut m = self.manifest(command, path, privacy);
        m.notes.push(what.to_owned());
        m.write(path)?;
        Ok(())
    }
}

/// An id column (`name`, the ids it gave) that looks personal: ids are written as
/// `segment_id` / `complaint_id`.
fn id_column<'a>(
    role: ColumnRole,
    name: Option<String>,
    ids: impl Iterator<Item = &'a SourceId>,
) -> Option<PersonalColumn> {
    let name = name?;
    let sample: Vec<PropertyValue> = ids
        .take(streetrank_io::PERSONAL_SAMPLE)
        .map(|id| PropertyValue::Text(id.to_string()))
        .collect();
    streetrank_io::looks_personal(role, &name, &sample).map(|reason| PersonalColumn {
        input: match role {
            ColumnRole::Streets => "streets",
            ColumnRole::Complaints => "complaints",
        }
        .to_owned(),
        column: name,
        reason,
    })
}

/// The personal-looking input columns that reach an output of this run: the streets' id and
/// kept columns always (they are in the ranking), the complaints' id and kept columns when a
/// per-complaint table is written.
pub fn personal_columns(
    loaded: &Loaded,
    cfg: &RunConfig,
    per_complaint_table: bool,
) -> Vec<PersonalColumn> {
    let net = &loaded.streets.network;
    let street_id = chosen(&loaded.streets.report.notes, cfg.streets.id.as_ref(), "id");
    let mut found: Vec<PersonalColumn> = id_column(
        ColumnRole::Streets,
        street_id,
        net.segments.iter().map(|s| &s.id),
    )
    .into_iter()
    .collect();
    found.extend(streetrank_io::personal_columns(
        ColumnRole::Streets,
        &net.property_names,
        &net.segments.iter().map(|s| s.properties.as_slice()),
    ));
    if per_complaint_table {
        let notes: &[String] = loaded
            .complaint_files
            .first()
            .map_or(&[], |f| f.report.notes.as_slice());
        let complaint_id = chosen(notes, cfg.complaints.id.as_ref(), "complaint id");
        found.extend(id_column(
            ColumnRole::Complaints,
            complaint_id,
            loaded.complaints.iter().map(|c| &c.id),
        ));
        found.extend(streetrank_io::personal_columns(
            ColumnRole::Complaints,
            &loaded.complaint_properties,
            &loaded.complaints.iter().map(|c| &*c.properties),
        ));
    }
    found
}

/// Prints one warning per personal-looking column on stderr (also under `--quiet`: it is a
/// warning, not a log line).
pub fn warn_personal(loaded: &Loaded, cfg: &RunConfig, per_complaint_table: bool) {
    for p in personal_columns(loaded, cfg, per_complaint_table) {
        eprintln!(
            "warning: {p}; drop it from `keep` (or map another id) unless the output stays internal (see docs/privacy.md)"
        );
    }
}

/// The `publish` redaction of a run summary's JSON: the top list's complaint count and score
/// of a segment with 1 to `k - 1` complaints become null, the skipped records' example
/// messages (which quote record values) are left out (their counts stay), and a scoring note
/// naming a complaint (`… (complaint 16-00636818)`) loses that name.
pub fn redact_summary(summary: &mut Value, min_count: usize) {
    if let Some(notes) = summary.get_mut("score_notes").and_then(Value::as_array_mut) {
        for n in notes {
            if let Some(text) = n.as_str()
                && let Some(at) = text.find(" (complaint ")
            {
                *n = Value::from(&text[..at]);
            }
        }
    }
    if let Some(top) = summary.get_mut("top").and_then(Value::as_array_mut) {
        for t in top {
            let n = t.get("complaints").and_then(Value::as_u64).unwrap_or(0);
            if streetrank_io::is_small_count(usize::try_from(n).unwrap_or(usize::MAX), min_count) {
                t["complaints"] = Value::Null;
                t["score"] = Value::Null;
            }
        }
    }
    if let Some(inputs) = summary.get_mut("inputs").and_then(Value::as_array_mut) {
        for i in inputs {
            if let Some(obj) = i.as_object_mut() {
                obj.remove("skip_examples");
            }
        }
    }
}
