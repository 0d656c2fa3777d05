//! Scoring: one thread beside all threads, on a seeded synthetic city with its complaints snapped.
//!
//! `cargo bench -p streetrank-benches --bench score` (add `--profile dist` for the figures in docs).
#![forbid(unsafe_code)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use geo_types::Point;
use streetrank::{Complaint, ScoreConfig, SnapOptions, StreetIndex, StreetNetwork};
use streetrank_synth::{CityOptions, complaints, generate_city};

fn inputs(segments: usize, n: usize) -> (StreetNetwork, Vec<Complaint>, Vec<Option<usize>>) {
    let opts = CityOptions::default()
        .seed(7)
        .segments(segments)
        .complaints(n);
    let city = generate_city(&opts);
    let complaints: Vec<Complaint> = complaints(&city, &opts).collect();
    let points: Vec<Point<f64>> = complaints.iter().map(|c| c.point).collect();
    let index = StreetIndex::new(&city.network.segments);
    let assignments = index
        .snap_all(&points, &SnapOptions::default())
        .iter()
        .map(streetrank::SnapOutcome::segment)
        .collect();
    (city.network, complaints, assignments)
}

fn bench_score(c: &mut Criterion) {
    let mut g = c.benchmark_group("score");
    g.sample_size(10);
    for (segments, n) in [(10_000, 100_000), (100_000, 1_000_000)] {
        let (network, complaints, assignments) = inputs(segments, n);
        let config = ScoreConfig::default();
        g.throughput(Throughput::Elements(n as u64));
        let max = std::thread::available_parallelism().map_or(1, usize::from);
        for threads in [1, max] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            g.bench_with_input(
                BenchmarkId::new(format!("{threads}_threads"), format!("{segments}x{n}")),
                &(),
                |b, ()| {
                    b.iter(|| {
                        pool.install(|| {
                            streetrank::score(
                                black_box(&network),
                                &complaints,
                                &assignments,
                                &config,
                                &[],
                            )
                        })
                    });
                },
            );
        }
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::bench_score;
    criterion::criterion_group!(benches, bench_score);
}
use group::benches;
criterion_main!(benches);
