#!/bin/bash
# Record one real scanning-tool run on the loopback interface.
#   record.sh NAME MODE MAXPKTS TIMEOUT -- command args...
# MODE: both     -> NAME-both.pcap        (filter 'net 127.0.0.0/8')
#       oneway   -> NAME-both.pcap and NAME-probes-only.pcap from the same run
#                   (probes-only filter: src host 127.0.0.1 and dst net
#                   127.0.0.0/8 and not dst host 127.0.0.1)
# All targets must be inside 127.0.0.0/8.
set -u
D=$(cd "$(dirname "$0")" && pwd)
name=$1 mode=$2 maxp=$3 tmo=$4; shift 4
[ "$1" = "--" ] && shift
ONEWAY='src host 127.0.0.1 and dst net 127.0.0.0/8 and not dst host 127.0.0.1'
tcpdump -i lo -s 128 -U -w "$D/$name-both.pcap" -c "$maxp" 'net 127.0.0.0/8' 2>/dev/null &
p1=$!
p2=
if [ "$mode" = oneway ]; then
  tcpdump -i lo -s 128 -U -w "$D/$name-probes-only.pcap" -c "$maxp" "$ONEWAY" 2>/dev/null &
  p2=$!
fi
sleep 1.5
echo "+ $*" >&2
timeout "$tmo" "$@"
echo "rc=$?" >&2
sleep 1
kill -INT $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
ls -l "$D/$name"-*.pcap
