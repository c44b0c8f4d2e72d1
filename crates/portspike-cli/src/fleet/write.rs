//! Writing one capture's summary: a ports file for each day it touches and a
//! scanners file, each through a temporary file and a rename.

use super::read::footer;
use super::{
    component, day, partition, CAPTURE_KEY, DAYS_KEY, PORTS_SCHEMA, SCANNERS_SCHEMA, TABLE_KEY,
    WIDTH_KEY,
};
use anyhow::{bail, Context, Result};
use parquet::basic::Compression;
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DoubleType, FixedLenByteArray, FixedLenByteArrayType,
    Int32Type, Int64Type,
};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use portspike_core::bins::Cell;
use portspike_core::report::{CaptureSummary, ScannerReport};
use portspike_core::sketch::Distinct;
use portspike_core::summary::Row;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    refuse_another(out, &sensor, &stem, name, capture)?;
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
        write_file(&path, PORTS_SCHEMA, meta, |rg| {
            port_columns(rg, rows, sha.as_deref())
        })?;
        written.push(path);
    }
    if !scanners.is_empty() {
        let d = day(capture.first_ts.unwrap_or(0));
        let path = partition(out, "scanners", &sensor, &d, &stem);
        let meta = vec![KeyValue::new(TABLE_KEY.into(), "scanners".to_string())];
        write_file(&path, SCANNERS_SCHEMA, meta, |rg| {
            scanner_columns(rg, scanners, sha.as_deref())
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Never over another capture's summary (two captures of one name, say,
/// summarised without their hashes), on any of its days: the same capture
/// again replaces its own.
fn refuse_another(
    out: &Path,
    sensor: &str,
    stem: &str,
    name: &str,
    capture: &CaptureSummary,
) -> Result<()> {
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
    Ok(())
}

/// The ports table's columns of one day's rows.
fn port_columns(
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, std::fs::File>,
    rows: &[&Row],
    sha: Option<&str>,
) -> Result<()> {
    let long = |f: &dyn Fn(&Row) -> i64| -> Vec<i64> { rows.iter().map(|r| f(r)).collect() };
    let cell =
        |f: &dyn Fn(&Cell) -> u64| -> Vec<i64> { rows.iter().map(|r| f(&r.cell) as i64).collect() };
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
    sha_column(rg, sha, rows.len())?;
    Ok(())
}

/// The scanners table's columns.
fn scanner_columns(
    rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, std::fs::File>,
    scanners: &[ScannerReport],
    sha: Option<&str>,
) -> Result<()> {
    let s = scanners;
    let text = |f: &dyn Fn(&ScannerReport) -> String| -> Vec<ByteArray> {
        s.iter().map(|x| ByteArray::from(f(x).as_str())).collect()
    };
    let long = |f: &dyn Fn(&ScannerReport) -> i64| -> Vec<i64> { s.iter().map(f).collect() };
    column!(rg, ByteArrayType, text(&|x| x.source.clone()), None);
    column!(rg, ByteArrayType, text(&|x| x.kind.to_string()), None);
    column!(rg, ByteArrayType, text(&|x| x.probes_joined(",")), None);
    column!(rg, ByteArrayType, text(&|x| x.method.to_string()), None);
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
    sha_column(rg, sha, s.len())?;
    Ok(())
}
