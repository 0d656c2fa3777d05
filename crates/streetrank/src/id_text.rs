//! [`IdText`]: the text of a [`crate::SourceId`], held in place when it is short.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest text held in place, in bytes.
const INLINE: usize = 22;

/// The text of a [`crate::SourceId::Text`] id: an immutable string that holds up to 22 bytes
/// in place, without a heap allocation.
///
/// 311 service-request numbers (`"16-00596165"`), TIGER `LINEARID`s with leading zeros and
/// most other text ids are that short, so a million complaints read from a file do not make a
/// million small allocations, nor free them one by one when they are dropped. Longer text is
/// kept on the heap. Either way the value is 24 bytes, and a [`crate::SourceId`] holding one is
/// still 24 bytes.
///
/// It compares, orders, hashes, prints and serialises exactly as the `str` it holds, and
/// dereferences to it.
///
/// # Examples
///
/// ```
/// use streetrank::{IdText, SourceId};
/// let t = IdText::from("16-00596165");
/// assert_eq!(t, "16-00596165");
/// assert_eq!(t.len(), 11);
/// assert!(t.starts_with("16-"));
/// let id = SourceId::Text(t);
/// assert_eq!(id.to_string(), "16-00596165");
/// assert_eq!(id, SourceId::from("16-00596165"));
/// ```
#[derive(Clone)]
pub struct IdText(Repr);

#[derive(Clone)]
enum Repr {
    /// `bytes[..len]` is the text, UTF-8 by construction: it is a whole `str`'s bytes.
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    Heap(Box<str>),
}

impl IdText {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                // Always valid: the bytes are a whole `str`'s (see `From<&str>`). The check
                // costs a few nanoseconds on text this short.
                let s = std::str::from_utf8(&bytes[..usize::from(*len)]);
                debug_assert!(s.is_ok(), "IdText holds a whole str's bytes");
                s.unwrap_or_default()
            }
            Repr::Heap(s) => s,
        }
    }

    /// The text's bytes (as [`str::as_bytes`], without [`IdText::as_str`]'s check).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(s) => s.as_bytes(),
        }
    }

    /// The text's length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Heap(s) => s.len(),
        }
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text as an owned `String`.
    #[must_use]
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Inline { .. } => self.as_str().to_owned(),
            Repr::Heap(s) => s.into_string(),
        }
    }
}

impl From<&str> for IdText {
    fn from(s: &str) -> IdText {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                IdText(Repr::Inline { len, bytes })
            }
            _ => IdText(Repr::Heap(s.into())),
        }
    }
}

impl From<String> for IdText {
    fn from(s: String) -> IdText {
        if s.len() <= INLINE {
            IdText::from(s.as_str())
        } else {
            IdText(Repr::Heap(s.into_boxed_str()))
        }
    }
}

impl From<IdText> for String {
    fn from(t: IdText) -> String {
        t.into_string()
    }
}

impl Deref for IdText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for IdText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for IdText {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for IdText {
    fn eq(&self, other: &IdText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for IdText {}

impl PartialEq<str> for IdText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for IdText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for IdText {
    fn partial_cmp(&self, other: &IdText) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdText {
    fn cmp(&self, other: &IdText) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for IdText {
    /// Hashes as the `str` does, as [`Borrow<str>`] requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for IdText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for IdText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IdText, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = IdText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<IdText, E> {
                Ok(IdText::from(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<IdText, E> {
                Ok(IdText::from(s))
            }
            // As `String` does: UTF-8 bytes are text (formats and buffered untagged content
            // may hand a string over as bytes).
            fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<IdText, E> {
                std::str::from_utf8(b)
                    .map(IdText::from)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(b), &self))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;
    use crate::SourceId;

    #[test]
    fn a_source_id_holding_text_stays_24_bytes() {
        assert_eq!(size_of::<IdText>(), 24);
        assert_eq!(size_of::<SourceId>(), 24);
        assert_eq!(size_of::<Option<SourceId>>(), 24);
    }

    /// Texts on both sides of the inline limit, empty, multi-byte and with a NUL.
    fn samples() -> Vec<String> {
        let mut v = vec![
            String::new(),
            "A".to_owned(),
            "16-00596165".to_owned(),
            "\0".to_owned(),
            "ÿ€😀".to_owned(),
            "é".repeat(11),
            "é".repeat(12),
            "x".repeat(200),
        ];
        for n in [INLINE - 1, INLINE, INLINE + 1] {
            v.push("7".repeat(n));
            v.push(format!("{}é", "a".repeat(n.saturating_sub(2))));
        }
        v
    }

    #[test]
    fn holds_the_text_it_was_given_on_both_sides_of_the_limit() {
        for s in samples() {
            for t in [IdText::from(s.as_str()), IdText::from(s.clone())] {
                assert_eq!(t.as_str(), s);
                assert_eq!(&*t, s.as_str());
                assert_eq!(t.to_string(), s);
                assert_eq!(format!("{t:?}"), format!("{s:?}"));
                assert_eq!(t.clone().into_string(), s);
                assert_eq!(t.as_bytes(), s.as_bytes());
                assert_eq!((t.len(), t.is_empty()), (s.len(), s.is_empty()));
                assert_eq!(
                    matches!(t.0, Repr::Inline { .. }),
                    s.len() <= INLINE,
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn compares_and_hashes_as_the_str() {
        let hasher = std::collections::hash_map::RandomState::new();
        let all = samples();
        for a in &all {
            let ta = IdText::from(a.as_str());
            assert_eq!(hasher.hash_one(&ta), hasher.hash_one(a.as_str()));
            for b in &all {
                let tb = IdText::from(b.as_str());
                assert_eq!(ta == tb, a == b);
                assert_eq!(ta.cmp(&tb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(ta.partial_cmp(&tb), a.partial_cmp(b));
            }
        }
        let set: HashSet<IdText> = all.iter().map(|s| IdText::from(s.as_str())).collect();
        assert!(all.iter().all(|s| set.contains(s.as_str())));
    }

    #[test]
    fn serialises_as_a_string() {
        for s in samples() {
            let t = IdText::from(s.as_str());
            let json = serde_json::to_string(&t).expect("serialises");
            assert_eq!(json, serde_json::to_string(&s).expect("serialises"));
            let back: IdText = serde_json::from_str(&json).expect("deserialises");
            assert_eq!(back, t);
        }
        // Untagged in a SourceId: numbers stay integers, strings text.
        let ids: Vec<SourceId> = serde_json::from_str(r#"[7, "7", "S-1"]"#).expect("ids");
        assert_eq!(
            ids,
            [SourceId::Int(7), SourceId::from("7"), SourceId::from("S-1")]
        );
        assert!(serde_json::from_str::<IdText>("7").is_err());
        // Bytes, as some formats give a string: UTF-8 is text, anything else an error.
        use serde::de::IntoDeserializer;
        use serde::de::value::{BytesDeserializer, Error};
        let de: BytesDeserializer<'_, Error> = b"SR-1".as_slice().into_deserializer();
        assert_eq!(IdText::deserialize(de).expect("UTF-8 bytes"), "SR-1");
        let de: BytesDeserializer<'_, Error> = b"\xff".as_slice().into_deserializer();
        assert!(IdText::deserialize(de).is_err());
    }
}
