using System.Globalization;
using System.Text.Json;
using NetTrace.Lab.SnatRace;
using NetTrace.Lab.SoftirqStall;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

public sealed record LabSoftirqStallOptions(SoftirqStallOptions Lab, bool Json);

/// <summary>Runs the softirq-stall lab and prints the stalls it caused, what the probes saw, and (with --trace) the live view.</summary>
public sealed class LabSoftirqStallHandler(LabSoftirqStallOptions options, TextWriter stdout, TextWriter stderr)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public Task<int> RunAsync(CancellationToken ct) => LabRun.RunAsync(
        "nettrace lab softirq-stall needs root (it creates network namespaces and sets RPS).",
        options.Lab.Validate,
        token => SoftirqStallLab.RunAsync(options.Lab, options.Json ? TextWriter.Null : stderr, token),
        e => e is LabException or NetnsException or NetTrace.Lab.Netns.LabCommandException or TimeoutException
                  or NotSupportedException or NetTrace.Tracer.Libbpf.LibbpfException,
        Report, stderr, ct);

    private int Report(SoftirqStallResult r)
    {
        if (options.Json) WriteJson(r);
        else WriteText(r);
        bool warnings = !r.AllStallsOnStallCpu || r.Statistics.Lost > 0
                        || (r.Live is { } l && (l.LostEvents > 0 || l.Found < r.Stalls.Count));
        return warnings ? Program.ExitWarnings : Program.ExitOk;
    }

    private static string Ms(double v) => v.ToString("0.0", Inv);

    private void WriteText(SoftirqStallResult r)
    {
        var o = r.Options;
        var s = r.Statistics;
        var how = o.Mechanism == StallMechanism.Mtu ? "MTU changes" : "agent reads of /proc/net/ipv6_route";
        stdout.WriteLine($"softirq-stall lab: {how} over {r.RoutesLoaded:N0} IPv6 routes on CPU {o.StallCpu}; " +
                         $"RX queue {r.StalledQueue} (ICMP and its TCP flows) -> CPU {o.StallCpu}, other queues' flows -> CPU {o.SenderCpu}");
        if (r.Stalls.Count > 0)
        {
            var d = r.Stalls.Select(x => x.CpuMs).Order().ToList();
            var task = r.Stalls[0];
            stdout.WriteLine($"  stalls caused:   {r.Stalls.Count} of {o.Stalls}, on CPU {string.Join(",", r.Stalls.Select(x => x.Cpu).Distinct())} by {task.Task} (pid {task.Pid}, tid {task.Tid})");
            stdout.WriteLine($"  stall lengths:   {string.Join(", ", r.Stalls.Select(x => Ms(x.CpuMs)))} ms on CPU (min {Ms(d[0])}, median {Ms(d[d.Count / 2])}, max {Ms(d[^1])}); " +
                             $"wall {string.Join(", ", r.Stalls.Select(x => Ms(x.DurationMs)))} ms");
        }
        stdout.WriteLine($"  probes:          {s.Sent:N0} sent (ICMP; TCP on the stalled and on other queues), {s.Lost} unanswered; baseline p50 {s.BaselineP50Ms:0.000} ms, p99 {s.BaselineP99Ms:0.000} ms; delayed = over {s.DelayedThresholdMs:0.00} ms");
        stdout.WriteLine($"  queue {r.StalledQueue} (CPU {o.StallCpu}): ICMP delayed {s.StalledIcmpDelayed}, TCP SYN->SYN-ACK delayed {s.StalledTcpDelayed}, max extra latency {Ms(s.StalledMaxExtraMs)} ms");
        stdout.WriteLine($"  other queues (CPU {o.SenderCpu}): TCP SYN->SYN-ACK delayed {s.ControlTcpDelayed}, max extra latency {Ms(s.ControlMaxExtraMs)} ms");
        foreach (var (st, im) in r.Stalls.Zip(s.PerStall))
            stdout.WriteLine($"    stall {st.Index}: {Ms(st.CpuMs)} ms -> queue {r.StalledQueue} max {Ms(im.StalledMaxLatencyMs)} ms " +
                             $"(ICMP {im.StalledIcmpDelayed}, TCP {im.StalledTcpDelayed} delayed; {im.BurstReplies} replies released in one burst), other queues max {im.ControlMaxLatencyMs:0.00} ms");
        if (s.DelayedOutsideStalls > 0)
            stdout.WriteLine($"  delayed probes outside the stalls: {s.DelayedOutsideStalls} (this machine's own pauses, not the lab's)");
        if (r.Live is { } live)
        {
            stdout.WriteLine($"  live eBPF stall tracing ({live.Attach}): {live.Found} of {r.Stalls.Count} stalls seen, {live.LostEvents} events lost");
            foreach (var v in live.Stalls)
                stdout.WriteLine(v.LiveDelayMs is { } ld
                    ? $"    stall {v.Stall}: lab: probes held {Ms(v.LabHeldMs)} ms (call {Ms(v.LabDurationMs)} ms CPU); live {Ms(ld)} ms on CPU {v.Cpu} ({Scope(v.Scope)}" +
                      (v.Windows > 1 ? $", {v.Windows} windows" : "") +
                      $"); held by {v.HeldBy ?? "?"}, ran in {v.RanIn ?? "?"}; {v.PacketsDelayed} packets waited (ICMP {v.IcmpDelayed}, TCP {v.TcpDelayed})"
                    : $"    stall {v.Stall}: lab: probes held {Ms(v.LabHeldMs)} ms (call {Ms(v.LabDurationMs)} ms CPU); not seen live");
            var others = live.OtherWindowsOnStallCpu;
            stdout.WriteLine($"    live windows the lab did not cause: {others.Count} on CPU {o.StallCpu}" +
                             (others.Count > 0 ? $" (max {Ms(others.Max(w => w.MaxDelayMs))} ms, {others.Count(w => w.Scope == NetTrace.Analyzer.Model.StallScope.AllCpus)} of them machine pauses; " +
                                                 $"held by {string.Join(", ", others.Select(w => w.HeldBy ?? "?").Distinct())})" : "") +
                             $", {live.WindowsOnOtherCpus.Count} on other CPUs" +
                             (live.WindowsOnOtherCpus.Count > 0 ? $" (max {Ms(live.WindowsOnOtherCpus.Max(w => w.MaxDelayMs))} ms)" : "") +
                             $"; threshold {o.TraceThresholdMs} ms");
            if (live.Finding is { } f)
            {
                stdout.WriteLine($"  live finding [{f.Severity.ToString().ToUpperInvariant()}, confidence {f.Confidence:F2}] {f.Title}");
                foreach (var e in f.Evidence.Take(4)) stdout.WriteLine($"      {e.Label}: {e.Value}");
            }
            else stdout.WriteLine($"  live finding: none for CPU {o.StallCpu}");
            foreach (var other in live.OtherFindings)
                stdout.WriteLine($"  other live finding [{other.Kind}] {other.Title}");
        }
        foreach (var c in r.Captures)
            stdout.WriteLine($"  capture {c.Role}: {c.Path} ({c.Packets?.ToString(Inv) ?? "?"} packets on {c.Interface}, {c.KernelDrops?.ToString(Inv) ?? "?"} dropped by kernel)");
        stdout.WriteLine($"  elapsed {r.Elapsed.TotalSeconds:F1} s (setup {r.SetupTime.TotalSeconds:F1} s); lab namespaces removed");
    }

    private static string Scope(NetTrace.Analyzer.Model.StallScope? s) => s switch
    {
        NetTrace.Analyzer.Model.StallScope.OneCpu => "this CPU only",
        NetTrace.Analyzer.Model.StallScope.AllCpus => "every CPU: a machine pause",
        _ => "scope unknown",
    };

    private void WriteJson(SoftirqStallResult r)
    {
        var s = r.Statistics;
        var doc = new
        {
            mode = r.Options.Mechanism, routes = r.RoutesLoaded, stallCpu = r.Options.StallCpu, senderCpu = r.Options.SenderCpu,
            stalledQueue = r.StalledQueue,
            intervalMs = r.Options.IntervalMs, gapMs = r.Options.GapMs,
            stalls = r.Stalls.Select(x => new { index = x.Index, start = x.StartUnixSeconds, cpuMs = Math.Round(x.CpuMs, 3), wallMs = Math.Round(x.DurationMs, 3), cpu = x.Cpu, task = x.Task, pid = x.Pid, tid = x.Tid }),
            probes = new
            {
                sent = s.Sent, unanswered = s.Lost,
                baselineP50Ms = Math.Round(s.BaselineP50Ms, 3), baselineP99Ms = Math.Round(s.BaselineP99Ms, 3), delayedThresholdMs = Math.Round(s.DelayedThresholdMs, 3),
                stalledQueue = new { icmpDelayed = s.StalledIcmpDelayed, tcpDelayed = s.StalledTcpDelayed, maxExtraMs = Math.Round(s.StalledMaxExtraMs, 3) },
                otherQueues = new { tcpDelayed = s.ControlTcpDelayed, maxExtraMs = Math.Round(s.ControlMaxExtraMs, 3) },
                delayedOutsideStalls = s.DelayedOutsideStalls,
                perStall = s.PerStall,
                unansweredProbes = s.Unanswered.Select(p => new { path = p.Path, kind = p.Kind, tick = p.Tick, sent = p.SendUnixSeconds, sourcePort = p.SourcePort }),
            },
            live = r.Live,
            captures = r.Captures,
            elapsedSeconds = Math.Round(r.Elapsed.TotalSeconds, 3),
        };
        stdout.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // stdout JSON, not HTML
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        }));
    }
}
