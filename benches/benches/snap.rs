//! Index build and snapping: serial beside parallel, 1k to 1M complaints, on a seeded synthetic city.
//!
//! `cargo bench -p streetrank-benches --bench snap` (add `--profile dist` for the figures in docs).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use geo_types::Point;
use streetrank::{SnapOptions, StreetIndex};
use streetrank_synth::{CityOptions, complaints, generate_city};

/// Segment count of the benchmark city (the "city" preset's street network).
const SEGMENTS: usize = 100_000;

fn inputs(n: usize) -> (Vec<streetrank::Segment>, Vec<Point<f64>>) {
    let opts = CityOptions::default()
        .seed(7)
        .segments(SEGMENTS)
        .complaints(n);
    let city = generate_city(&opts);
    let points = complaints(&city, &opts).map(|c| c.point).collect();
    (city.network.segments, points)
}

fn bench_index(c: &mut Criterion) {
    let (segments, _) = inputs(0);
    let mut g = c.benchmark_group("index_build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(segments.len() as u64));
    g.bench_function(BenchmarkId::from_parameter(segments.len()), |b| {
        b.iter(|| StreetIndex::new(black_box(&segments)));
    });
    g.finish();
}

fn bench_snap(c: &mut Criterion) {
    let (segments, all_points) = inputs(1_000_000);
    let index = StreetIndex::new(&segments);
    let opts = SnapOptions::default();
    let mut g = c.benchmark_group("snap");
    g.sample_size(10);
    for n in [1_000, 10_000, 100_000, 1_000_000] {
        let points = &all_points[..n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("serial", n), points, |b, p| {
            b.iter(|| index.snap_all_serial(black_box(p), &opts));
        });
        g.bench_with_input(BenchmarkId::new("parallel", n), points, |b, p| {
            b.iter(|| index.snap_all(black_box(p), &opts));
        });
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::{bench_index, bench_snap};
    criterion::criterion_group!(benches, bench_index, bench_snap);
}
use group::benches;
criterion_main!(benches);
