using System.CommandLine;
using NetTrace.Lab.SoftirqStall;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace lab softirq-stall`: one CPU's NET_RX softirq held off while probes run (story 1).</summary>
public static class LabSoftirqStallCommand
{
    public static Command Create()
    {
        var d = new SoftirqStallOptions();
        var stalls = new Option<int>("--stalls", "-n") { Description = "Stalls to cause (1-100).", DefaultValueFactory = _ => d.Stalls };
        var routes = new Option<int>("--routes") { Description = "IPv6 routes in the server namespace; the stall grows with them (~0.2-0.5 ms per 1,000 here).", DefaultValueFactory = _ => d.Routes };
        var mode = new Option<StallMechanism>("--mode") { Description = "mtu: an MTU change walks every route with BH off (clean, sized stalls). agent: a monitoring agent reads the tail of /proc/net/ipv6_route.", DefaultValueFactory = _ => d.Mechanism };
        var cpu = new Option<int>("--cpu") { Description = "The stalled CPU: RPS steers the server's received packets there, and the stall runs there.", DefaultValueFactory = _ => d.StallCpu };
        var senderCpu = new Option<int>("--sender-cpu") { Description = "CPU of the probers and of the control path.", DefaultValueFactory = _ => d.SenderCpu };
        var gap = new Option<int>("--gap-ms") { Description = "Quiet time between stalls.", DefaultValueFactory = _ => d.GapMs };
        var interval = new Option<double>("--interval-ms") { Description = "Probe period: each tick sends an ICMP echo and a TCP SYN on each path.", DefaultValueFactory = _ => d.IntervalMs };
        var captureDir = new Option<DirectoryInfo?>("--capture-dir") { Description = "Capture at the sender (client) into DIR/client.pcap (stalled path) and DIR/client-control.pcap." };
        var trace = new Option<bool>("--trace") { Description = "Trace receive-path stalls live with eBPF during the lab (NET_RX delay per CPU with the holding task, per-packet waits) and match them to the lab's stalls." };
        var traceThreshold = new Option<double>("--trace-threshold-ms") { Description = "With --trace: waits at least this long make live stall windows.", DefaultValueFactory = _ => d.TraceThresholdMs };
        var json = CommonOptions.Json();
        var cmd = new Command("softirq-stall",
            "Reproduce a network stall caused by one CPU's NET_RX softirq being held off (the GitHub/cadvisor incident).\n\n" +
            "The lab: a \"client\" namespace (the load tester / the other node) and a \"server\" namespace (the node with\n" +
            "the service) joined by two veth pairs. On the stalled path, RPS steers every packet the server receives to\n" +
            "one CPU (--cpu, default 1) — the stand-in for a NIC whose RSS queue interrupts land on that CPU. The control\n" +
            "path is steered to the sender's CPU: the flows of another queue. Probers pinned to --sender-cpu send an ICMP\n" +
            "echo and a TCP connect (new source port each time) on both paths every --interval-ms, and time the replies\n" +
            "with kernel timestamps.\n\n" +
            "The stall: the server namespace gets a large IPv6 route table; a thread pinned to the stalled CPU then either\n" +
            "changes a device's MTU (--mode mtu: the kernel walks every route with bottom halves disabled) or reads the\n" +
            "tail of /proc/net/ipv6_route like a metrics agent (--mode agent: the seq_file re-walks the table with BH off).\n" +
            "While BH is off, NET_RX cannot run on that CPU: packets wait in its backlog and are processed in one burst,\n" +
            "in the holding task's context, when BH is re-enabled. The lab times each such system call itself.\n\n" +
            "How it maps to the incident: NIC RSS queue -> RPS on one CPU; cadvisor reading memory.stat of thousands of\n" +
            "zombie memory cgroups -> a task holding BH off on that CPU. (On this kernel reading memory.stat is fast even\n" +
            "with 30k dying memcgs — the per-descendant walk of 2019 is gone — so the lab uses a kernel walk that still\n" +
            "holds BH off.) ICMP and TCP both stall because both land on that CPU; the control path's flows do not.\n\n" +
            "Prints: stalls caused (count, durations, CPU, task), probes delayed (ICMP vs TCP, stalled vs control path),\n" +
            "max extra latency, baseline p50/p99; with --trace, the live eBPF view of each stall next to the lab's.\n" +
            "Exit codes: 0 done, 1 done with warnings (a stall missing, probes unanswered, trace events lost), 2 failed\n" +
            "or interrupted, 64 bad options. Needs root. Everything is removed at the end, also on failure or Ctrl-C.\n\n" +
            "Examples:\n" +
            "  nettrace lab softirq-stall                                  # 5 stalls by MTU change over 200k routes\n" +
            "  nettrace lab softirq-stall --mode agent --routes 400000      # a metrics agent reading ipv6_route\n" +
            "  nettrace lab softirq-stall --trace                          # and find the stalls live with eBPF\n" +
            "  nettrace lab softirq-stall --capture-dir /tmp/ss && nettrace analyze /tmp/ss/client.pcap\n" +
            "  nettrace lab softirq-stall --stalls 3 --json > stall.json");
        foreach (var o in new Option[] { stalls, routes, mode, cpu, senderCpu, gap, interval, captureDir, trace, traceThreshold, json }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var lab = new SoftirqStallOptions(pr.GetValue(stalls), pr.GetValue(routes), pr.GetValue(mode), pr.GetValue(cpu),
                pr.GetValue(senderCpu), pr.GetValue(gap), pr.GetValue(interval), pr.GetValue(captureDir)?.FullName)
            { Trace = pr.GetValue(trace), TraceThresholdMs = pr.GetValue(traceThreshold) };
            return new LabSoftirqStallHandler(new LabSoftirqStallOptions(lab, pr.GetValue(json)), Console.Out, Console.Error).RunAsync(ct);
        });
        return cmd;
    }
}
