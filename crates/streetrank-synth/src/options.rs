//! The generator's options: sizes, seed and as-of date, with named presets.

use streetrank::Timestamp;

/// Options for [`generate_city`](crate::generate_city) and
/// [`complaints`](crate::complaints).
///
/// The default is the `small` preset (2,000 segments, 20,000 complaints),
/// seed 42, as-of date 2026-06-30T00:00:00Z. Setters chain.
///
/// | preset | segments | complaints |
/// |---|---|---|
/// | `small` | 2,000 | 20,000 |
/// | `city` | 100,000 | 1,000,000 |
/// | `metro` | 1,000,000 | 10,000,000 |
///
/// # Examples
///
/// ```
/// use streetrank_synth::CityOptions;
/// let opts = CityOptions::preset("city").unwrap().seed(7).complaints(50_000);
/// assert_eq!((opts.get_segments(), opts.get_complaints(), opts.get_seed()), (100_000, 50_000, 7));
/// assert!(CityOptions::preset("atlantis").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityOptions {
    seed: u64,
    segments: usize,
    complaints: usize,
    as_of: Timestamp,
}

impl Default for CityOptions {
    fn default() -> CityOptions {
        CityOptions {
            seed: 42,
            segments: 2_000,
            complaints: 20_000,
            // 2026-06-30T00:00:00Z (Timestamp::from_ymd(2026, 6, 30), which is not const).
            as_of: Timestamp(20_634 * Timestamp::DAY),
        }
    }
}

impl CityOptions {
    /// The names [`CityOptions::preset`] knows, smallest first.
    pub const PRESETS: [&'static str; 3] = ["small", "city", "metro"];

    /// A named size preset (`"small"`, `"city"`, `"metro"`; case-insensitive)
    /// with the default seed and as-of date, or `None` for an unknown name.
    #[must_use]
    pub fn preset(name: &str) -> Option<CityOptions> {
        let (segments, complaints) = match name.to_ascii_lowercase().as_str() {
            "small" => (2_000, 20_000),
            "city" => (100_000, 1_000_000),
            "metro" => (1_000_000, 10_000_000),
            _ => return None,
        };
        Some(
            CityOptions::default()
                .segments(segments)
                .complaints(complaints),
        )
    }

    /// Sets the seed (default 42). The same seed gives the same city and
    /// complaints, byte for byte, on every platform.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> CityOptions {
        self.seed = seed;
        self
    }

    /// Sets the number of street segments (default 2,000). `0` makes an empty city.
    #[must_use]
    pub fn segments(mut self, segments: usize) -> CityOptions {
        self.segments = segments;
        self
    }

    /// Sets the number of complaints (default 20,000).
    #[must_use]
    pub fn complaints(mut self, complaints: usize) -> CityOptions {
        self.complaints = complaints;
        self
    }

    /// Sets the as-of date (default 2026-06-30T00:00:00Z): complaints are
    /// created in the two years before it.
    #[must_use]
    pub fn as_of(mut self, as_of: Timestamp) -> CityOptions {
        self.as_of = as_of;
        self
    }

    /// The seed.
    #[must_use]
    pub fn get_seed(&self) -> u64 {
        self.seed
    }

    /// The number of street segments.
    #[must_use]
    pub fn get_segments(&self) -> usize {
        self.segments
    }

    /// The number of complaints.
    #[must_use]
    pub fn get_complaints(&self) -> usize {
        self.complaints
    }

    /// The as-of date.
    #[must_use]
    pub fn get_as_of(&self) -> Timestamp {
        self.as_of
    }
}
