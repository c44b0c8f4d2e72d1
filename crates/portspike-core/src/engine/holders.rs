//! Which port numbers many hosts hold: the service side of a packet whose
//! roles the usual rules cannot tell (reflection: thousands of reflectors
//! all send from udp/47808 to one victim's port 30120, lower and no better
//! known). [`crate::flows::service_port`] says when it overrides the other
//! rules.

use crate::decode::Proto;

/// (Each port number's map has 64 bits, linear counting: 10 holders set
/// about 9 of them, 50 about 35, a thousand all of them. The victim's side
/// of a reflection may be held by a few hosts too (its own traffic from that
/// port, its neighbours'): with 64 bits, up to 16 of them still leave the
/// reflectors' side four times theirs. The table is 1 MiB.)
/// A port number is shared when at least this many bits are set…
pub const SHARED_MIN_BITS: u32 = 8;
/// …and this many times the other side's.
pub const SHARED_OVER_OTHER: u32 = 4;

/// Per (TCP or UDP, port number): a 64-bit map of the hosts seen holding it.
#[derive(Debug, Default)]
pub(crate) struct Holders {
    bits: Vec<u64>,
}

fn slot(proto: Proto, port: u16) -> usize {
    usize::from(proto == Proto::Udp) << 16 | usize::from(port)
}

impl Holders {
    /// `host` (its address hash) holds `port`.
    pub fn see(&mut self, proto: Proto, port: u16, host: u64) {
        if self.bits.is_empty() {
            self.bits = vec![0; 2 << 16];
        }
        let Some(b) = self.bits.get_mut(slot(proto, port)) else {
            return;
        };
        *b |= 1u64 << (host >> 58);
    }

    fn count(&self, proto: Proto, port: u16) -> u32 {
        self.bits
            .get(slot(proto, port))
            .map_or(0, |b| b.count_ones())
    }

    /// The side of `(sport, dport)` held by many hosts where the other is
    /// held by few, if one is (see [`SHARED_MIN_BITS`] and the bounds after it).
    pub fn shared(&self, proto: Proto, sport: u16, dport: u16) -> Option<u16> {
        if sport == dport {
            return None;
        }
        let (a, b) = (self.count(proto, sport), self.count(proto, dport));
        if a >= SHARED_MIN_BITS && a >= SHARED_OVER_OTHER * b {
            Some(sport)
        } else if b >= SHARED_MIN_BITS && b >= SHARED_OVER_OTHER * a {
            Some(dport)
        } else {
            None
        }
    }

    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sketch::hash_u64;

    #[test]
    fn a_port_many_hosts_send_from_is_the_service_side() {
        let mut h = Holders::default();
        // Four hundred reflectors hold udp/47808; the victim holds 30120.
        for r in 0..400u64 {
            h.see(Proto::Udp, 47808, hash_u64(r));
            h.see(Proto::Udp, 30120, hash_u64(1 << 40));
        }
        assert_eq!(h.shared(Proto::Udp, 47808, 30120), Some(47808));
        assert_eq!(h.shared(Proto::Udp, 30120, 47808), Some(47808));
        assert_eq!(h.shared(Proto::Tcp, 47808, 30120), None);
    }
}
