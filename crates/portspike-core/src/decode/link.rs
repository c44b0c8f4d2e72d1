//! Link layers: the fast path for plain Ethernet and IPv4, and the small
//! link layers etherparse does not know (BSD NULL/LOOP, 802.11, NFLOG,
//! ARCnet, Linux SLL/SLL2), stripped down to an EtherType or an IP packet.

use super::ip::{ether_type, ip, sliced, transport};
use super::{be16, le16, link, Decoded, Packet};
use etherparse::{IpNumber, LaxSlicedPacket};
use std::net::IpAddr;

/// Is this link type one we decode?
pub fn link_supported(linktype: u32) -> bool {
    matches!(
        linktype,
        0 | 1 | 7 | 12 | 14 | 101 | 105 | 108 | 113 | 127 | 129 | 192 | 228 | 229 | 239 | 276
    )
}

/// Human name of a link type.
pub fn link_name(linktype: u32) -> String {
    let dl = pcap_file::DataLink::from(linktype);
    match dl {
        pcap_file::DataLink::Unknown(n) => format!("LINKTYPE_{n}"),
        other => format!("{other:?}"),
    }
}

/// The common case in a few loads: untagged Ethernet, an IPv4 header without
/// options, not a fragment, carrying TCP or UDP, not cut short. Anything else
/// returns `None` and takes the general path (which gives the same answer
/// for these frames; a test compares them).
pub(super) fn fast_ethernet_ipv4(data: &[u8]) -> Option<Decoded> {
    let h: &[u8; 34] = data.get(..34)?.try_into().ok()?;
    if h[12..14] != [0x08, 0x00] || h[14] != 0x45 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[16], h[17]]));
    // Flags and fragment offset: only DF may be set.
    let frag = u16::from_be_bytes([h[20], h[21]]) & 0xbfff;
    let proto = h[23];
    if frag != 0 || total < 20 || 14 + total > data.len() || !(proto == 6 || proto == 17) {
        return None;
    }
    let src = IpAddr::V4(std::net::Ipv4Addr::new(h[26], h[27], h[28], h[29]));
    let dst = IpAddr::V4(std::net::Ipv4Addr::new(h[30], h[31], h[32], h[33]));
    let payload = data.get(34..14 + total)?;
    Some(Decoded::Ip(Packet {
        src,
        dst,
        l4: transport(IpNumber(proto), payload, total - 20, true),
    }))
}

pub(super) fn link_slow(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    match linktype {
        1 => match LaxSlicedPacket::from_ethernet(data) {
            Ok(s) => sliced(&s, depth),
            Err(_) => Decoded::Malformed,
        },
        // Raw IP: 12 and 14 are the historical values of LINKTYPE_RAW on some systems.
        12 | 14 | 101 => ip(data, depth),
        // LINKTYPE_IPV4 / LINKTYPE_IPV6 carry only that version.
        228 | 229 => {
            let want = if linktype == 228 { 4 } else { 6 };
            match data.first() {
                Some(v) if v >> 4 == want => ip(data, depth),
                Some(_) => Decoded::Malformed,
                None => Decoded::Malformed,
            }
        }
        0 | 108 => null_loop(linktype, data, depth),
        // Linux cooked capture v1: 16-byte header, protocol at 14.
        113 => match (be16(data, 14), data.get(16..)) {
            (Some(et), Some(rest)) => ether_type(et, rest, depth),
            _ => Decoded::Malformed,
        },
        // Linux cooked capture v2: 20-byte header, protocol at 0.
        276 => match (be16(data, 0), data.get(20..)) {
            (Some(et), Some(rest)) => ether_type(et, rest, depth),
            _ => Decoded::Malformed,
        },
        105 => ieee80211(data, depth),
        // Radiotap: version, pad, little-endian length, then the 802.11 frame.
        127 => match le16(data, 2).and_then(|n| data.get(n as usize..)) {
            Some(rest) => ieee80211(rest, depth),
            None => Decoded::Malformed,
        },
        // PPI: version, flags, LE length, LE link type of what follows.
        192 => {
            let (Some(len), Some(dlt)) = (
                le16(data, 2),
                data.get(4..8)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_le_bytes),
            ) else {
                return Decoded::Malformed;
            };
            match data.get(len as usize..) {
                Some(rest) => link(dlt, rest, depth + 1),
                None => Decoded::Malformed,
            }
        }
        239 => nflog(data, depth),
        7 | 129 => arcnet(linktype, data, depth),
        _ => Decoded::UnsupportedLink,
    }
}

/// BSD NULL (host byte order) and LOOP (network byte order): a 4-byte
/// address family, or on some systems an Ethernet type.
fn null_loop(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    let (Some(&af), Some(rest)) = (data.first_chunk::<4>(), data.get(4..)) else {
        return Decoded::Malformed;
    };
    let mut v = if linktype == 108 {
        u32::from_be_bytes(af)
    } else {
        u32::from_le_bytes(af)
    };
    // Written on a machine of the other byte order (as Wireshark reads it).
    if linktype == 0 && v & 0xffff_0000 != 0 {
        v = v.swap_bytes();
    }
    if v > 1500 {
        return ether_type(v as u16, rest, depth);
    }
    match v {
        2 => ip(rest, depth),
        24 | 28 | 30 => ip(rest, depth),
        _ => Decoded::NotIp,
    }
}

/// 802.11: data frames only; LLC/SNAP gives the Ethernet type.
fn ieee80211(data: &[u8], depth: u8) -> Decoded {
    let (Some(&fc0), Some(&fc1)) = (data.first(), data.get(1)) else {
        return Decoded::Malformed;
    };
    let ty = (fc0 >> 2) & 3;
    let subtype = fc0 >> 4;
    if ty != 2 || subtype & 0x4 != 0 {
        return Decoded::NotIp; // management, control, or a data frame with no body
    }
    if fc1 & 0x40 != 0 {
        return Decoded::NotIp; // protected: encrypted payload
    }
    let mut hdr = 24;
    if fc1 & 0x03 == 0x03 {
        hdr += 6; // fourth address
    }
    if subtype & 0x8 != 0 {
        hdr += 2; // QoS control
        if fc1 & 0x80 != 0 {
            hdr += 4; // HT control
        }
    }
    match (
        data.get(hdr..hdr + 6),
        be16(data, hdr + 6),
        data.get(hdr + 8..),
    ) {
        (Some([0xaa, 0xaa, 0x03, _, _, _]), Some(et), Some(rest)) => ether_type(et, rest, depth),
        (Some(_), _, _) => Decoded::NotIp,
        _ => Decoded::Malformed,
    }
}

/// NFLOG: family, version, resource id, then TLVs (host-order length and
/// type); the payload TLV (type 9) holds the packet.
fn nflog(data: &[u8], depth: u8) -> Decoded {
    let mut at = 4;
    while let (Some(len), Some(ty)) = (le16(data, at), le16(data, at + 2)) {
        let len = len as usize;
        if len < 4 {
            return Decoded::Malformed;
        }
        if ty == 9 {
            return match data.get(at + 4..at + len) {
                Some(p) => ip(p, depth),
                None => Decoded::Malformed,
            };
        }
        at += len.div_ceil(4) * 4;
    }
    Decoded::NotIp
}

/// ARCNET (BSD 7, Linux 129 with a 2-byte offset field): RFC 1201 protocol
/// ids carry a split flag and a sequence number before the payload.
fn arcnet(linktype: u32, data: &[u8], depth: u8) -> Decoded {
    let mut at = if linktype == 129 { 4 } else { 2 };
    let Some(&proto) = data.get(at) else {
        return Decoded::Malformed;
    };
    at += 1;
    let ip_proto = match proto {
        0xf0 => Some(false), // RFC 1051 IP: no split flag
        0xd4 => Some(true),  // RFC 1201 IP
        _ => None,
    };
    let Some(rfc1201) = ip_proto else {
        return Decoded::NotIp;
    };
    if rfc1201 {
        if data.get(at) == Some(&0xff) {
            at += 4; // exception packet: flag, padding, then the real header
        }
        at += 3; // split flag, sequence number
    }
    match data.get(at..) {
        Some(rest) => ip(rest, depth),
        None => Decoded::Malformed,
    }
}
