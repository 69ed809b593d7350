#!/usr/bin/env python3
"""Prints the benchmark table from the runs' outputs and /usr/bin/time -v files, and checks every tool's facts
against the generator's truth, so a fast number can never come from skipping work.

usage: bench_report.py TRUTH.json "NAME|KIND|OUTPUT|TIMEFILE" ...
KIND: c (pcap_loop line), tshark (tshark-facts.sh line), stage (analyzer-bench line), json (nettrace analyze --json)
"""
import json
import re
import sys


def time_v(path):
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
    parts = [float(x) for x in wall.split(":")]
    seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    sys_ = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    code = int(re.search(r"Exit status: (\d+)", text).group(1))
    return seconds, rss_kb, user + sys_, code


def kv(path):
    line = open(path).read().strip().splitlines()[-1]
    return {k: v for k, v in (p.split("=", 1) for p in line.split())}


def facts(kind, path, truth):
    """(frames, [(name, got, expected)]) for one tool's output."""
    if kind == "c":
        d = kv(path)
        pairs = [("frames", d["frames"], truth["frames"]), ("syn", d["syn"], truth["syn"]),
                 ("synAck", d["synack"], truth["synAck"]), ("rst", d["rst"], truth["rst"]),
                 ("vlan", d["vlan"], truth["vlanTagged"])]
        return int(d["frames"]), pairs
    if kind == "tshark":
        d = kv(path)
        pairs = [("tcpStreams", d["tcp_streams"], truth["tcpConnections"]), ("syn", d["syn"], truth["syn"]),
                 ("synAck", d["synack"], truth["synAck"]), ("rst", d["rst"], truth["rst"]),
                 ("synRetransmits", d["syn_retransmits"], truth["synRetransmits"]),
                 ("handshakes", d["handshakes_acked"], truth["handshakesEstablished"]),
                 ("echoPairs", d["echo_pairs"], truth["icmpEchoReplies"])]
        return truth["frames"], pairs
    if kind == "stage":
        d = kv(path)
        pairs = [("frames", d["frames"], truth["frames"])]
        if d["stage"] == "analyze":
            pairs += [("tcpStreams", d["tcpStreams"], truth["tcpConnections"]), ("syn", d["syn"], truth["syn"]),
                      ("synAck", d["synAck"], truth["synAck"]), ("rst", d["rst"], truth["rst"]),
                      ("synRetransmits", d["synRetransmits"], truth["synRetransmits"]),
                      ("handshakes", d["established"], truth["handshakesEstablished"])]
        return int(d["frames"]), pairs
    if kind == "json":
        doc = json.load(open(path))
        s = doc["summary"]
        hs = doc.get("handshakes", [])
        est = sum(1 for h in hs if str(h.get("outcome", "")).lower() == "established")
        echoes = sum(1 for e in doc.get("icmpEchoes", []) if e.get("rttMicros") is not None)
        pairs = [("frames", s["frames"], truth["frames"]), ("tcpStreams", s["tcpStreams"], truth["tcpConnections"]),
                 ("syn", s["syn"], truth["syn"]), ("synAck", s["synAck"], truth["synAck"]), ("rst", s["rst"], truth["rst"]),
                 ("synRetransmits", s["synRetransmits"], truth["synRetransmits"]),
                 ("handshakes", est, truth["handshakesEstablished"]), ("echoPairs", echoes, truth["icmpEchoReplies"])]
        return int(s["frames"]), pairs
    raise SystemExit(f"unknown kind {kind}")


def main():
    truth = json.load(open(sys.argv[1]))
    rows = []
    for spec in sys.argv[2:]:
        name, kind, out, tfile = spec.split("|", 3)
        seconds, rss, cpu, code = time_v(tfile)
        try:
            frames, pairs = facts(kind, out, truth)
            bad = [f"{n} {g}!={e}" for n, g, e in pairs if int(g) != int(e)]
            check = "all facts = truth (" + ", ".join(n for n, _, _ in pairs) + ")" if not bad else "MISMATCH: " + "; ".join(bad)
        except Exception as e:  # a tool that crashed or printed nothing is shown, not hidden
            frames, check = truth["frames"], f"NO RESULT ({type(e).__name__}: {e})"
        if code != 0:
            check = f"exit {code}; " + check
        rows.append((name, frames, seconds, frames / seconds if seconds else 0, rss, cpu, check, frames / cpu if cpu else 0))

    print(f"capture: {truth['frames']:,} frames, {truth['fileBytes'] / 1e6:,.0f} MB, {truth['tcpConnections']:,} TCP connects,"
          f" max {truth['maxLiveTcpConnections']:,} live at once")
    # packets/s is frames over wall time; packets/cpu-s over user+system time, steadier on a shared machine
    print(f"{'tool':<34} {'wall s':>8} {'packets/s':>12} {'cpu s':>7} {'packets/cpu-s':>14} {'peak RSS MB':>12}  facts")
    for name, frames, seconds, pps, rss, cpu, check, ppc in rows:
        print(f"{name:<34} {seconds:>8.2f} {pps:>12,.0f} {cpu:>7.2f} {ppc:>14,.0f} {rss / 1024:>12,.0f}  {check}")
    ours = next((r for r in rows if r[0].startswith("ours")), None)
    tshark = next((r for r in rows if r[0].startswith("tshark")), None)
    floor = next((r for r in rows if r[0].startswith("C ")), None)
    if ours and tshark and tshark[3]:
        print(f"ours / tshark: {ours[3] / tshark[3]:.1f}x the packet rate, {ours[7] / tshark[7]:.1f}x per cpu-second (goal >= 10x)")
    if ours and floor and ours[3]:
        print(f"C loop / ours: {floor[3] / ours[3]:.2f}x the packet rate, {floor[7] / ours[7]:.2f}x per cpu-second (goal <= 3x)")

if __name__ == "__main__":
    main()
