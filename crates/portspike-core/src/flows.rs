//! Service-port attribution: which side of a packet is the service.

use crate::decode::{tcp_flags, Proto};
use crate::services;

pub use crate::params::Key;

fn ephemeral(port: u16) -> bool {
    (32768..=60999).contains(&port) || port >= 49152
}

fn listed(proto: Proto, port: u16) -> bool {
    services::name(proto, port).is_some() && !ephemeral(port)
}

/// The service port of a packet, in DESIGN.md's order: destination of a SYN
/// (no ACK); source of a SYN-ACK; the side below 1024; a listed, non-ephemeral
/// side; else the lower port.
pub fn service_port(proto: Proto, sport: u16, dport: u16, flags: u8) -> u16 {
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
        assert_eq!(service_port(Proto::Tcp, 50000, 445, SYN), 445);
        assert_eq!(service_port(Proto::Tcp, 445, 50000, SYN | ACK), 445);
        assert_eq!(service_port(Proto::Tcp, 50000, 8080, ACK), 8080);
        assert_eq!(service_port(Proto::Tcp, 8080, 50000, ACK), 8080);
        assert_eq!(service_port(Proto::Udp, 53, 40000, 0), 53);
        assert_eq!(service_port(Proto::Tcp, 40001, 5001, ACK), 5001);
        // A SYN to a high port is still that port's attempt.
        assert_eq!(service_port(Proto::Tcp, 80, 50000, SYN), 50000);
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
