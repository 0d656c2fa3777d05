//! Helpers shared by the unit tests.

/// A xorshift generator (the same sequence for the same seed), for the tests' random sweeps.
pub(crate) fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    }
}
