using System.CommandLine;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace lab &lt;scenario&gt;`: labs in network namespaces that reproduce real faults.</summary>
public static class LabCommand
{
    public static Command Create()
    {
        var lab = new Command("lab",
            "Build a small node in network namespaces and reproduce a real fault, to learn and to test the tool.\n" +
            "Needs root (creates namespaces, veths, a bridge and NAT rules — all inside its own namespaces,\n" +
            "all removed when it ends, also on failure or Ctrl-C). Traffic never leaves those namespaces.\n\n" +
            "Examples:\n" +
            "  nettrace lab snat-race\n" +
            "  nettrace lab snat-race --random-fully\n" +
            "  nettrace lab softirq-stall --trace");
        lab.Subcommands.Add(CreateSnatRace());
        lab.Subcommands.Add(LabSoftirqStallCommand.Create());
        return lab;
    }

    private static Command CreateSnatRace()
    {
        var pods = new Option<int>("--pods") { Description = "Pod namespaces racing each round (2-8).", DefaultValueFactory = _ => 2 };
        var rounds = new Option<int>("--rounds", "-n") { Description = "Racing rounds; each pod connects once per round.", DefaultValueFactory = _ => 500 };
        var randomFully = new Option<bool>("--random-fully") { Description = "Add --random-fully to the MASQUERADE rule (the fix): the race should disappear." };
        var ephemeral = new Option<bool>("--ephemeral-ports") { Description = "Let the kernel choose source ports (ordinary traffic) instead of forcing equal ones." };
        var captureDir = new Option<DirectoryInfo?>("--capture-dir") { Description = "Capture pre-NAT (bridge, pod side) and post-NAT (node uplink) traffic into DIR/pre.pcap and DIR/post.pcap." };
        var trace = new Option<bool>("--trace") { Description = "Run the conntrack NAT eBPF probe in the node namespace during the race: every clash drop with the pod that lost and the connection that won." };
        var json = CommonOptions.Json();
        var cmd = new Command("snat-race",
            "Reproduce the netfilter SNAT port race: sporadic 1 s connects from pods to an external service.\n\n" +
            "The lab: pod namespaces on a bridge in a node namespace that MASQUERADEs their traffic onto its one\n" +
            "uplink address, and an \"external\" server namespace behind that uplink.\n\n" +
            "How it makes the race happen: each pod's client thread is pinned to its own CPU; every round all pods\n" +
            "bind the SAME source port and are released together by a spinning barrier, so their SYNs reach the\n" +
            "node's MASQUERADE within microseconds of each other.\n\n" +
            "Why this is the kernel mechanism real pods hit: NAT chooses the translated tuple when a connection's\n" +
            "first packet passes POSTROUTING, checking it against confirmed conntrack entries only; the entry is\n" +
            "confirmed (inserted into the table) later, at the end of the hook chain. Two pods whose connections to the\n" +
            "same destination are translated at the same moment can both get the same outer ip:port; the second to\n" +
            "confirm fails (conntrack insert_failed), its SYN is dropped (conntrack drop), and the client retransmits\n" +
            "after the 1 s initial RTO. In production the equal ports come by chance (each pod has its own port\n" +
            "space) or from NAT's own port search; the lab forces them so the race shows in seconds, not days.\n" +
            "--random-fully makes NAT pick a random port for every connection, and the clashes vanish.\n\n" +
            "Prints: connects, how many took >=1 s (SYN retransmitted), conntrack insert_failed / drop / clash_resolve\n" +
            "rises in the node namespace, and whether they match.\n\n" +
            "Examples:\n" +
            "  nettrace lab snat-race                               # 500 rounds, 2 pods, plain MASQUERADE\n" +
            "  nettrace lab snat-race --random-fully                # the fix: no failed inserts, no 1 s connects\n" +
            "  nettrace lab snat-race --rounds 200 --capture-dir /tmp/sr && nettrace analyze /tmp/sr/pre.pcap /tmp/sr/post.pcap\n" +
            "  nettrace lab snat-race --trace                       # also watch the race in the kernel (eBPF)\n" +
            "  nettrace lab snat-race --json > race.json");
        foreach (var o in new Option[] { pods, rounds, randomFully, ephemeral, captureDir, trace, json }) cmd.Options.Add(o);
        cmd.SetAction((pr, ct) =>
        {
            var options = new LabSnatRaceOptions(
                new SnatRaceOptions(pr.GetValue(pods), pr.GetValue(rounds), pr.GetValue(randomFully), pr.GetValue(ephemeral),
                    pr.GetValue(captureDir)?.FullName) { Trace = pr.GetValue(trace) },
                pr.GetValue(json));
            return new LabSnatRaceHandler(options, Console.Out, Console.Error).RunAsync(ct);
        });
        return cmd;
    }
}
