//! Ordinary traffic: an office's conversations (web, DNS, SMB, mail, NTP,
//! SSH keystrokes), at a steady rate or following the working day, and the
//! benign bursts that may look like attacks (a backup job, flash crowds).

// No capture input reaches this module; its indices come from `Rng::range`
// over the bounds of the arrays they index.
#![allow(clippy::indexing_slicing)]

use crate::clock::SECOND_NS as S;
use crate::rng::Rng;
use crate::trace::{Session, Trace, PSHACK};

/// A client's ephemeral port.
pub(super) fn ephemeral(rng: &mut Rng) -> u16 {
    rng.range(49152, 65535) as u16
}

/// Ordinary office traffic between `start` and `end` (ns).
pub fn background(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64) {
    background_at(trace, rng, start, end, 2.2);
}

/// Ordinary office traffic at `rate` conversations per second.
pub fn background_at(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64, rate: f64) {
    let clients: Vec<[u8; 4]> = (10..60).map(|h| [10, 1, 1, h]).collect();
    let pick = |rng: &mut Rng| clients[rng.range(0, clients.len() as u64 - 1) as usize];
    let web: [[u8; 4]; 4] = [
        [93, 184, 216, 34],
        [151, 101, 1, 69],
        [142, 250, 74, 46],
        [104, 16, 132, 229],
    ];
    let dns = [10, 1, 0, 53];
    let files = [10, 1, 0, 20];
    let mail = [10, 1, 0, 25];
    // (rate per second, what)
    let mut t = start;
    while t < end {
        t += rng.exp_ns(rate);
        if t >= end {
            break;
        }
        let c = pick(rng);
        let r = rng.unit();
        let eph = ephemeral(rng);
        if r < 0.16 {
            let s = web[rng.range(0, 3) as usize];
            let n = rng.range(1, 3) as u32;
            let session = Session {
                client: c,
                server: s,
                sport: eph,
                dport: 443,
                exchanges: n,
                resp_bytes: 1400,
            };
            trace.tcp_session(rng, t, session);
        } else if r < 0.22 {
            let s = web[rng.range(0, 3) as usize];
            let session = Session {
                client: c,
                server: s,
                sport: eph,
                dport: 80,
                exchanges: 1,
                resp_bytes: 900,
            };
            trace.tcp_session(rng, t, session);
        } else if r < 0.80 {
            let sp = eph;
            trace.udp(t, c, dns, sp, 53, rng.range(30, 60) as usize);
            trace.udp(
                t + rng.range(1, 20) as i64 * 1_000_000,
                dns,
                c,
                53,
                sp,
                rng.range(60, 200) as usize,
            );
        } else if r < 0.83 {
            let session = Session {
                client: c,
                server: files,
                sport: eph,
                dport: 445,
                exchanges: 2,
                resp_bytes: 1200,
            };
            trace.tcp_session(rng, t, session);
        } else if r < 0.86 {
            let session = Session {
                client: c,
                server: mail,
                sport: eph,
                dport: 25,
                exchanges: 2,
                resp_bytes: 300,
            };
            trace.tcp_session(rng, t, session);
        } else if r < 0.90 {
            trace.udp(t, c, [10, 1, 0, 1], 123, 123, 48);
            trace.udp(t + 2_000_000, [10, 1, 0, 1], c, 123, 123, 48);
        } else {
            // keystrokes on a long-lived SSH session
            let admin = [10, 1, 1, 11];
            let jump = [10, 1, 0, 22];
            trace.tcp(t, admin, jump, 51022, 22, PSHACK, 36);
            trace.tcp(t + 30_000_000, jump, admin, 22, 51022, PSHACK, 36);
        }
    }
}

/// Office traffic that follows the working day: quiet at night, busy from 9
/// to 17 (an hour at a time, so the rate steps gently).
pub fn background_daily(trace: &mut Trace, rng: &mut Rng, start: i64, end: i64) {
    let mut t = start;
    while t < end {
        let next = (t.div_euclid(3600 * S) + 1) * 3600 * S;
        let hour = t.div_euclid(3600 * S).rem_euclid(24);
        let rate = match hour {
            0..=6 => 0.3,
            7 | 18 => 1.0,
            8 | 17 => 1.8,
            9..=16 => 2.4,
            _ => 0.6,
        };
        background_at(trace, rng, t, next.min(end), rate);
        t = next;
    }
}

/// A benign burst: one host backs up to a server, many short connections.
pub fn backup_job(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64) {
    let (client, server) = ([10, 1, 1, 12], [10, 1, 0, 30]);
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(6.0);
        let sp = rng.range(49152, 65535) as u16;
        let session = Session {
            client,
            server,
            sport: sp,
            dport: 873,
            exchanges: 4,
            resp_bytes: 1460,
        };
        trace.tcp_session(rng, t, session);
    }
}

/// A benign burst: a flash crowd of many clients on one HTTPS server.
pub fn flash_crowd(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64) {
    flash_crowd_on(trace, rng, start, secs, 443);
}

/// A flash crowd on `port` of one server.
pub fn flash_crowd_on(trace: &mut Trace, rng: &mut Rng, start: i64, secs: i64, port: u16) {
    let server = [10, 1, 0, 80];
    let mut t = start;
    while t < start + secs * S {
        t += rng.exp_ns(25.0);
        let client = [
            100,
            rng.range(64, 127) as u8,
            rng.range(0, 255) as u8,
            rng.range(1, 254) as u8,
        ];
        let sp = rng.range(49152, 65535) as u16;
        let session = Session {
            client,
            server,
            sport: sp,
            dport: port,
            exchanges: 2,
            resp_bytes: 1400,
        };
        trace.tcp_session(rng, t, session);
    }
}
