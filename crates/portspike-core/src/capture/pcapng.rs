//! pcapng blocks: section headers, interfaces (with `if_tsresol` and
//! `if_tsoffset`), Enhanced, Simple and obsolete Packet blocks, interface
//! statistics, comments; and stepping over a corrupt block to the next one
//! that looks valid.

use super::{Endian, Frame, Reader, State, Step, MAX_INTERFACES, MAX_RECORD};
use crate::report::ProblemCode;

#[derive(Debug, Clone, Copy)]
pub(super) struct Interface {
    linktype: u32,
    snaplen: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp.
    offset_s: i64,
}

impl Reader {
    /// A packet dated past what nanosecond times hold: said once.
    fn time_out_of_range(&mut self) {
        if !self
            .warnings
            .iter()
            .any(|w| w.code == ProblemCode::TimeOutOfRange)
        {
            let off = self.offset;
            self.warn(
                ProblemCode::TimeOutOfRange,
                format!("the packet at offset {off} is dated past 2262-04-11 23:47:16 UTC, the last instant nanosecond times hold: it and any later such packet are held at that instant, so their times, the rates over them and the filters' time bounds do not hold for them"),
                off,
            );
        }
    }

    pub(super) fn pcapng_block(
        &mut self,
        b: &[u8],
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) -> Option<Step> {
        if b.len() < 12 {
            return Some(Step::Need(12));
        }
        let State::Pcapng {
            endian,
            section_seen,
            resync_from,
            ..
        } = self.state
        else {
            return None;
        };
        if let Some(from) = resync_from {
            return Some(self.resync_step(b, endian, from));
        }
        let is_shb = b.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]);
        let endian = if is_shb {
            match b.get(8..12) {
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => Endian::Little,
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => Endian::Big,
                _ => {
                    self.fail(
                        ProblemCode::BadSectionHeader,
                        "pcapng section header has no byte-order magic".to_string(),
                    );
                    return None;
                }
            }
        } else {
            endian
        };
        let btype = endian.u32(b, 0)?;
        let blen = endian.u32(b, 4)? as usize;
        if blen < 12 || blen % 4 != 0 || blen > MAX_RECORD {
            return self.corrupt(
                section_seen,
                format!("pcapng block of type {btype:#x} has invalid length {blen}"),
            );
        }
        let Some(block) = b.get(..blen) else {
            return Some(Step::Need(blen));
        };
        let trailer = endian.u32(block, blen - 4)? as usize;
        if trailer != blen {
            return self.corrupt(
                section_seen,
                format!(
                    "pcapng block of type {btype:#x}: length {blen} at the start, {trailer} at the end"
                ),
            );
        }
        let body = block.get(8..blen - 4)?;
        match btype {
            0x0A0D_0D0A => self.keep_preamble(block, true),
            1 if self.interface_count() < MAX_INTERFACES => self.keep_preamble(block, false),
            _ => {}
        }
        match btype {
            0x0A0D_0D0A => self.pcapng_shb(body, endian),
            1 => self.pcapng_idb(body, endian),
            6 => self.pcapng_epb(body, endian, on_frame),
            3 => self.pcapng_spb(body, endian, on_frame),
            2 => self.pcapng_pb(body, endian, on_frame),
            5 => self.pcapng_isb(body, endian),
            _ => {}
        }
        if matches!(self.state, State::Failed) {
            return None;
        }
        Some(Step::Consumed(blen))
    }

    /// A block that cannot be read: fail, or (inside a valid section) start
    /// scanning for the next valid block.
    pub(super) fn corrupt(&mut self, section_seen: bool, message: String) -> Option<Step> {
        if !section_seen {
            self.fail(ProblemCode::BadBlockLength, message);
            return None;
        }
        let off = self.offset;
        self.warn(
            ProblemCode::BadBlock,
            format!("{message}; looking for the next valid block"),
            off,
        );
        if let State::Pcapng { resync_from, .. } = &mut self.state {
            *resync_from = Some(off);
        }
        Some(Step::Consumed(4))
    }

    /// While resynchronising: is a valid block at the front of `b`?
    pub(super) fn resync_step(&mut self, b: &[u8], endian: Endian, from: u64) -> Step {
        let is_shb = b.get(..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a]);
        let endian = match (is_shb, b.get(8..12)) {
            (true, Some([0x4d, 0x3c, 0x2b, 0x1a])) => Endian::Little,
            (true, Some([0x1a, 0x2b, 0x3c, 0x4d])) => Endian::Big,
            _ => endian,
        };
        let (Some(btype), Some(blen)) = (endian.u32(b, 0), endian.u32(b, 4)) else {
            return Step::Need(12);
        };
        let blen = blen as usize;
        let known = matches!(btype, 0x0A0D_0D0A | 1 | 2 | 3 | 5 | 6);
        if !known || blen < 12 || blen % 4 != 0 || blen > MAX_RECORD {
            return Step::Consumed(4);
        }
        let Some(block) = b.get(..blen) else {
            return if self.at_eof {
                Step::Consumed(4)
            } else {
                Step::Need(blen)
            };
        };
        if endian.u32(block, blen - 4) != Some(blen as u32) {
            return Step::Consumed(4);
        }
        let off = self.offset;
        self.warn(
            ProblemCode::Resynchronised,
            format!(
                "skipped {} corrupt bytes from offset {from}; reading resumed at the block at offset {off}",
                off - from
            ),
            off,
        );
        if let State::Pcapng { resync_from, .. } = &mut self.state {
            *resync_from = None;
        }
        Step::Consumed(0)
    }

    pub(super) fn pcapng_shb(&mut self, body: &[u8], endian: Endian) {
        let major = endian.u16(body, 4).unwrap_or(0);
        if major != 1 {
            let minor = endian.u16(body, 6).unwrap_or(0);
            self.fail(
                ProblemCode::UnsupportedVersion,
                format!("pcapng section header has version {major}.{minor}; only 1.x exists"),
            );
            return;
        }
        if let State::Pcapng {
            endian: e,
            interfaces,
            section_seen,
            ..
        } = &mut self.state
        {
            *e = endian;
            interfaces.clear();
            *section_seen = true;
        }
        self.drops_base = self.drops.len();
        for (code, value) in options(body.get(16..).unwrap_or_default(), endian) {
            if code == 1 {
                self.comment(None, value);
            }
        }
    }

    pub(super) fn pcapng_idb(&mut self, body: &[u8], endian: Endian) {
        let Some(linktype) = endian.u16(body, 0) else {
            return;
        };
        if self.interface_count() >= MAX_INTERFACES {
            let off = self.offset;
            self.warn(
                ProblemCode::TooManyInterfaces,
                format!("interface block at offset {off} describes more than {MAX_INTERFACES} interfaces in one section; it and its packets are skipped"),
                off,
            );
            return;
        }
        let snaplen = endian.u32(body, 4).unwrap_or(0);
        let mut iface = Interface {
            linktype: u32::from(linktype),
            snaplen,
            units_per_sec: 1_000_000,
            offset_s: 0,
        };
        for (code, value) in options(body.get(8..).unwrap_or_default(), endian) {
            match (code, value) {
                (9, [r, ..]) => {
                    let exp = u32::from(r & 0x7f);
                    let units = if r & 0x80 == 0 {
                        10u64.checked_pow(exp)
                    } else {
                        2u64.checked_pow(exp)
                    };
                    match units {
                        Some(u) if u > 0 => iface.units_per_sec = u,
                        _ => {
                            let off = self.offset;
                            self.warn(
                                ProblemCode::BadTsresol,
                                format!("if_tsresol {r:#x} out of range; using microseconds"),
                                off,
                            );
                        }
                    }
                }
                (14, v) if v.len() >= 8 => {
                    iface.offset_s = endian.u64(v, 0).map(|x| x as i64).unwrap_or(0);
                }
                _ => {}
            }
        }
        if let State::Pcapng { interfaces, .. } = &mut self.state {
            interfaces.push(iface);
        }
        let idx = self.drops_base + self.interface_count().saturating_sub(1);
        // Drop counters are kept for the first interfaces of the file only.
        if self.drops.len() <= idx && idx < MAX_INTERFACES {
            self.drops.resize(idx + 1, 0);
        }
    }

    pub(super) fn interface_count(&self) -> usize {
        match &self.state {
            State::Pcapng { interfaces, .. } => interfaces.len(),
            _ => 0,
        }
    }

    pub(super) fn interface(&mut self, id: u32, kind: &str) -> Option<Interface> {
        let found = match &self.state {
            State::Pcapng { interfaces, .. } => interfaces.get(id as usize).copied(),
            _ => None,
        };
        if found.is_none() {
            let off = self.offset;
            self.warn(
                ProblemCode::UnknownInterface,
                format!(
                    "{kind} at offset {off} names interface {id}, which was not described; skipped"
                ),
                off,
            );
        }
        found
    }

    pub(super) fn emit_ng(
        &mut self,
        iface: Interface,
        ts: u64,
        data: &[u8],
        orig_len: u32,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let units = u128::from(iface.units_per_sec.max(1));
        let ns = u128::from(ts) * 1_000_000_000 / units;
        let ts_ns = i64::try_from(ns)
            .ok()
            .and_then(|n| n.checked_add(iface.offset_s.checked_mul(1_000_000_000)?))
            .unwrap_or_else(|| {
                self.time_out_of_range();
                i64::MAX
            });
        self.last_ts_ns = ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype: iface.linktype,
            data,
            orig_len,
            offset: self.offset,
        });
    }

    pub(super) fn pcapng_epb(
        &mut self,
        body: &[u8],
        endian: Endian,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let id = endian.u32(body, 0);
        self.packet_block(body, endian, id, "enhanced packet block", on_frame);
    }

    /// The obsolete Packet Block: a 16-bit interface id and a drop count, then as the EPB.
    pub(super) fn pcapng_pb(
        &mut self,
        body: &[u8],
        endian: Endian,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let id = endian.u16(body, 0).map(u32::from);
        self.packet_block(body, endian, id, "packet block", on_frame);
    }

    /// The common layout of EPB and PB after the interface id: timestamp
    /// (high, low), captured length, original length, data.
    pub(super) fn packet_block(
        &mut self,
        body: &[u8],
        endian: Endian,
        id: Option<u32>,
        what: &str,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let off = self.offset;
        let (Some(id), Some(hi), Some(lo), Some(caplen), Some(orig)) = (
            id,
            endian.u32(body, 4),
            endian.u32(body, 8),
            endian.u32(body, 12),
            endian.u32(body, 16),
        ) else {
            self.warn(
                ProblemCode::ShortBlock,
                format!("{what} at offset {off} is too short; skipped"),
                off,
            );
            return;
        };
        let Some(data) = body.get(20..20 + caplen as usize) else {
            self.warn(
                ProblemCode::ShortBlock,
                format!(
                    "{what} at offset {off} claims {caplen} bytes, more than it holds; skipped"
                ),
                off,
            );
            return;
        };
        let Some(iface) = self.interface(id, what) else {
            return;
        };
        let ts = (u64::from(hi) << 32) | u64::from(lo);
        self.emit_ng(iface, ts, data, orig, on_frame);
        let opts = 20 + (caplen as usize).next_multiple_of(4);
        for (code, value) in options(body.get(opts..).unwrap_or_default(), endian) {
            if code == 1 {
                let ts_ns = self.last_ts_ns;
                self.comment(Some(ts_ns), value);
            }
        }
    }

    pub(super) fn pcapng_spb(
        &mut self,
        body: &[u8],
        endian: Endian,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) {
        let Some(orig) = endian.u32(body, 0) else {
            return;
        };
        let Some(iface) = self.interface(0, "simple packet block") else {
            return;
        };
        let room = body.len().saturating_sub(4);
        let mut caplen = (orig as usize).min(room);
        if iface.snaplen > 0 {
            caplen = caplen.min(iface.snaplen as usize);
        }
        let data = body.get(4..4 + caplen).unwrap_or_default();
        let ts_ns = self.last_ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype: iface.linktype,
            data,
            orig_len: orig,
            offset: self.offset,
        });
    }

    pub(super) fn pcapng_isb(&mut self, body: &[u8], endian: Endian) {
        let Some(id) = endian.u32(body, 0) else {
            return;
        };
        for (code, value) in options(body.get(12..).unwrap_or_default(), endian) {
            if code == 5 && value.len() >= 8 {
                if let Some(d) = endian.u64(value, 0) {
                    let idx = self.drops_base + id as usize;
                    if let Some(slot) = self.drops.get_mut(idx) {
                        *slot = d;
                        self.drops_seen = true;
                    }
                }
            }
        }
    }
}

/// The offset of the first valid-looking pcapng block in `b` at or after
/// `from` (4-byte steps): a known type, a sane length that fits in `b`, and
/// the same length at its end.
pub(super) fn next_block(b: &[u8], endian: Endian, from: usize) -> Option<usize> {
    (from..b.len().saturating_sub(11)).step_by(4).find(|&at| {
        let Some(h) = b.get(at..) else {
            return false;
        };
        let endian = match (h.get(..4), h.get(8..12)) {
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x4d, 0x3c, 0x2b, 0x1a])) => Endian::Little,
            (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x1a, 0x2b, 0x3c, 0x4d])) => Endian::Big,
            _ => endian,
        };
        let (Some(btype), Some(blen)) = (endian.u32(h, 0), endian.u32(h, 4)) else {
            return false;
        };
        let blen = blen as usize;
        matches!(btype, 0x0A0D_0D0A | 1 | 2 | 3 | 5 | 6)
            && blen >= 12
            && blen % 4 == 0
            && blen <= h.len()
            && endian.u32(h, blen - 4) == Some(blen as u32)
    })
}

/// Iterate pcapng options leniently: stop quietly at the first malformed one.
fn options(mut b: &[u8], endian: Endian) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = endian.u16(b, 0)?;
        let len = endian.u16(b, 2)? as usize;
        if code == 0 {
            return None;
        }
        let value = b.get(4..4 + len)?;
        let padded = 4 + len.div_ceil(4) * 4;
        b = b.get(padded..).unwrap_or_default();
        Some((code, value))
    })
}
