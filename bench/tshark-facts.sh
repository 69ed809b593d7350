#!/usr/bin/env bash
# tshark computing the facts our analyzer reports, in one pass over FILE:
#  - TCP streams (tcp.stream: tshark's conversation tracking), every SYN / SYN-ACK / RST, SYN retransmissions
#    (tcp.analysis.retransmission on SYN-only frames: needs sequence analysis), and the handshake timings
#    (tcp.time_relative at the SYN-ACK = first SYN -> SYN-ACK; at the client's bare ACK with relative seq 1 / ack 1,
#    the ACK that completes the handshake = first SYN -> ACK; tcp.analysis.initial_rtt is shown there too);
#  - ICMP / ICMPv6 echo pairs with their RTT (icmp.resptime, icmpv6.resptime: tshark's request/reply matching).
# tshark dissects and tracks every frame; -Y only decides which rows are printed, so the cost of the analysis is
# all there. awk tallies the rows so the run also proves it found what the generator put in.
# Usage: bench/tshark-facts.sh FILE   -> one line of key=value counts on stdout
set -euo pipefail
f="$1"
tshark -n -r "$f" \
  -o tcp.analyze_sequence_numbers:TRUE -o tcp.calculate_timestamps:TRUE \
  -Y 'tcp.flags.syn==1 || tcp.flags.reset==1 || (tcp.flags==0x010 && tcp.seq==1 && tcp.ack==1 && tcp.len==0) || icmp.type==0 || icmp.type==8 || icmpv6.type==128 || icmpv6.type==129' \
  -T fields -E separator=/t -E occurrence=f \
  -e tcp.stream -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset -e tcp.analysis.retransmission \
  -e tcp.time_relative -e tcp.analysis.initial_rtt -e icmp.type -e icmp.resptime -e icmpv6.type -e icmpv6.resptime \
  2> >(grep -v '^Running as user' >&2) |
awk -F'\t' '
  function on(v) { return v == "1" || v == "True" }
  $1 != "" { if ($1 + 1 > streams) streams = $1 + 1
             if (on($2)) { if (on($3)) synack++; else { syn++; if ($5 != "") synrtx++ } }
             else if (on($4)) rst++
             else handshakes++ }                  # the bare ACK completing a handshake
  $8 == "8" || $10 == "128" { echo_req++ }
  $9 != "" || $11 != "" { echo_pairs++ }
  END { printf "tcp_streams=%d syn=%d synack=%d rst=%d syn_retransmits=%d handshakes_acked=%d echo_requests=%d echo_pairs=%d\n",
               streams, syn, synack, rst, synrtx, handshakes, echo_req, echo_pairs }'
