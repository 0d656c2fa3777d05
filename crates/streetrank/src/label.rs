//! [`Label`]: a complaint's category or status, one allocation shared by every complaint with it.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A short text many records share: a complaint's [category](crate::Complaint::category) or
/// [status](crate::Complaint::status).
///
/// Clones share one allocation: readers give every complaint with the same category the same
/// `Label`, so a million complaints do not hold a million copies of `"Pothole"`. A `Label` is one
/// pointer wide (8 bytes, and so is an `Option<Label>`), half an `Arc<str>`: on a million
/// complaints that is 16 MB less memory for their category and status, which a reader fills
/// and a program scoring them reads through.
///
/// It compares, orders, hashes, prints and serialises exactly as the `str` it holds, and
/// dereferences to it.
///
/// # Examples
///
/// ```
/// use streetrank::Label;
/// let pothole = Label::from("Pothole");
/// let again = pothole.clone();
/// assert!(Label::ptr_eq(&pothole, &again));
/// assert_eq!(again, "Pothole");
/// assert_eq!(again.to_lowercase(), "pothole");
/// assert_eq!(size_of::<Option<Label>>(), size_of::<usize>());
/// ```
#[derive(Clone)]
pub struct Label(Arc<Box<str>>);

impl Label {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether two labels share one allocation (as readers make every equal label share one).
    #[must_use]
    pub fn ptr_eq(a: &Label, b: &Label) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Label {
        Label(Arc::new(s.into()))
    }
}

impl From<String> for Label {
    fn from(s: String) -> Label {
        Label(Arc::new(s.into_boxed_str()))
    }
}

impl From<Box<str>> for Label {
    fn from(s: Box<str>) -> Label {
        Label(Arc::new(s))
    }
}

impl From<&Label> for String {
    fn from(l: &Label) -> String {
        l.as_str().to_owned()
    }
}

impl Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Lets a set of labels be searched by `&str` (readers intern labels that way).
impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Label) -> bool {
        Label::ptr_eq(self, other) || self.as_str() == other.as_str()
    }
}

impl Eq for Label {}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Label {
    fn partial_cmp(&self, other: &Label) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Label {
    fn cmp(&self, other: &Label) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Label {
    /// As the `str` hashes, which [`Borrow<str>`] requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Label, D::Error> {
        String::deserialize(deserializer).map(Label::from)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn a_label_and_an_optional_one_are_one_pointer_wide() {
        assert_eq!(size_of::<Label>(), size_of::<usize>());
        assert_eq!(size_of::<Option<Label>>(), size_of::<usize>());
    }

    #[test]
    fn a_label_behaves_as_its_text() {
        let texts = [
            "",
            "Pothole",
            "pothole",
            "Pothole ",
            "Zebra crossing",
            "Ärger",
            "ü",
        ];
        let labels: Vec<Label> = texts.iter().map(|&t| Label::from(t)).collect();
        for (a, ta) in labels.iter().zip(texts) {
            assert_eq!(a, ta);
            assert_eq!(a.len(), ta.len());
            assert_eq!(format!("{a}"), ta);
            assert_eq!(format!("{a:?}"), format!("{ta:?}"));
            for (b, tb) in labels.iter().zip(texts) {
                assert_eq!(a == b, ta == tb, "{ta:?} == {tb:?}");
                assert_eq!(a.cmp(b), ta.cmp(tb), "{ta:?} cmp {tb:?}");
            }
        }
        // Hashing agrees with str's, so a set of labels is searched by &str.
        let set: HashSet<Label> = labels.iter().cloned().collect();
        for t in texts {
            assert_eq!(set.get(t).map(Label::as_str), Some(t));
        }
        assert!(!set.contains("Sinkhole"));
        let sorted: Vec<String> = labels
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .iter()
            .map(String::from)
            .collect();
        let mut want: Vec<String> = texts.iter().map(|t| (*t).to_owned()).collect();
        want.sort_unstable();
        assert_eq!(sorted, want);
    }

    #[test]
    fn clones_share_the_text_and_equal_texts_from_apart_do_not() {
        let a = Label::from(String::from("Pothole"));
        let b = a.clone();
        let c = Label::from(Box::<str>::from("Pothole"));
        assert!(Label::ptr_eq(&a, &b));
        assert!(!Label::ptr_eq(&a, &c));
        assert_eq!(a, c);
    }

    #[test]
    fn a_label_serialises_as_its_text() {
        let l = Label::from("Sink hole \"deep\"");
        let json = serde_json::to_string(&l).expect("a label serialises");
        assert_eq!(json, r#""Sink hole \"deep\"""#);
        let back: Label = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(back, l);
        assert!(serde_json::from_str::<Label>("7").is_err());
    }
}
