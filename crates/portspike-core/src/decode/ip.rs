//! Network and transport: IP (through MPLS, GRE and PIM registers) to the
//! ports, ICMP type and quoted packet a row is counted by.

use super::{be16, link, too_deep, Decoded, Packet, Proto, Quoted, L4, MAX_DEPTH};
use etherparse::{EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket};
use std::net::IpAddr;

pub(super) fn ether_type(et: u16, rest: &[u8], depth: u8) -> Decoded {
    sliced(
        &LaxSlicedPacket::from_ether_type(EtherType(et), rest),
        depth,
    )
}

pub(super) fn ip(data: &[u8], depth: u8) -> Decoded {
    // IP-in-IP nests without end in a crafted packet: the outer layers count.
    if depth > MAX_DEPTH {
        too_deep();
        return Decoded::Malformed;
    }
    match LaxSlicedPacket::from_ip(data) {
        Ok(s) => sliced(&s, depth),
        Err(_) => Decoded::Malformed,
    }
}

pub(super) fn sliced(s: &LaxSlicedPacket<'_>, depth: u8) -> Decoded {
    let (src, dst, ip_number, payload, announced, first) = match &s.net {
        Some(LaxNetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let p = ip.payload();
            let announced = usize::from(h.total_len()).saturating_sub(usize::from(h.ihl()) * 4);
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                p.ip_number,
                p.payload,
                announced,
                h.fragments_offset().value() == 0,
            )
        }
        Some(LaxNetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let first = ipv6_first_fragment(h.next_header(), ip.extensions().slice());
            let p = ip.payload();
            let announced =
                usize::from(h.payload_length()).saturating_sub(ip.extensions().slice().len());
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                p.ip_number,
                p.payload,
                announced,
                first,
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Decoded::NotIp,
        None => {
            if let Some(p) = s
                .ether_payload()
                .filter(|p| matches!(p.ether_type.0, 0x8847 | 0x8848))
            {
                return mpls(p.payload, depth + 1);
            }
            if s.link_exts.is_full()
                && s.ether_payload()
                    .is_some_and(|p| matches!(p.ether_type.0, 0x8100 | 0x88a8 | 0x9100))
            {
                // More VLAN tags than are followed: what they carry is unknown.
                too_deep();
            }
            return if s.stop_err.is_some() {
                Decoded::Malformed
            } else {
                Decoded::NotIp
            };
        }
    };
    if first {
        // Tunnels: the inner packet is the one that carries the ports.
        let inner = match ip_number.0 {
            4 | 41 => Some(ip(payload, depth + 1)),
            47 => Some(gre(payload, depth + 1)),
            103 => pim_register(payload).map(|p| ip(p, depth + 1)),
            _ => None,
        };
        if let Some(Decoded::Ip(p)) = inner {
            return Decoded::Ip(p);
        }
    }
    Decoded::Ip(Packet {
        src,
        dst,
        l4: transport(ip_number, payload, announced, first),
    })
}

/// MPLS: labels of 4 bytes up to the one marked bottom of stack, then an
/// IP packet (by its version nibble; anything else is not followed).
pub(super) fn mpls(data: &[u8], depth: u8) -> Decoded {
    let mut at = 0;
    loop {
        let Some(label) = data.get(at..at + 4) else {
            return Decoded::Malformed;
        };
        at += 4;
        if label.get(2).is_some_and(|b| b & 1 == 1) {
            break;
        }
    }
    match data.get(at..) {
        Some(ip4) if ip4.first().is_some_and(|b| b >> 4 == 4 || b >> 4 == 6) => ip(ip4, depth),
        Some(_) => Decoded::NotIp,
        None => Decoded::Malformed,
    }
}

/// Walk raw IPv6 extension headers: is this the first (or only) fragment?
/// (Our own walk: etherparse 0.21's extension iterator trips over a
/// truncated last header in laxly sliced packets.)
fn ipv6_first_fragment(mut next: IpNumber, exts: &[u8]) -> bool {
    let mut at = 0usize;
    while let Some(hdr) = exts.get(at..) {
        let (Some(&nh), Some(&hl)) = (hdr.first(), hdr.get(1)) else {
            break;
        };
        let len = match next.0 {
            44 => {
                // Fragment: offset in the top 13 bits of bytes 2–3.
                return be16(hdr, 2).is_none_or(|v| v >> 3 == 0);
            }
            51 => (usize::from(hl) + 2) * 4,
            0 | 43 | 60 | 135 | 139 | 140 | 253 | 254 => (usize::from(hl) + 1) * 8,
            _ => break,
        };
        next = IpNumber(nh);
        at += len;
    }
    true
}

/// GRE (RFC 2784/2890, and the enhanced GRE of PPTP) to the inner packet.
pub(super) fn gre(data: &[u8], depth: u8) -> Decoded {
    if depth > MAX_DEPTH {
        too_deep();
        return Decoded::Malformed;
    }
    let (Some(flags), Some(proto)) = (be16(data, 0), be16(data, 2)) else {
        return Decoded::Malformed;
    };
    let version = flags & 0x7;
    let mut at = 4;
    if version == 0 {
        if flags & 0xc000 != 0 {
            at += 4; // checksum (and offset) present
        }
        if flags & 0x2000 != 0 {
            at += 4; // key
        }
        if flags & 0x1000 != 0 {
            at += 4; // sequence number
        }
        if flags & 0x4000 != 0 {
            return Decoded::NotIp; // RFC 1701 source routing: not followed
        }
    } else if version == 1 {
        at += 4; // payload length and call id
        if flags & 0x1000 != 0 {
            at += 4;
        }
        if flags & 0x0080 != 0 {
            at += 4; // acknowledgment number
        }
    } else {
        return Decoded::NotIp;
    }
    let Some(rest) = data.get(at..) else {
        return Decoded::Malformed;
    };
    match proto {
        0x6558 => link(1, rest, depth + 1),
        // ERSPAN type II: an 8-byte header, then Ethernet.
        0x88be => rest
            .get(8..)
            .map_or(Decoded::Malformed, |e| link(1, e, depth + 1)),
        // Cisco MetaData: the inner EtherType, version, length, options and
        // security group tag (8 bytes), then the packet.
        0x8909 => match (be16(rest, 0), rest.get(8..)) {
            (Some(et), Some(inner)) => ether_type(et, inner, depth + 1),
            _ => Decoded::Malformed,
        },
        // PPP (PPTP): optional address/control, then a 1- or 2-byte protocol.
        0x880b => {
            let ppp = match rest {
                [0xff, 0x03, tail @ ..] => tail,
                _ => rest,
            };
            match ppp {
                [0x00, 0x21, ip4 @ ..] | [0x21, ip4 @ ..] => ip(ip4, depth + 1),
                [0x00, 0x57, ip6 @ ..] | [0x57, ip6 @ ..] => ip(ip6, depth + 1),
                _ => Decoded::NotIp,
            }
        }
        et => ether_type(et, rest, depth + 1),
    }
}

/// PIM version 2 Register messages carry a whole IP packet after 8 bytes.
fn pim_register(data: &[u8]) -> Option<&[u8]> {
    match data.first() {
        Some(0x21) => data.get(8..),
        _ => None,
    }
}

pub(super) fn is_icmp_error(v6: bool, ty: u8) -> bool {
    if v6 {
        matches!(ty, 1..=4)
    } else {
        matches!(ty, 3 | 4 | 5 | 11 | 12)
    }
}

pub(super) fn quoted(data: &[u8]) -> Option<Quoted> {
    let s = LaxSlicedPacket::from_ip(data).ok()?;
    let (src, dst, num, payload) = match &s.net {
        Some(LaxNetSlice::Ipv4(ip)) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
            ip.payload().ip_number,
            ip.payload().payload,
        ),
        Some(LaxNetSlice::Ipv6(ip)) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
            ip.payload().ip_number,
            ip.payload().payload,
        ),
        _ => return None,
    };
    let proto = match num {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        _ => return None,
    };
    Some(Quoted {
        proto,
        src,
        dst,
        sport: be16(payload, 0)?,
        dport: be16(payload, 2)?,
    })
}

pub(super) fn transport(
    ip_number: IpNumber,
    payload: &[u8],
    ip_payload_len: usize,
    first_fragment: bool,
) -> L4 {
    let ip_proto = ip_number.0;
    if !first_fragment {
        return L4::Fragment { ip_proto };
    }
    let proto = match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP | IpNumber::IPV6_ICMP => {
            // ICMPv6 by its own protocol number, whichever IP carries it.
            let v6 = ip_number == IpNumber::IPV6_ICMP;
            return match payload.get(..2) {
                Some(&[ty, code]) => L4::Icmp {
                    v6,
                    ty,
                    code,
                    quoted: if is_icmp_error(v6, ty) {
                        payload.get(8..).and_then(quoted)
                    } else {
                        None
                    },
                },
                _ => L4::Other { ip_proto },
            };
        }
        _ => return L4::Other { ip_proto },
    };
    let (Some(sport), Some(dport)) = (be16(payload, 0), be16(payload, 2)) else {
        return L4::Other { ip_proto };
    };
    let (flags, header) = match proto {
        Proto::Tcp => (
            payload.get(13).copied().unwrap_or(0),
            payload.get(12).map_or(20, |b| usize::from(b >> 4) * 4),
        ),
        _ => (0, 8),
    };
    L4::Ports {
        proto,
        sport,
        dport,
        flags,
        payload: u16::try_from(ip_payload_len.saturating_sub(header)).unwrap_or(u16::MAX),
    }
}
