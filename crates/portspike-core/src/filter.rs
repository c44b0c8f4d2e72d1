//! Wireshark display filters: the one place that says which filter selects
//! a row's packets, and how a time bound is written.

use crate::decode::Proto;
use crate::services::{ip_protocols_set, OTHER_IP};
use std::net::{IpAddr, Ipv4Addr};

/// Which port of a TCP or UDP packet a filter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Either,
    Src,
    Dst,
}

/// The Wireshark display filter selecting a row's packets (without time
/// bounds), as the engine counts them: for TCP and UDP the port on `side`
/// (an ICMP error quoting such a packet matches too, as in Wireshark); for
/// ICMP the outer message's type (`#1`: not a type quoted in an error); for
/// another IP protocol its number, in a packet that has no TCP, UDP or ICMP
/// layer and is no later fragment; for later fragments their datagram's
/// protocol. (`ipv6.nxt` is the fixed header's next header: an IPv6 packet
/// of another protocol behind extension headers is counted in its row but
/// not selected by the filter.)
pub fn row_predicate(proto: Proto, port: u16, side: Side) -> String {
    let field = match side {
        Side::Either => "port",
        Side::Src => "srcport",
        Side::Dst => "dstport",
    };
    match proto {
        Proto::Tcp | Proto::Udp => format!("{}.{field} == {port}", proto.as_str()),
        Proto::Icmp => format!("icmp.type#1 == {port}"),
        Proto::Icmpv6 => format!("icmpv6.type#1 == {port}"),
        Proto::Ip => format!(
            "{} && !tcp && !udp && !icmp && !icmpv6 && !(ip.frag_offset > 0) \
             && !(ipv6.fraghdr.offset > 0)",
            ip_protocol("ip.proto", "ipv6.nxt", port)
        ),
        Proto::Fragment => format!(
            "((ip.frag_offset > 0 && {}) || (ipv6.fraghdr.offset > 0 && {})) && !icmp && !icmpv6",
            ip_protocol("ip.proto", "", port),
            ip_protocol("", "ipv6.fraghdr.nxt", port)
        ),
    }
}

/// The packets of IP protocol row `port` by the fields given (either may
/// be empty): its number, or for [`OTHER_IP`] any number without a row.
fn ip_protocol(v4: &str, v6: &str, port: u16) -> String {
    let one = |field: &str| {
        if port == OTHER_IP {
            format!(
                "({} && !({field} in {}))",
                field.split('.').next().unwrap_or(field),
                ip_protocols_set()
            )
        } else {
            format!("{field} == {port}")
        }
    };
    match (v4.is_empty(), v6.is_empty()) {
        (false, false) => format!("({} || {})", one(v4), one(v6)),
        (false, true) => one(v4),
        _ => one(v6),
    }
}

/// Whom a finding is restricted to: a reflection's victims (its filter
/// then selects the port's packets to and from them only, so that servers
/// answering their own clients in the same window are not counted as
/// reflectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aim {
    Any,
    /// Up to four addresses.
    Addrs([Option<IpAddr>; 4]),
    /// An IPv4 prefix (carpet bombing).
    Prefix(Ipv4Addr, u8),
}

impl Aim {
    /// Read what [`Aim::text`] writes: addresses separated by spaces, or
    /// one IPv4 prefix; anything else is `Any`.
    pub fn parse(s: &str) -> Aim {
        if let Some((net, len)) = s.split_once('/') {
            return match (net.parse::<Ipv4Addr>(), len.parse::<u8>()) {
                (Ok(n), Ok(l)) if l <= 32 => Aim::Prefix(n, l),
                _ => Aim::Any,
            };
        }
        let mut v = [None; 4];
        for (slot, a) in v.iter_mut().zip(s.split_whitespace()) {
            match a.parse() {
                Ok(a) => *slot = Some(a),
                Err(_) => return Aim::Any,
            }
        }
        if v[0].is_none() {
            Aim::Any
        } else {
            Aim::Addrs(v)
        }
    }

    /// As the report writes it (`None` for `Any`).
    pub fn text(&self) -> Option<String> {
        match self {
            Aim::Any => None,
            Aim::Addrs(v) => Some(
                v.iter()
                    .flatten()
                    .map(IpAddr::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Aim::Prefix(n, l) => Some(format!("{n}/{l}")),
        }
    }

    /// Whether `a` is one of them.
    pub fn holds(&self, a: IpAddr) -> bool {
        match (self, a) {
            (Aim::Any, _) => true,
            (Aim::Addrs(v), a) => v.contains(&Some(a)),
            (Aim::Prefix(n, l), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*l)).unwrap_or(0);
                u32::from(a) & mask == u32::from(*n) & mask
            }
            (Aim::Prefix(..), IpAddr::V6(_)) => false,
        }
    }

    /// The filter's part (`ip.addr == A`, any IP layer: as [`Aim::holds`]
    /// is checked against an ICMP error's quoted packet too).
    pub fn predicate(&self) -> Option<String> {
        match self {
            Aim::Any => None,
            Aim::Prefix(n, l) => Some(format!("ip.addr == {n}/{l}")),
            Aim::Addrs(v) => {
                let set = |v6: bool| -> Option<String> {
                    let a: Vec<String> = v
                        .iter()
                        .flatten()
                        .filter(|a| a.is_ipv6() == v6)
                        .map(IpAddr::to_string)
                        .collect();
                    let field = if v6 { "ipv6.addr" } else { "ip.addr" };
                    match a.as_slice() {
                        [] => None,
                        [one] => Some(format!("{field} == {one}")),
                        many => Some(format!("{field} in {{{}}}", many.join(", "))),
                    }
                };
                match (set(false), set(true)) {
                    (Some(a), Some(b)) => Some(format!("({a} || {b})")),
                    (a, b) => a.or(b),
                }
            }
        }
    }
}

/// A time in µs as `frame.time_epoch` compares it: seconds with six decimals.
pub fn epoch(us: i64) -> String {
    format!(
        "{}.{:06}",
        us.div_euclid(1_000_000),
        us.rem_euclid(1_000_000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_has_its_filter() {
        assert_eq!(
            row_predicate(Proto::Tcp, 445, Side::Dst),
            "tcp.dstport == 445"
        );
        assert_eq!(
            row_predicate(Proto::Udp, 53, Side::Either),
            "udp.port == 53"
        );
        assert_eq!(row_predicate(Proto::Icmp, 8, Side::Dst), "icmp.type#1 == 8");
        assert_eq!(
            row_predicate(Proto::Icmpv6, 128, Side::Src),
            "icmpv6.type#1 == 128"
        );
        let gre = row_predicate(Proto::Ip, 47, Side::Either);
        assert!(
            gre.starts_with("(ip.proto == 47 || ipv6.nxt == 47) && !tcp && !udp"),
            "{gre}"
        );
        let other = row_predicate(Proto::Ip, OTHER_IP, Side::Either);
        assert!(
            other.starts_with("((ip && !(ip.proto in {1, 2, 4, 6, 17, "),
            "{other}"
        );
        assert_eq!(
            row_predicate(Proto::Fragment, 17, Side::Either),
            "((ip.frag_offset > 0 && ip.proto == 17) || (ipv6.fraghdr.offset > 0 \
             && ipv6.fraghdr.nxt == 17)) && !icmp && !icmpv6"
        );
    }
}
