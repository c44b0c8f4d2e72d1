//! Service-port attribution: which side of a packet is the service.

use crate::decode::{tcp_flags, Proto};
use crate::services;
use std::net::IpAddr;

pub use crate::params::Key;

fn ephemeral(port: u16) -> bool {
    (32768..=60999).contains(&port) || port >= 49152
}

fn listed(proto: Proto, port: u16) -> bool {
    services::name(proto, port).is_some() && !ephemeral(port)
}

/// A port below 1024 or listed.
fn known(proto: Proto, port: u16) -> bool {
    port < 1024 || listed(proto, port)
}

/// Whether the port number's holders could decide a packet's service side
/// (see [`service_port`]): not when exactly one side is below 1024 or
/// listed (that side wins whatever they say).
pub fn holders_decide(proto: Proto, sport: u16, dport: u16) -> bool {
    known(proto, sport) == known(proto, dport)
}

/// The service port of a packet: destination of a SYN (no ACK); source of a
/// SYN-ACK; the side many hosts hold where the other is held by few
/// (`shared`, see the engine's holders: reflected traffic), unless it is a
/// high unlisted port against a low or listed one (spoofed floods from random
/// source ports give every port number holders); the side below 1024; a
/// listed, non-ephemeral side; else the lower port.
pub fn service_port(proto: Proto, sport: u16, dport: u16, flags: u8, shared: Option<u16>) -> u16 {
    if proto == Proto::Tcp {
        let syn = flags & tcp_flags::SYN != 0;
        let ack = flags & tcp_flags::ACK != 0;
        if syn && !ack {
            return dport;
        }
        if syn && ack {
            return sport;
        }
    }
    if let Some(p) = shared {
        let other = if p == sport { dport } else { sport };
        if known(proto, p) || !known(proto, other) {
            return p;
        }
    }
    match (sport < 1024, dport < 1024) {
        (false, true) => return dport,
        (true, false) => return sport,
        (true, true) => return sport.min(dport),
        (false, false) => {}
    }
    match (listed(proto, sport), listed(proto, dport)) {
        (false, true) => dport,
        (true, false) => sport,
        _ => sport.min(dport),
    }
}

/// A group address (multicast, broadcast, or an IPv4 address ending in
/// .255): no unicast answer comes from it, so it is nobody's contact or
/// victim.
pub fn is_group(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => a.is_multicast() || a.is_broadcast() || a.octets()[3] == 255,
        IpAddr::V6(a) => a.is_multicast(),
    }
}

/// A packet from a service port (below 1024, or listed) to an unlisted
/// client port (1024 and up: old systems pick theirs from 1024–4999), not a
/// SYN: an answer in the peer's conversation, never a probe of its sender.
pub fn answers(proto: Proto, sport: u16, dport: u16, syn: bool) -> bool {
    !syn && sport != dport
        && dport >= 1024
        && (sport < 1024 || listed(proto, sport))
        && !listed(proto, dport)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags::{ACK, SYN};

    #[test]
    fn attribution_order() {
        assert_eq!(service_port(Proto::Tcp, 50000, 445, SYN, None), 445);
        assert_eq!(service_port(Proto::Tcp, 445, 50000, SYN | ACK, None), 445);
        assert_eq!(service_port(Proto::Tcp, 50000, 8080, ACK, None), 8080);
        assert_eq!(service_port(Proto::Tcp, 8080, 50000, ACK, None), 8080);
        assert_eq!(service_port(Proto::Udp, 53, 40000, 0, None), 53);
        assert_eq!(service_port(Proto::Tcp, 40001, 5001, ACK, None), 5001);
        // A SYN to a high port is still that port's attempt.
        assert_eq!(service_port(Proto::Tcp, 80, 50000, SYN, None), 50000);
        // Reflected answers count on the port the reflectors share, even
        // where the victim's port is lower or below 1024.
        assert_eq!(
            service_port(Proto::Udp, 47808, 30120, 0, Some(47808)),
            47808
        );
        assert_eq!(service_port(Proto::Udp, 53, 22, 0, Some(53)), 53);
        assert_eq!(service_port(Proto::Udp, 53, 22, 0, None), 22);
        // A random source port many spoofed hosts happened to use never
        // outranks a low or listed destination.
        assert_eq!(service_port(Proto::Udp, 40000, 53, 0, Some(40000)), 53);
    }

    #[test]
    fn answers_come_from_the_service_port_to_an_ephemeral_one() {
        assert!(answers(Proto::Udp, 53, 51000, false));
        assert!(answers(Proto::Udp, 137, 49800, false));
        assert!(answers(Proto::Udp, 53, 1111, false));
        assert!(!answers(Proto::Udp, 51000, 53, false));
        // A scan from source port 53 to low ports is still a scan.
        assert!(!answers(Proto::Udp, 53, 161, false));
        assert!(!answers(Proto::Tcp, 80, 50000, true));
    }
}
