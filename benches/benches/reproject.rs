//! Reprojection: PROJ beside streetrank's [`Transform`], which evaluates transverse Mercator pipelines in Rust
//! (crates/streetrank-io/src/crs/native.rs) and everything else through PROJ.
//!
//! 1M seeded points over a city (Syracuse, ±0.2°), from longitude/latitude to UTM 18N and back, in batches of
//! 16,384 as the readers and writers use them, on one thread. "proj" is one PROJ pipeline called with
//! `convert_array` (what `Transform::in_place` did before it had its own transverse Mercator); "streetrank" is
//! `Transform::in_place`. Inputs are copied outside the timed loop.
//!
//! `cargo bench -p streetrank-benches --bench reproject` (add `--profile dist` for the figures in docs).
#![forbid(unsafe_code)]

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_main};
use geo_types::Coord;
use proj::Proj;
use streetrank_io::{Crs, Transform};

const N: usize = 1_000_000;
const BATCH: usize = 16_384;

/// Seeded points around Syracuse, NY (64-bit LCG, high bits).
fn lonlat() -> Vec<Coord<f64>> {
    let mut state = 42_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // 53 high bits over 2^53: a uniform number in [0, 1).
        #[allow(clippy::cast_precision_loss)]
        let u = (state >> 11) as f64 / 9_007_199_254_740_992.0;
        u - 0.5
    };
    (0..N)
        .map(|_| Coord {
            x: -76.15 + 0.4 * next(),
            y: 43.05 + 0.4 * next(),
        })
        .collect()
}

fn bench_reproject(c: &mut Criterion) {
    let mut g = c.benchmark_group("reproject");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    let wgs84 = Crs::wgs84();
    let utm = Crs::epsg(32618);
    let lonlat = lonlat();
    let mut projected = lonlat.clone();
    Transform::new(&wgs84, &utm)
        .expect("PROJ knows WGS84 and UTM 18N")
        .in_place(&mut projected)
        .expect("the points are in the zone");
    for (name, from, to, input) in [
        ("lonlat_to_utm", &wgs84, &utm, &lonlat),
        ("utm_to_lonlat", &utm, &wgs84, &projected),
    ] {
        let proj = Proj::new_known_crs(from.definition(), to.definition(), None)
            .expect("PROJ knows WGS84 and UTM 18N");
        let transform = Transform::new(from, to).expect("PROJ knows WGS84 and UTM 18N");
        g.bench_function(BenchmarkId::new("proj", name), |b| {
            b.iter_batched_ref(
                || input.clone(),
                |coords| {
                    for chunk in coords.chunks_mut(BATCH) {
                        proj.convert_array(black_box(chunk))
                            .expect("PROJ transforms");
                    }
                },
                BatchSize::PerIteration,
            );
        });
        g.bench_function(BenchmarkId::new("streetrank", name), |b| {
            b.iter_batched_ref(
                || input.clone(),
                |coords| {
                    for chunk in coords.chunks_mut(BATCH) {
                        transform
                            .in_place(black_box(chunk))
                            .expect("streetrank transforms");
                    }
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

// criterion_group! defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    use super::bench_reproject;
    criterion::criterion_group!(benches, bench_reproject);
}
use group::benches;
criterion_main!(benches);
