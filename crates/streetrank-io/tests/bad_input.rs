//! The bad-input corpus in `fixtures/bad/` (see its README): every broken file
//! gets the exact message naming the file, the record, the field and the fix,
//! and every record-level problem is skipped under `OnError::Skip` with a count
//! under a stable reason while the rest loads. Files that look broken but are
//! fine (BOM, `;`, quoted newlines, 3D, a street doubling back) must load, with
//! the values checked.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use streetrank_io::{
    ComplaintMapping, ComplaintsOptions, Crs, Error, OnError, RatingsMapping, RunConfig,
    StreetMapping, StreetsOptions, Transform, read_complaints, read_config, read_ratings,
    read_streets,
};

/// Where the fixtures live; `{dir}` in the expected messages stands for it.
fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/bad")
}

/// The streets' extent (degrees) the complaint fixtures are checked against.
const EXTENT: [f64; 4] = [-76.151, 43.049, -76.146, 43.052];
/// The work CRS complaints are projected into (UTM 18N).
const WORK_EPSG: u32 = 32618;

/// What a load produced, in a form the cases compare.
#[derive(Debug)]
struct Loaded {
    /// Ids of what loaded, in file order (ratings: sorted ids).
    ids: Vec<String>,
    /// Skips by reason.
    skipped: BTreeMap<String, usize>,
    /// The report's first example message per reason.
    examples: BTreeMap<String, String>,
    /// `report.loaded`.
    loaded: usize,
}

fn loaded(ids: Vec<String>, report: &streetrank_io::LoadReport) -> Loaded {
    Loaded {
        ids,
        skipped: report.skipped.clone(),
        examples: report
            .skip_examples
            .iter()
            .map(|(k, v)| (k.clone(), v[0].clone()))
            .collect(),
        loaded: report.loaded,
    }
}

/// Reads a fixture with the reader its name starts with (`streets_`,
/// `complaints_`, `ratings_`, `config_`). Files named `*_mapped_id_missing.*`
/// are read with an id mapping naming a column the file does not have.
fn load(file: &str, on_error: OnError) -> Result<Loaded, Error> {
    let path = dir().join(file);
    let mapped_id = file.contains("_mapped_id_missing");
    if file.starts_with("streets_") {
        let mapping = StreetMapping {
            id: mapped_id.then(|| "STREET_ID".to_owned()),
            ..StreetMapping::default()
        };
        let opts = StreetsOptions {
            mapping,
            on_error,
            work_crs: None,
        };
        let s = read_streets(&path, &opts)?;
        let ids = s
            .network
            .segments
            .iter()
            .map(|s| s.id.to_string())
            .collect();
        Ok(loaded(ids, &s.report))
    } else if file.starts_with("complaints_") {
        let mut opts = ComplaintsOptions::new(Crs::epsg(WORK_EPSG));
        opts.mapping = ComplaintMapping {
            id: mapped_id.then(|| "SERVICEREQUESTID".to_owned()),
            ..ComplaintMapping::default()
        };
        opts.on_error = on_error;
        opts.streets_extent_lonlat = Some(EXTENT);
        let c = read_complaints(&path, &opts)?;
        let ids = c.complaints.iter().map(|c| c.id.to_string()).collect();
        Ok(loaded(ids, &c.report))
    } else if file.starts_with("ratings_") {
        let r = read_ratings(&path, &RatingsMapping::default(), on_error)?;
        Ok(loaded(r.by_id.keys().cloned().collect(), &r.report))
    } else if file.starts_with("config_") {
        read_config(&path)?;
        Ok(Loaded {
            ids: Vec::new(),
            skipped: BTreeMap::new(),
            examples: BTreeMap::new(),
            loaded: 0,
        })
    } else {
        panic!("{file}: a fixture name must start with the reader it is for")
    }
}

/// One broken file and what must happen to it.
struct Case {
    /// The file in `fixtures/bad/` (a Shapefile by its `.shp`).
    file: &'static str,
    /// The exact `err.to_string()` under `OnError::Fail`; `{dir}` is the fixture directory.
    message: &'static str,
    /// For a record-level problem: the skip reason under `OnError::Skip` (one
    /// record skipped) and the ids that still load. `None`: the file as a whole
    /// is unusable, and skipping gives the same error.
    skip: Option<(&'static str, &'static [&'static str])>,
}

const CASES: &[Case] = &[
    Case {
        file: "complaints_bad_date.csv",
        message: "{dir}/complaints_bad_date.csv: record 2, field `created_at`: date `2024-13-45 25:61` is not in a known format; accepted: ISO 8601 (2016-07-19T17:46:17.000Z, 2016-07-19T13:46:17-04:00, 2016-04-12T07:54:00, 2016-04-12 07:54:00), ArcGIS 2016/07/12 14:33:00+00, US 4/12/2016 7:54 or 4/12/2016 7:54:00 AM, a date alone (2016-04-12, 4/12/2016) or epoch milliseconds (1468950377000). Fix: fix the value, set `date_format` (a chrono format such as \"%d.%m.%Y %H:%M\") in [complaints], or load with skipping",
        skip: Some(("bad date", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_duplicate_id.csv",
        message: "{dir}/complaints_duplicate_id.csv: record 2, field `request_id`: id `SR-1` was already used by record 1. Fix: complaint ids must be unique: remove the repeated row, map another id column with `id` in [complaints], or load with skipping to drop repeats",
        skip: Some(("duplicate id", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_empty.csv",
        message: "{dir}/complaints_empty.csv: the file is empty. Fix: give a CSV file with a header line and one row per record",
        skip: None,
    },
    Case {
        file: "complaints_empty.geojson",
        message: "{dir}/complaints_empty.geojson: the file is empty. Fix: give a GeoJSON FeatureCollection of Point features",
        skip: None,
    },
    Case {
        file: "complaints_empty.json",
        message: "{dir}/complaints_empty.json: the file is empty. Fix: give a GeoJSON FeatureCollection or an Open311 JSON array of requests",
        skip: None,
    },
    Case {
        file: "complaints_empty_coordinate.csv",
        message: "{dir}/complaints_empty_coordinate.csv: record 2, field `lat`: the coordinate is empty. Fix: give every record a numeric coordinate, or load with skipping to drop such records",
        skip: Some(("empty coordinate", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_empty_id.csv",
        message: "{dir}/complaints_empty_id.csv: record 2, field `request_id`: the id is empty. Fix: give every record an id, or map another id column with `id` in [complaints]",
        skip: Some(("empty id", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_huge_coordinate.csv",
        message: "{dir}/complaints_huge_coordinate.csv: record 2: longitude/latitude (1e300, 43.0505) is out of range. Fix: latitude must be within ±90° and longitude within ±360°; check the columns and `crs` in [complaints]",
        skip: Some(("coordinate out of range", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_mapped_id_missing.csv",
        message: "{dir}/complaints_mapped_id_missing.csv: column `SERVICEREQUESTID` (mapped as `id`) is not in the file; its columns are `request_id`, `created_at`, `category`, `status`, `lon`, `lat`. Fix: set `id` to one of these columns, or remove it to auto-detect",
        skip: None,
    },
    Case {
        file: "complaints_missing_xy.csv",
        message: "{dir}/complaints_missing_xy.csv: no coordinate columns found (tried LONGITUDE/LATITUDE, lon/lat, long/lat, lng/lat, X/Y, POINT_X/POINT_Y); the columns are `request_id`, `created_at`, `category`, `status`, `address`. Fix: name the two coordinate columns with --x/--y (alias --lon/--lat) or `x = \"…\"` and `y = \"…\"` in [complaints] (and `crs` if they are not WGS84 longitude/latitude)",
        skip: None,
    },
    Case {
        file: "complaints_nan_coordinate.csv",
        message: "{dir}/complaints_nan_coordinate.csv: record 2, field `lon`: coordinate `NaN` is not a finite number. Fix: give every record a numeric coordinate, or load with skipping to drop such records",
        skip: Some(("bad coordinate", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_null_geometry.geojson",
        message: "{dir}/complaints_null_geometry.geojson: record 2, field `geometry`: the geometry is null. Fix: give every feature a Point geometry, or load with skipping to drop the others",
        skip: Some(("missing geometry", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_swapped_lonlat.csv",
        message: "{dir}/complaints_swapped_lonlat.csv: x (column `lon`) and y (column `lat`) look swapped: 0 of 3 points fall within the streets' extent as given, 3 do if the two columns are swapped. Fix: pass --swap-xy or `swap_xy = true` in [complaints]",
        skip: None,
    },
    Case {
        file: "complaints_other_place.csv",
        message: "{dir}/complaints_other_place.csv: all 3 complaints lie more than 5 km outside the streets' extent (longitude -76.151 to -76.146, latitude 43.049 to 43.052): the two inputs do not cover the same place, or one of them is not in the CRS it is read in. Fix: check `crs`, `x` and `y` in [complaints] and the streets' CRS (their .prj, or `crs` in the streets mapping); to score anyway, with every complaint unmatched, load with skipping",
        skip: None,
    },
    Case {
        file: "complaints_text_coordinate.csv",
        message: "{dir}/complaints_text_coordinate.csv: record 2, field `lon`: coordinate `n/a` is not a number. Fix: give every record a numeric coordinate, or load with skipping to drop such records",
        skip: Some(("bad coordinate", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_truncated.csv",
        message: "{dir}/complaints_truncated.csv: record 3: line 4 has 3 fields where the header has 6 (a truncated line or an unquoted delimiter). Fix: repair the line, or quote values that contain the delimiter",
        skip: Some(("wrong number of fields", &["SR-1", "SR-3"])),
    },
    Case {
        file: "complaints_truncated.geojson",
        message: "{dir}/complaints_truncated.geojson: the file ends in the middle of feature 2: it is truncated. Fix: copy or download the file again, or re-export it as a GeoJSON FeatureCollection",
        skip: None,
    },
    Case {
        file: "config_syntax_error.toml",
        message: "{dir}/config_syntax_error.toml: line 4, column 9: unclosed table, expected `]`. Fix: correct that setting; unknown keys are errors, see the docs for the keys each table accepts",
        skip: None,
    },
    Case {
        file: "config_unknown_key.toml",
        message: "{dir}/config_unknown_key.toml: line 8, column 1, key `complaints.crs_epsg`: unknown field `crs_epsg`, expected one of `id`, `x`, `y`, `created`, `category`, `status`, `keep`, `crs`, `swap_xy`, `date_format`. Fix: correct that setting; unknown keys are errors, see the docs for the keys each table accepts",
        skip: None,
    },
    Case {
        file: "ratings_bad_year.csv",
        message: "{dir}/ratings_bad_year.csv: record 2, field `year`: year `20x4` is not a whole number. Fix: fix the value, or load with skipping",
        skip: Some(("bad year", &["101", "103"])),
    },
    Case {
        file: "ratings_empty.csv",
        message: "{dir}/ratings_empty.csv: the file is empty. Fix: give a CSV file with a header line and one row per record",
        skip: None,
    },
    Case {
        file: "ratings_text_value.csv",
        message: "{dir}/ratings_text_value.csv: record 2, field `rating`: rating `good` is not a number. Fix: fix or remove the row, or load with skipping to leave such rows out (their segments stay unrated unless another row rates them)",
        skip: Some(("non-numeric rating", &["101", "103"])),
    },
    Case {
        file: "ratings_truncated.csv",
        message: "{dir}/ratings_truncated.csv: record 3: line 4 has 2 fields where the header has 3 (a truncated line or an unquoted delimiter). Fix: repair the line, or quote values that contain the delimiter",
        skip: Some(("wrong number of fields", &["101", "102"])),
    },
    Case {
        file: "streets_dbf_mismatch.shp",
        message: "{dir}/streets_dbf_mismatch.shp: the .shx indexes 3 shapes but the .dbf has 2 records; the files do not belong together. Fix: use the .shp, .shx and .dbf of one export (same name, same time)",
        skip: None,
    },
    Case {
        file: "streets_duplicate_id.geojson",
        message: "{dir}/streets_duplicate_id.geojson: record 2, field `segment_id`: segment id 101 also appears at feature 1. Fix: segment ids must be unique: deduplicate the file or map another id column with `id = \"COLUMN\"`",
        skip: Some(("duplicate id", &["101", "103"])),
    },
    Case {
        file: "streets_empty.geojson",
        message: "{dir}/streets_empty.geojson: the file is empty (0 bytes). Fix: give a GeoJSON FeatureCollection of LineString features",
        skip: None,
    },
    Case {
        file: "streets_empty.shp",
        message: "{dir}/streets_empty.shp: the .shp is empty (0 bytes). Fix: copy or download the file again, or re-export the layer",
        skip: None,
    },
    Case {
        file: "streets_empty_geometry.geojson",
        message: "{dir}/streets_empty_geometry.geojson: record 2, field `geometry`: the geometry is empty. Fix: drop or repair the feature in the source GIS (or load with on_error = skip)",
        skip: Some(("empty geometry", &["101", "103"])),
    },
    Case {
        file: "streets_geometry_collection.geojson",
        message: "{dir}/streets_geometry_collection.geojson: record 2, field `geometry`: the geometry is a GeometryCollection, not a LineString. Fix: give streets as LineString (or single-part MultiLineString) features (or load with on_error = skip)",
        skip: Some(("unsupported geometry", &["101", "103"])),
    },
    Case {
        file: "streets_huge_coordinate.geojson",
        message: "{dir}/streets_huge_coordinate.geojson: record 2, field `geometry`: vertex 2 (1e300, 43.051) is beyond ±1e9: no map coordinate is that large. Fix: drop or repair the feature in the source GIS (or load with on_error = skip)",
        skip: Some(("coordinate out of range", &["101", "103"])),
    },
    Case {
        file: "streets_mapped_id_missing.geojson",
        message: "{dir}/streets_mapped_id_missing.geojson: column `STREET_ID` (mapped as `id`) is not in the file; its columns are `segment_id`. Fix: set `id` to one of these columns, or remove it to auto-detect",
        skip: None,
    },
    Case {
        file: "streets_metre_coords.geojson",
        message: "{dir}/streets_metre_coords.geojson: the CRS EPSG:4326 is longitude/latitude, but feature 1 has coordinate (406520.1, 4766672.3), outside ±180/±90: the numbers look like projected feet or metres, so the CRS looks wrong. Fix: give the CRS the coordinates are really in with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)",
        skip: None,
    },
    Case {
        file: "streets_missing_id.geojson",
        message: "{dir}/streets_missing_id.geojson: record 2, field `segment_id`: the segment id is empty. Fix: give every street an id, or map another id column with `id = \"COLUMN\"`",
        skip: Some(("missing id", &["101", "103"])),
    },
    Case {
        file: "streets_nan_coordinate.geojson",
        message: "{dir}/streets_nan_coordinate.geojson: feature 2 is not valid JSON: expected value. Fix: correct the feature (JSON has no NaN or Infinity: write null geometry or drop the feature), or re-export the file",
        skip: None,
    },
    Case {
        file: "streets_no_prj.shp",
        message: "{dir}/streets_no_prj.shp: no .prj file ({dir}/streets_no_prj.prj), so the coordinate reference system is unknown. Fix: give the CRS with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping), or put the layer's .prj next to the .shp",
        skip: None,
    },
    Case {
        file: "streets_null_geometry.geojson",
        message: "{dir}/streets_null_geometry.geojson: record 2, field `geometry`: the feature has no geometry (null). Fix: drop the feature or give it a LineString (or load with on_error = skip)",
        skip: Some(("empty geometry", &["101", "103"])),
    },
    Case {
        file: "streets_null_shape.shp",
        message: "{dir}/streets_null_shape.shp: record 2, field `geometry`: the shape is a null shape (no geometry). Fix: drop the feature or digitise its line in the source GIS (or load with on_error = skip)",
        skip: Some(("empty geometry", &["101", "103"])),
    },
    Case {
        file: "streets_points.geojson",
        message: "{dir}/streets_points.geojson: file holds Point features, not streets: the streets and complaints files may be the wrong way round. Fix: give the street centerlines (LineString features) as the streets file",
        skip: None,
    },
    Case {
        file: "streets_points.shp",
        message: "{dir}/streets_points.shp: file holds Point features, not streets: the streets and complaints files may be the wrong way round. Fix: give the street centerline layer (lines) as the streets file",
        skip: None,
    },
    Case {
        file: "streets_stateplane_prj_lonlat.shp",
        message: "{dir}/streets_stateplane_prj_lonlat.shp: the CRS NAD_1983_StatePlane_New_York_Central_FIPS_3102_Feet is projected, but every coordinate lies within ±180/±90 (e.g. (-76.15, 43.05)): they look like longitude/latitude degrees, so the CRS looks wrong. Fix: if the coordinates are longitude/latitude, give `--crs EPSG:4326` (or `crs = \"EPSG:4326\"` in the streets mapping)",
        skip: None,
    },
    Case {
        file: "streets_text_coordinate.geojson",
        message: "{dir}/streets_text_coordinate.geojson: feature 2 is not valid GeoJSON: invalid type: string \"-76.149\", expected a coordinate element (number or array). Fix: write the feature's coordinates as numbers (`[x, y]`) or drop the feature; such a feature stops the file even when skipping",
        skip: None,
    },
    Case {
        file: "streets_truncated.geojson",
        message: "{dir}/streets_truncated.geojson: the file ends in the middle of feature 2: it is truncated. Fix: copy or download the file again, or re-export it as a GeoJSON FeatureCollection",
        skip: None,
    },
    Case {
        file: "streets_truncated.shp",
        message: "{dir}/streets_truncated.shp: the .shp is truncated: its header says 380 bytes but the file has 208. Fix: copy or download the file again, or re-export the layer",
        skip: None,
    },
    Case {
        file: "streets_unknown_prj.shp",
        message: "{dir}/streets_unknown_prj.prj: PROJ cannot read this .prj: CRS `MY_CITY_GRID_1987 (ask Bob)`: The underlying PROJ call failed: Invalid PROJ string syntax. Fix: give the CRS with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)",
        skip: None,
    },
    Case {
        file: "streets_wkt_empty.csv",
        message: "{dir}/streets_wkt_empty.csv: the file is empty (0 bytes). Fix: give a CSV file with a header line and one street per row, its geometry as WKT",
        skip: None,
    },
    Case {
        file: "streets_wkt_missing_field.csv",
        message: "{dir}/streets_wkt_missing_field.csv: record 2: line 3 has 2 fields where the header has 3 (a truncated line or an unquoted delimiter). Fix: repair the line, or quote values that contain the delimiter",
        skip: Some(("wrong number of fields", &["101", "103"])),
    },
    Case {
        file: "streets_wkt_nan_coordinate.csv",
        message: "{dir}/streets_wkt_nan_coordinate.csv: record 2, field `WKT`: invalid WKT `LINESTRING (NaN 43.05, -76.149 43.051)`: Invalid WKT: Missing closing parenthesis for type. Fix: write the geometry as WKT, e.g. `LINESTRING (x1 y1, x2 y2)`",
        skip: Some(("bad geometry", &["101", "103"])),
    },
    Case {
        file: "streets_wkt_text_coordinate.csv",
        message: "{dir}/streets_wkt_text_coordinate.csv: record 2, field `WKT`: invalid WKT `LINESTRING (west north, east south)`: Invalid WKT: Missing closing parenthesis for type. Fix: write the geometry as WKT, e.g. `LINESTRING (x1 y1, x2 y2)`",
        skip: Some(("bad geometry", &["101", "103"])),
    },
    Case {
        file: "streets_wkt_truncated.csv",
        message: "{dir}/streets_wkt_truncated.csv: record 3, field `WKT`: invalid WKT `LINESTRING (-76.149 43.051, -76.148`: Invalid WKT: Missing closing parenthesis for type. Fix: write the geometry as WKT, e.g. `LINESTRING (x1 y1, x2 y2)`",
        skip: Some(("bad geometry", &["101", "102"])),
    },
    Case {
        file: "streets_wrong_geometry_type.geojson",
        message: "{dir}/streets_wrong_geometry_type.geojson: record 2, field `geometry`: the geometry is a Polygon, not a LineString. Fix: give streets as LineString (or single-part MultiLineString) features (or load with on_error = skip)",
        skip: Some(("unsupported geometry", &["101", "103"])),
    },
    Case {
        file: "streets_zero_length.geojson",
        message: "{dir}/streets_zero_length.geojson: record 2, field `geometry`: the line has zero length (all its points coincide). Fix: drop or repair the feature in the source GIS (or load with on_error = skip)",
        skip: Some(("zero-length geometry", &["101", "103"])),
    },
];

#[test]
fn every_case_has_its_exact_message() {
    let d = dir().display().to_string();
    let mut failures = Vec::new();
    for case in CASES {
        let want = case.message.replace("{dir}", &d);
        match load(case.file, OnError::Fail) {
            Ok(l) => failures.push(format!("{}: loaded {:?}, want an error", case.file, l.ids)),
            Err(e) if e.to_string() != want => failures.push(format!(
                "{}:\n   got: {}\n  want: {want}",
                case.file,
                e.to_string().replace(&d, "{dir}")
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn skipping_loads_the_rest_and_counts_the_reason() {
    let d = dir().display().to_string();
    for case in CASES {
        let got = load(case.file, OnError::Skip);
        match case.skip {
            Some((reason, ids)) => {
                let l = got.unwrap_or_else(|e| panic!("{}: {e}", case.file));
                assert_eq!(l.ids, ids, "{}", case.file);
                assert_eq!(l.loaded, ids.len(), "{}", case.file);
                assert_eq!(
                    l.skipped,
                    BTreeMap::from([(reason.to_owned(), 1)]),
                    "{}",
                    case.file
                );
                // The skipped record keeps the message the strict load gives.
                assert_eq!(
                    l.examples[reason],
                    case.message.replace("{dir}", &d),
                    "{}",
                    case.file
                );
            }
            None if LOADS_WHEN_SKIPPING.contains(&case.file) => {
                let l = got.unwrap_or_else(|e| panic!("{}: {e}", case.file));
                assert_eq!(l.loaded, 3, "{}", case.file);
                assert!(l.skipped.is_empty(), "{}", case.file);
            }
            None => {
                let e = got.err().unwrap_or_else(|| {
                    panic!("{}: loaded under Skip, want the file error", case.file)
                });
                assert_eq!(
                    e.to_string(),
                    case.message.replace("{dir}", &d),
                    "{}",
                    case.file
                );
            }
        }
    }
}

#[test]
fn every_message_names_the_file_and_says_what_to_do() {
    let d = dir().display().to_string();
    for case in CASES {
        let m = case.message.replace("{dir}", &d);
        assert!(m.starts_with(&d), "{}: {m}", case.file);
        assert_eq!(m.matches(". Fix: ").count(), 1, "{}: {m}", case.file);
        if case.skip.is_some() {
            assert!(m.contains(": record "), "{}: {m}", case.file);
        }
    }
}

/// The corpus, the cases and the README agree: every fixture is a case or a
/// must-load check, and every one has a README line.
#[test]
fn corpus_cases_and_readme_agree() {
    let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
    let mut used: BTreeSet<&str> = CASES.iter().map(|c| c.file).collect();
    used.extend(MUST_LOAD);
    assert_eq!(
        used.len(),
        CASES.len() + MUST_LOAD.len(),
        "a file is listed twice"
    );
    let mut stems = BTreeSet::new();
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name == "README.md" || name.ends_with(".py") {
            continue;
        }
        let stem = name.split('.').next().unwrap().to_owned();
        assert!(
            used.iter()
                .any(|u| u.split('.').next() == Some(stem.as_str())),
            "{name} is in fixtures/bad but no case reads it"
        );
        stems.insert(stem);
    }
    for file in &used {
        assert!(dir().join(file).is_file(), "{file} is missing");
        assert!(
            readme.contains(&format!("`{file}`")),
            "README.md lacks `{file}`"
        );
    }
    assert!(CASES.len() >= 30);
}

/// Whole-file cases that load under skipping, with a note instead of the error: the file is
/// usable, only its relation to the other input is wrong.
const LOADS_WHEN_SKIPPING: &[&str] = &["complaints_other_place.csv"];

/// Complaints from another place than the streets (a mismatch between the two inputs): the
/// strict load stops (see CASES); a lenient one loads every complaint and says why they will
/// all stay unmatched.
#[test]
fn complaints_from_another_place_load_with_a_note_when_skipping() {
    let mut opts = ComplaintsOptions::new(Crs::epsg(WORK_EPSG));
    opts.streets_extent_lonlat = Some(EXTENT);
    opts.on_error = OnError::Skip;
    let path = dir().join("complaints_other_place.csv");
    let l = read_complaints(&path, &opts).unwrap();
    assert_eq!(l.complaints.len(), 3);
    assert_eq!(l.far_away, 3);
    assert!(
        l.report
            .notes
            .iter()
            .any(|n| n
                .starts_with("all 3 complaints lie more than 5 km outside the streets' extent")),
        "{:?}",
        l.report.notes
    );
    // The streamed reader (what `streetrank score` uses) says the same.
    let mut n = 0;
    let s = streetrank_io::stream_complaints(&path, &opts, &mut |b| n += b.len()).unwrap();
    assert_eq!((n, s.file.report.notes.clone()), (3, l.report.notes));
    opts.on_error = OnError::Fail;
    let e = streetrank_io::stream_complaints(&path, &opts, &mut |_| {}).unwrap_err();
    assert!(
        e.to_string()
            .contains("all 3 complaints lie more than 5 km"),
        "{e}"
    );
}

/// Files that look odd but are valid: each must load (checked value by value below).
const MUST_LOAD: &[&str] = &[
    "complaints_bom.csv",
    "complaints_semicolon.csv",
    "complaints_quoted_newline.csv",
    "streets_3d.geojson",
    "streets_self_overlap.geojson",
    "config_empty.toml",
];

fn complaints(file: &str) -> streetrank_io::LoadedComplaints {
    let mut opts = ComplaintsOptions::new(Crs::epsg(WORK_EPSG));
    opts.streets_extent_lonlat = Some(EXTENT);
    read_complaints(&dir().join(file), &opts).unwrap()
}

/// (id, category, lon, lat) of each complaint, located back in degrees.
fn rows(c: &streetrank_io::LoadedComplaints) -> Vec<(String, String, f64, f64)> {
    let back = Transform::new(&Crs::epsg(WORK_EPSG), &Crs::wgs84()).unwrap();
    c.complaints
        .iter()
        .map(|c| {
            let (lon, lat) = back.point(c.point.x(), c.point.y()).unwrap();
            let r = |v: f64| (v * 1e7).round() / 1e7;
            (
                c.id.to_string(),
                c.category.as_deref().unwrap_or_default().to_owned(),
                r(lon),
                r(lat),
            )
        })
        .collect()
}

fn row(id: &str, category: &str, lon: f64, lat: f64) -> (String, String, f64, f64) {
    (id.to_owned(), category.to_owned(), lon, lat)
}

#[test]
fn csv_with_bom_loads() {
    let c = complaints("complaints_bom.csv");
    // The BOM is not part of the first header: `request_id` is found as the id.
    assert!(
        c.report
            .notes
            .iter()
            .any(|n| n.starts_with("complaint id from column `request_id`")),
        "{:?}",
        c.report.notes
    );
    assert_eq!(
        rows(&c),
        [
            row("SR-1", "Pothole", -76.1495, 43.0501),
            row("SR-3", "Street Repair", -76.1489, 43.0512)
        ]
    );
    assert_eq!(
        c.complaints[0].created.unwrap().to_utc(),
        (2024, 9, 17, 15, 0, 0)
    );
}

#[test]
fn semicolon_delimited_csv_loads() {
    let c = complaints("complaints_semicolon.csv");
    assert!(
        c.report
            .notes
            .contains(&"delimiter `;` detected from the header line".to_owned())
    );
    // The comma inside a value is data, not a delimiter.
    assert_eq!(
        rows(&c),
        [
            row("SR-1", "Pothole, deep", -76.1495, 43.0501),
            row("SR-3", "Street Repair", -76.1489, 43.0512)
        ]
    );
}

#[test]
fn quoted_newline_loads() {
    let c = complaints("complaints_quoted_newline.csv");
    assert_eq!(
        rows(&c),
        [
            row(
                "SR-1",
                "Pothole\nnear the curb, \"deep\"",
                -76.1495,
                43.0501
            ),
            row("SR-2", "Pothole", -76.149, 43.0505),
            row("SR-3", "Street Repair", -76.1489, 43.0512)
        ]
    );
    assert_eq!(c.report.loaded, 3);
}

fn streets(file: &str) -> streetrank_io::LoadedStreets {
    read_streets(&dir().join(file), &StreetsOptions::default()).unwrap()
}

fn length_of(s: &streetrank_io::LoadedStreets, id: i64) -> f64 {
    let id = streetrank::SourceId::Int(id);
    s.network
        .segments
        .iter()
        .find(|s| s.id == id)
        .unwrap()
        .length_m
}

#[test]
fn three_d_coordinates_load_as_2d() {
    let s = streets("streets_3d.geojson");
    assert_eq!(s.report.loaded, 3);
    assert!(s.report.skipped.is_empty());
    // Segment 102 runs 0.001° north at 43.05°N: about 111.1 m on the ground
    // (UTM scale ~0.9997 here); the elevations (120.5 m, 121.0 m) are dropped.
    let len = length_of(&s, 102);
    assert!((len - 111.05).abs() < 0.2, "{len}");
    assert_eq!(s.network.segments[1].geometry.0.len(), 2);
}

/// A street that doubles back over itself (north 0.001°, then back south
/// 0.0005°) is a valid line: it loads, and its length counts both legs (1.5×
/// the straight run), since that is the line as drawn. Snapping still finds
/// the nearest piece, so the overlap does no harm.
#[test]
fn self_overlapping_street_loads_with_its_drawn_length() {
    let s = streets("streets_self_overlap.geojson");
    assert_eq!(s.report.loaded, 3);
    assert!(s.report.skipped.is_empty());
    let straight = length_of(&streets("streets_3d.geojson"), 102);
    let overlap = length_of(&s, 102);
    assert!(
        (overlap / straight - 1.5).abs() < 1e-3,
        "{overlap} vs {straight}"
    );
}

/// A 0-byte TOML file is a valid, empty document: every setting at its default.
#[test]
fn empty_config_is_all_defaults() {
    assert_eq!(
        read_config(&dir().join("config_empty.toml")).unwrap(),
        RunConfig::default()
    );
}
