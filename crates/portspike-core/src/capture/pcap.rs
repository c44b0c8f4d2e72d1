//! Classic pcap records (both byte orders, µs and ns, and the "modified"
//! a1b2cd34 format with its longer record header).

use super::{Endian, Frame, Reader, Step, MAX_RECORD};
use crate::report::ProblemCode;

impl Reader {
    pub(super) fn pcap_record(
        &mut self,
        b: &[u8],
        endian: Endian,
        nanos: bool,
        rec_hdr: usize,
        linktype: u32,
        on_frame: &mut dyn FnMut(Frame<'_>),
    ) -> Option<Step> {
        if b.len() < rec_hdr {
            return Some(Step::Need(rec_hdr));
        }
        let sec = endian.u32(b, 0)?;
        let frac = endian.u32(b, 4)?;
        let caplen = endian.u32(b, 8)? as usize;
        let orig_len = endian.u32(b, 12)?;
        if caplen > MAX_RECORD {
            self.fail(
                ProblemCode::RecordTooLong,
                format!("pcap record claims {caplen} captured bytes (limit {MAX_RECORD})"),
            );
            return None;
        }
        let total = rec_hdr + caplen;
        let Some(data) = b.get(rec_hdr..total) else {
            return Some(Step::Need(total));
        };
        let (unit, limit) = if nanos {
            (1, 1_000_000_000)
        } else {
            (1000, 1_000_000)
        };
        let frac = if frac >= limit {
            if !self.bad_fraction_seen {
                self.bad_fraction_seen = true;
                let off = self.offset;
                self.warn(
                    ProblemCode::BadTimestamp,
                    format!("record at offset {off} has a timestamp fraction of {frac}, past one second; the fraction was ignored (and in any later such record)"),
                    off,
                );
            }
            0
        } else {
            frac
        };
        let frac_ns = i64::from(frac) * unit;
        let ts_ns = i64::from(sec) * 1_000_000_000 + frac_ns;
        self.last_ts_ns = ts_ns;
        self.index_record(ts_ns);
        on_frame(Frame {
            ts_ns,
            linktype,
            data,
            orig_len,
            offset: self.offset,
        });
        Some(Step::Consumed(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A big-endian nanosecond pcap (a1b23c4d) with one record.
    fn be_ns(ts_s: u32, ts_ns: u32, caplen: u32, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
        v.extend_from_slice(&2u16.to_be_bytes());
        v.extend_from_slice(&4u16.to_be_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_be_bytes());
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&ts_s.to_be_bytes());
        v.extend_from_slice(&ts_ns.to_be_bytes());
        v.extend_from_slice(&caplen.to_be_bytes());
        v.extend_from_slice(&(caplen + 10).to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn a_big_endian_nanosecond_record_keeps_its_time_and_lengths() {
        let bytes = be_ns(7, 123_456_789, 4, b"abcd");
        let mut r = Reader::new();
        let mut seen = Vec::new();
        r.feed(&bytes, &mut |f| {
            seen.push((f.ts_ns, f.orig_len, f.linktype, f.data.to_vec(), f.offset))
        });
        r.finish();
        assert_eq!(r.error(), None);
        assert_eq!(r.format(), Some(super::super::Format::Pcap));
        assert_eq!(seen, [(7_123_456_789, 14, 1, b"abcd".to_vec(), 24)]);
    }

    #[test]
    fn a_record_longer_than_any_is_an_error_at_its_start() {
        let mut bytes = be_ns(1, 0, 4, b"abcd");
        let at = bytes.len() - 12;
        bytes[at..at + 4].copy_from_slice(&(MAX_RECORD as u32 + 1).to_be_bytes());
        let mut r = Reader::new();
        let mut n = 0;
        r.feed(&bytes, &mut |_| n += 1);
        r.finish();
        assert_eq!(n, 0);
        assert_eq!(r.error().map(|e| e.offset), Some(Some(24)));
    }
}
