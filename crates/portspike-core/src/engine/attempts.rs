//! Attempts and their outcomes: a SYN or a new UDP flow is an attempt (a
//! bare FIN, NULL, XMAS or ACK a probe), open until answered, refused or
//! [`ANSWER_US`] old; its outcome counts in its port's bin and, for a first
//! contact, in its source's evidence.

use super::Engine;
use crate::decode::{tcp_flags as F, Proto};
use crate::pending::PENDING_SLOTS;
use crate::sketch::hash_addr;
use std::net::IpAddr;

/// An attempt is judged this long (capture time) after it was made.
pub const ANSWER_US: i64 = 3_000_000;
/// A UDP flow idle this long ends; the next packet is a new attempt.
pub const UDP_IDLE_US: i64 = 60_000_000;
/// A TCP conversation's start is forgotten first once this long ago.
pub const CONV_IDLE_US: i64 = 600_000_000;

// A contact kind, for `probes`.
pub(crate) use crate::report::Probe;

/// A directional flow key: initiator → responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct FlowKey {
    pub(super) proto: Proto,
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) sport: u16,
    pub(super) dport: u16,
}

impl FlowKey {
    /// The flow's identity in the pending table: a 64-bit hash of the key
    /// (two flows share one with odds of 2^-64 per pair, far below anything
    /// counted). Entries stay small, so the table stays in cache longer.
    pub(super) fn id(&self) -> u64 {
        flow_id(
            self.proto,
            hash_addr(&self.src),
            hash_addr(&self.dst),
            self.sport,
            self.dport,
        )
    }

    pub(super) fn reverse(self) -> FlowKey {
        FlowKey {
            proto: self.proto,
            src: self.dst,
            dst: self.src,
            sport: self.dport,
            dport: self.sport,
        }
    }
}

/// [`FlowKey::id`] from the addresses' [`hash_addr`] values.
pub(super) fn flow_id(proto: Proto, hs: u64, hd: u64, sport: u16, dport: u16) -> u64 {
    let ports = (u64::from(sport) << 16 | u64::from(dport) | u64::from(proto == Proto::Udp) << 32)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut h = hs ^ hd.rotate_left(29).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ ports;
    h ^= h >> 31;
    h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 29)
}
/// What a packet meant for its conversation, for its bin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Outcome {
    /// A new attempt (counted in the port's attempts).
    pub attempt: bool,
    /// A SYN-ACK answering no SYN seen.
    pub unsolicited: bool,
}

/// An attempt awaiting its outcome.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub(super) ts: i64,
    /// The port whose series counts it.
    pub(super) port: (Proto, u16),
    pub(super) probe: Probe,
    /// Counted in the port's attempts (SYN, new UDP flow).
    pub(super) attempt: bool,
    /// A first contact of its source with (destination, port).
    pub(super) first_contact: bool,
    pub(super) answered: bool,
    /// Packets its sender sent in the flow since (an ACK-family probe's
    /// retransmissions; more make it a conversation seen mid-way).
    pub(super) again: u8,
}

/// An ACK-family probe's flow carrying more packets than this from its
/// sender is a conversation the capture joined mid-way, not a probe (a
/// scanner sends one, perhaps retransmitted once).
pub(super) const PROBE_REPEATS: u8 = 2;

/// A bare ACK or FIN/ACK without payload, nothing else set but PSH or URG:
/// an ACK-family probe where no conversation explains it.
fn ack_probe_of(flags: u8, payload: u16) -> Option<Probe> {
    let f = flags & (F::FIN | F::SYN | F::RST | F::PSH | F::ACK | F::URG);
    if payload > 0 || f & F::ACK == 0 || f & (F::SYN | F::RST) != 0 {
        return None;
    }
    Some(if f & F::FIN != 0 {
        Probe::Maimon
    } else {
        Probe::Ack
    })
}

fn probe_of(flags: u8) -> Option<Probe> {
    let f = flags & (F::FIN | F::SYN | F::RST | F::PSH | F::ACK | F::URG);
    match f {
        _ if f & F::SYN != 0 && f & F::ACK == 0 && f & F::RST == 0 => Some(Probe::Syn),
        0 => Some(Probe::Null),
        F::FIN => Some(Probe::Fin),
        x if x == F::FIN | F::PSH | F::URG => Some(Probe::Xmas),
        _ => None,
    }
}

impl Engine {
    /// A TCP segment's part in its conversation: a new attempt (a SYN, not
    /// a retransmission), an answer (SYN-ACK, RST, the initiator's ACK
    /// completing a handshake), or a probe to follow.
    pub(super) fn tcp_outcome(
        &mut self,
        k: FlowKey,
        (id, rid): (u64, u64),
        ts: i64,
        port: (Proto, u16),
        flags: u8,
        payload: u16,
    ) -> Outcome {
        let mut out = Outcome::default();
        let (syn, ack, rst) = (
            flags & F::SYN != 0,
            flags & F::ACK != 0,
            flags & F::RST != 0,
        );
        self.stats.tcp_packets += 1;
        if ack && !syn && !rst {
            self.stats.tcp_midflow += 1;
        }
        if syn && !ack && !rst {
            let retransmit = self
                .pending
                .get(id)
                .is_some_and(|pd| pd.attempt && ts - pd.ts <= ANSWER_US);
            if !retransmit {
                out.attempt = true;
                self.remember_conv(id, ts);
                self.open(k, id, ts, port, Probe::Syn, true);
            }
        } else if syn && ack {
            match self.pending.get_mut(rid) {
                Some(pd) if !pd.answered => {
                    pd.answered = true;
                    let pd = *pd;
                    self.resolve_success(k.dst, pd);
                }
                Some(_) => {}
                None => out.unsolicited = true,
            }
        } else if rst {
            let r = k.reverse();
            if self.pending.get(rid).is_some_and(|pd| !pd.answered) {
                self.resolve(r, rid, true, false);
            } else if let Some(pd) = self.pending.get(id).copied() {
                // The initiator resets after a SYN-ACK: a half-open (SYN) scan.
                if pd.answered {
                    if let Some(s) = self.sources.get_mut(&k.src) {
                        s.half_open += 1;
                    }
                }
                self.pending.remove(id);
            }
        } else if let Some(pd) = self.pending.get_mut(id) {
            if pd.probe.acks() {
                pd.again = pd.again.saturating_add(1);
            }
            let pd = *pd;
            if pd.probe.acks() && (payload > 0 || pd.again > PROBE_REPEATS) {
                // The flow goes on (data, or more than a probe's
                // retransmissions): a conversation the capture joined
                // mid-way, whose ACKs are not probes.
                self.pending.remove(id);
                self.remember_conv(id, ts);
            } else if ack && pd.probe == Probe::Syn {
                // The handshake completed. The initiator acknowledges
                // only an answer: where the SYN-ACK is missing (a
                // one-way capture, a lost packet) its ACK says the
                // attempt succeeded all the same.
                if !pd.answered {
                    self.resolve_success(k.src, pd);
                }
                self.pending.remove(id);
                if let Some(s) = self.sources.get_mut(&k.src) {
                    s.completed += 1;
                }
                if let Some(c) = self.cell(pd.port, pd.ts) {
                    c.completed += 1;
                }
            }
        } else if let Some(pd) = self.pending.get(rid).copied() {
            // Any other answer to a FIN/NULL/XMAS or ACK-family probe.
            if !pd.answered && pd.probe != Probe::Syn {
                self.resolve_success(k.dst, pd);
                self.pending.remove(rid);
            }
        } else if self.convs.contains_key(&rid) {
            // The peer started this conversation: whatever this side
            // sends in it answers (a bare ACK, a FIN), never probes.
        } else if let Some(probe) = probe_of(flags) {
            self.open(k, id, ts, port, probe, false);
        } else if let Some(probe) = ack_probe_of(flags, payload) {
            // A bare ACK or FIN/ACK to a (host, port) no conversation seen
            // either way explains: a probe. A reset answers it (unfiltered),
            // silence means filtered; a flow that goes on is a conversation.
            if !self.convs.contains_key(&id) {
                self.open(k, id, ts, port, probe, false);
            }
        } else if payload > 0 && !self.convs.contains_key(&id) {
            // Data in a flow whose start the capture did not see: a
            // conversation, so neither side's ACKs in it are probes.
            self.remember_conv(id, ts);
        }
        out
    }

    /// A UDP datagram's part in its flow: the first of a flow (or after
    /// [`UDP_IDLE_US`] idle) is an attempt; one the other way answers it.
    pub(super) fn udp_outcome(
        &mut self,
        k: FlowKey,
        (id, rid): (u64, u64),
        ts: i64,
        port: (Proto, u16),
    ) -> Outcome {
        let mut out = Outcome::default();
        if let Some(last) = self.udp.get_mut(&rid) {
            *last = ts;
            if let Some(pd) = self.pending.get(rid).copied().filter(|pd| !pd.answered) {
                self.resolve_success(k.dst, pd);
                self.pending.remove(rid);
                // An answered flow is UDP's completed exchange.
                if pd.attempt {
                    if let Some(c) = self.cell(pd.port, pd.ts) {
                        c.completed += 1;
                    }
                }
            }
            return out;
        }
        let fresh = self.udp.get(&id).is_none_or(|last| ts - last > UDP_IDLE_US);
        if self.udp.len() >= self.limits.udp_flows && !self.udp.contains_key(&id) {
            let cutoff = ts - UDP_IDLE_US;
            self.udp.retain(|_, last| *last > cutoff);
            if self.udp.len() >= self.limits.udp_flows {
                self.stats.evicted_udp += self.udp.len() as u64;
                self.udp.clear();
            }
            // Without this, a table full of removed entries grows.
            self.udp.shrink_to(self.limits.udp_flows);
        }
        self.udp.insert(id, ts);
        if fresh {
            out.attempt = true;
            self.open(k, id, ts, port, Probe::Udp, true);
        }
        out
    }

    /// Track an attempt or probe until its outcome is known.
    pub(super) fn open(
        &mut self,
        k: FlowKey,
        id: u64,
        ts: i64,
        port: (Proto, u16),
        probe: Probe,
        attempt: bool,
    ) {
        if self.pending.full() {
            // Judge the oldest now rather than grow.
            while self.pending.slots() >= PENDING_SLOTS / 2 {
                let Some(old) = self.pending.pop_front() else {
                    break;
                };
                if old.live {
                    self.stats.evicted_pending += 1;
                    self.judge(old.key, old.value, false, false);
                }
            }
        }
        // A packet from the service port to an ephemeral one answers the
        // peer: it is never its sender's contact (a resolver's answers, a
        // server's bare ACKs).
        let answer = self.from_shared
            || crate::flows::answers(k.proto, k.sport, k.dport, probe == Probe::Syn);
        let first_contact = !answer && self.contact(k, ts, probe);
        if !attempt && !first_contact {
            // A probe-like packet in a known pairing: nothing to judge.
            return;
        }
        self.pending.insert(
            id,
            k,
            Pending {
                ts,
                port,
                probe,
                attempt,
                first_contact,
                answered: false,
                again: 0,
            },
        );
    }

    /// A SYN of flow `id` at `ts`: the conversation is its sender's (bounded
    /// like the UDP flows: past the bound, those idle longest are forgotten).
    pub(super) fn remember_conv(&mut self, id: u64, ts: i64) {
        if self.convs.len() >= self.limits.udp_flows && !self.convs.contains_key(&id) {
            let cutoff = ts - CONV_IDLE_US;
            self.convs.retain(|_, t| *t > cutoff);
            if self.convs.len() >= self.limits.udp_flows / 2 {
                self.convs.clear();
            }
            self.convs.shrink_to(self.limits.udp_flows);
        }
        self.convs.insert(id, ts);
    }

    /// Attempt `pd` of `src` was answered.
    pub(super) fn resolve_success(&mut self, src: IpAddr, pd: Pending) {
        self.answered_after(pd.ts);
        if pd.first_contact {
            self.stats.answered_contacts += 1;
            self.trw(src, true, pd.ts);
        }
    }

    /// A failed attempt (refused, unreachable, or — `answered_by` false and
    /// not `icmp` — unanswered). `answered_by`: the target answered (RST).
    pub(super) fn resolve(&mut self, k: FlowKey, id: u64, answered_by: bool, icmp: bool) {
        if let Some(pd) = self.pending.remove(id) {
            self.judge(k, pd, answered_by, icmp);
        }
    }

    /// [`Self::resolve`] for an attempt already taken out of the table.
    pub(super) fn judge(&mut self, k: FlowKey, pd: Pending, answered_by: bool, icmp: bool) {
        if pd.answered {
            return;
        }
        // A UDP datagram without an answer is not a failure of its port (many
        // UDP services never answer); it still counts against its source.
        if pd.attempt && (pd.probe != Probe::Udp || icmp) {
            if let Some(c) = self.cell(pd.port, pd.ts) {
                c.failures += 1;
            }
            if let Some(st) = self.ports.get_mut(pd.port) {
                st.totals.failures += 1;
            }
        }
        if pd.first_contact {
            if answered_by || icmp {
                self.answered_after(pd.ts);
                self.stats.answered_contacts += 1;
            }
            let now = self.now.max(pd.ts);
            // A datagram nobody answered says little of its sender: many UDP
            // services never answer, and a one-way copy shows no answers.
            // Only a refusal (ICMP unreachable) moves TRW; the spread counts both.
            if let Some(s) = self.sources.get_mut(&k.src) {
                s.failures += 1;
            }
            if pd.probe != Probe::Udp || icmp {
                self.trw(k.src, false, now);
            }
            self.zeek(k, now);
        }
    }

    /// An attempt made at `ts` was answered now: the slowest answer so far.
    fn answered_after(&mut self, ts: i64) {
        self.slowest_answer = self.slowest_answer.max(self.now.saturating_sub(ts));
    }

    /// At the end of the capture, how long an attempt must have waited to
    /// count as unanswered: a third of [`ANSWER_US`], or less where every
    /// answer seen came sooner (four times the slowest, at least a
    /// millisecond): a scan of a fast network in a capture under a second
    /// still gets its verdicts. Where nothing answered, nothing will.
    pub(super) fn end_wait(&self) -> i64 {
        if self.stats.answered_contacts == 0 {
            return 0;
        }
        self.slowest_answer
            .saturating_mul(4)
            .clamp(1_000, ANSWER_US / 3)
    }

    /// Judge attempts older than the answer time as unanswered.
    pub(super) fn expire(&mut self, now: i64) {
        self.now = self.now.max(now);
        while let Some(s) = self.pending.front() {
            if s.value.ts + ANSWER_US > self.now {
                break;
            }
            if let Some(s) = self.pending.pop_front().filter(|s| s.live) {
                self.judge(s.key, s.value, false, false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Packet, Quoted, L4};
    use crate::fixture::{self, ip, ACK, RST, RSTACK, SYN, SYNACK, US};

    const A: [u8; 4] = [10, 0, 0, 2];
    const B: [u8; 4] = [10, 0, 0, 1];

    fn totals(e: &Engine, port: (Proto, u16)) -> (u64, u64) {
        let t = &e.ports.get(port).unwrap().totals;
        (t.attempts, t.failures)
    }

    fn completed(e: &Engine, port: (Proto, u16)) -> u32 {
        let d = e.ports.get(port).unwrap().detail.as_ref().unwrap();
        let mut c = 0;
        d.series.each(|_, cell| c += cell.completed);
        c
    }

    #[test]
    fn probes_are_told_by_their_flags() {
        assert_eq!(probe_of(F::SYN), Some(Probe::Syn));
        assert_eq!(probe_of(0), Some(Probe::Null));
        assert_eq!(probe_of(F::FIN), Some(Probe::Fin));
        assert_eq!(probe_of(F::FIN | F::PSH | F::URG), Some(Probe::Xmas));
        assert_eq!(probe_of(F::SYN | F::ACK), None);
        assert_eq!(probe_of(F::ACK), None);
        assert_eq!(probe_of(F::FIN | F::ACK), None);
    }

    #[test]
    fn a_refused_syn_is_a_failed_attempt_of_the_port_it_tried() {
        let mut e = fixture::engine();
        e.packet(0, 60, &fixture::tcp(A, B, 40000, 445, SYN), true);
        e.packet(US / 10, 60, &fixture::tcp(B, A, 445, 40000, RSTACK), true);
        assert_eq!(totals(&e, (Proto::Tcp, 445)), (1, 1));
        assert_eq!(e.sources[&ip(A)].failures, 1);
        assert_eq!(e.stats.answered_contacts, 1, "a refusal answers");
    }

    #[test]
    fn an_unanswered_syn_fails_once_its_answer_time_is_over() {
        let mut e = fixture::engine();
        e.packet(0, 60, &fixture::tcp(A, B, 40000, 445, SYN), true);
        let other = fixture::udp([10, 0, 0, 9], B, 40000, 53);
        e.packet(ANSWER_US - 1, 60, &other, true);
        assert_eq!(totals(&e, (Proto::Tcp, 445)), (1, 0));
        e.packet(ANSWER_US, 60, &other, true);
        assert_eq!(totals(&e, (Proto::Tcp, 445)), (1, 1));
    }

    #[test]
    fn a_retransmitted_syn_is_the_same_attempt() {
        let mut e = fixture::engine();
        let syn = fixture::tcp(A, B, 40000, 445, SYN);
        e.packet(0, 60, &syn, true);
        e.packet(US, 60, &syn, true);
        assert_eq!(totals(&e, (Proto::Tcp, 445)).0, 1);
        // Past the answer time the same flow tries again.
        e.packet(US + ANSWER_US + 1, 60, &syn, true);
        assert_eq!(totals(&e, (Proto::Tcp, 445)).0, 2);
    }

    #[test]
    fn a_handshake_completes_its_attempt() {
        let mut e = fixture::engine();
        e.packet(0, 60, &fixture::tcp(A, B, 40000, 80, SYN), true);
        e.packet(1000, 60, &fixture::tcp(B, A, 80, 40000, SYNACK), true);
        e.packet(2000, 60, &fixture::tcp(A, B, 40000, 80, ACK), true);
        e.finish();
        assert_eq!(totals(&e, (Proto::Tcp, 80)), (1, 0));
        assert_eq!(completed(&e, (Proto::Tcp, 80)), 1);
        assert_eq!(e.sources[&ip(A)].answered, 1);
    }

    #[test]
    fn the_initiator_s_ack_proves_a_handshake_whose_syn_ack_is_missing() {
        let mut e = fixture::engine();
        e.packet(0, 60, &fixture::tcp(A, B, 40000, 80, SYN), true);
        e.packet(2000, 60, &fixture::tcp(A, B, 40000, 80, ACK), true);
        e.finish();
        assert_eq!(completed(&e, (Proto::Tcp, 80)), 1);
        assert_eq!(e.stats.answered_contacts, 1);
    }

    #[test]
    fn a_udp_flow_is_one_attempt_until_idle_and_an_answer_completes_it() {
        let mut e = fixture::engine();
        let q = fixture::udp(A, B, 40000, 53);
        e.packet(0, 60, &q, true);
        e.packet(1000, 60, &q, true);
        e.packet(2000, 60, &fixture::udp(B, A, 53, 40000), true);
        assert_eq!(totals(&e, (Proto::Udp, 53)), (1, 0));
        assert_eq!(completed(&e, (Proto::Udp, 53)), 1);
        e.packet(2000 + UDP_IDLE_US + 1, 60, &q, true);
        assert_eq!(totals(&e, (Proto::Udp, 53)).0, 2);
    }

    #[test]
    fn an_unanswered_datagram_is_no_failure_but_an_unreachable_is() {
        let mut e = fixture::engine();
        e.packet(0, 60, &fixture::udp(A, B, 40000, 161), true);
        e.packet(0, 60, &fixture::udp(A, B, 40001, 162), true);
        let unreachable = Packet {
            src: ip(B),
            dst: ip(A),
            l4: L4::Icmp {
                v6: false,
                ty: 3,
                code: 3,
                quoted: Some(Quoted {
                    proto: Proto::Udp,
                    src: ip(A),
                    dst: ip(B),
                    sport: 40001,
                    dport: 162,
                }),
            },
        };
        e.packet(1000, 60, &unreachable, true);
        // The capture runs on past the answer time.
        e.packet(
            ANSWER_US + 1000,
            60,
            &fixture::udp(B, [10, 0, 0, 9], 40000, 53),
            true,
        );
        e.finish();
        assert_eq!(totals(&e, (Proto::Udp, 161)), (1, 0));
        assert_eq!(totals(&e, (Proto::Udp, 162)), (1, 1));
        // Both count against their source's spread.
        assert_eq!(e.sources[&ip(A)].failures, 2);
    }

    #[test]
    fn a_reset_after_a_syn_ack_marks_a_half_open_scan() {
        let mut e = fixture::engine();
        for (i, port) in [22u16, 80, 443].into_iter().enumerate() {
            let t = i as i64 * 1000;
            e.packet(t, 60, &fixture::tcp(A, B, 40000, port, SYN), true);
            e.packet(t + 100, 60, &fixture::tcp(B, A, port, 40000, SYNACK), true);
            e.packet(t + 200, 60, &fixture::tcp(A, B, 40000, port, RST), true);
        }
        let s = &e.sources[&ip(A)];
        assert_eq!(s.half_open, 3);
        assert_eq!(s.probe_kinds(), ["syn"]);
    }
}
