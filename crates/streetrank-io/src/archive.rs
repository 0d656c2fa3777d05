//! Reading a Shapefile's member files out of a `.zip`, into memory.

use std::io::{Cursor, Read};
use std::path::Path;

use crate::{Error, Result};

/// The files of one Shapefile layer, in memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShapefileParts {
    /// Name of the `.shp` (a member path inside an archive, or a file path).
    pub name: String,
    /// The `.shp` bytes.
    pub shp: Vec<u8>,
    /// The `.shx` index, if present.
    pub shx: Option<Vec<u8>>,
    /// The `.dbf` attribute table, if present.
    pub dbf: Option<Vec<u8>>,
    /// The `.prj` text, if present.
    pub prj: Option<String>,
    /// The `.cpg` code page text, if present.
    pub cpg: Option<String>,
}

/// Whether a member is macOS metadata (`__MACOSX/…`, `._name`).
fn is_junk(name: &str) -> bool {
    name.starts_with("__MACOSX/")
        || name.contains("/__MACOSX/")
        || name
            .rsplit('/')
            .next()
            .is_some_and(|base| base.starts_with("._"))
}

/// `dir/streets.shp` -> `dir/streets` (lower-cased extension compare).
fn stem_with_ext<'a>(name: &'a str, ext: &str) -> Option<&'a str> {
    let dot = name.rfind('.')?;
    name[dot + 1..]
        .eq_ignore_ascii_case(ext)
        .then(|| &name[..dot])
}

/// Reads the Shapefile inside a zip; `layer` picks one when several.
///
/// Returns the parts and the zip's own bytes.
///
/// # Errors
///
/// [`Error::Io`] when the zip cannot be read; [`Error::File`] when it is not a
/// zip, holds no `.shp`, several without `layer`, or `layer` matches none.
pub(crate) fn shapefile_from_zip(
    path: &Path,
    layer: Option<&str>,
) -> Result<(ShapefileParts, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|e| {
        Error::file(
            path,
            format!("not a readable zip archive: {e}"),
            "check that the file is a complete .zip (re-download it)",
        )
    })?;
    let names: Vec<String> = zip
        .file_names()
        .filter(|n| !is_junk(n))
        .map(str::to_owned)
        .collect();
    let shps: Vec<&String> = names
        .iter()
        .filter(|n| stem_with_ext(n, "shp").is_some())
        .collect();
    let chosen = match layer {
        Some(l) => {
            let want = l.trim().trim_end_matches(".shp").trim_end_matches(".SHP");
            let found: Vec<&&String> = shps
                .iter()
                .filter(|n| {
                    let stem = stem_with_ext(n, "shp").unwrap_or(n);
                    let base = stem.rsplit('/').next().unwrap_or(stem);
                    stem.eq_ignore_ascii_case(want) || base.eq_ignore_ascii_case(want)
                })
                .collect();
            match found.as_slice() {
                [one] => (**one).clone(),
                [] => {
                    return Err(Error::file(
                        path,
                        format!(
                            "no layer `{l}` in the archive; its layers are: {}",
                            list(&shps)
                        ),
                        "set `layer` to one of these names",
                    ));
                }
                _ => {
                    return Err(Error::file(
                        path,
                        format!(
                            "layer `{l}` matches several .shp files: {}",
                            list(&found.iter().map(|s| **s).collect::<Vec<_>>())
                        ),
                        "set `layer` to the full member path",
                    ));
                }
            }
        }
        None => match shps.as_slice() {
            [one] => (*one).clone(),
            [] => {
                return Err(Error::file(
                    path,
                    format!(
                        "the archive holds no .shp file (it holds: {})",
                        list(&names.iter().collect::<Vec<_>>())
                    ),
                    "give a zip that contains a Shapefile (.shp with its .dbf, .shx and .prj)",
                ));
            }
            _ => {
                return Err(Error::file(
                    path,
                    format!("the archive holds several layers: {}", list(&shps)),
                    "choose one with `layer = \"NAME\"` in the streets mapping",
                ));
            }
        },
    };
    let stem = stem_with_ext(&chosen, "shp").unwrap_or(&chosen).to_owned();
    let mut member = |ext: &str| -> Result<Option<Vec<u8>>> {
        let Some(name) = names
            .iter()
            .find(|n| stem_with_ext(n, ext).is_some_and(|s| s == stem))
        else {
            return Ok(None);
        };
        let mut f = zip.by_name(name).map_err(|e| {
            Error::file(
                path,
                format!("cannot read `{name}` in the archive: {e}"),
                "re-create the zip",
            )
        })?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(|e| {
            Error::file(
                path,
                format!("cannot decompress `{name}`: {e}"),
                "re-create the zip",
            )
        })?;
        Ok(Some(buf))
    };
    let shp = member("shp")?.unwrap_or_default();
    let parts = ShapefileParts {
        shx: member("shx")?,
        dbf: member("dbf")?,
        prj: member("prj")?.map(|b| String::from_utf8_lossy(&b).into_owned()),
        cpg: member("cpg")?.map(|b| String::from_utf8_lossy(&b).into_owned()),
        name: chosen,
        shp,
    };
    Ok((parts, bytes))
}

fn list(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_table() {
        for (name, junk) in [
            ("__MACOSX/street_shapefile/._streets.shp", true),
            ("a/__MACOSX/x.shp", true),
            ("street_shapefile/._streets.shp", true),
            ("._streets.shp", true),
            ("street_shapefile/streets.shp", false),
            ("streets.shp", false),
        ] {
            assert_eq!(is_junk(name), junk, "{name}");
        }
        assert_eq!(stem_with_ext("a/b.SHP", "shp"), Some("a/b"));
        assert_eq!(stem_with_ext("a/b.shp.xml", "shp"), None);
        assert_eq!(stem_with_ext("noext", "shp"), None);
    }
}
