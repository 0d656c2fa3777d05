//! A program that drops its own rayon pool and exits at once must exit cleanly.
//!
//! The dropped pool's threads exit on their own time, and their thread-local PROJ pipelines with them. Had they
//! destroyed those pipelines (`proj::Proj`'s `Drop` calls `proj_cleanup()`, which empties PROJ's process-wide
//! caches), the cleanups could race the C++ static destructors that `exit` runs on the main thread. The pipelines are
//! parked instead (`SPARE_PIPELINES` in src/crs.rs). This test runs such a program many times, as child processes.

use std::process::Command;

use streetrank_io::{Crs, Transform};

/// Set in a child process: run the program, not the test.
const CHILD: &str = "STREETRANK_THREAD_EXIT_CHILD";
const TEST: &str = "a_program_that_drops_its_pool_and_exits_exits_cleanly";
/// Before the pipelines were parked, 11 of 200 such children died at exit (SIGSEGV, after printing their result), so
/// 40 runs catch that bug 9 times in 10; after, 0 of 400 (2026-11-29, 2 cores). About 0.2 s per child.
const RUNS: usize = 40;

#[test]
fn a_program_that_drops_its_pool_and_exits_exits_cleanly() {
    if std::env::var_os(CHILD).is_some() {
        child();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    for run in 1..=RUNS {
        let out = Command::new(&exe)
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .expect("the test binary runs again as a child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("transformed 80 points"),
            "run {run} of {RUNS}: the child ended with {:?}\nstdout:\n{stdout}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Eight pool threads each make ten pipelines (WGS 84 to UTM zones 10-19 north), then the pool is dropped and the
/// process exits while its threads are still winding down.
fn child() -> ! {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(8)
        .build()
        .expect("a pool of 8 threads");
    let zones: Vec<(f64, Crs)> = (10..=19u32)
        .map(|zone| (-183.0 + 6.0 * f64::from(zone), Crs::epsg(32600 + zone)))
        .collect();
    let done: usize = pool
        .broadcast(|_| {
            zones
                .iter()
                .map(|(central_meridian, to)| {
                    let t = Transform::new(&Crs::wgs84(), to).expect("a pipeline to UTM");
                    let (x, y) = t
                        .point(*central_meridian, 40.0)
                        .expect("a point in the zone");
                    usize::from((x - 500_000.0).abs() < 1e-3 && y > 4.0e6)
                })
                .sum::<usize>()
        })
        .into_iter()
        .sum();
    drop(pool);
    println!("transformed {done} points");
    std::process::exit(0);
}
