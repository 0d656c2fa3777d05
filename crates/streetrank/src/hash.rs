//! SHA-256 digests of input files and of the settings, so a ranking can say exactly what produced it.
//!
//! [`settings_hash`] is the hash a ranking carries: the same configuration and
//! the same input files give the same hash on every machine and thread count.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ScoreConfig;
use crate::config::canonical_json_of;

/// The digest of one input file.
///
/// # Examples
///
/// ```
/// use streetrank::InputDigest;
/// let d = InputDigest::from_bytes("streets", "streets.geojson", b"abc");
/// assert_eq!(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputDigest {
    /// What the file is to the run: `"streets"`, `"complaints"`, `"config"` ….
    pub role: String,
    /// The file name as given (no directory is needed for the hash to be useful).
    pub name: String,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
}

impl InputDigest {
    /// Digest of bytes already in memory.
    #[must_use]
    pub fn from_bytes(role: &str, name: &str, bytes: &[u8]) -> InputDigest {
        InputDigest {
            role: role.to_owned(),
            name: name.to_owned(),
            sha256: sha256_hex(bytes),
        }
    }
}

/// Lowercase hex SHA-256 of `bytes`.
///
/// # Examples
///
/// ```
/// assert_eq!(
///     streetrank::sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex SHA-256 of everything `reader` yields, read in 64 KiB pieces.
///
/// # Errors
///
/// The reader's I/O error.
///
/// # Examples
///
/// ```
/// let digest = streetrank::sha256_reader(&b"abc"[..])?;
/// assert_eq!(digest, streetrank::sha256_hex(b"abc"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn sha256_reader(mut reader: impl Read) -> io::Result<String> {
    let mut w = Sha256Writer::new();
    io::copy(&mut reader, &mut w)?;
    Ok(w.finish())
}

/// A [`Write`] sink that hashes what is written to it, e.g. to hash a file while copying it.
///
/// # Examples
///
/// ```
/// use std::io::Write;
/// let mut w = streetrank::Sha256Writer::new();
/// w.write_all(b"a")?;
/// w.write_all(b"bc")?;
/// assert_eq!(w.finish(), streetrank::sha256_hex(b"abc"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Sha256Writer {
    hasher: Sha256,
}

impl Sha256Writer {
    /// An empty hasher.
    #[must_use]
    pub fn new() -> Sha256Writer {
        Sha256Writer::default()
    }

    /// The lowercase hex digest of everything written.
    #[must_use]
    pub fn finish(self) -> String {
        hex(&self.hasher.finalize())
    }
}

impl Write for Sha256Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The canonical document [`settings_hash`] hashes.
///
/// Compact JSON with sorted keys:
/// `{"config":<ScoreConfig::canonical_json>,"inputs":[{"name":…,"role":…,"sha256":…},…],"streetrank":"<crate version>"}`
/// with the inputs sorted by role, then name, then digest.
#[must_use]
pub fn settings_document(config: &ScoreConfig, inputs: &[InputDigest]) -> String {
    let mut sorted: Vec<&InputDigest> = inputs.iter().collect();
    sorted.sort();
    #[derive(Serialize)]
    struct Doc<'a> {
        config: &'a ScoreConfig,
        inputs: Vec<&'a InputDigest>,
        streetrank: &'static str,
    }
    canonical_json_of(&Doc {
        config,
        inputs: sorted,
        streetrank: env!("CARGO_PKG_VERSION"),
    })
}

/// SHA-256 (lowercase hex) of [`settings_document`]: the settings, the input
/// digests (in any order) and the streetrank version.
///
/// Two runs with equal hashes used the same settings on the same files with
/// the same version of the model.
///
/// # Examples
///
/// ```
/// use streetrank::{settings_hash, InputDigest, ScoreConfig};
/// let cfg = ScoreConfig::default();
/// let a = InputDigest::from_bytes("streets", "s.geojson", b"1");
/// let b = InputDigest::from_bytes("complaints", "c.csv", b"2");
/// let h = settings_hash(&cfg, &[a.clone(), b.clone()]);
/// assert_eq!(h.len(), 64);
/// assert_eq!(h, settings_hash(&cfg, &[b, a]));
/// ```
#[must_use]
pub fn settings_hash(config: &ScoreConfig, inputs: &[InputDigest]) -> String {
    sha256_hex(settings_document(config, inputs).as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // FIPS 180-2 test vectors.
        let cases: [(&[u8], &str); 3] = [
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(sha256_hex(input), want);
            assert_eq!(sha256_reader(input).unwrap(), want);
        }
    }

    #[test]
    fn streaming_matches_one_shot_across_chunk_boundaries() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(sha256_reader(&data[..]).unwrap(), sha256_hex(&data));
        let mut w = Sha256Writer::new();
        for chunk in data.chunks(777) {
            w.write_all(chunk).unwrap();
        }
        assert_eq!(w.finish(), sha256_hex(&data));
    }

    #[test]
    fn settings_document_shape_and_sensitivity() {
        let cfg = ScoreConfig::default();
        let inputs = vec![
            InputDigest::from_bytes("streets", "b.geojson", b"x"),
            InputDigest::from_bytes("complaints", "z.csv", b"y"),
            InputDigest::from_bytes("streets", "a.geojson", b"x"),
        ];
        let doc = settings_document(&cfg, &inputs);
        assert!(
            doc.starts_with(&format!(
                r#"{{"config":{},"inputs":[{{"name":"z.csv","role":"complaints","sha256":""#,
                cfg.canonical_json()
            )),
            "{doc}"
        );
        let a = doc.find("a.geojson").unwrap();
        let b = doc.find("b.geojson").unwrap();
        assert!(a < b);
        assert!(doc.ends_with(&format!(
            r#""streetrank":"{}"}}"#,
            env!("CARGO_PKG_VERSION")
        )));

        let h = settings_hash(&cfg, &inputs);
        assert_eq!(h, sha256_hex(doc.as_bytes()));
        let mut reversed = inputs.clone();
        reversed.reverse();
        assert_eq!(settings_hash(&cfg, &reversed), h);

        // Any change to the settings or an input changes the hash.
        let mut cfg2 = cfg.clone();
        cfg2.pressure.half_life_days = 91.0;
        assert_ne!(settings_hash(&cfg2, &inputs), h);
        let mut changed = inputs.clone();
        changed[0].sha256 = sha256_hex(b"other");
        assert_ne!(settings_hash(&cfg, &changed), h);
        assert_ne!(settings_hash(&cfg, &[]), h);
    }
}
