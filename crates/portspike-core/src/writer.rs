//! A classic pcap writer (microsecond, little-endian), for generated captures
//! and for saving selected packets.

/// Writes a pcap stream into a byte vector.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    buf: Vec<u8>,
    snaplen: u32,
    nanos: bool,
}

impl PcapWriter {
    /// Start a capture with the given link type and snapshot length.
    pub fn new(linktype: u32, snaplen: u32) -> Self {
        let mut buf = Vec::with_capacity(1 << 16);
        buf.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        buf.extend_from_slice(&2u16.to_le_bytes());
        buf.extend_from_slice(&4u16.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&snaplen.to_le_bytes());
        buf.extend_from_slice(&linktype.to_le_bytes());
        PcapWriter {
            buf,
            snaplen,
            nanos: false,
        }
    }

    /// A capture with nanosecond timestamps (magic a1b23c4d).
    pub fn new_nanos(linktype: u32, snaplen: u32) -> Self {
        let mut w = Self::new(linktype, snaplen);
        if let Some(m) = w.buf.get_mut(..4) {
            m.copy_from_slice(&0xa1b2_3c4du32.to_le_bytes());
        }
        w.nanos = true;
        w
    }

    /// Append one packet; bytes past the snapshot length are cut, the
    /// original length is kept.
    pub fn packet(&mut self, ts_ns: i64, data: &[u8]) {
        self.packet_with_len(ts_ns, data, data.len() as u32);
    }

    /// Append one packet whose original length was `orig_len`.
    pub fn packet_with_len(&mut self, ts_ns: i64, data: &[u8], orig_len: u32) {
        let (sec, frac) = if self.nanos {
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
        let caplen = data.len().min(self.snaplen as usize);
        self.buf.extend_from_slice(&sec.to_le_bytes());
        self.buf.extend_from_slice(&frac.to_le_bytes());
        self.buf.extend_from_slice(&(caplen as u32).to_le_bytes());
        self.buf
            .extend_from_slice(&orig_len.max(caplen as u32).to_le_bytes());
        self.buf
            .extend_from_slice(data.get(..caplen).unwrap_or_default());
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.len() <= 24
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// A pcapng writer (little-endian, one section, nanosecond timestamps), with
/// an interface per link type declared where it first appears: for saved
/// packets of several link types, which a pcap cannot hold.
#[derive(Debug, Clone)]
pub struct PcapngWriter {
    buf: Vec<u8>,
    links: Vec<u32>,
    snaplen: u32,
}

impl PcapngWriter {
    pub fn new(snaplen: u32) -> Self {
        let mut buf = Vec::with_capacity(1 << 16);
        // Section header: magic, version 1.0, unknown section length.
        for w in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D] {
            buf.extend_from_slice(&w.to_le_bytes());
        }
        buf.extend_from_slice(&1u16.to_le_bytes());
        buf.extend_from_slice(&0u16.to_le_bytes());
        buf.extend_from_slice(&u64::MAX.to_le_bytes());
        buf.extend_from_slice(&28u32.to_le_bytes());
        PcapngWriter {
            buf,
            links: Vec::new(),
            snaplen,
        }
    }

    /// The interface of `linktype`, declared (with nanosecond resolution) on first use.
    fn interface(&mut self, linktype: u32) -> u32 {
        if let Some(i) = self.links.iter().position(|l| *l == linktype) {
            return i as u32;
        }
        let b = &mut self.buf;
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&32u32.to_le_bytes());
        b.extend_from_slice(&(linktype as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&self.snaplen.to_le_bytes());
        // if_tsresol = 9 (10^-9 s), then the end of options.
        b.extend_from_slice(&9u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[9, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(&32u32.to_le_bytes());
        self.links.push(linktype);
        self.links.len() as u32 - 1
    }

    /// Append one packet (an Enhanced Packet Block) of `linktype`.
    pub fn packet(&mut self, linktype: u32, ts_ns: i64, data: &[u8], orig_len: u32) {
        let iface = self.interface(linktype);
        let caplen = data.len().min(self.snaplen as usize);
        let padded = caplen.div_ceil(4) * 4;
        let total = (32 + padded) as u32;
        let ts = ts_ns as u64;
        let b = &mut self.buf;
        for w in [
            6,
            total,
            iface,
            (ts >> 32) as u32,
            ts as u32,
            caplen as u32,
            orig_len.max(caplen as u32),
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(data.get(..caplen).unwrap_or_default());
        b.resize(b.len() + padded - caplen, 0);
        b.extend_from_slice(&total.to_le_bytes());
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}
