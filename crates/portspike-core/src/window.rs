//! Reading a time window of a capture again, from the byte ranges the
//! [`Index`](crate::capture::Index) names: its packets on one port saved as a
//! new capture ([`Extract`]), or its series at a finer bin width (an
//! [`Analyzer`](crate::Analyzer) fed the same ranges, see [`ranges_for`]).

use crate::capture::{Frame, Index, Reader};
use crate::compress::Input;
use crate::decode::{self, Decoded, Proto, L4};
use crate::filter::{row_predicate, Aim, Side};
use crate::params::Key;
use crate::writer::{PcapWriter, PcapngWriter};
use std::net::IpAddr;

/// The byte ranges of one file to read for `[t0, t1)` µs, each with the
/// preamble to feed a new reader before it; `None` when the index cannot
/// serve (it overflowed).
pub fn ranges_for(index: &Index, t0: i64, t1: i64) -> Option<Vec<(&[u8], u64, u64)>> {
    ranges_for_any(index, &[(t0, t1)])
}

/// [`ranges_for`] of several windows at once: each byte read once.
pub fn ranges_for_any<'a>(
    index: &'a Index,
    windows: &[(i64, i64)],
) -> Option<Vec<(&'a [u8], u64, u64)>> {
    let ranges = index.ranges_any(windows)?;
    Some(
        ranges
            .into_iter()
            .map(|(p, a, b)| {
                (
                    index
                        .preambles
                        .get(p)
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    a,
                    b,
                )
            })
            .collect(),
    )
}

/// Whether a packet is to or from an address `is` accepts, or (an ICMP
/// error) quotes a packet that is: as Wireshark's `ip.addr` matches any layer.
fn involves(p: &decode::Packet, is: impl Fn(IpAddr) -> bool) -> bool {
    is(p.src)
        || is(p.dst)
        || matches!(p.l4, L4::Icmp { quoted: Some(q), .. } if is(q.src) || is(q.dst))
}

/// Which packets an extract keeps: those a Wireshark filter selects within
/// the window `[t0_us, t1_us)` (see [`Selection::wireshark_filter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub what: Target,
    pub t0_us: i64,
    pub t1_us: i64,
    /// Only packets to or from these (a reflection's victims).
    pub aim: Aim,
}

/// What a selection keeps, in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A port: `tcp.port == N` for the service key, `tcp.dstport == N` for
    /// the destination-port key, ICMP errors quoting such a packet included
    /// (their quoted header carries the port, so Wireshark's filter selects
    /// them too).
    Port { key: Key, proto: Proto, port: u16 },
    /// One host's packets, sent or received (`ip.addr == A`; an ICMP error
    /// quoting a packet of the host included, as in Wireshark).
    Host(IpAddr),
}

impl Selection {
    /// A port's packets in a window.
    pub fn port(key: Key, proto: Proto, port: u16, t0_us: i64, t1_us: i64) -> Self {
        Selection {
            what: Target::Port { key, proto, port },
            t0_us,
            t1_us,
            aim: Aim::Any,
        }
    }

    /// A host's packets in a window.
    pub fn host(addr: IpAddr, t0_us: i64, t1_us: i64) -> Self {
        Selection {
            what: Target::Host(addr),
            t0_us,
            t1_us,
            aim: Aim::Any,
        }
    }

    /// The same, to or from `aim` only.
    pub fn aimed(self, aim: Aim) -> Self {
        Selection { aim, ..self }
    }

    pub fn matches(&self, ts_ns: i64, p: &decode::Packet) -> bool {
        let ts = ts_ns.div_euclid(1000);
        if ts < self.t0_us || ts >= self.t1_us {
            return false;
        }
        if self.aim != Aim::Any && !involves(p, |a| self.aim.holds(a)) {
            return false;
        }
        match self.what {
            Target::Port { proto, port, .. } if !proto.has_ports() => {
                p.l4.portless_row() == Some((proto, port))
            }
            Target::Port { key, proto, port } => {
                let (p_proto, sport, dport) = match p.l4 {
                    L4::Ports {
                        proto,
                        sport,
                        dport,
                        ..
                    } => (proto, sport, dport),
                    L4::Icmp {
                        quoted: Some(q), ..
                    } => (q.proto, q.sport, q.dport),
                    _ => return false,
                };
                p_proto == proto
                    && match key {
                        Key::Service => sport == port || dport == port,
                        Key::DstPort => dport == port,
                    }
            }
            Target::Host(a) => involves(p, |x| x == a),
        }
    }

    /// The Wireshark display filter selecting the same packets (without
    /// time bounds for the whole capture, `i64::MIN..i64::MAX`).
    pub fn wireshark_filter(&self) -> String {
        let what = match self.what {
            Target::Port { key, proto, port } => row_predicate(
                proto,
                port,
                match key {
                    Key::Service => Side::Either,
                    Key::DstPort => Side::Dst,
                },
            ),
            Target::Host(a) => host_filter(a),
        };
        let what = match self.aim.predicate() {
            Some(aim) => format!("{what} && {aim}"),
            None => what,
        };
        if self.t0_us == i64::MIN && self.t1_us == i64::MAX {
            // The whole capture: no time bounds.
            return what;
        }
        format!(
            "{what} && frame.time_epoch >= {} && frame.time_epoch < {}",
            crate::filter::epoch(self.t0_us),
            crate::filter::epoch(self.t1_us)
        )
    }
}

/// `ip.addr == A` or `ipv6.addr == A`.
pub fn host_filter(a: IpAddr) -> String {
    match a {
        IpAddr::V4(a) => format!("ip.addr == {a}"),
        IpAddr::V6(a) => format!("ipv6.addr == {a}"),
    }
}

/// The packets of a selection, written as a nanosecond pcap, or as a pcapng
/// when they are of several link types (a pcap holds one). Fed byte range by
/// byte range: each range starts with [`Extract::begin`] (its preamble),
/// then its bytes in pieces of any size ([`Extract::feed`]).
#[derive(Debug)]
pub struct Extract {
    sel: Selection,
    /// Decompression (gzip, zstd) of a whole compressed file read again
    /// from its start; plain bytes pass through.
    input: Input,
    reader: Reader,
    writer: Option<Out>,
    /// Packets written.
    pub packets: u64,
    /// Most bytes the extract may hold; past it, matching packets are counted
    /// in `over_limit` and left out.
    pub limit: usize,
    pub over_limit: u64,
    /// Matching packets dated before 1970, which neither pcap nor pcapng
    /// holds: left out, and said so.
    pub before_1970: u64,
}

/// Where an extract writes: a pcap while its packets share one link type.
#[derive(Debug)]
enum Out {
    Pcap(u32, PcapWriter),
    Pcapng(PcapngWriter),
}

impl Out {
    fn len(&self) -> usize {
        match self {
            Out::Pcap(_, w) => w.len(),
            Out::Pcapng(w) => w.len(),
        }
    }

    fn packet(&mut self, linktype: u32, ts_ns: i64, data: &[u8], orig_len: u32) {
        if let Out::Pcap(lt, w) = self {
            if *lt == linktype && fits_pcap(ts_ns) {
                w.packet_with_len(ts_ns, data, orig_len);
                return;
            }
            // A second link type, or a time past pcap's 32-bit seconds
            // (after 2106): what was written moves to a pcapng.
            let mut ng = PcapngWriter::new(SNAPLEN);
            let bytes = std::mem::replace(w, PcapWriter::new_nanos(*lt, SNAPLEN)).into_bytes();
            let mut at = 24;
            while let Some(h) = bytes.get(at..at + 16) {
                let word = |i: usize| {
                    h.get(i..i + 4)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u32::from_le_bytes)
                };
                let (sec, ns, caplen, orig) = (word(0), word(4), word(8) as usize, word(12));
                let data = bytes.get(at + 16..at + 16 + caplen).unwrap_or_default();
                ng.packet(
                    *lt,
                    i64::from(sec) * 1_000_000_000 + i64::from(ns),
                    data,
                    orig,
                );
                at += 16 + caplen;
            }
            *self = Out::Pcapng(ng);
        }
        if let Out::Pcapng(w) = self {
            w.packet(linktype, ts_ns, data, orig_len);
        }
    }
}

/// A pcap record's time holds seconds from 1970 to 2106 (unsigned 32 bits).
fn fits_pcap(ts_ns: i64) -> bool {
    (0..=i64::from(u32::MAX)).contains(&ts_ns.div_euclid(1_000_000_000))
}

/// Snapshot length of saved captures.
const SNAPLEN: u32 = 262_144;

impl Extract {
    pub fn new(sel: Selection, limit: usize) -> Self {
        Extract {
            sel,
            input: Input::new(),
            reader: Reader::new(),
            writer: None,
            packets: 0,
            limit,
            over_limit: 0,
            before_1970: 0,
        }
    }

    /// Packets the selection matched: written, or left out (and counted why).
    pub fn matched(&self) -> u64 {
        self.packets + self.over_limit + self.before_1970
    }

    /// Start a byte range (or a whole file, compressed or not, with an
    /// empty preamble): a fresh reader, given the range's preamble.
    pub fn begin(&mut self, preamble: &[u8]) {
        self.pump(None);
        self.input = Input::new();
        self.reader = Reader::new();
        self.pump(Some(preamble));
    }

    /// The next bytes of the current range (a record split between two
    /// calls is joined by the reader).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.pump(Some(bytes));
    }

    /// The end of the input: what a decompressor still holds comes out.
    /// Call it before reading the counts ([`Extract::finish`] calls it too).
    pub fn end(&mut self) {
        self.pump(None);
    }

    /// Bytes through decompression and framing into the writer; `None`
    /// ends the input (what a decompressor still holds comes out).
    fn pump(&mut self, bytes: Option<&[u8]>) {
        let sel = self.sel;
        let limit = self.limit;
        let Extract {
            input,
            reader,
            writer,
            packets,
            over_limit,
            before_1970,
            ..
        } = self;
        let mut each = |f: Frame<'_>| {
            let Decoded::Ip(p) = decode::decode(f.linktype, f.data) else {
                return;
            };
            if !sel.matches(f.ts_ns, &p) {
                return;
            }
            if f.ts_ns < 0 {
                *before_1970 += 1;
                return;
            }
            let w = writer.get_or_insert_with(|| {
                Out::Pcap(f.linktype, PcapWriter::new_nanos(f.linktype, SNAPLEN))
            });
            // Room for the packet, and for a pcapng's larger headers.
            if w.len() + f.data.len() + 64 > limit {
                *over_limit += 1;
            } else {
                w.packet(f.linktype, f.ts_ns, f.data, f.orig_len);
                *packets += 1;
            }
        };
        match bytes {
            Some(b) => input.feed(b, &mut |b| reader.feed(b, &mut each)),
            None => input.finish(&mut |b| reader.feed(b, &mut each)),
        }
    }

    /// Read one whole byte range (after its preamble) and keep what matches.
    pub fn range(&mut self, preamble: &[u8], bytes: &[u8]) {
        self.begin(preamble);
        self.feed(bytes);
    }

    /// Why matching packets were left out, if any were: one phrase per reason.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.over_limit > 0 {
            let limit = if self.limit >= 1 << 20 {
                format!("{} MiB", self.limit >> 20)
            } else {
                format!("{} KiB", self.limit >> 10)
            };
            notes.push(format!("{} past the {limit} size limit", self.over_limit));
        }
        if self.before_1970 > 0 {
            notes.push(format!(
                "{} dated before 1970, which a pcap or pcapng cannot hold",
                self.before_1970
            ));
        }
        notes
    }

    /// `pcap`, or `pcapng` when the packets are of several link types.
    pub fn format(&self) -> &'static str {
        match self.writer {
            Some(Out::Pcapng(_)) => "pcapng",
            _ => "pcap",
        }
    }

    /// The capture (an empty Ethernet pcap if nothing matched).
    pub fn finish(mut self) -> Vec<u8> {
        self.pump(None);
        match self.writer {
            Some(Out::Pcap(_, w)) => w.into_bytes(),
            Some(Out::Pcapng(w)) => w.into_bytes(),
            None => PcapWriter::new_nanos(1, SNAPLEN).into_bytes(),
        }
    }
}

#[cfg(test)]
mod tests;
