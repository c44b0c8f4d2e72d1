//! Well-known service names (IANA names as in /etc/services) for the ports an
//! analyst meets most. A port listed here counts as a service side in
//! [`crate::flows::service_port`] unless it sits in an ephemeral range.

use crate::decode::Proto;

/// (port, tcp name, udp name); `None` where the service is not used on that protocol.
const TABLE: &[(u16, Option<&str>, Option<&str>)] = &[
    (7, Some("echo"), Some("echo")),
    (20, Some("ftp-data"), None),
    (21, Some("ftp"), None),
    (22, Some("ssh"), None),
    (23, Some("telnet"), None),
    (25, Some("smtp"), None),
    (53, Some("domain"), Some("domain")),
    (67, None, Some("bootps")),
    (68, None, Some("bootpc")),
    (69, None, Some("tftp")),
    (80, Some("http"), None),
    (88, Some("kerberos"), Some("kerberos")),
    (110, Some("pop3"), None),
    (111, Some("sunrpc"), Some("sunrpc")),
    (119, Some("nntp"), None),
    (123, None, Some("ntp")),
    (135, Some("epmap"), None),
    (137, None, Some("netbios-ns")),
    (138, None, Some("netbios-dgm")),
    (139, Some("netbios-ssn"), None),
    (143, Some("imap"), None),
    (161, None, Some("snmp")),
    (162, None, Some("snmp-trap")),
    (179, Some("bgp"), None),
    (389, Some("ldap"), Some("ldap")),
    (443, Some("https"), Some("https")),
    (445, Some("microsoft-ds"), None),
    (464, Some("kpasswd"), Some("kpasswd")),
    (465, Some("submissions"), None),
    (500, None, Some("isakmp")),
    (514, Some("shell"), Some("syslog")),
    (515, Some("printer"), None),
    (520, None, Some("router")),
    (546, None, Some("dhcpv6-client")),
    (547, None, Some("dhcpv6-server")),
    (554, Some("rtsp"), None),
    (587, Some("submission"), None),
    (631, Some("ipp"), None),
    (636, Some("ldaps"), None),
    (853, Some("domain-s"), None),
    (873, Some("rsync"), None),
    (993, Some("imaps"), None),
    (995, Some("pop3s"), None),
    (1080, Some("socks"), None),
    (1194, Some("openvpn"), Some("openvpn")),
    (1433, Some("ms-sql-s"), None),
    (1434, None, Some("ms-sql-m")),
    (1521, Some("oracle"), None),
    (1723, Some("pptp"), None),
    (1812, None, Some("radius")),
    (1813, None, Some("radius-acct")),
    (1883, Some("mqtt"), None),
    (1900, None, Some("ssdp")),
    (2049, Some("nfs"), Some("nfs")),
    (2375, Some("docker"), None),
    (2376, Some("docker-s"), None),
    (3128, Some("squid-http"), None),
    (3260, Some("iscsi-target"), None),
    (3306, Some("mysql"), None),
    (3389, Some("ms-wbt-server"), Some("ms-wbt-server")),
    (3478, Some("stun"), Some("stun")),
    (4500, None, Some("ipsec-nat-t")),
    (5060, Some("sip"), Some("sip")),
    (5061, Some("sips"), None),
    (5222, Some("xmpp-client"), None),
    (5353, None, Some("mdns")),
    (5355, None, Some("llmnr")),
    (5432, Some("postgresql"), None),
    (5671, Some("amqps"), None),
    (5672, Some("amqp"), None),
    (5900, Some("vnc"), None),
    (5985, Some("wsman"), None),
    (5986, Some("wsmans"), None),
    (6379, Some("redis"), None),
    (6443, Some("sun-sr-https"), None),
    (6667, Some("ircd"), None),
    (8000, Some("irdmi"), None),
    (8080, Some("http-alt"), None),
    (8443, Some("pcsync-https"), None),
    (8883, Some("secure-mqtt"), None),
    (9000, Some("cslistener"), None),
    (9092, Some("XmlIpcRegSvc"), None),
    (9100, Some("jetdirect"), None),
    (9200, Some("wap-wsp"), None),
    (11211, Some("memcache"), Some("memcache")),
    (27017, Some("mongodb"), None),
];

/// The service name of a port, if well known.
pub fn name(proto: Proto, port: u16) -> Option<&'static str> {
    let i = TABLE.binary_search_by_key(&port, |e| e.0).ok()?;
    let (_, tcp, udp) = TABLE.get(i)?;
    match proto {
        Proto::Tcp => *tcp,
        Proto::Udp => *udp,
        Proto::Icmp => icmp_name(port),
        Proto::Icmpv6 => icmpv6_name(port),
        Proto::Ip | Proto::Fragment => ip_name(port),
    }
}

/// ICMP message types (RFC 792 and successors) as Wireshark names them, shortened.
fn icmp_name(ty: u16) -> Option<&'static str> {
    Some(match ty {
        0 => "echo-reply",
        3 => "unreachable",
        4 => "source-quench",
        5 => "redirect",
        8 => "echo-request",
        9 => "router-advert",
        10 => "router-solicit",
        11 => "time-exceeded",
        12 => "parameter-problem",
        13 => "timestamp",
        14 => "timestamp-reply",
        17 => "mask-request",
        18 => "mask-reply",
        _ => return None,
    })
}

/// ICMPv6 message types (RFC 4443, 4861, MLD).
fn icmpv6_name(ty: u16) -> Option<&'static str> {
    Some(match ty {
        1 => "unreachable",
        2 => "packet-too-big",
        3 => "time-exceeded",
        4 => "parameter-problem",
        128 => "echo-request",
        129 => "echo-reply",
        130 => "mld-query",
        131 => "mld-report",
        133 => "router-solicit",
        134 => "router-advert",
        135 => "neighbor-solicit",
        136 => "neighbor-advert",
        137 => "redirect",
        143 => "mldv2-report",
        _ => return None,
    })
}

/// IP protocol numbers with a row of their own (IANA keywords, lower
/// case); every other number counts in the row [`OTHER_IP`].
const IP_PROTOCOLS: &[(u16, &str)] = &[
    (1, "icmp"),
    (2, "igmp"),
    (4, "ipip"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (88, "eigrp"),
    (89, "ospf"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (132, "sctp"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
];

/// The row of IP protocols without one of their own: a flood of random
/// protocol numbers is one row, not 250 small ones.
pub const OTHER_IP: u16 = 256;

/// The numbers of [`IP_PROTOCOLS`], as a Wireshark set (`{1, 2, 4, …}`).
pub fn ip_protocols_set() -> String {
    let v: Vec<String> = IP_PROTOCOLS.iter().map(|(n, _)| n.to_string()).collect();
    format!("{{{}}}", v.join(", "))
}

/// The row an IP protocol number counts in.
pub fn ip_row(n: u8) -> u16 {
    let n = u16::from(n);
    if IP_PROTOCOLS.iter().any(|(p, _)| *p == n) {
        n
    } else {
        OTHER_IP
    }
}

fn ip_name(n: u16) -> Option<&'static str> {
    if n == OTHER_IP {
        return Some("other");
    }
    IP_PROTOCOLS
        .iter()
        .find(|(p, _)| *p == n)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sorted_and_found() {
        assert!(TABLE.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
        assert_eq!(name(Proto::Tcp, 445), Some("microsoft-ds"));
        assert_eq!(name(Proto::Udp, 445), None);
        assert_eq!(name(Proto::Udp, 53), Some("domain"));
    }
}
