//! `streetrank generate`: a seeded synthetic city written as real cities publish theirs.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use streetrank_io::{Crs, Transform};
use streetrank_synth::{CRS_EPSG, CityOptions};

use crate::args::{GenerateArgs, Global};

/// Writes `path` all-or-nothing (temporary file, renamed on success).
fn write_atomically(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    Ok(streetrank_io::write_file_atomically(path, f)?)
}

/// The config file written beside a generated city: explicit column mappings, its as-of date and scale.
fn config_toml(as_of: streetrank::Timestamp) -> String {
    format!(
        r#"# streetrank config for a generated synthetic city (see fixtures/README.md).
[score]
as_of = "{as_of}"

[score.condition]
worst = 0.0
best = 100.0

[streets]
id = "segment_id"
road_class = "road_class"
district = "district"
aadt = "aadt"
keep = ["name"]

[complaints]
id = "request_id"
x = "lon"
y = "lat"
created = "created_at"
category = "category"
status = "status"

[ratings]
id = "segment_id"
value = "rating"
year = "year"
"#
    )
}

/// Generates the city and writes streets.geojson, complaints.csv, ratings.csv and config.toml.
pub fn run(args: &GenerateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut opts = CityOptions::preset(&args.preset)
        .with_context(|| format!("--preset {}: expected small, city or metro", args.preset))?
        .seed(args.seed);
    if let Some(n) = args.segments {
        opts = opts.segments(n);
    }
    if let Some(n) = args.complaints {
        opts = opts.complaints(n);
    }
    let out = &args.out_dir;
    std::fs::create_dir_all(out).map_err(|e| streetrank_io::Error::io(out, e))?;
    let city = streetrank_synth::generate_city(&opts);
    let transform = Transform::new(&Crs::epsg(CRS_EPSG), &Crs::wgs84())?;
    let failure: RefCell<Option<streetrank_io::Error>> = RefCell::new(None);
    let to_lonlat = |x: f64, y: f64| match transform.point(x, y) {
        Ok(p) => p,
        Err(e) => {
            failure.borrow_mut().get_or_insert(e);
            (f64::NAN, f64::NAN)
        }
    };
    // A PROJ failure surfaces as a non-finite coordinate in the writer; report PROJ's own error then.
    let proj_error = |result: anyhow::Result<()>| match (result, failure.borrow_mut().take()) {
        (_, Some(e)) => {
            Err(anyhow::Error::new(e).context("reprojecting the synthetic city to WGS84"))
        }
        (r, None) => r,
    };
    proj_error(write_atomically(&out.join("streets.geojson"), |w| {
        streetrank_synth::write_streets_geojson(&city, w, to_lonlat)
    }))?;
    proj_error(write_atomically(&out.join("complaints.csv"), |w| {
        streetrank_synth::write_complaints_csv(
            streetrank_synth::complaints(&city, &opts),
            w,
            to_lonlat,
        )
    }))?;
    write_atomically(&out.join("ratings.csv"), |w| {
        streetrank_synth::write_ratings_csv(&streetrank_synth::ratings(&city), w)
    })?;
    write_atomically(&out.join("config.toml"), |w| {
        w.write_all(config_toml(city.as_of).as_bytes())
    })?;
    if !global.quiet {
        eprintln!(
            "generated {} segments and {} complaints (seed {}) in {}",
            city.network.segments.len(),
            opts.get_complaints(),
            args.seed,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
