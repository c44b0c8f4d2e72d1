//! Scanner tools told by their probes' header fields: ZMap, Mirai, Masscan,
//! Nmap and hping3 each fill a field in a way of their own (see
//! [`Tool`]). Only header fields count; a tool is named only when nearly
//! every probe matches its rule, with the count that matched.

use crate::decode::{be16, Packet, Proto, L4};
use crate::report::{Tool, ToolMatch};
use std::net::IpAddr;

/// The share of a scanner's probes that must match a tool's rule for the
/// tool to be named (a scan mixing tools names none).
const MIN_SHARE: f64 = 0.9;
/// Probes needed before any tool is named.
const MIN_PROBES: u64 = 4;

/// The header fields a tool's rule reads, from one probe's frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header<'a> {
    /// IPv4 identification (`None` for IPv6).
    ip_id: Option<u16>,
    dst_v4: Option<u32>,
    dport: u16,
    /// TCP's sequence number, window, SYN flag and options (`None` for UDP).
    tcp: Option<Tcp<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tcp<'a> {
    seq: u32,
    window: u16,
    syn: bool,
    options: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Where an IP header of `version` starts in `data`: the first place whose
/// addresses (`addrs` bytes into the header) are `pair` and whose protocol
/// (`proto` bytes in) is `number`.
fn ip_header_at(
    data: &[u8],
    pair: &[u8],
    version: u8,
    (addrs, proto): (usize, usize),
    number: u8,
) -> Option<usize> {
    data.windows(pair.len())
        .enumerate()
        .skip(addrs)
        .find(|(i, w)| {
            *w == pair
                && data.get(i - addrs).is_some_and(|b| b >> 4 == version)
                && data.get(i - addrs + proto) == Some(&number)
        })
        .map(|(i, _)| i - addrs)
}

/// Find `p`'s IP header in its frame (whatever the link layer): the place
/// where its addresses stand as an IP header holds them, checked by the
/// version, the protocol and the ports that follow.
fn header<'a>(p: &Packet, data: &'a [u8]) -> Option<Header<'a>> {
    let L4::Ports {
        proto,
        sport,
        dport,
        ..
    } = p.l4
    else {
        return None;
    };
    let number = if proto == Proto::Tcp { 6 } else { 17 };
    let (ip_id, dst_v4, l4) = match (p.src, p.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            // Source and destination 12 bytes in, the protocol 9.
            let pair = [s.octets(), d.octets()].concat();
            let at = ip_header_at(data, &pair, 4, (12, 9), number)?;
            let ihl = usize::from(data.get(at)? & 0x0f) * 4;
            (
                Some(be16(data, at + 4)?),
                Some(u32::from(d)),
                data.get(at + ihl.max(20)..)?,
            )
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            // Source and destination 8 bytes in, the next header 6.
            let pair = [s.octets(), d.octets()].concat();
            let at = ip_header_at(data, &pair, 6, (8, 6), number)?;
            (None, None, data.get(at + 40..)?)
        }
        _ => return None,
    };
    if be16(l4, 0)? != sport || be16(l4, 2)? != dport {
        return None;
    }
    let tcp = if proto == Proto::Tcp {
        let len = usize::from(l4.get(12)? >> 4) * 4;
        Some(Tcp {
            seq: be32(l4, 4)?,
            window: be16(l4, 14)?,
            syn: l4.get(13)? & crate::decode::tcp_flags::SYN != 0,
            // Options cut by the snapshot length read as far as captured.
            options: l4.get(20..len.max(20).min(l4.len())).unwrap_or(&[]),
        })
    } else {
        None
    };
    Some(Header {
        ip_id,
        dst_v4,
        dport,
        tcp,
    })
}

/// The tool whose rule one probe's header fields match, most specific rule
/// first.
fn rule_of(h: &Header<'_>) -> Option<Tool> {
    if h.ip_id == Some(54321) {
        return Some(Tool::Zmap);
    }
    let t = h.tcp?;
    if h.dst_v4 == Some(t.seq) {
        return Some(Tool::Mirai);
    }
    if let (Some(id), Some(dst)) = (h.ip_id, h.dst_v4) {
        if u32::from(id) == (dst ^ u32::from(h.dport) ^ t.seq) & 0xffff {
            return Some(Tool::Masscan);
        }
    }
    const MSS_1460: [u8; 4] = [2, 4, 0x05, 0xb4];
    let nmap_window = matches!(t.window, 1024 | 2048 | 3072 | 4096);
    if nmap_window
        && (if t.syn {
            t.options == MSS_1460
        } else {
            t.options.is_empty()
        })
    {
        return Some(Tool::Nmap);
    }
    if t.window == 512 && t.options.is_empty() {
        return Some(Tool::Hping3);
    }
    None
}

/// The tool (if any) whose rule one probe matches.
pub fn tool_of(p: &Packet, data: &[u8]) -> Option<Tool> {
    rule_of(&header(p, data)?)
}

/// Probes matching each tool's rule, counted over a scanner's probes.
#[derive(Debug, Default, Clone)]
pub(super) struct ToolTally {
    matched: [u64; Tool::ALL.len()],
}

impl ToolTally {
    pub(super) fn probe(&mut self, p: &Packet, data: &[u8]) {
        if let Some(t) = tool_of(p, data) {
            if let Some(n) = Tool::ALL
                .iter()
                .position(|x| *x == t)
                .and_then(|i| self.matched.get_mut(i))
            {
                *n += 1;
            }
        }
    }

    /// The tool nearly all of `probes` probes match, if any.
    pub(super) fn verdict(&self, probes: u64) -> Option<ToolMatch> {
        let (name, n) = Tool::ALL.iter().zip(self.matched).max_by_key(|(_, n)| *n)?;
        (probes >= MIN_PROBES && n as f64 >= MIN_SHARE * probes as f64).then(|| ToolMatch {
            name: *name,
            probes: n,
            of: probes,
            rule: name.rule().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, Decoded};

    /// An Ethernet frame of one IPv4 TCP segment with these fields.
    fn frame(ip_id: u16, dst: [u8; 4], dport: u16, seq: u32, window: u16, opts: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend([0x08, 0x00]);
        let tcp_len = 20 + opts.len();
        let total = 20 + tcp_len;
        f.extend([0x45, 0, (total >> 8) as u8, total as u8]);
        f.extend(ip_id.to_be_bytes());
        f.extend([0, 0, 64, 6, 0, 0]);
        f.extend([10, 9, 9, 9]);
        f.extend(dst);
        f.extend(40000u16.to_be_bytes());
        f.extend(dport.to_be_bytes());
        f.extend(seq.to_be_bytes());
        f.extend([0, 0, 0, 0, ((tcp_len / 4) << 4) as u8, 0x02]);
        f.extend(window.to_be_bytes());
        f.extend([0, 0, 0, 0]);
        f.extend(opts);
        f
    }

    fn tool(f: &[u8]) -> Option<Tool> {
        let Decoded::Ip(p) = decode(1, f) else {
            panic!("not decoded");
        };
        tool_of(&p, f)
    }

    #[test]
    fn each_tool_is_told_by_its_rule() {
        let dst = [10, 0, 0, 7];
        let d = u32::from_be_bytes(dst);
        assert_eq!(
            tool(&frame(54321, dst, 80, 7, 65535, &[])),
            Some(Tool::Zmap)
        );
        assert_eq!(tool(&frame(1, dst, 23, d, 14600, &[])), Some(Tool::Mirai));
        let seq = 0x1234_5678;
        let id = ((d ^ 80 ^ seq) & 0xffff) as u16;
        assert_eq!(
            tool(&frame(id, dst, 80, seq, 1024, &[])),
            Some(Tool::Masscan)
        );
        let mss = [2, 4, 5, 0xb4];
        assert_eq!(tool(&frame(9, dst, 80, 5, 1024, &mss)), Some(Tool::Nmap));
        assert_eq!(tool(&frame(9, dst, 80, 5, 512, &[])), Some(Tool::Hping3));
    }

    #[test]
    fn an_ordinary_syn_names_no_tool() {
        // Linux's SYN: window 64240, MSS, SACK permitted, timestamps, window scale.
        let opts = [
            2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ];
        assert_eq!(
            tool(&frame(4242, [10, 0, 0, 7], 443, 99, 64240, &opts)),
            None
        );
        // nmap's window with the options of an operating system: not nmap.
        assert_eq!(
            tool(&frame(4242, [10, 0, 0, 7], 443, 99, 1024, &opts)),
            None
        );
    }

    #[test]
    fn a_tool_is_named_only_when_nearly_every_probe_matches() {
        let mut t = ToolTally::default();
        let f = frame(54321, [10, 0, 0, 7], 80, 7, 65535, &[]);
        let Decoded::Ip(p) = decode(1, &f) else {
            panic!()
        };
        for _ in 0..9 {
            t.probe(&p, &f);
        }
        let v = t.verdict(10).expect("9 of 10");
        assert_eq!((v.name, v.probes, v.of), (Tool::Zmap, 9, 10));
        assert_eq!(t.verdict(11), None, "9 of 11 is under 90%");
        assert_eq!(ToolTally::default().verdict(10), None);
    }
}
