//! Writing the ranking: building the table and writing it as CSV (with WKT) and GeoJSON, and
//! the CLI's way, each row built as it is written (`*_as_built`: reprojecting the lines, building
//! and writing), one thread beside all threads, on a seeded synthetic city.
//!
//! `cargo bench -p streetrank-benches --bench write`.
#![forbid(unsafe_code)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use geo_types::Point;
use streetrank::{Ranking, ScoreConfig, SnapOptions, StreetIndex, StreetNetwork};
use streetrank_io::{
    Crs, Destination, Format, RankingTable, WriteOptions, ranking_table, write_table,
};
use streetrank_synth::{CRS_EPSG, CityOptions, complaints, generate_city};

fn inputs(segments: usize, n: usize) -> (StreetNetwork, Ranking) {
    let opts = CityOptions::default()
        .seed(7)
        .segments(segments)
        .complaints(n);
    let city = generate_city(&opts);
    let complaints: Vec<_> = complaints(&city, &opts).collect();
    let points: Vec<Point<f64>> = complaints.iter().map(|c| c.point).collect();
    let index = StreetIndex::new(&city.network.segments);
    let assignments: Vec<Option<usize>> = index
        .snap_all(&points, &SnapOptions::default())
        .iter()
        .map(streetrank::SnapOutcome::segment)
        .collect();
    let ranking = streetrank::score(
        &city.network,
        &complaints,
        &assignments,
        &ScoreConfig::default(),
        &[],
    )
    .expect("scoring the synthetic city");
    (city.network, ranking)
}

fn bench_write(c: &mut Criterion) {
    let mut g = c.benchmark_group("write");
    g.sample_size(10);
    let crs = Crs::parse(&format!("EPSG:{CRS_EPSG}")).expect("the city's CRS");
    let dir = tempfile::tempdir().expect("temp dir");
    let max = std::thread::available_parallelism().map_or(1, usize::from);
    for segments in [10_000, 100_000] {
        let (network, ranking) = inputs(segments, segments * 10);
        g.throughput(Throughput::Elements(segments as u64));
        let table = ranking_table(&network, &ranking, &crs).expect("ranking table");
        for threads in [1, max] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let id = |what: &str| BenchmarkId::new(format!("{what}/{threads}_threads"), segments);
            g.bench_with_input(id("ranking_table"), &(), |b, ()| {
                b.iter(|| pool.install(|| ranking_table(black_box(&network), &ranking, &crs)));
            });
            for (format, name) in [(Format::Csv, "csv"), (Format::GeoJson, "geojson")] {
                let dest = Destination::Path(dir.path().join(format!("ranking.{name}")));
                g.bench_with_input(id(name), &(), |b, ()| {
                    b.iter(|| {
                        pool.install(|| {
                            write_table(black_box(&table), &dest, format, &WriteOptions::default())
                        })
                    });
                });
                g.bench_with_input(id(&format!("{name}_as_built")), &(), |b, ()| {
                    b.iter(|| {
                        pool.install(|| {
                            let rows = RankingTable::new(black_box(&network), &ranking, &crs)?;
                            write_table(&rows, &dest, format, &WriteOptions::default())
                        })
                    });
                });
            }
        }
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::bench_write;
    criterion::criterion_group!(benches, bench_write);
}
use group::benches;
criterion_main!(benches);
