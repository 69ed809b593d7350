using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace doctor`: node checks that need no tracing.</summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var netns = new Option<string?>("--netns")
        {
            Description = "Check another network namespace: a name from `ip netns list`, or a path such as /proc/PID/ns/net.",
        };
        var cmd = new Command("doctor",
            "Check the node for known causes of late or lost packets, without tracing. Read-only.\n" +
            "Checks: MASQUERADE/SNAT rules without --random-fully (iptables-nft, iptables-legacy, nftables) — the SNAT\n" +
            "port race; conntrack insert_failed / drop / clash_resolve / early_drop counters; conntrack table fill.\n" +
            "What can stall a CPU's packet processing (NET_RX softirq): kernel files that agents read on a schedule and\n" +
            "that are slow to read (memory.stat of the memory cgroups cadvisor reads, /proc/net/ipv6_route, route, tcp*,\n" +
            "udp*; each read up to 3 times, ~2 s in all; a large ipv6_route is timed by one read near its end, never read in\n" +
            "full, since every read() of it re-walks the route tree), dying memory cgroups (v1 and v2), softnet_stat per CPU\n" +
            "(backlog drops, time_squeeze; totals and the rise over --softnet-interval), RPS/XPS and IRQ affinity per device.\n" +
            "Each check prints its status, what it means and what to do. Exit code 0 = all ok, 1 = something to look at,\n" +
            "2 = could not check.\n\n" +
            "Examples:\n" +
            "  nettrace doctor\n" +
            "  nettrace doctor --json\n" +
            "  nettrace doctor --sample 5                      # plus: do conntrack inserts fail during 5 s?\n" +
            "  nettrace doctor --softnet-interval 10           # watch per-CPU drops / squeezes for 10 s\n" +
            "  nettrace doctor --json | jq '.checks[] | select(.id==\"slow-kernel-files\")'\n" +
            "  nettrace doctor --netns cni-1234abcd            # a pod's or a lab's namespace");
        var sample = new Option<double>("--sample")
        {
            Description = "Also sample the conntrack counters for this many seconds: are inserts failing right now?",
            DefaultValueFactory = _ => 0,
        };
        var softnet = new Option<double>("--softnet-interval")
        {
            Description = "Seconds to watch /proc/net/softnet_stat for drops and time_squeeze happening now (0 = totals since boot only).",
            DefaultValueFactory = _ => 1,
        };
        cmd.Options.Add(json);
        cmd.Options.Add(netns);
        cmd.Options.Add(sample);
        cmd.Options.Add(softnet);
        cmd.SetAction((pr, ct) =>
            Task.FromResult(new DoctorHandler(new DoctorOptions(pr.GetValue(json), pr.GetValue(netns),
                pr.GetValue(sample) > 0 ? TimeSpan.FromSeconds(Math.Min(pr.GetValue(sample), 600)) : null,
                TimeSpan.FromSeconds(Math.Clamp(pr.GetValue(softnet), 0, 600))), Console.Out, Console.Error).Run()));
        return cmd;
    }
}
