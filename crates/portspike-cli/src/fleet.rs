//! Per-port summaries as Parquet (`portspike summarize`), and detection on
//! any set of them (`portspike detect`). Layout and columns: docs/fleet.md.

use anyhow::{bail, Context, Result};
use parquet::basic::Compression;
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;
use portspike_core::bins::Cell;
use portspike_core::decode::Proto;
use portspike_core::report::{CaptureSummary, Problem, ScannerReport};
use portspike_core::sketch::Distinct;
use portspike_core::summary::Row;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Key-value metadata: which table a file holds, and the capture it summarises.
const TABLE_KEY: &str = "portspike.table";
const CAPTURE_KEY: &str = "portspike.capture";
const WIDTH_KEY: &str = "portspike.bin_width_us";
/// Beside the capture's summary: every day it has a ports file for, so a set
/// missing some (a full disk, a killed run, a copy cut short) is told.
const DAYS_KEY: &str = "portspike.days";

const PORTS_SCHEMA: &str = "
message port_bins {
  required binary proto (STRING);
  required int32 port;
  required int64 start_ts (TIMESTAMP(MICROS,true));
  required int64 bin_width_us;
  required int64 packets;
  required int64 bytes;
  required int64 attempts;
  required int64 failures;
  required int64 completed;
  required int64 syn;
  required int64 synack;
  required int64 rst;
  required int64 fin;
  required int64 other;
  required int64 unsolicited;
  required int64 sources;
  required int64 destinations;
  required fixed_len_byte_array(256) sources_hll;
  required fixed_len_byte_array(256) destinations_hll;
  optional binary sources_exact;
  optional binary destinations_exact;
  optional binary capture_sha256 (STRING);
}";

const SCANNERS_SCHEMA: &str = "
message scanners {
  required binary source (STRING);
  required binary kind (STRING);
  required binary probes (STRING);
  required binary method (STRING);
  required double score;
  required int64 targets;
  required int64 ports;
  required int64 attempts;
  required int64 failures;
  required int64 first_ts (TIMESTAMP(MICROS,true));
  required int64 detected_ts (TIMESTAMP(MICROS,true));
  required int64 last_ts (TIMESTAMP(MICROS,true));
  required boolean allowlisted;
  optional binary capture_sha256 (STRING);
}";

/// `YYYY-MM-DD` of a time in µs since the epoch (UTC).
fn day(us: i64) -> String {
    portspike_core::export::iso8601(us)
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// A name safe as one path component (a sensor, a capture's stem).
fn component(s: &str) -> String {
    let c: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match c.trim_start_matches('.') {
        "" => "_".into(),
        t => t.to_string(),
    }
}

fn hashes(d: &Distinct) -> Option<ByteArray> {
    d.exact()
        .map(|v| ByteArray::from(v.iter().flat_map(|h| h.to_le_bytes()).collect::<Vec<u8>>()))
}

fn registers(d: &Distinct) -> FixedLenByteArray {
    let r = d
        .registers()
        .map(|r| r.to_vec())
        .unwrap_or_else(|| vec![0; 256]);
    FixedLenByteArray::from(r)
}

/// Write `columns` (one closure per column, in schema order) to `path`
/// through a temporary file and a rename: a killed run leaves no partial
/// Parquet file (at worst a `.tmp`).
fn write_file(
    path: &Path,
    schema: &str,
    meta: Vec<KeyValue>,
    write: impl FnOnce(
        &mut parquet::file::writer::SerializedRowGroupWriter<'_, std::fs::File>,
    ) -> Result<()>,
) -> Result<()> {
    let dir = path.parent().context("no parent directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension("parquet.tmp");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(meta))
        .build();
    let mut w =
        SerializedFileWriter::new(file, Arc::new(parse_message_type(schema)?), Arc::new(props))?;
    let mut rg = w.next_row_group()?;
    write(&mut rg)?;
    rg.close()?;
    let file = w.into_inner()?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

macro_rules! column {
    ($rg:expr, $ty:ty, $values:expr, $defs:expr) => {{
        let mut col = $rg.next_column()?.context("schema has fewer columns")?;
        col.typed::<$ty>().write_batch(&$values, $defs, None)?;
        col.close()?;
    }};
}

/// Where a table's file of one capture and day goes:
/// `OUT/TABLE/sensor=S/day=D/STEM.parquet`.
fn partition(out: &Path, table: &str, sensor: &str, day: &str, stem: &str) -> PathBuf {
    out.join(table)
        .join(format!("sensor={sensor}"))
        .join(format!("day={day}"))
        .join(format!("{stem}.parquet"))
}

/// The last column of both tables: the capture's SHA-256 on every row, or null.
fn sha_column(
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, std::fs::File>,
    sha: Option<&str>,
    rows: usize,
) -> Result<()> {
    let values: Vec<ByteArray> = sha
        .map(|h| vec![ByteArray::from(h); rows])
        .unwrap_or_default();
    let defs = vec![i16::from(sha.is_some()); rows];
    column!(rg, ByteArrayType, values, Some(&defs));
    Ok(())
}

/// Write one capture's summary under `out`: `ports/sensor=S/day=D/NAME.parquet`
/// (one file per day the capture touches) and `scanners/sensor=S/day=D/NAME.parquet`.
/// Returns the files written.
pub fn write_summary(
    out: &Path,
    sensor: &str,
    name: &str,
    capture: &CaptureSummary,
    width: u64,
    rows: &[Row],
    scanners: &[ScannerReport],
) -> Result<Vec<PathBuf>> {
    let sha = capture.files.first().and_then(|f| f.sha256.clone());
    let stem = component(&match &sha {
        Some(h) => format!("{name}-{}", h.get(..12).unwrap_or(h)),
        None => name.to_string(),
    });
    let capture_json = serde_json::to_string(capture)?;
    let mut by_day: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_day.entry(day(r.start_ts)).or_default().push(r);
    }
    if by_day.is_empty() {
        by_day.insert(day(capture.first_ts.unwrap_or(0)), Vec::new());
    }
    let sensor = component(sensor);
    // Never over another capture's summary (two captures of one name, say,
    // summarised without their hashes), on any of its days: the same capture
    // again replaces its own.
    let days = out.join("ports").join(format!("sensor={sensor}"));
    let mine: Vec<PathBuf> = std::fs::read_dir(&days)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(format!("{stem}.parquet")))
        .filter(|p| p.exists())
        .collect();
    for path in mine {
        if let Ok(f) = footer(&path, out) {
            let same = f.capture.as_ref().is_none_or(|c| {
                (c.packets, c.file_bytes, c.first_ts, c.last_ts)
                    == (
                        capture.packets,
                        capture.file_bytes,
                        capture.first_ts,
                        capture.last_ts,
                    )
            });
            if !same {
                bail!(
                    "{}: holds the summary of another capture of the name {name:?} (not overwritten: give this one another --sensor, or name it apart)",
                    path.display()
                );
            }
        }
    }
    let mut written = Vec::new();
    // The capture's summary goes with its first day only, so it counts once.
    for (i, (d, rows)) in by_day.iter().enumerate() {
        let path = partition(out, "ports", &sensor, d, &stem);
        let mut meta = vec![
            KeyValue::new(TABLE_KEY.into(), "ports".to_string()),
            KeyValue::new(WIDTH_KEY.into(), width.to_string()),
        ];
        if i == 0 {
            meta.push(KeyValue::new(CAPTURE_KEY.into(), capture_json.clone()));
            let days: Vec<&str> = by_day.keys().map(String::as_str).collect();
            meta.push(KeyValue::new(DAYS_KEY.into(), days.join(",")));
        }
        let long = |f: &dyn Fn(&Row) -> i64| -> Vec<i64> { rows.iter().map(|r| f(r)).collect() };
        let cell = |f: &dyn Fn(&Cell) -> u64| -> Vec<i64> {
            rows.iter().map(|r| f(&r.cell) as i64).collect()
        };
        write_file(&path, PORTS_SCHEMA, meta, |rg| {
            let protos: Vec<ByteArray> = rows
                .iter()
                .map(|r| ByteArray::from(r.proto.as_str()))
                .collect();
            column!(rg, ByteArrayType, protos, None);
            let ports: Vec<i32> = rows.iter().map(|r| i32::from(r.port)).collect();
            column!(rg, Int32Type, ports, None);
            column!(rg, Int64Type, long(&|r| r.start_ts), None);
            column!(rg, Int64Type, long(&|r| r.bin_width_us as i64), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.packets)), None);
            column!(rg, Int64Type, cell(&|c| c.bytes), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.attempts)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.failures)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.completed)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.syn)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.synack)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.rst)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.fin)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.other)), None);
            column!(rg, Int64Type, cell(&|c| u64::from(c.unsolicited)), None);
            column!(rg, Int64Type, cell(&|c| c.sources.estimate()), None);
            column!(rg, Int64Type, cell(&|c| c.destinations.estimate()), None);
            let hll = |f: &dyn Fn(&Cell) -> &Distinct| -> Vec<FixedLenByteArray> {
                rows.iter().map(|r| registers(f(&r.cell))).collect()
            };
            column!(rg, FixedLenByteArrayType, hll(&|c| &c.sources), None);
            column!(rg, FixedLenByteArrayType, hll(&|c| &c.destinations), None);
            for f in [
                |c: &Cell| hashes(&c.sources),
                |c: &Cell| hashes(&c.destinations),
            ] {
                let vals: Vec<Option<ByteArray>> = rows.iter().map(|r| f(&r.cell)).collect();
                let defs: Vec<i16> = vals.iter().map(|v| i16::from(v.is_some())).collect();
                let present: Vec<ByteArray> = vals.into_iter().flatten().collect();
                column!(rg, ByteArrayType, present, Some(&defs));
            }
            sha_column(rg, sha.as_deref(), rows.len())?;
            Ok(())
        })?;
        written.push(path);
    }
    if !scanners.is_empty() {
        let d = day(capture.first_ts.unwrap_or(0));
        let path = partition(out, "scanners", &sensor, &d, &stem);
        let meta = vec![KeyValue::new(TABLE_KEY.into(), "scanners".to_string())];
        write_file(&path, SCANNERS_SCHEMA, meta, |rg| {
            let s = scanners;
            let text = |f: &dyn Fn(&ScannerReport) -> String| -> Vec<ByteArray> {
                s.iter().map(|x| ByteArray::from(f(x).as_str())).collect()
            };
            let long =
                |f: &dyn Fn(&ScannerReport) -> i64| -> Vec<i64> { s.iter().map(f).collect() };
            column!(rg, ByteArrayType, text(&|x| x.source.clone()), None);
            column!(rg, ByteArrayType, text(&|x| x.kind.clone()), None);
            column!(rg, ByteArrayType, text(&|x| x.probes.join(",")), None);
            column!(rg, ByteArrayType, text(&|x| x.method.clone()), None);
            let scores: Vec<f64> = s.iter().map(|x| x.score).collect();
            column!(rg, DoubleType, scores, None);
            column!(rg, Int64Type, long(&|x| x.targets as i64), None);
            column!(rg, Int64Type, long(&|x| x.ports as i64), None);
            column!(rg, Int64Type, long(&|x| x.attempts as i64), None);
            column!(rg, Int64Type, long(&|x| x.failures as i64), None);
            column!(rg, Int64Type, long(&|x| x.first_ts), None);
            column!(rg, Int64Type, long(&|x| x.detected_ts), None);
            column!(rg, Int64Type, long(&|x| x.last_ts), None);
            let allow: Vec<bool> = s.iter().map(|x| x.allowlisted).collect();
            column!(rg, BoolType, allow, None);
            sha_column(rg, sha.as_deref(), s.len())?;
            Ok(())
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Every `.parquet` file under the given files and directories, sorted.
pub fn parquet_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = paths.to_vec();
    while let Some(p) = todo.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).map_err(|e| crate::files::open_error(&p, &e))? {
                todo.push(e?.path());
            }
        } else if p.extension().is_some_and(|e| e == "parquet") {
            out.push(p);
        } else if let Err(e) = std::fs::metadata(&p) {
            return Err(crate::files::open_error(&p, &e));
        }
    }
    out.sort();
    Ok(out)
}

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
struct Footer {
    path: PathBuf,
    name: String,
    table: String,
    width: Option<u64>,
    capture: Option<CaptureSummary>,
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
fn footer(path: &Path, root: &Path) -> Result<Footer> {
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
    let expected = match table.as_str() {
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
                code: "duplicate_file".into(),
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
                        code: "duplicate_capture".into(),
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
