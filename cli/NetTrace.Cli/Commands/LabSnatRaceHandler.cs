using System.Text.Json;
using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

public sealed record LabSnatRaceOptions(SnatRaceOptions Lab, bool Json);

/// <summary>Runs the SNAT race lab and prints what happened next to what the kernel counted.</summary>
public sealed class LabSnatRaceHandler(LabSnatRaceOptions options, TextWriter stdout, TextWriter stderr)
{
    public Task<int> RunAsync(CancellationToken ct) => LabRun.RunAsync(
        "nettrace lab snat-race needs root (it creates network namespaces and NAT rules).",
        options.Lab.Validate,
        token => SnatRaceLab.RunAsync(options.Lab, options.Json ? TextWriter.Null : stderr, token),
        e => e is LabException or NetnsException or ConntrackUnavailableException or NetTrace.Tracer.Libbpf.LibbpfException,
        Report, stderr, ct);

    private int Report(SnatRaceResult result)
    {
        if (options.Json) WriteJson(result);
        else WriteText(result);
        return result.FailedConnects > 0 ? Program.ExitWarnings : Program.ExitOk;
    }

    private void WriteText(SnatRaceResult r)
    {
        var o = r.Options;
        var d = r.Conntrack;
        stdout.WriteLine($"SNAT race lab: {o.Pods} pods, {o.Rounds} rounds, {(o.EphemeralPorts ? "kernel-chosen" : "equal")} source ports");
        stdout.WriteLine($"  NAT rule (node namespace): iptables -t nat {r.NatRule}");
        stdout.WriteLine($"  connects:                    {r.Connects.Count}");
        stdout.WriteLine($"  took >=1 s (SYN retransmit): {r.SlowConnects}" +
                         (r.SlowConnects > 0 ? "  per pod: " + string.Join(", ", r.SlowPerPod.OrderBy(k => k.Key).Select(k => $"pod{k.Key}={k.Value}")) : ""));
        if (r.FailedConnects > 0) stdout.WriteLine($"  never completed:             {r.FailedConnects}");
        stdout.WriteLine($"  SYNs retransmitted (TCP_INFO): {r.RetransmittedSyns}");
        stdout.WriteLine($"  conntrack insert_failed +{d.InsertFailed}, drop +{d.Drop}, clash_resolve +{d.ClashResolve}, early_drop +{d.EarlyDrop}");
        var slow = r.Connects.Where(c => c.LatencySeconds != null && !c.Slow).Select(c => c.LatencySeconds!.Value).Order().ToList();
        if (slow.Count > 0)
            stdout.WriteLine($"  other connects: median {slow[slow.Count / 2] * 1e3:F2} ms, max {slow[^1] * 1e3:F2} ms");
        stdout.WriteLine(!r.CountsMatch
            ? $"  counts differ: {r.RetransmittedSyns} SYNs retransmitted ({r.SlowConnects} slow connects) vs insert_failed +{d.InsertFailed}"
            : r.SlowConnects == 0
                ? "  no failed conntrack inserts and no 1 s connects: no race"
                : $"  counts match: each of the {d.InsertFailed} failed conntrack inserts is a SYN the client had to retransmit" +
                  (r.RetransmittedSyns > r.SlowConnects ? $" ({r.RetransmittedSyns - (long)r.SlowConnects} connects lost twice)" : ""));
        foreach (var c in r.Captures)
            stdout.WriteLine($"  capture {c.Role}: {c.Path} ({c.Packets?.ToString() ?? "?"} packets on {c.Interface}, {c.KernelDrops?.ToString() ?? "?"} dropped by kernel)");
        if (r.Live is { } live)
        {
            stdout.WriteLine($"  eBPF conntrack NAT probe: {live.NewConnections} new connections translated, {live.Clashes.Count} clash drops " +
                             $"({live.Clashes.Count(c => c.Winner != null)} with the winner seen), {live.LostEvents} events lost, confidence {live.Confidence:F2}");
            foreach (var c in live.Clashes.Take(3))
                stdout.WriteLine($"    lost: {c.Loser.Inner} -> {c.Loser.Remote} as {c.Loser.Outer}" +
                                 (c.Winner is { } w ? $"; taken {c.GapMicros:F0} µs earlier by {w.Inner} (cpu {w.Cpu} vs {c.Loser.Cpu})" : ""));
            if (live.Clashes.Count > 3) stdout.WriteLine($"    ... {live.Clashes.Count - 3} more");
        }
        if (LabSnatRaceFinding.Build(r) is { } f)
        {
            stdout.WriteLine($"  finding [{f.Severity.ToString().ToUpperInvariant()}, confidence {f.Confidence:F2}] {f.Title}");
            foreach (var a in f.Affects) stdout.WriteLine($"      {a}");
        }
        if (r.InsertFailed > 0 && !o.RandomFully)
            stdout.WriteLine("  fix: add --random-fully to the MASQUERADE rule (try: nettrace lab snat-race --random-fully)");
        stdout.WriteLine($"  elapsed {r.Elapsed.TotalSeconds:F1} s; lab namespaces removed");
    }

    private void WriteJson(SnatRaceResult r)
    {
        var d = r.Conntrack;
        var doc = new
        {
            pods = r.Options.Pods, rounds = r.Options.Rounds, randomFully = r.Options.RandomFully,
            ephemeralPorts = r.Options.EphemeralPorts, natRule = r.NatRule,
            connects = r.Connects.Count, slowConnects = r.SlowConnects, failedConnects = r.FailedConnects,
            synRetransmits = r.RetransmittedSyns,
            slowPerPod = r.SlowPerPod.ToDictionary(k => $"pod{k.Key}", k => k.Value),
            conntrack = new { insertFailed = d.InsertFailed, drop = d.Drop, clashResolve = d.ClashResolve, earlyDrop = d.EarlyDrop },
            countsMatch = r.CountsMatch,
            finding = LabSnatRaceFinding.Build(r),
            live = r.Live is { } l ? new
            {
                newConnections = l.NewConnections, clashDrops = l.Clashes.Count, withWinner = l.Clashes.Count(c => c.Winner != null),
                lostEvents = l.LostEvents, confidence = l.Confidence,
                clashes = l.Clashes.Select(c => new { loser = c.Loser.Inner.ToString(), remote = c.Loser.Remote.ToString(), outer = c.Loser.Outer.ToString(), winner = c.Winner?.Inner.ToString(), gapMicros = c.GapMicros }),
            } : null,
            captures = r.Captures,
            elapsedSeconds = Math.Round(r.Elapsed.TotalSeconds, 3),
            slow = r.Connects.Where(c => c.Slow).Select(c => new { pod = c.Pod, round = c.Round, client = c.Client, start = c.StartUnixSeconds, latency = c.LatencySeconds, error = c.Error }),
        };
        stdout.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // stdout JSON, not HTML
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        }));
    }
}
