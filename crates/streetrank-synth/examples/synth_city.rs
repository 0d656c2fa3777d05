//! Writes a synthetic city's files in EPSG:32618 metres (identity converter):
//! `cargo run -p streetrank-synth --example synth_city -- <dir> [preset] [seed]`.
//!
//! The CLI's `generate` command is the real tool (it converts to WGS 84 with
//! PROJ); this example is for looking at the data without PROJ.

use std::fs::File;
use std::path::PathBuf;

use streetrank_synth::{
    CityOptions, complaints, generate_city, ratings, write_complaints_csv, write_ratings_csv,
    write_streets_geojson,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: synth_city <dir> [preset] [seed]")?,
    );
    let preset = args.next().unwrap_or_else(|| "small".to_owned());
    let mut opts = CityOptions::preset(&preset).ok_or("unknown preset")?;
    if let Some(seed) = args.next() {
        opts = opts.seed(seed.parse()?);
    }
    std::fs::create_dir_all(&dir)?;
    let city = generate_city(&opts);
    let keep = |x: f64, y: f64| (x, y);
    write_streets_geojson(&city, File::create(dir.join("streets.geojson"))?, keep)?;
    write_complaints_csv(
        complaints(&city, &opts),
        File::create(dir.join("complaints.csv"))?,
        keep,
    )?;
    write_ratings_csv(&ratings(&city), File::create(dir.join("ratings.csv"))?)?;
    eprintln!(
        "{} segments, {} complaints -> {}",
        city.network.segments.len(),
        opts.get_complaints(),
        dir.display()
    );
    Ok(())
}
