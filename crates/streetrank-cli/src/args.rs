//! Command-line arguments (clap derive) and their validation into library configs, in one place.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use streetrank_io::{Aggregate, Crs, Format, OnError, Profile, RunConfig};

/// Rank street segments for repair from street centerlines, pavement ratings and 311 complaints.
#[derive(Debug, Parser)]
#[command(name = "streetrank", version, max_term_width = 100)]
pub struct Cli {
    /// Options for every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options for every command.
#[derive(Debug, Args)]
pub struct Global {
    /// Worker threads for snapping and scoring [default: all cores]. Results are identical for any value.
    #[arg(long, global = true, value_parser = clap::value_parser!(usize))]
    pub threads: Option<usize>,
    /// Print nothing on stderr but errors and privacy warnings (no progress, no summary).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Snap complaints to streets, score every segment and write the ranking.
    Score(ScoreArgs),
    /// Snap complaints to streets and write the per-complaint assignments (an internal table).
    Snap(SnapArgs),
    /// Read every input and list every problem found, without scoring. Exit 1 if any.
    Validate(ValidateArgs),
    /// Run on the bundled synthetic city in fixtures/ and print the top of the ranking.
    Demo(DemoArgs),
    /// Generate a seeded synthetic city (streets GeoJSON, complaints CSV, ratings CSV).
    Generate(GenerateArgs),
    /// Score, then plan repairs for one or more years' budgets: plan CSV/GeoJSON, summary JSON, HTML report.
    Plan(crate::plan::PlanArgs),
}

/// What to do with a bad record.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OnErrorArg {
    /// Stop at the first bad record, naming it.
    Fail,
    /// Skip bad records; count them by reason in the summary.
    Skip,
}

/// What a run may write (docs/privacy.md).
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ProfileArg {
    /// For anything that leaves the building: per-segment aggregates only, complaint counts
    /// below --min-count suppressed, no per-complaint table, no complaint id or location.
    #[default]
    Publish,
    /// Everything, including the per-complaint assignments with ids and locations. Never publish.
    Internal,
}

impl From<ProfileArg> for Profile {
    fn from(p: ProfileArg) -> Profile {
        match p {
            ProfileArg::Publish => Profile::Publish,
            ProfileArg::Internal => Profile::Internal,
        }
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    /// RFC 7946 GeoJSON (WGS84).
    Geojson,
    /// CSV with a WKT geometry column.
    Csv,
    /// ESRI Shapefile (WGS84), needs a file path.
    Shp,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Geojson => Format::GeoJson,
            FormatArg::Csv => Format::Csv,
            FormatArg::Shp => Format::Shapefile,
        }
    }
}

/// How duplicate rating rows of one segment combine.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum AggregateArg {
    /// The worst (lowest) rating: the conservative choice for repair.
    Min,
    /// The mean rating.
    Mean,
    /// The best (highest) rating.
    Max,
    /// The last row in the file.
    Last,
}

impl From<AggregateArg> for Aggregate {
    fn from(a: AggregateArg) -> Aggregate {
        match a {
            AggregateArg::Min => Aggregate::Min,
            AggregateArg::Mean => Aggregate::Mean,
            AggregateArg::Max => Aggregate::Max,
            AggregateArg::Last => Aggregate::Last,
        }
    }
}

/// Inputs and how to read them; flags override the config file.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Street centerlines: .shp (with .dbf, .prj), .zip holding a shapefile, .geojson, or .csv with a WKT column.
    #[arg(long, value_name = "FILE")]
    pub streets: PathBuf,
    /// Complaints: .csv with lon/lat or x/y columns, .geojson points, or Open311 GeoReport v2 .json.
    /// Repeat to read several files with the same columns (ids must be unique across them).
    #[arg(long, value_name = "FILE")]
    pub complaints: Vec<PathBuf>,
    /// Condition ratings: .csv keyed by segment id.
    #[arg(long, value_name = "FILE")]
    pub ratings: Option<PathBuf>,
    /// TOML config: [score], [snap], [streets], [complaints], [ratings], [plan] (see docs/config.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Bad records: fail (default) or skip and count them.
    #[arg(long, value_enum, value_name = "MODE")]
    pub on_error: Option<OnErrorArg>,
    /// Metric CRS to work in [default: the streets' own CRS when it is in metres, else the UTM zone of their centre].
    #[arg(long, value_name = "CRS")]
    pub work_crs: Option<String>,

    /// Street id column [default: auto-detected, e.g. STREET_ID, LINEARID, segment_id].
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_id: Option<String>,
    /// Road class column (e.g. CART_CLASS, MTFCC).
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_class: Option<String>,
    /// Condition column on the street file (PCI or the city's own scale).
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_condition: Option<String>,
    /// Traffic (AADT) column.
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_aadt: Option<String>,
    /// Pavement width column.
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_width: Option<String>,
    /// Unit of the width column: m (default) or ft.
    #[arg(long, value_name = "UNIT", help_heading = "Street columns")]
    pub streets_width_unit: Option<String>,
    /// Lane count column.
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_lanes: Option<String>,
    /// WKT geometry column of a CSV street file [default: auto-detected: WKT, geometry, the_geom, geom].
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_geometry: Option<String>,
    /// District / ward column, for the equity factor.
    #[arg(long, value_name = "COLUMN", help_heading = "Street columns")]
    pub streets_district: Option<String>,
    /// CRS of the street file, overriding its .prj (e.g. EPSG:2261).
    #[arg(long, value_name = "CRS", help_heading = "Street columns")]
    pub streets_crs: Option<String>,
    /// Which .shp inside a .zip.
    #[arg(long, value_name = "NAME", help_heading = "Street columns")]
    pub streets_layer: Option<String>,
    /// Street columns to carry into the outputs (comma-separated).
    #[arg(
        long,
        value_name = "COLUMNS",
        value_delimiter = ',',
        help_heading = "Street columns"
    )]
    pub streets_keep: Vec<String>,

    /// Complaint id column [default: auto-detected].
    #[arg(long, value_name = "COLUMN", help_heading = "Complaint columns")]
    pub complaints_id: Option<String>,
    /// Longitude / easting column [default: auto-detected: LONGITUDE, lon, X …].
    #[arg(
        long,
        value_name = "COLUMN",
        help_heading = "Complaint columns",
        visible_alias = "lon"
    )]
    pub x: Option<String>,
    /// Latitude / northing column [default: auto-detected: LATITUDE, lat, Y …].
    #[arg(
        long,
        value_name = "COLUMN",
        help_heading = "Complaint columns",
        visible_alias = "lat"
    )]
    pub y: Option<String>,
    /// CRS of the complaint x/y columns [default: WGS84 lon/lat].
    #[arg(long, value_name = "CRS", help_heading = "Complaint columns")]
    pub crs: Option<String>,
    /// The x and y columns are swapped in the file (e.g. a `Latitude` header over longitudes): swap them back.
    #[arg(long, help_heading = "Complaint columns")]
    pub swap_xy: bool,
    /// Created date/time column [default: auto-detected].
    #[arg(long, value_name = "COLUMN", help_heading = "Complaint columns")]
    pub created: Option<String>,
    /// Date format of the created column (chrono syntax, e.g. "%m/%d/%Y %H:%M") [default: auto].
    #[arg(long, value_name = "FORMAT", help_heading = "Complaint columns")]
    pub date_format: Option<String>,
    /// Category column.
    #[arg(long, value_name = "COLUMN", help_heading = "Complaint columns")]
    pub category: Option<String>,
    /// Status column.
    #[arg(long, value_name = "COLUMN", help_heading = "Complaint columns")]
    pub status: Option<String>,
    /// Complaint columns to carry into the (internal) assignments output (comma-separated). Nothing else is carried.
    #[arg(
        long,
        value_name = "COLUMNS",
        value_delimiter = ',',
        help_heading = "Complaint columns"
    )]
    pub keep: Vec<String>,

    /// Ratings id column [default: auto-detected].
    #[arg(long, value_name = "COLUMN", help_heading = "Rating columns")]
    pub ratings_id: Option<String>,
    /// Ratings value column [default: auto-detected: overall, rating, pci …].
    #[arg(long, value_name = "COLUMN", help_heading = "Rating columns")]
    pub ratings_value: Option<String>,
    /// Ratings year column.
    #[arg(long, value_name = "COLUMN", help_heading = "Rating columns")]
    pub ratings_year: Option<String>,
    /// Use the ratings of this year only [default: each segment's latest year].
    #[arg(long, value_name = "YEAR", help_heading = "Rating columns")]
    pub rating_year: Option<i32>,
    /// How several rating rows of one segment combine [default: min].
    #[arg(long, value_enum, help_heading = "Rating columns")]
    pub ratings_aggregate: Option<AggregateArg>,
    /// Worst value of the condition scale [default: 0, PCI].
    #[arg(long, value_name = "VALUE", help_heading = "Rating columns")]
    pub condition_worst: Option<f64>,
    /// Best value of the condition scale [default: 100, PCI].
    #[arg(long, value_name = "VALUE", help_heading = "Rating columns")]
    pub condition_best: Option<f64>,

    /// Snap only within this distance, metres [default: 30].
    #[arg(long, value_name = "METRES", help_heading = "Snapping")]
    pub max_distance: Option<f64>,
    /// Flag a snap ambiguous when the runner-up street is within this many metres of the best [default: 1].
    #[arg(long, value_name = "METRES", help_heading = "Snapping")]
    pub ambiguity: Option<f64>,

    /// k: under the publish profile, per-segment complaint counts from 1 to k-1 are written as
    /// empty [default: [privacy] min_count, else 3; 1 turns suppression off].
    #[arg(long, value_name = "K", help_heading = "Privacy")]
    pub min_count: Option<usize>,
}

/// `streetrank score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// Score as of this date (ISO 8601) [default: the latest complaint's date].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Ranked segments output; `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: String,
    /// Format of --output [default: from the extension; CSV on stdout].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Also write the per-complaint assignments (INTERNAL: carries complaint ids and locations)
    /// to this file; needs --profile internal.
    #[arg(long, value_name = "FILE")]
    pub assignments: Option<PathBuf>,
    /// What may be written: publish (default; aggregates per segment, small counts suppressed)
    /// or internal (everything, including per-complaint data). See docs/privacy.md.
    #[arg(long, value_enum, default_value = "publish", help_heading = "Privacy")]
    pub profile: ProfileArg,

    /// Also write the run summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// How many top segments the summary lists.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
}

/// `streetrank snap`.
#[derive(Debug, Args)]
pub struct SnapArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
    /// Assignments output (INTERNAL: one row per complaint with its location; needs
    /// --profile internal); `-` is stdout.
    #[arg(short, long, value_name = "FILE", default_value = "-")]
    pub output: String,
    /// Format of --output [default: from the extension; CSV on stdout].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// What may be written: publish (default; aggregates per segment, small counts suppressed)
    /// or internal (everything, including per-complaint data). See docs/privacy.md.
    #[arg(long, value_enum, default_value = "publish", help_heading = "Privacy")]
    pub profile: ProfileArg,
}

/// `streetrank validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Inputs.
    #[command(flatten)]
    pub input: InputArgs,
}

/// `streetrank demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder holding the demo city [default: the repository's fixtures/city].
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// How many segments to print.
    #[arg(long, value_name = "N", default_value_t = 15)]
    pub top: usize,
    /// Also write ranking.geojson and ranking.csv (and, under --profile internal,
    /// assignments.csv) here, each with its manifest.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// What may be written: publish (default; aggregates per segment, small counts suppressed)
    /// or internal (everything, including per-complaint data). See docs/privacy.md.
    #[arg(long, value_enum, default_value = "publish", help_heading = "Privacy")]
    pub profile: ProfileArg,
}

/// `streetrank generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Size preset: small (2k segments / 20k complaints), city (100k / 1M), metro (1M / 10M).
    #[arg(long, default_value = "small")]
    pub preset: String,
    /// Random seed; the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of segments, overriding the preset.
    #[arg(long)]
    pub segments: Option<usize>,
    /// Number of complaints, overriding the preset.
    #[arg(long)]
    pub complaints: Option<usize>,
    /// Output folder (created): streets.geojson, complaints.csv, ratings.csv, config.toml.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

fn crs_flag(flag: &str, value: Option<&String>) -> anyhow::Result<Option<Crs>> {
    value
        .map(|v| Crs::parse(v).with_context(|| format!("--{flag} {v}")))
        .transpose()
}

fn set<T>(slot: &mut Option<T>, value: Option<&T>)
where
    T: Clone,
{
    if let Some(v) = value {
        *slot = Some(v.clone());
    }
}

impl InputArgs {
    /// The run configuration: the config file (or defaults) with every flag given applied on top.
    pub fn run_config(&self) -> anyhow::Result<RunConfig> {
        let mut cfg = match &self.config {
            Some(path) => streetrank_io::read_config(path)?,
            None => RunConfig::default(),
        };
        if let Some(c) = crs_flag("work-crs", self.work_crs.as_ref())? {
            cfg.work_crs = Some(c);
        }
        let s = &mut cfg.streets;
        set(&mut s.id, self.streets_id.as_ref());
        set(&mut s.road_class, self.streets_class.as_ref());
        set(&mut s.condition, self.streets_condition.as_ref());
        set(&mut s.aadt, self.streets_aadt.as_ref());
        set(&mut s.width, self.streets_width.as_ref());
        set(&mut s.width_unit, self.streets_width_unit.as_ref());
        set(&mut s.lanes, self.streets_lanes.as_ref());
        set(&mut s.geometry, self.streets_geometry.as_ref());
        set(&mut s.district, self.streets_district.as_ref());
        set(&mut s.layer, self.streets_layer.as_ref());
        if let Some(c) = crs_flag("streets-crs", self.streets_crs.as_ref())? {
            s.crs = Some(c);
        }
        if !self.streets_keep.is_empty() {
            s.keep.clone_from(&self.streets_keep);
        }
        let c = &mut cfg.complaints;
        set(&mut c.id, self.complaints_id.as_ref());
        set(&mut c.x, self.x.as_ref());
        set(&mut c.y, self.y.as_ref());
        set(&mut c.created, self.created.as_ref());
        set(&mut c.date_format, self.date_format.as_ref());
        set(&mut c.category, self.category.as_ref());
        set(&mut c.status, self.status.as_ref());
        if let Some(crs) = crs_flag("crs", self.crs.as_ref())? {
            c.crs = Some(crs);
        }
        if self.swap_xy {
            c.swap_xy = true;
        }
        if !self.keep.is_empty() {
            c.keep.clone_from(&self.keep);
        }
        let r = &mut cfg.ratings;
        set(&mut r.id, self.ratings_id.as_ref());
        set(&mut r.value, self.ratings_value.as_ref());
        set(&mut r.year, self.ratings_year.as_ref());
        set(&mut r.use_year, self.rating_year.as_ref());
        if let Some(a) = self.ratings_aggregate {
            r.aggregate = a.into();
        }
        if let Some(v) = self.condition_worst {
            cfg.score.condition.worst = v;
        }
        if let Some(v) = self.condition_best {
            cfg.score.condition.best = v;
        }
        if let Some(v) = self.max_distance {
            cfg.snap.max_distance_m = v;
        }
        if let Some(v) = self.ambiguity {
            cfg.snap.ambiguity_tolerance_m = v;
        }
        if let Some(k) = self.min_count {
            cfg.privacy.min_count = k;
        }
        cfg.score.validate().context("invalid scoring settings")?;
        Ok(cfg)
    }

    /// The bad-record policy.
    pub fn on_error(&self) -> OnError {
        match self.on_error {
            Some(OnErrorArg::Skip) => OnError::Skip,
            Some(OnErrorArg::Fail) | None => OnError::Fail,
        }
    }
}
