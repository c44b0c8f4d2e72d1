#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use etherparse::PacketBuilder;

proptest::proptest! {
    #[test]
    fn a_port_key_reads_back_what_it_writes(p in 0..Proto::ALL.len(), port in 0u16..) {
        let k = PortKey::new(Proto::ALL[p], port);
        let text = k.to_string();
        proptest::prop_assert_eq!(&text, &format!("{}/{}", Proto::ALL[p], port));
        proptest::prop_assert_eq!(text.parse::<PortKey>(), Ok(k));
    }

    #[test]
    fn a_port_key_past_65535_is_refused(p in 0..Proto::ALL.len(), port in 65_536u32..) {
        let text = format!("{}/{port}", Proto::ALL[p]);
        proptest::prop_assert_eq!(
            text.parse::<PortKey>(),
            Err(PortKeyError::Port(port.to_string()))
        );
    }

    #[test]
    fn an_unknown_protocol_is_refused_not_taken_for_tcp(name in "[a-zA-Z0-9]{0,8}", port in 0u16..) {
        proptest::prop_assume!(Proto::from_name(&name).is_none());
        proptest::prop_assert_eq!(
            format!("{name}/{port}").parse::<PortKey>(),
            Err(PortKeyError::Proto(name.clone()))
        );
    }
}

#[test]
fn port_keys_name_every_protocol_and_refuse_the_rest() {
    for &proto in Proto::ALL {
        for port in (0..=65_535u16).step_by(257).chain([1, 445, 65_534, 65_535]) {
            let k = PortKey::new(proto, port);
            assert_eq!(k.to_string().parse::<PortKey>(), Ok(k), "{k}");
        }
    }
    assert_eq!(PortKey::new(Proto::Tcp, 445).to_string(), "tcp/445");
    assert_eq!(
        format!("[{:<9}]", PortKey::new(Proto::Udp, 53)),
        "[udp/53   ]"
    );
    for bad in [
        "",
        "tcp",
        "tcp/",
        "/445",
        "TCP/445",
        "sctp/80",
        "tcp/65536",
        "tcp/-1",
        "tcp/4 5",
        "tcp/445/1",
    ] {
        assert!(bad.parse::<PortKey>().is_err(), "{bad:?}");
    }
    assert_eq!("tcp445".parse::<PortKey>(), Err(PortKeyError::NoSlash));
    assert_eq!(
        "sctp/80".parse::<PortKey>().unwrap_err().to_string(),
        "\"sctp\" is not a protocol (tcp, udp, icmp, icmpv6, ip, fragment)"
    );
}

proptest::proptest! {
    #[test]
    fn the_fast_path_agrees_with_the_general_one(
        sport in 0u16..,
        dport in 0u16..,
        udp in proptest::bool::ANY,
        payload in 0usize..64,
        edits in proptest::collection::vec((14usize..60, 0u8..), 0..4),
        cut in 0usize..8,
    ) {
        let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
        let mut f = Vec::new();
        let data = vec![7u8; payload];
        if udp {
            b.udp(sport, dport).write(&mut f, &data).unwrap();
        } else {
            b.tcp(sport, dport, 1, 1024).syn().write(&mut f, &data).unwrap();
        }
        for (at, v) in edits {
            if let Some(x) = f.get_mut(at) {
                *x = v;
            }
        }
        f.truncate(f.len().saturating_sub(cut));
        if let Some(fast) = fast_ethernet_ipv4(&f) {
            proptest::prop_assert_eq!(fast, link_slow(1, &f, 0));
        }
    }
}

fn tcp_frame(sport: u16, dport: u16, syn: bool) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(sport, dport, 1, 1024);
    let b = if syn { b.syn() } else { b.ack(5) };
    let mut v = Vec::new();
    b.write(&mut v, &[]).unwrap();
    v
}

#[test]
fn ip_in_ip_nested_without_end_counts_the_outer_layers() {
    // 2,000 IPv4 headers, each announcing IP-in-IP (protocol 4), around
    // nothing: the decoder follows the tunnel MAX_DEPTH layers deep and
    // counts the packet there (it once recursed once per header).
    let n = 2000usize;
    let mut raw = Vec::new();
    for i in 0..n {
        let total = u16::try_from((n - i) * 20).unwrap_or(u16::MAX);
        let mut h = [0u8; 20];
        h[0] = 0x45;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[8] = 64;
        h[9] = 4;
        h[12..16].copy_from_slice(&[10, 0, (i >> 8) as u8, i as u8]);
        h[16..20].copy_from_slice(&[10, 1, 0, 1]);
        raw.extend_from_slice(&h);
    }
    let (Decoded::Ip(p), true) = decode_depth(101, &raw) else {
        panic!("not decoded, or not said to be too deep")
    };
    assert_eq!(p.src.to_string(), format!("10.0.0.{MAX_DEPTH}"));
    assert!(!decode_depth(101, &raw[(n - 3) * 20..]).1);
}

#[test]
fn vlan_tags_past_the_stack_are_said_to_be_too_deep() {
    let f = tcp_frame(40000, 445, true);
    for tags in [0usize, 1, 2, 3, 100] {
        // Ethernet addresses, `tags` 802.1Q tags, then the IPv4 packet.
        let mut v = f[..12].to_vec();
        for _ in 0..tags {
            v.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        }
        v.extend_from_slice(&f[12..]);
        let (d, deep) = decode_depth(1, &v);
        let ported = matches!(
            d,
            Decoded::Ip(Packet {
                l4: L4::Ports { dport: 445, .. },
                ..
            })
        );
        assert_eq!(deep, !ported, "{tags} tags: {d:?}");
        assert_eq!(deep, tags == 100, "{tags} tags");
    }
}

#[test]
fn ethernet_ipv4_tcp_syn() {
    let f = tcp_frame(40000, 445, true);
    let Decoded::Ip(p) = decode(1, &f) else {
        panic!("not decoded")
    };
    assert_eq!(
        p.l4,
        L4::Ports {
            proto: Proto::Tcp,
            sport: 40000,
            dport: 445,
            flags: tcp_flags::SYN,
            payload: 0,
        }
    );
    assert_eq!(p.src.to_string(), "10.0.0.1");
}

#[test]
fn snaplen_cut_tcp_still_has_ports() {
    let f = tcp_frame(1234, 80, false);
    // Ethernet 14 + IPv4 20 + 4 bytes of TCP
    let Decoded::Ip(p) = decode(1, &f[..38]) else {
        panic!()
    };
    assert!(matches!(
        p.l4,
        L4::Ports {
            dport: 80,
            flags: 0,
            ..
        }
    ));
}

/// Found by the `decode` fuzz target: an IPv6 packet whose last extension
/// header is cut short made etherparse's extension iterator build a slice
/// past the end (a panic in debug builds).
#[test]
fn regression_ipv6_truncated_extension_header() {
    let frame: [u8; 56] = [
        101, 101, 101, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 101, 101, 63, 101, 101, 101, 101, 101,
        101, 101, 101, 101, 101, 101, 101, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 101, 101, 0,
        101, 101, 101, 101, 101, 101, 101, 101, 101, 101, 40,
    ];
    for lt in [101, 229, 12] {
        let _ = decode(lt, &frame);
    }
    // A fragment header after a hop-by-hop header: later fragments carry no ports.
    let mut v6 = vec![0x60, 0, 0, 0, 0, 24, 0, 64];
    v6.extend_from_slice(&[0; 32]);
    v6.extend_from_slice(&[44, 0, 0, 0, 0, 0, 0, 0]); // hop-by-hop, next: fragment
    v6.extend_from_slice(&[6, 0, 0x01, 0x00, 0, 0, 0, 1]); // fragment offset 32, next: TCP
    v6.extend_from_slice(&[0, 80, 1, 187, 0, 0, 0, 0]);
    let Decoded::Ip(p) = decode(101, &v6) else {
        panic!("not decoded")
    };
    assert_eq!(p.l4, L4::Fragment { ip_proto: 6 });
}

#[test]
fn packets_without_ports_have_rows_of_their_own() {
    let b = PacketBuilder::ethernet2([1; 6], [2; 6]).ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64);
    let mut echo = Vec::new();
    b.icmpv4_echo_request(1, 1)
        .write(&mut echo, &[0; 8])
        .unwrap();
    let row = |f: &[u8]| match decode(1, f) {
        Decoded::Ip(p) => p.l4.portless_row(),
        other => panic!("{other:?}"),
    };
    assert_eq!(row(&echo), Some((Proto::Icmp, 8)));
    // IPv4 with protocol 47 (GRE) and nothing after; with 200 (unnamed).
    let mut gre = tcp_frame(1, 2, true)[..34].to_vec();
    gre[16..18].copy_from_slice(&20u16.to_be_bytes());
    gre[23] = 47;
    assert_eq!(row(&gre), Some((Proto::Ip, 47)));
    gre[23] = 200;
    assert_eq!(row(&gre), Some((Proto::Ip, crate::services::OTHER_IP)));
    // A later UDP fragment.
    let mut frag = tcp_frame(1, 2, true);
    frag[20..22].copy_from_slice(&0x0010u16.to_be_bytes());
    frag[23] = 17;
    assert_eq!(row(&frag), Some((Proto::Fragment, 17)));
    assert_eq!(row(&tcp_frame(1, 2, true)), None);
}

#[test]
fn mpls_and_cisco_metadata_are_followed_to_the_ip_packet() {
    let f = tcp_frame(40000, 445, true);
    let ip4 = &f[14..];
    // Two MPLS labels, the second at the bottom of the stack.
    let mut mpls = f[..12].to_vec();
    mpls.extend_from_slice(&[0x88, 0x47, 0, 0, 0x10, 64, 0, 0, 0x21, 64]);
    mpls.extend_from_slice(ip4);
    assert!(matches!(
        decode(1, &mpls),
        Decoded::Ip(Packet {
            l4: L4::Ports { dport: 445, .. },
            ..
        })
    ));
    // GRE (no options) carrying Cisco MetaData, then IPv4.
    let mut gre = vec![0, 0, 0x89, 0x09, 0x08, 0x00, 1, 1, 0, 1, 0, 0];
    gre.extend_from_slice(ip4);
    assert!(matches!(
        gre_frame(&gre),
        Decoded::Ip(Packet {
            l4: L4::Ports { dport: 445, .. },
            ..
        })
    ));
}

fn gre_frame(gre: &[u8]) -> Decoded {
    let mut v = tcp_frame(1, 2, true)[..34].to_vec();
    let total = u16::try_from(20 + gre.len()).unwrap();
    v[16..18].copy_from_slice(&total.to_be_bytes());
    v[23] = 47;
    v.extend_from_slice(gre);
    decode(1, &v)
}

#[test]
fn null_loopback_and_sll() {
    let f = tcp_frame(1, 22, true);
    let ip = &f[14..];
    let mut null = 2u32.to_le_bytes().to_vec();
    null.extend_from_slice(ip);
    assert!(matches!(decode(0, &null), Decoded::Ip(_)));
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&[0x08, 0x00]);
    sll.extend_from_slice(ip);
    assert!(matches!(decode(113, &sll), Decoded::Ip(_)));
    assert_eq!(decode(147, ip), Decoded::UnsupportedLink);
    assert_eq!(decode(1, &[0u8; 5]), Decoded::Malformed);
}
