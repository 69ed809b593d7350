namespace NetTrace.Tracer.Planning;

/// <summary>Every probe and its attach candidates, best first. The programs named here live in bpf/&lt;object&gt;.bpf.c.</summary>
public static class ProbeCatalog
{
    public static readonly ProbeDefinition TcpConnect = new(ProbeKinds.TcpConnect, "tcpconnect", "tcpconnect",
        "active TCP connects: start, SYN retransmits, outcome (established/refused/timed out), latency",
        [
            new ProbeHook("state", Required: true,
            [
                new(AttachKind.Fentry, "tcpconnect_state_fentry", "tcp_set_state"),
                new(AttachKind.Kprobe, "tcpconnect_state_kprobe", "tcp_set_state"),
                new(AttachKind.TpBtf, "tcpconnect_state_btf", "inet_sock_set_state"),
                new(AttachKind.Tracepoint, "tcpconnect_state_tp", "sock/inet_sock_set_state"),
            ]),
            new ProbeHook("syn-retransmit", Required: true,
            [
                new(AttachKind.Fentry, "tcpconnect_retransmit_fentry", "tcp_retransmit_skb"),
                new(AttachKind.Kprobe, "tcpconnect_retransmit_kprobe", "tcp_retransmit_skb"),
                new(AttachKind.TpBtf, "tcpconnect_retransmit_btf", "tcp_retransmit_skb"),
                new(AttachKind.Tracepoint, "tcpconnect_retransmit_tp", "tcp/tcp_retransmit_skb"),
            ]),
            new ProbeHook("receive-reset", Required: false,
            [
                new(AttachKind.TpBtf, "tcpconnect_reset_btf", "tcp_receive_reset"),
                new(AttachKind.Tracepoint, "tcpconnect_reset_tp", "tcp/tcp_receive_reset"),
            ]),
        ]);

    public static readonly ProbeDefinition TcpSendmsg = new(ProbeKinds.TcpSendmsg, "tcpsendmsg", "tcpsendmsg",
        "TCP bytes and calls per flow and process, aggregated in the kernel",
        [
            new ProbeHook("sendmsg", Required: true,
            [
                new(AttachKind.Fentry, "tcpsendmsg_fentry", "tcp_sendmsg"),
                new(AttachKind.Kprobe, "tcpsendmsg_kprobe", "tcp_sendmsg"),
                new(AttachKind.TpBtf, "tcpsendmsg_btf", "sock_send_length"),
                new(AttachKind.Tracepoint, "tcpsendmsg_tp", "sock/sock_send_length"),
            ]),
        ]);

    public static readonly ProbeDefinition IcmpEcho = new(ProbeKinds.IcmpEcho, "icmpecho", "icmpecho",
        "ICMP/ICMPv6 echo requests received: CPU, execution context, lateness",
        [
            new ProbeHook("receive", Required: true,
            [
                new(AttachKind.Fentry, [new("icmpecho_v4_fentry", "icmp_rcv"), new("icmpecho_v6_fentry", "icmpv6_rcv")]),
                new(AttachKind.Kprobe, [new("icmpecho_v4_kprobe", "icmp_rcv"), new("icmpecho_v6_kprobe", "icmpv6_rcv")]),
                new(AttachKind.TpBtf, "icmpecho_btf", "netif_receive_skb"),
                new(AttachKind.RawTracepoint, "icmpecho_raw_tp", "netif_receive_skb"),
            ]),
            // Marks NET_RX runs per CPU so each echo says whether it was handled in softirq or process context.
            new ProbeHook("context", Required: false,
            [
                new(AttachKind.TpBtf, [new("icmpecho_rx_entry_btf", "softirq_entry"), new("icmpecho_rx_exit_btf", "softirq_exit")]),
                new(AttachKind.Tracepoint, [new("icmpecho_rx_entry_tp", "irq/softirq_entry"), new("icmpecho_rx_exit_tp", "irq/softirq_exit")]),
            ]),
        ]);

    public static readonly ProbeDefinition Drops = new(ProbeKinds.Drops, "drops", "drops",
        "dropped packets (skb:kfree_skb) with reason and location",
        [
            new ProbeHook("kfree_skb", Required: true,
            [
                new(AttachKind.TpBtf, "drops_btf", "kfree_skb"),
                new(AttachKind.Tracepoint, "drops_tp", "skb/kfree_skb"),
            ]),
        ]);

    public static readonly ProbeDefinition Softirq = new(ProbeKinds.Softirq, "softirqs", "softirqs",
        "NET_RX softirq raise→entry delay and run time per CPU (histograms + events above a threshold)",
        [
            new ProbeHook("raise", Required: true,
            [
                new(AttachKind.TpBtf, "softirqs_raise_btf", "softirq_raise"),
                new(AttachKind.Tracepoint, "softirqs_raise_tp", "irq/softirq_raise"),
            ]),
            new ProbeHook("entry", Required: true,
            [
                new(AttachKind.TpBtf, "softirqs_entry_btf", "softirq_entry"),
                new(AttachKind.Tracepoint, "softirqs_entry_tp", "irq/softirq_entry"),
            ]),
            new ProbeHook("exit", Required: true,
            [
                new(AttachKind.TpBtf, "softirqs_exit_btf", "softirq_exit"),
                new(AttachKind.Tracepoint, "softirqs_exit_tp", "irq/softirq_exit"),
            ]),
        ]);

    public static readonly ProbeDefinition RxLatency = new(ProbeKinds.RxLatency, "rxlatency", "rxlatency",
        "per-packet receive-path latency per CPU: queued (netif_rx, veth transmit) → netif_receive_skb; histograms + slow packets with flow and context",
        [
            new ProbeHook("queue", Required: true,
            [
                new(AttachKind.TpBtf, "rxlat_netif_rx_btf", "netif_rx"),
                new(AttachKind.Tracepoint, "rxlat_netif_rx_tp", "net/netif_rx"),
            ]),
            new ProbeHook("receive", Required: true,
            [
                new(AttachKind.TpBtf, "rxlat_receive_btf", "netif_receive_skb"),
                new(AttachKind.Tracepoint, "rxlat_receive_tp", "net/netif_receive_skb"),
            ]),
            // veth peers with NAPI (GRO on, XDP, threaded NAPI) take the skb without netif_rx: stamp at the transmit.
            new ProbeHook("veth-xmit", Required: false,
            [
                new(AttachKind.TpBtf, "rxlat_veth_xmit_btf", "net_dev_start_xmit"),
                new(AttachKind.Tracepoint, "rxlat_veth_xmit_tp", "net/net_dev_start_xmit"),
            ]),
            // Marks NET_RX runs per CPU: tells softirq context from a NAPI kthread's process context.
            new ProbeHook("context", Required: false,
            [
                new(AttachKind.TpBtf, [new("rxlat_rx_entry_btf", "softirq_entry"), new("rxlat_rx_exit_btf", "softirq_exit")]),
                new(AttachKind.Tracepoint, [new("rxlat_rx_entry_tp", "irq/softirq_entry"), new("rxlat_rx_exit_tp", "irq/softirq_exit")]),
            ]),
        ]);

    public static readonly ProbeDefinition CpuGaps = new(ProbeKinds.CpuGaps, "cpugaps", "cpugaps",
        "per-CPU clock watch: CPUs that stopped (VM pause, vCPU not run, interrupts off); tells whole-machine pauses from one-CPU stalls",
        [
            new ProbeHook("sample", Required: true,
            [
                new(AttachKind.PerfEvent, "cpugaps_sample", "cpu-clock"),
            ]),
        ]);

    public static IReadOnlyList<ProbeDefinition> All { get; } = [TcpConnect, TcpSendmsg, IcmpEcho, Drops, Softirq, RxLatency, CpuGaps];

    public static IEnumerable<ProbeDefinition> Select(ProbeKinds kinds) => All.Where(p => (kinds & p.Kind) != 0);
}
