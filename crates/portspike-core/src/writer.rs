//! Capture writers for generated captures and for saving selected packets:
//! thin wrappers over pcap-file's writers, into a byte vector (in wasm too),
//! little-endian whatever the machine.
//!
//! pcap-file takes times as a [`Duration`] since 1970; the wrappers take
//! signed nanoseconds and write what they always wrote for any of them (a
//! pcap's seconds cut to 32 bits, a pcapng's time as 64 unsigned bits):
//! extracts leave out packets before 1970 and move to a pcapng past 2106
//! themselves. Writing into a `Vec` cannot fail, and the packets are cut to
//! the snapshot length before pcap-file checks them, so its errors cannot
//! occur; should one, the packet is left out and [`PcapWriter::len`] does
//! not count it.

use pcap_file::pcap::{PcapHeader, PcapPacket};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::{DataLink, Endianness, TsResolution};
use std::borrow::Cow;
use std::time::Duration;

/// The byte vector's first capacity.
const CAPACITY: usize = 1 << 16;

/// Writes a classic pcap stream (microsecond or nanosecond, little-endian)
/// into a byte vector.
#[derive(Debug)]
pub struct PcapWriter {
    /// None only if pcap-file failed to write the file header into a `Vec`.
    w: Option<pcap_file::pcap::PcapWriter<Vec<u8>>>,
    len: usize,
    snaplen: u32,
    nanos: bool,
}

impl PcapWriter {
    /// Start a capture with the given link type and snapshot length.
    pub fn new(linktype: u32, snaplen: u32) -> Self {
        Self::with(linktype, snaplen, TsResolution::MicroSecond)
    }

    /// A capture with nanosecond timestamps (magic a1b23c4d).
    pub fn new_nanos(linktype: u32, snaplen: u32) -> Self {
        Self::with(linktype, snaplen, TsResolution::NanoSecond)
    }

    fn with(linktype: u32, snaplen: u32, ts_resolution: TsResolution) -> Self {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen,
            datalink: DataLink::from(linktype),
            ts_resolution,
            endianness: Endianness::Little,
        };
        let w = pcap_file::pcap::PcapWriter::with_header(Vec::with_capacity(CAPACITY), header).ok();
        PcapWriter {
            len: if w.is_some() { 24 } else { 0 },
            w,
            snaplen,
            nanos: ts_resolution == TsResolution::NanoSecond,
        }
    }

    /// Append one packet; bytes past the snapshot length are cut, the
    /// original length is kept.
    pub fn packet(&mut self, ts_ns: i64, data: &[u8]) {
        self.packet_with_len(ts_ns, data, data.len() as u32);
    }

    /// Append one packet whose original length was `orig_len`.
    pub fn packet_with_len(&mut self, ts_ns: i64, data: &[u8], orig_len: u32) {
        // The record's seconds and fraction, the seconds cut to 32 bits.
        let (sec, frac_ns) = if self.nanos {
            (
                ts_ns.div_euclid(1_000_000_000) as u32,
                ts_ns.rem_euclid(1_000_000_000) as u32,
            )
        } else {
            let ts_us = ts_ns.div_euclid(1000);
            (
                ts_us.div_euclid(1_000_000) as u32,
                ts_us.rem_euclid(1_000_000) as u32 * 1000,
            )
        };
        let caplen = data.len().min(self.snaplen as usize);
        let packet = PcapPacket {
            timestamp: Duration::new(u64::from(sec), frac_ns),
            orig_len: orig_len.max(caplen as u32),
            data: Cow::Borrowed(data.get(..caplen).unwrap_or_default()),
        };
        if let Some(n) = self.w.as_mut().and_then(|w| w.write_packet(&packet).ok()) {
            self.len += n;
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No packet written yet.
    pub fn is_empty(&self) -> bool {
        self.len <= 24
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.w.map(|w| w.into_writer()).unwrap_or_default()
    }
}

/// A pcapng writer (little-endian, one section, nanosecond timestamps), with
/// an interface per link type declared where it first appears: for saved
/// packets of several link types, which a pcap cannot hold.
pub struct PcapngWriter {
    /// None only if pcap-file failed to write the section header into a `Vec`.
    w: Option<pcap_file::pcapng::PcapNgWriter<Vec<u8>>>,
    links: Vec<u32>,
    snaplen: u32,
}

impl std::fmt::Debug for PcapngWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapngWriter")
            .field("len", &self.len())
            .field("links", &self.links)
            .field("snaplen", &self.snaplen)
            .finish()
    }
}

impl PcapngWriter {
    pub fn new(snaplen: u32) -> Self {
        // Version 1.0, section length unknown (-1), no options.
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            major_version: 1,
            minor_version: 0,
            section_length: -1,
            options: Vec::new(),
        };
        let w = pcap_file::pcapng::PcapNgWriter::with_section_header(
            Vec::with_capacity(CAPACITY),
            section,
        )
        .ok();
        PcapngWriter {
            w,
            links: Vec::new(),
            snaplen,
        }
    }

    /// The interface of `linktype`, declared (with nanosecond resolution:
    /// `if_tsresol` 9) on first use.
    fn interface(&mut self, linktype: u32) -> u32 {
        if let Some(i) = self.links.iter().position(|l| *l == linktype) {
            return i as u32;
        }
        let idb = InterfaceDescriptionBlock {
            linktype: DataLink::from(linktype),
            snaplen: self.snaplen,
            options: vec![InterfaceDescriptionOption::IfTsResol(9)],
        };
        if let Some(w) = &mut self.w {
            let _ = w.write_pcapng_block(idb);
        }
        self.links.push(linktype);
        self.links.len() as u32 - 1
    }

    /// Append one packet (an Enhanced Packet Block) of `linktype`.
    pub fn packet(&mut self, linktype: u32, ts_ns: i64, data: &[u8], orig_len: u32) {
        let iface = self.interface(linktype);
        let caplen = data.len().min(self.snaplen as usize);
        let epb = EnhancedPacketBlock {
            interface_id: iface,
            // The 64 bits as they are (a time before 1970 is never asked for).
            timestamp: Duration::from_nanos(ts_ns as u64),
            original_len: orig_len.max(caplen as u32),
            data: Cow::Borrowed(data.get(..caplen).unwrap_or_default()),
            options: Vec::new(),
        };
        if let Some(w) = &mut self.w {
            let _ = w.write_pcapng_block(epb);
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.w.as_ref().map_or(0, |w| w.get_ref().len())
    }

    /// No packet written yet.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.w.map(|w| w.into_inner()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pcap and pcapng writers as they were written by hand before
    /// pcap-file wrote for them.
    mod by_hand {
        pub fn pcap(
            linktype: u32,
            snaplen: u32,
            nanos: bool,
            packets: &[(i64, Vec<u8>, u32)],
        ) -> Vec<u8> {
            let mut buf = Vec::new();
            let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
            buf.extend_from_slice(&magic.to_le_bytes());
            buf.extend_from_slice(&2u16.to_le_bytes());
            buf.extend_from_slice(&4u16.to_le_bytes());
            buf.extend_from_slice(&0i32.to_le_bytes());
            buf.extend_from_slice(&0u32.to_le_bytes());
            buf.extend_from_slice(&snaplen.to_le_bytes());
            buf.extend_from_slice(&linktype.to_le_bytes());
            for (ts_ns, data, orig_len) in packets {
                let (sec, frac) = if nanos {
                    (
                        ts_ns.div_euclid(1_000_000_000) as u32,
                        ts_ns.rem_euclid(1_000_000_000) as u32,
                    )
                } else {
                    let ts_us = ts_ns.div_euclid(1000);
                    (
                        ts_us.div_euclid(1_000_000) as u32,
                        ts_us.rem_euclid(1_000_000) as u32,
                    )
                };
                let caplen = data.len().min(snaplen as usize);
                buf.extend_from_slice(&sec.to_le_bytes());
                buf.extend_from_slice(&frac.to_le_bytes());
                buf.extend_from_slice(&(caplen as u32).to_le_bytes());
                buf.extend_from_slice(&(*orig_len).max(caplen as u32).to_le_bytes());
                buf.extend_from_slice(&data[..caplen]);
            }
            buf
        }

        pub fn pcapng(snaplen: u32, packets: &[(u32, i64, Vec<u8>, u32)]) -> Vec<u8> {
            let mut b = Vec::new();
            for w in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D] {
                b.extend_from_slice(&w.to_le_bytes());
            }
            b.extend_from_slice(&1u16.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&u64::MAX.to_le_bytes());
            b.extend_from_slice(&28u32.to_le_bytes());
            let mut links: Vec<u32> = Vec::new();
            for (linktype, ts_ns, data, orig_len) in packets {
                let iface = match links.iter().position(|l| l == linktype) {
                    Some(i) => i as u32,
                    None => {
                        b.extend_from_slice(&1u32.to_le_bytes());
                        b.extend_from_slice(&32u32.to_le_bytes());
                        b.extend_from_slice(&(*linktype as u16).to_le_bytes());
                        b.extend_from_slice(&0u16.to_le_bytes());
                        b.extend_from_slice(&snaplen.to_le_bytes());
                        b.extend_from_slice(&9u16.to_le_bytes());
                        b.extend_from_slice(&1u16.to_le_bytes());
                        b.extend_from_slice(&[9, 0, 0, 0]);
                        b.extend_from_slice(&[0, 0, 0, 0]);
                        b.extend_from_slice(&32u32.to_le_bytes());
                        links.push(*linktype);
                        links.len() as u32 - 1
                    }
                };
                let caplen = data.len().min(snaplen as usize);
                let padded = caplen.div_ceil(4) * 4;
                let total = (32 + padded) as u32;
                let ts = *ts_ns as u64;
                for w in [
                    6,
                    total,
                    iface,
                    (ts >> 32) as u32,
                    ts as u32,
                    caplen as u32,
                    (*orig_len).max(caplen as u32),
                ] {
                    b.extend_from_slice(&w.to_le_bytes());
                }
                b.extend_from_slice(&data[..caplen]);
                b.resize(b.len() + padded - caplen, 0);
                b.extend_from_slice(&total.to_le_bytes());
            }
            b
        }
    }

    /// Times that matter: 1970, before it, 2038, pcap's last second (2106)
    /// and after, i64's ends, fractions at their ends.
    fn times() -> Vec<i64> {
        const S: i64 = 1_000_000_000;
        let mut t = vec![
            0,
            1,
            -1,
            999,
            1000,
            S - 1,
            S,
            -S,
            -S - 1,
            1_772_442_000 * S + 123_456_789,
            (1 << 31) * S,
            i64::from(u32::MAX) * S + S - 1,
            (i64::from(u32::MAX) + 1) * S,
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            i64::MIN + 1,
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t.push(x as i64);
            t.push((x % (5_000_000_000 * S as u64)) as i64);
        }
        t
    }

    #[test]
    fn pcap_file_writes_the_bytes_the_hand_written_writers_did() {
        let ts = times();
        for &(snaplen, nanos) in &[
            (65535, false),
            (65535, true),
            (96, false),
            (3, true),
            (0, true),
        ] {
            for linktype in [0, 1, 101, 113, 276, 0xffff, 0x1_0001, u32::MAX] {
                let packets: Vec<(i64, Vec<u8>, u32)> = ts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let data: Vec<u8> = (0..(i % 131)).map(|k| (k * 7 + i) as u8).collect();
                        let orig = match i % 3 {
                            0 => data.len() as u32,
                            1 => (data.len() as u32).saturating_sub(5),
                            _ => data.len() as u32 + 1000,
                        };
                        (*t, data, orig)
                    })
                    .collect();
                let mut w = if nanos {
                    PcapWriter::new_nanos(linktype, snaplen)
                } else {
                    PcapWriter::new(linktype, snaplen)
                };
                assert!(w.is_empty());
                for (t, data, orig) in &packets {
                    w.packet_with_len(*t, data, *orig);
                }
                assert!(!w.is_empty());
                let want = by_hand::pcap(linktype, snaplen, nanos, &packets);
                assert_eq!(w.len(), want.len());
                assert!(w.into_bytes() == want, "pcap {linktype} {snaplen} {nanos}");

                let links = [linktype, 1, 113, linktype ^ 1];
                let ng: Vec<(u32, i64, Vec<u8>, u32)> = packets
                    .iter()
                    .enumerate()
                    .map(|(i, (t, d, o))| (links[i % 7 % 4], *t, d.clone(), *o))
                    .collect();
                let mut w = PcapngWriter::new(snaplen);
                assert!(w.is_empty());
                for (lt, t, data, orig) in &ng {
                    w.packet(*lt, *t, data, *orig);
                }
                let want = by_hand::pcapng(snaplen, &ng);
                assert_eq!(w.len(), want.len());
                assert!(w.into_bytes() == want, "pcapng {linktype} {snaplen}");
            }
        }
        // Nothing written: the headers alone.
        assert_eq!(
            PcapWriter::new(1, 65535).into_bytes(),
            by_hand::pcap(1, 65535, false, &[])
        );
        assert_eq!(
            PcapngWriter::new(65535).into_bytes(),
            by_hand::pcapng(65535, &[])
        );
    }
}
