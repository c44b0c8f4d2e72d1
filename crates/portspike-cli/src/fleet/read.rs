//! Reading a set of summaries for `detect`: every footer checked before any
//! row is read, then the rows streamed into the merge.

use super::{CAPTURE_KEY, DAYS_KEY, PORTS_SCHEMA, SCANNERS_SCHEMA, TABLE_KEY, WIDTH_KEY};
use anyhow::{bail, Context, Result};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;
use portspike_core::bins::Cell;
use portspike_core::decode::Proto;
use portspike_core::report::{CaptureSummary, Problem, ProblemCode};
use portspike_core::sketch::Distinct;
use portspike_core::summary::Row;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn long(f: &Field) -> Option<i64> {
    match f {
        Field::Long(v) | Field::TimestampMicros(v) => Some(*v),
        Field::Int(v) => Some(i64::from(*v)),
        _ => None,
    }
}

fn distinct(exact: Option<&Field>, hll: Option<&Field>) -> Distinct {
    let exact = match exact {
        Some(Field::Bytes(b)) => Some(
            b.data()
                .chunks_exact(8)
                .filter_map(|c| <[u8; 8]>::try_from(c).ok().map(u64::from_le_bytes))
                .collect::<Vec<u64>>(),
        ),
        _ => None,
    };
    let regs = match hll {
        Some(Field::Bytes(b)) => Some(b.data().to_vec()),
        _ => None,
    };
    Distinct::from_parts(exact, regs.as_deref()).unwrap_or_default()
}

/// The most rows a row group may claim for each byte of its file (a
/// summary row takes at least a bit per column): a file that claims more
/// is refused before anything is allocated for it.
const ROWS_PER_FILE_BYTE: i64 = 8;
/// The most a column chunk may claim to grow when decompressed, against
/// its stored size, and in all.
const MAX_INFLATION: i64 = 1024;
const MAX_CHUNK_BYTES: i64 = 1 << 30;

/// One summary file's footer, read before its rows.
pub(super) struct Footer {
    path: PathBuf,
    name: String,
    table: String,
    width: Option<u64>,
    pub(super) capture: Option<CaptureSummary>,
    /// The days its capture has ports files for (beside the capture's summary).
    days: Option<Vec<String>>,
    /// The day in its path (`day=D`).
    day: String,
    /// Sensor and file stem: one capture's files share it.
    key: String,
}

/// What a column's values are read as: whole numbers (32 or 64 bits), bytes
/// (of any length), or itself.
fn kind(t: parquet::basic::Type) -> parquet::basic::Type {
    use parquet::basic::Type as T;
    match t {
        T::INT32 | T::INT64 => T::INT64,
        T::FIXED_LEN_BYTE_ARRAY | T::BYTE_ARRAY => T::BYTE_ARRAY,
        other => other,
    }
}

/// The footer of `path`, its schema and its claimed sizes checked: every
/// column a summary has, of its type, and no row group or column chunk
/// claiming more than its file could hold.
pub(super) fn footer(path: &Path, root: &Path) -> Result<Footer> {
    footer_of(&|| open_file(path), path, root)
}

/// A summary file: a regular file (a Parquet reader seeks to its footer).
fn open_file(path: &Path) -> Result<std::fs::File> {
    crate::files::open_seekable(path, "a Parquet file is read from its footer")
}

/// [`footer`] of a summary read from any source.
fn footer_of<R: ChunkReader + 'static>(
    open: &dyn Fn() -> Result<R>,
    path: &Path,
    root: &Path,
) -> Result<Footer> {
    let source = open()?;
    let pages = open()?;
    let name = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    let len = i64::try_from(source.len()).unwrap_or(i64::MAX);
    let reader = SerializedFileReader::new(source)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?;
    let meta = reader.metadata();
    let kv: BTreeMap<String, String> = meta
        .file_metadata()
        .key_value_metadata()
        .map(|v| {
            v.iter()
                .filter_map(|k| Some((k.key.clone(), k.value.clone()?)))
                .collect()
        })
        .unwrap_or_default();
    let table = kv.get(TABLE_KEY).cloned().unwrap_or_default();
    check_columns(path, meta, &table)?;
    check_claims(path, meta, len, &pages)?;
    let width = match kv.get(WIDTH_KEY) {
        Some(w) => Some(w.parse::<u64>().ok().filter(|w| *w > 0).with_context(|| {
            format!(
                "{}: metadata {WIDTH_KEY}: {w:?} is not a bin width in µs (a whole number above 0)",
                path.display()
            )
        })?),
        None => None,
    };
    let capture = match kv.get(CAPTURE_KEY) {
        Some(c) => Some(portspike_core::report::from_json(c).map_err(|e| {
            anyhow::anyhow!(
                "{}: metadata {CAPTURE_KEY}: not a capture summary: {e}",
                path.display()
            )
        })?),
        None => None,
    };
    // One capture: the same file name under the same sensor (its days'
    // files, its scanners); the same capture summarised for two sensors
    // is two.
    let sensor = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .find(|c| c.starts_with("sensor="))
        .unwrap_or_default()
        .to_string();
    let day = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .find_map(|c| c.strip_prefix("day="))
        .unwrap_or_default()
        .to_string();
    let days = kv
        .get(DAYS_KEY)
        .map(|d| d.split(',').map(str::to_string).collect());
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Footer {
        path: path.to_path_buf(),
        name,
        table,
        width,
        capture,
        days,
        day,
        key: format!("{sensor}/{stem}"),
    })
}

/// The columns a summary of this table has, each of its kind (an optional
/// column may be missing).
fn check_columns(path: &Path, meta: &ParquetMetaData, table: &str) -> Result<()> {
    let expected = match table {
        "ports" => PORTS_SCHEMA,
        "scanners" => SCANNERS_SCHEMA,
        other => bail!(
            "{}: not a portspike summary (its metadata names the table {other:?}, where a summary has \"ports\" or \"scanners\")",
            path.display()
        ),
    };
    let expected = parse_message_type(expected)?;
    let columns = meta.file_metadata().schema_descr().columns().to_vec();
    for f in expected.get_fields() {
        let optional = f.get_basic_info().repetition() == parquet::basic::Repetition::OPTIONAL;
        match columns.iter().find(|c| c.name() == f.name()) {
            None if optional => {}
            None => bail!(
                "{}: column {}: missing (a portspike summary's {table} table has it)",
                path.display(),
                f.name()
            ),
            Some(c) if kind(c.physical_type()) != kind(f.get_physical_type()) => bail!(
                "{}: column {}: {} values, where a summary has {}",
                path.display(),
                f.name(),
                c.physical_type(),
                f.get_physical_type()
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

/// What the footer claims, checked before anything is read: rows and bytes
/// a file of `len` bytes could hold, and every page header of every chunk.
fn check_claims<R: ChunkReader>(
    path: &Path,
    meta: &ParquetMetaData,
    len: i64,
    pages: &R,
) -> Result<()> {
    for (i, rg) in meta.row_groups().iter().enumerate() {
        if !(0..=len.saturating_mul(ROWS_PER_FILE_BYTE)).contains(&rg.num_rows()) {
            bail!(
                "{}: row group {i} claims {} rows in a file of {len} bytes (refused unread)",
                path.display(),
                rg.num_rows()
            );
        }
        for c in rg.columns() {
            let (stored, whole) = (c.compressed_size(), c.uncompressed_size());
            if !(0..=len).contains(&stored)
                || !(0..=MAX_CHUNK_BYTES).contains(&whole)
                || whole > stored.saturating_mul(MAX_INFLATION).max(1 << 20)
            {
                bail!(
                    "{}: column {} of row group {i} claims {whole} bytes from {stored} stored, in a file of {len} bytes (refused unread)",
                    path.display(),
                    c.column_path()
                );
            }
            // Where the chunk starts, checked (the crate's own byte_range
            // asserts it is not negative).
            let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
            if !(0..=len).contains(&start) || start.saturating_add(stored) > len {
                bail!(
                    "{}: column {} of row group {i} claims to start at byte {start} with {stored} bytes, in a file of {len} bytes (refused unread)",
                    path.display(),
                    c.column_path()
                );
            }
            crate::pages::check_chunk(
                |at| pages.get_read(at).map_err(std::io::Error::other),
                start as u64,
                stored as u64,
            )
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}: column {} of row group {i}: {e} (refused unread)",
                    path.display(),
                    c.column_path()
                )
            })?;
        }
    }
    Ok(())
}

/// A counter column's value: a whole number from 0 to `max`, else an error
/// naming the file, column and row.
fn counter(path: &Path, row: usize, col: &str, f: Option<&Field>, max: i64) -> Result<i64> {
    let v = match f {
        None | Some(Field::Null) => 0,
        Some(f) => long(f).with_context(|| {
            format!(
                "{}: row {row}, column {col}: {f:?} is not a whole number",
                path.display()
            )
        })?,
    };
    if !(0..=max).contains(&v) {
        bail!(
            "{}: row {row}, column {col}: {v} is outside 0–{max}",
            path.display()
        );
    }
    Ok(v)
}

/// `detect` over summary files (as written by [`write_summary`]), merged as
/// they are read: footers first (schemas and claimed sizes checked, the
/// captures' summaries counted once; a capture given twice — the same
/// SHA-256 under another name, or the same file through another path — is
/// left out with a warning), then every file's rows streamed into the
/// merge, so memory stays within the engine's budgets however many rows
/// there are.
pub fn detect_files(
    files: &[PathBuf],
    root: &Path,
    params: portspike_core::Params,
) -> Result<portspike_core::report::Report> {
    detect_with(files, root, params, &open_file)
}

/// [`detect_files`] over summaries held in memory, each with the path it
/// would have (its sensor and day are read from it).
pub fn detect_bytes(
    files: &[(PathBuf, bytes::Bytes)],
    params: portspike_core::Params,
) -> Result<portspike_core::report::Report> {
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let open = |p: &Path| -> Result<bytes::Bytes> {
        files
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, b)| b.clone())
            .with_context(|| format!("{}: not given", p.display()))
    };
    detect_with(&paths, Path::new(""), params, &open)
}

fn detect_with<R: ChunkReader + 'static>(
    files: &[PathBuf],
    root: &Path,
    params: portspike_core::Params,
    open: &dyn Fn(&Path) -> Result<R>,
) -> Result<portspike_core::report::Report> {
    use portspike_core::summary::Merge;
    let mut merge = Merge::new(params);
    let mut footers = Vec::new();
    let mut seen_paths: BTreeMap<PathBuf, String> = BTreeMap::new();
    for p in files {
        let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let f = guarded(p, || footer_of(&|| open(p), p, root))?;
        if let Some(first) = seen_paths.get(&real) {
            merge.warn(Problem {
                code: ProblemCode::DuplicateFile,
                message: format!("{}: the same file as {first}: counted once", f.name),
                offset: None,
            });
            continue;
        }
        seen_paths.insert(real, f.name.clone());
        footers.push(f);
    }
    // Captures by key; a capture whose SHA-256 another key already has is a duplicate.
    let mut by_sha: BTreeMap<String, String> = BTreeMap::new();
    let mut skipped: Vec<String> = Vec::new();
    let mut captured: BTreeMap<String, bool> = BTreeMap::new();
    for f in &footers {
        captured.entry(f.key.clone()).or_insert(false);
        let Some(c) = &f.capture else { continue };
        let sha = c.files.first().and_then(|x| x.sha256.clone());
        if let Some(sha) = sha {
            match by_sha.get(&sha) {
                Some(k) if *k != f.key => {
                    merge.warn(Problem {
                        code: ProblemCode::DuplicateCapture,
                        message: format!(
                            "{}: the same capture (SHA-256 {sha}) as {k}: counted once",
                            f.name
                        ),
                        offset: None,
                    });
                    skipped.push(f.key.clone());
                    continue;
                }
                _ => {
                    by_sha.insert(sha, f.key.clone());
                }
            }
        }
        let width = f
            .width
            .with_context(|| format!("{}: metadata {WIDTH_KEY} is missing", f.path.display()))?;
        merge.width(&f.name, width).map_err(anyhow::Error::msg)?;
        merge.capture(&f.name, c).map_err(anyhow::Error::msg)?;
        captured.insert(f.key.clone(), true);
    }
    if let Some((k, _)) = captured
        .iter()
        .find(|(k, done)| !**done && !skipped.contains(k))
    {
        bail!("{k}: the summary of its first day is missing (its capture summary travels with it)");
    }
    // Every day a capture's summary lists must be here.
    for f in footers.iter().filter(|f| !skipped.contains(&f.key)) {
        let Some(days) = &f.days else { continue };
        let missing: Vec<&str> = days
            .iter()
            .filter(|d| {
                !footers
                    .iter()
                    .any(|g| g.key == f.key && g.table == "ports" && g.day == **d)
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            bail!(
                "{}: its capture has ports summaries for {} days ({}), and {} of them are not here: {} (a run cut short, or a set copied in part; give every day, or summarise the capture again)",
                f.name,
                days.len(),
                days.join(", "),
                missing.len(),
                missing.join(", ")
            );
        }
    }
    for f in footers.iter().filter(|f| !skipped.contains(&f.key)) {
        let source = open(&f.path)?;
        guarded(&f.path, || read_rows(source, f, &mut merge))?;
    }
    merge.finish().map_err(anyhow::Error::msg)
}

/// Run `read` (the Parquet reader on `path`), turning a panic inside the
/// reader into an error naming the file: the decoder still asserts on some
/// damaged pages its headers cannot reveal (a dictionary's lengths running
/// past its page). The panic's own report is kept off the terminal.
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    std::panic::set_hook(hook);
    match out {
        Ok(r) => r,
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            bail!(
                "{}: damaged: the Parquet reader stopped on it ({why})",
                path.display()
            )
        }
    }
}

/// Stream one file's rows into the merge, each checked.
fn read_rows<R: ChunkReader + 'static>(
    source: R,
    f: &Footer,
    merge: &mut portspike_core::summary::Merge,
) -> Result<()> {
    let path = &f.path;
    if f.table == "ports" {
        let width = f
            .width
            .with_context(|| format!("{}: metadata {WIDTH_KEY} is missing", path.display()))?;
        merge.width(&f.name, width).map_err(anyhow::Error::msg)?;
    }
    let reader = SerializedFileReader::new(source)
        .with_context(|| format!("{}: not a Parquet file", path.display()))?;
    for (i, row) in reader.get_row_iter(None)?.enumerate() {
        let row = row.with_context(|| format!("reading {}", path.display()))?;
        let fields: BTreeMap<&str, &Field> = row
            .get_column_iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        let text = |k: &str| match fields.get(k) {
            Some(Field::Str(s)) => s.clone(),
            _ => String::new(),
        };
        let n = |k: &str, max: i64| counter(path, i, k, fields.get(k).copied(), max);
        let c =
            |k: &str| -> Result<u32> { Ok(u32::try_from(n(k, i64::from(u32::MAX))?).unwrap_or(0)) };
        match f.table.as_str() {
            "ports" => {
                let proto = Proto::parse(&text("proto")).with_context(|| {
                    format!(
                        "{}: row {i}, column proto: {:?} is not a protocol (tcp, udp, icmp, icmpv6, ip, fragment)",
                        path.display(),
                        text("proto")
                    )
                })?;
                let start_ts = match fields.get("start_ts").copied().and_then(long) {
                    Some(t) => t,
                    None => bail!("{}: row {i}, column start_ts: not a time", path.display()),
                };
                let row = Row {
                    proto,
                    port: u16::try_from(n("port", i64::from(u16::MAX))?).unwrap_or(0),
                    start_ts,
                    bin_width_us: u64::try_from(n("bin_width_us", i64::MAX)?).unwrap_or(0),
                    cell: Cell {
                        packets: c("packets")?,
                        bytes: u64::try_from(n("bytes", i64::MAX)?).unwrap_or(0),
                        attempts: c("attempts")?,
                        failures: c("failures")?,
                        completed: c("completed")?,
                        syn: c("syn")?,
                        synack: c("synack")?,
                        rst: c("rst")?,
                        fin: c("fin")?,
                        other: c("other")?,
                        unsolicited: c("unsolicited")?,
                        // Not in the summaries' schema: a reflection is
                        // told from the capture, not from summaries.
                        replies: 0,
                        victims: Default::default(),
                        sources: distinct(
                            fields.get("sources_exact").copied(),
                            fields.get("sources_hll").copied(),
                        ),
                        destinations: distinct(
                            fields.get("destinations_exact").copied(),
                            fields.get("destinations_hll").copied(),
                        ),
                    },
                };
                merge.row(&f.name, &row).map_err(anyhow::Error::msg)?;
            }
            _ => {
                let num = |k: &str| fields.get(k).and_then(|v| long(v)).unwrap_or(0);
                // Through serde, so fields added to the schema later take their defaults.
                let v = serde_json::json!({
                    "source": text("source"),
                    "kind": text("kind"),
                    "probes": text("probes").split(',').filter(|p| !p.is_empty()).collect::<Vec<_>>(),
                    "method": text("method"),
                    "score": match fields.get("score") { Some(Field::Double(d)) => *d, _ => 0.0 },
                    "targets": num("targets"),
                    "ports": num("ports"),
                    "attempts": num("attempts"),
                    "failures": num("failures"),
                    "top_ports": [],
                    "top_targets": [],
                    "first_ts": num("first_ts"),
                    "detected_ts": num("detected_ts"),
                    "last_ts": num("last_ts"),
                    "allowlisted": matches!(fields.get("allowlisted"), Some(Field::Bool(true))),
                    "direction": null,
                    "contacts_at_detection": 0,
                });
                merge.scanner(
                    serde_json::from_value(v)
                        .with_context(|| format!("{}: row {i}: not a scanner", path.display()))?,
                );
            }
        }
    }
    Ok(())
}
