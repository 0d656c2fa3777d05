//! Rankings and assignments as feature tables, with geometry in WGS84: the one definition of
//! the output columns, shared by the CLI and the Python package.

use geo_types::{Coord, Geometry, LineString, Point};
use rayon::prelude::*;
use streetrank::{
    Complaint, PropertyValue, Ranking, SnapOutcome, SourceId, StreetNetwork, UnmatchedReason,
};

use crate::{
    Column, ColumnType, Crs, Error, FeatureTable, LoadedStreets, LonLatLines, Result,
    transform_parallel,
};

/// A short stable phrase for why a complaint matched no street (`"no street within 30 m"`).
#[must_use]
pub fn unmatched_reason_text(reason: &UnmatchedReason) -> String {
    match reason {
        UnmatchedReason::NoSegmentWithin { max_distance_m } => {
            format!("no street within {max_distance_m} m")
        }
        UnmatchedReason::NonFinitePoint => "coordinates not finite".to_owned(),
        UnmatchedReason::EmptyIndex => "no streets loaded".to_owned(),
        _ => "unmatched".to_owned(),
    }
}

/// A count as an integer cell.
fn count(n: usize) -> PropertyValue {
    PropertyValue::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn col(name: &str, ty: ColumnType, description: &str) -> Column {
    Column {
        name: name.to_owned(),
        ty,
        description: description.to_owned(),
    }
}

/// Ids as a typed cell: integer ids stay integers.
fn id_cell(id: &SourceId) -> PropertyValue {
    match id {
        SourceId::Int(i) => PropertyValue::Int(*i),
        SourceId::Text(s) => PropertyValue::Text(s.clone()),
    }
}

/// The column type for a set of ids: integer only if every id is one.
fn id_type<'a>(mut ids: impl Iterator<Item = &'a SourceId>) -> ColumnType {
    if ids.all(|id| matches!(id, SourceId::Int(_))) {
        ColumnType::Int
    } else {
        ColumnType::Text
    }
}

/// Text ids everywhere when the column is text, so a column never mixes types.
fn id_cell_as(id: &SourceId, ty: ColumnType) -> PropertyValue {
    match ty {
        ColumnType::Int => id_cell(id),
        _ => PropertyValue::Text(id.to_string()),
    }
}

fn opt_f64(v: Option<f64>) -> PropertyValue {
    v.map_or(PropertyValue::Null, PropertyValue::Float)
}

fn opt_text(v: Option<&String>) -> PropertyValue {
    v.map_or(PropertyValue::Null, |s| PropertyValue::Text(s.clone()))
}

/// The column type of a pass-through property, from its values.
fn property_type<'a>(values: impl Iterator<Item = &'a PropertyValue>) -> ColumnType {
    let mut ty: Option<ColumnType> = None;
    for v in values {
        let t = match v {
            PropertyValue::Null => continue,
            PropertyValue::Bool(_) => ColumnType::Bool,
            PropertyValue::Int(_) => ColumnType::Int,
            PropertyValue::Float(_) => ColumnType::Float,
            PropertyValue::Text(_) => ColumnType::Text,
        };
        ty = Some(match (ty, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(ColumnType::Int | ColumnType::Float), ColumnType::Int | ColumnType::Float) => {
                ColumnType::Float
            }
            _ => ColumnType::Text,
        });
    }
    ty.unwrap_or(ColumnType::Text)
}

/// A pass-through value converted to its column's type.
fn as_type(v: &PropertyValue, ty: ColumnType) -> PropertyValue {
    match (v, ty) {
        (PropertyValue::Null, _) => PropertyValue::Null,
        (PropertyValue::Int(i), ColumnType::Float) => PropertyValue::Float(*i as f64),
        (v, ColumnType::Text) if !matches!(v, PropertyValue::Text(_)) => {
            PropertyValue::Text(v.to_string())
        }
        (v, _) => v.clone(),
    }
}

/// Lines gathered or built by one parallel task in [`lines_wgs84`].
const LINES_PER_TASK: usize = 2048;

/// The lines of `net.segments[i]` for each `i` in `order`, in that order, reprojected from
/// `work_crs` to WGS84 in parallel. `order` must hold valid segment positions.
///
/// The coordinates are gathered into one array (in parallel, each task copying its lines into
/// its own stretch), transformed by [`transform_parallel`] as one batch (so an error names the
/// same coordinate whatever the thread count), then cut into lines in parallel.
fn lines_wgs84(
    net: &StreetNetwork,
    order: &[usize],
    work_crs: &Crs,
) -> Result<Vec<Option<Geometry<f64>>>> {
    let line = |i: usize| net.segments[i].geometry.0.as_slice();
    // starts[k]..starts[k + 1] is the stretch of the k-th line of `order`.
    let mut starts = Vec::with_capacity(order.len() + 1);
    let mut total = 0;
    for &i in order {
        starts.push(total);
        total += line(i).len();
    }
    starts.push(total);
    let mut coords = vec![Coord { x: 0.0, y: 0.0 }; total];
    let mut tasks = Vec::with_capacity(order.len().div_ceil(LINES_PER_TASK));
    let mut rest = coords.as_mut_slice();
    for (k, lines) in order.chunks(LINES_PER_TASK).enumerate() {
        let first = k * LINES_PER_TASK;
        let (head, tail) = rest.split_at_mut(starts[first + lines.len()] - starts[first]);
        tasks.push((lines, head));
        rest = tail;
    }
    tasks.into_par_iter().for_each(|(lines, out)| {
        let mut at = 0;
        for &i in lines {
            let l = line(i);
            out[at..at + l.len()].copy_from_slice(l);
            at += l.len();
        }
    });
    transform_parallel(work_crs, &Crs::wgs84(), &mut coords)?;
    Ok(starts
        .par_windows(2)
        .with_min_len(LINES_PER_TASK / 4)
        .map(|w| {
            Some(Geometry::LineString(LineString::new(
                coords[w[0]..w[1]].to_vec(),
            )))
        })
        .collect())
}

/// The lines of `lines` for each `i` in `order`, in that order, in parallel. `order` must hold
/// valid line positions.
fn lines_kept(lines: &LonLatLines, order: &[usize]) -> Vec<Option<Geometry<f64>>> {
    order
        .par_iter()
        .with_min_len(LINES_PER_TASK / 4)
        .map(|&i| {
            lines
                .line(i)
                .map(|l| Geometry::LineString(LineString::new(l.to_vec())))
        })
        .collect()
}

/// Whether `order` holds each of `0..n` exactly once.
fn is_permutation(order: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n
        && order
            .iter()
            .all(|&i| seen.get_mut(i).is_some_and(|s| !std::mem::replace(s, true)))
}

/// Where the ranking table's WGS84 lines come from.
#[derive(Clone, Copy)]
enum Lines<'a> {
    /// The network's lines, reprojected from this working CRS.
    Reproject(&'a Crs),
    /// The source's own lines, one per segment.
    Kept(&'a LonLatLines),
}

/// [`ranking_table`] for streets read from a file: the lines are the file's own WGS84
/// coordinates when it was in WGS84 ([`LoadedStreets::lonlat_lines`], while they still pair up
/// with the segments), else the network's lines reprojected from the working CRS.
///
/// # Errors
///
/// As [`ranking_table`].
pub fn ranking_table_for(streets: &LoadedStreets, ranking: &Ranking) -> Result<FeatureTable> {
    let lines = match streets.lonlat_lines_in_step() {
        Some(kept) => Lines::Kept(kept),
        None => Lines::Reproject(&streets.work_crs),
    };
    ranking_table_with(&streets.network, ranking, lines)
}

/// The ranked-segments table: one row per segment in rank order, every factor's raw value,
/// normalised value and contribution, the segment's attributes, its pass-through properties and
/// the settings hash. Geometry is each segment's line reprojected from `work_crs` to WGS84
/// ([`ranking_table_for`] takes a WGS84 file's own lines instead).
///
/// This is a publishable table: it carries no complaint field and no complaint location, only
/// counts per segment.
///
/// # Errors
///
/// [`Error::Core`] when the ranking was not made for this network; [`Error::Crs`] when
/// reprojection fails.
pub fn ranking_table(
    net: &StreetNetwork,
    ranking: &Ranking,
    work_crs: &Crs,
) -> Result<FeatureTable> {
    ranking_table_with(net, ranking, Lines::Reproject(work_crs))
}

fn ranking_table_with(
    net: &StreetNetwork,
    ranking: &Ranking,
    lines: Lines,
) -> Result<FeatureTable> {
    let ids = id_type(net.segments.iter().map(|s| &s.id));
    let mut columns = vec![
        col("rank", ColumnType::Int, "1 = repair first"),
        col("segment_id", ids, "the street file's own segment id"),
        col(
            "score",
            ColumnType::Float,
            "0-100: the sum of the four contributions",
        ),
    ];
    for f in ["pressure", "condition", "usage", "equity"] {
        columns.push(col(
            &format!("{f}_raw"),
            ColumnType::Float,
            &format!("{f}: raw value (see docs/scoring.md)"),
        ));
        columns.push(col(
            &format!("{f}_norm"),
            ColumnType::Float,
            &format!("{f}: normalised to 0-1"),
        ));
        columns.push(col(
            &format!("{f}_pts"),
            ColumnType::Float,
            &format!("{f}: weighted contribution to score"),
        ));
    }
    columns.extend([
        col(
            "complaints",
            ColumnType::Int,
            "complaints snapped to this segment",
        ),
        col("complaints_kept", ColumnType::Int, "after de-duplication"),
        col(
            "condition_missing",
            ColumnType::Bool,
            "true when no condition value was known",
        ),
        col("length_m", ColumnType::Float, "segment length, metres"),
        col(
            "road_class",
            ColumnType::Text,
            "road class as the source spells it",
        ),
        col("district", ColumnType::Text, "district / ward"),
        col(
            "settings_hash",
            ColumnType::Text,
            "SHA-256 of the configuration and input files",
        ),
    ]);
    let prop_types: Vec<ColumnType> = (0..net.property_names.len())
        .map(|k| {
            property_type(
                net.segments
                    .iter()
                    .map(|s| s.properties.get(k).unwrap_or(&PropertyValue::Null)),
            )
        })
        .collect();
    for (name, ty) in net.property_names.iter().zip(&prop_types) {
        columns.push(col(name, *ty, "passed through from the street file"));
    }
    let n = net.segments.len();
    if let Some(&i) = ranking
        .order
        .iter()
        .find(|&&i| i >= n || i >= ranking.scores.len())
    {
        return Err(Error::Core(streetrank::Error::MismatchedInput {
            message: format!("the ranking refers to segment {i} but the network has {n}"),
        }));
    }
    let build_row = |i: usize| -> Vec<PropertyValue> {
        let (seg, s) = (&net.segments[i], &ranking.scores[i]);
        let mut row = Vec::with_capacity(columns.len());
        row.extend([
            count(s.rank),
            id_cell_as(&seg.id, ids),
            PropertyValue::Float(s.score),
        ]);
        for f in [&s.pressure, &s.condition, &s.usage, &s.equity] {
            row.extend([
                PropertyValue::Float(f.raw),
                PropertyValue::Float(f.normalised),
                PropertyValue::Float(f.contribution),
            ]);
        }
        row.extend([
            count(s.complaints),
            count(s.complaints_kept),
            PropertyValue::Bool(s.condition_missing),
            PropertyValue::Float(seg.length_m),
            opt_text(seg.attributes.road_class.as_ref()),
            opt_text(seg.attributes.district.as_ref()),
            PropertyValue::Text(ranking.settings_hash.clone()),
        ]);
        for (k, ty) in prop_types.iter().enumerate() {
            row.push(as_type(
                seg.properties.get(k).unwrap_or(&PropertyValue::Null),
                *ty,
            ));
        }
        row
    };
    let build_rows = || -> Vec<Vec<PropertyValue>> {
        if is_permutation(&ranking.order, n) && ranking.scores.len() >= n {
            // Built in segment order, where the segments' values (texts, properties) lie one
            // after another in memory, then put in rank order: rank order visits the segments
            // at random, and each text a row copies was a cache miss.
            let mut by_segment: Vec<Vec<PropertyValue>> =
                (0..n).into_par_iter().map(build_row).collect();
            ranking
                .order
                .iter()
                .map(|&i| std::mem::take(&mut by_segment[i]))
                .collect()
        } else {
            ranking.order.par_iter().map(|&i| build_row(i)).collect()
        }
    };
    // The lines first: their gathered coordinates are freed before the rows are built, so the
    // two are never in memory at once.
    let geometries = match lines {
        Lines::Reproject(work_crs) => lines_wgs84(net, &ranking.order, work_crs)?,
        Lines::Kept(kept) => lines_kept(kept, &ranking.order),
    };
    let rows = build_rows();
    Ok(FeatureTable {
        columns,
        rows,
        geometries,
    })
}

/// The per-complaint table: one row per complaint, in input order, with where it snapped.
///
/// **Internal output**: it carries each complaint's id and location (geometry, WGS84), so it
/// must not be published. Only the complaint columns named in `complaint_properties` (the ones
/// the user asked to keep) are added.
///
/// # Errors
///
/// [`Error::Core`] when `outcomes` does not match `complaints`; [`Error::Crs`] when
/// reprojection fails.
pub fn assignments_table(
    net: &StreetNetwork,
    complaints: &[Complaint],
    complaint_properties: &[String],
    outcomes: &[SnapOutcome],
    work_crs: &Crs,
) -> Result<FeatureTable> {
    if complaints.len() != outcomes.len() {
        return Err(Error::Core(streetrank::Error::MismatchedInput {
            message: format!(
                "{} snap outcomes for {} complaints",
                outcomes.len(),
                complaints.len()
            ),
        }));
    }
    let cids = id_type(complaints.iter().map(|c| &c.id));
    let sids = id_type(net.segments.iter().map(|s| &s.id));
    let mut columns = vec![
        col("complaint_id", cids, "the complaint file's own id"),
        col(
            "matched",
            ColumnType::Bool,
            "true when a street was found within the max distance",
        ),
        col("segment_id", sids, "the street it belongs to"),
        col(
            "distance_m",
            ColumnType::Float,
            "metres from the complaint to the street",
        ),
        col(
            "fraction",
            ColumnType::Float,
            "0-1 along the street from its first vertex",
        ),
        col(
            "chainage_m",
            ColumnType::Float,
            "metres along the street from its first vertex",
        ),
        col(
            "side",
            ColumnType::Text,
            "left/right of the street's digitised direction, or on",
        ),
        col(
            "runner_up_id",
            sids,
            "the next nearest other street within the max distance",
        ),
        col("runner_up_m", ColumnType::Float, "its distance, metres"),
        col(
            "ambiguous",
            ColumnType::Bool,
            "runner-up within the ambiguity tolerance",
        ),
        col(
            "unmatched_reason",
            ColumnType::Text,
            "why no street was assigned",
        ),
    ];
    let prop_types: Vec<ColumnType> = (0..complaint_properties.len())
        .map(|k| {
            property_type(
                complaints
                    .iter()
                    .map(|c| c.properties.get(k).unwrap_or(&PropertyValue::Null)),
            )
        })
        .collect();
    for (name, ty) in complaint_properties.iter().zip(&prop_types) {
        columns.push(col(name, *ty, "complaint column the user asked to keep"));
    }
    let mut coords: Vec<Coord<f64>> = complaints.iter().map(|c| c.point.0).collect();
    transform_parallel(work_crs, &Crs::wgs84(), &mut coords)?;
    let seg_id = |i: usize| {
        net.segments
            .get(i)
            .map_or(PropertyValue::Null, |s| id_cell_as(&s.id, sids))
    };
    let rows = complaints
        .par_iter()
        .zip(outcomes)
        .map(|(c, o)| {
            let mut row = Vec::with_capacity(columns.len());
            row.push(id_cell_as(&c.id, cids));
            match o {
                SnapOutcome::Snapped(s) => row.extend([
                    PropertyValue::Bool(true),
                    seg_id(s.segment),
                    PropertyValue::Float(s.distance_m),
                    PropertyValue::Float(s.fraction),
                    PropertyValue::Float(s.chainage_m),
                    PropertyValue::Text(s.side.as_str().to_owned()),
                    s.runner_up
                        .map_or(PropertyValue::Null, |r| seg_id(r.segment)),
                    opt_f64(s.runner_up.map(|r| r.distance_m)),
                    PropertyValue::Bool(s.ambiguous),
                    PropertyValue::Null,
                ]),
                SnapOutcome::Unmatched(reason) => {
                    row.extend([PropertyValue::Bool(false)]);
                    row.extend(std::iter::repeat_n(PropertyValue::Null, 7));
                    row.extend([
                        PropertyValue::Bool(false),
                        PropertyValue::Text(unmatched_reason_text(reason)),
                    ]);
                }
            }
            for (k, ty) in prop_types.iter().enumerate() {
                row.push(as_type(
                    c.properties.get(k).unwrap_or(&PropertyValue::Null),
                    *ty,
                ));
            }
            row
        })
        .collect();
    let geometries = coords
        .into_par_iter()
        .map(|c| Some(Geometry::Point(Point(c))))
        .collect();
    Ok(FeatureTable {
        columns,
        rows,
        geometries,
    })
}

#[cfg(test)]
mod tests {
    use super::is_permutation;

    #[test]
    fn permutations_are_told_from_other_orders() {
        assert!(is_permutation(&[], 0));
        assert!(is_permutation(&[2, 0, 1], 3));
        assert!(!is_permutation(&[2, 0, 0], 3), "a repeat");
        assert!(!is_permutation(&[2, 0], 3), "one missing");
        assert!(!is_permutation(&[2, 0, 3], 3), "out of range");
        assert!(!is_permutation(&[0, 1, 2, 0], 3), "too long");
    }
}
