using System.Diagnostics;
using System.Runtime.InteropServices;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

/// <summary>
/// `nettrace demo`, live: the SNAT race lab traced with the conntrack NAT eBPF probe and captured on both sides of
/// the NAT; the two captures analysed together by the same analyzer as `nettrace analyze`; the kernel's evidence
/// joined into the findings; an HTML report. Without root or namespaces it falls back to the built-in sample.
/// </summary>
public static class DemoLiveHandler
{
    public static async Task<int> RunAsync(DemoOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options.Sample || options.Json) return DemoHandler.Run(options, stdout, stderr, ct);
        if (WhyNotLive() is { } why)
        {
            stderr.WriteLine($"nettrace demo: {why}; showing the analysis of the built-in sample capture instead (nettrace demo --sample).");
            return DemoHandler.Run(options with { Html = options.Html ?? options.Output }, stdout, stderr, ct);
        }
        var lab = new SnatRaceOptions(Pods: 2, Rounds: options.Rounds) { Trace = true };
        try { lab.Validate(); }
        catch (ArgumentException e) { stderr.WriteLine($"nettrace demo: {e.Message}"); return Program.ExitUsage; }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        var clock = Stopwatch.StartNew();
        var dir = Directory.CreateTempSubdirectory("nettrace-demo-");
        try
        {
            stderr.WriteLine($"nettrace demo [1/4] SNAT race lab: 2 pods behind one MASQUERADE address race for the same NAT port, " +
                             $"{options.Rounds} rounds; conntrack NAT and tcpconnect eBPF probes attached; tcpdump before and after the NAT");
            SnatRaceResult race;
            DemoConnectCounts? connects = null;
            try
            {
                using var connectTrace = StartConnectTrace(lab, stderr);
                race = await SnatRaceLab.RunAsync(lab with { CaptureDir = dir.FullName }, new PrefixWriter(stderr, "    "), cts.Token);
                connects = connectTrace?.Stop();
            }
            catch (OperationCanceledException)
            {
                stderr.WriteLine("nettrace demo: interrupted; the lab's namespaces were removed");
                return Program.ExitFailed;
            }
            catch (NetnsException e)
            {
                stderr.WriteLine($"nettrace demo: network namespaces are not usable here ({e.Message}); showing the built-in sample capture instead (nettrace demo --sample).");
                return DemoHandler.Run(options with { Html = options.Html ?? options.Output }, stdout, stderr, ct);
            }
            catch (Exception e) when (e is LabException or ConntrackUnavailableException or NetTrace.Tracer.Libbpf.LibbpfException)
            {
                stderr.WriteLine($"nettrace demo: the lab failed: {e.Message}");
                return Program.ExitFailed;
            }
            stderr.WriteLine($"nettrace demo [2/4] lab done in {race.Elapsed.TotalSeconds:F1} s: {race.Connects.Count} connects, " +
                             $"conntrack insert_failed +{race.InsertFailed}; analyzing pre.pcap + post.pcap together");
            var paths = race.Captures.OrderBy(c => c.Role == "pre-nat" ? 0 : 1).Select(c => c.Path).ToList();
            var analysed = CaptureAnalyzer.Analyze(paths, AnalyzeSettings.Default, null, cts.Token);
            stderr.WriteLine($"nettrace demo [3/4] joining the live kernel evidence (clash drops, insert_failed rise) into {analysed.Findings.Count} finding(s)");
            var result = DemoEvidence.Join(analysed, race, connects);
            var report = Path.GetFullPath(options.Output);
            stderr.WriteLine($"nettrace demo [4/4] writing the HTML report to {report}");
            try { NetTrace.Reports.HtmlReport.Write(result, report); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"nettrace demo: could not write the HTML report {report}: {e.Message}");
                return Program.ExitFailed;
            }
            WriteSummary(stdout, race, connects, result, report, clock.Elapsed);
            bool lost = (race.Live?.LostEvents ?? 0) > 0 || (connects?.LostEvents ?? 0) > 0 || race.Captures.Any(c => c.KernelDrops > 0);
            return Math.Max(CaptureAnalyzer.ExitCode(result), lost ? Program.ExitWarnings : Program.ExitOk);
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("nettrace demo: interrupted");
            return Program.ExitFailed;
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { /* temp captures left behind are harmless */ }
        }
    }

    /// <summary>The tcpconnect probe adds the clients' side; the demo still runs (and says so) when it cannot attach.</summary>
    private static DemoConnectTrace? StartConnectTrace(SnatRaceOptions lab, TextWriter stderr)
    {
        try { return new DemoConnectTrace(SnatRaceTopology.ServerIp, (ushort)lab.ServerPort); }
        catch (Exception e) when (e is NotSupportedException or NetTrace.Tracer.Libbpf.LibbpfException)
        {
            stderr.WriteLine($"    tcpconnect probe not attached ({e.Message}); continuing without it");
            return null;
        }
    }

    private static void WriteSummary(TextWriter o, SnatRaceResult race, DemoConnectCounts? connects, AnalysisResult result, string report, TimeSpan elapsed)
    {
        o.WriteLine($"nettrace demo: SNAT port race lab, {race.Options.Pods} pods x {race.Options.Rounds} rounds behind one MASQUERADE address (iptables -t nat {race.NatRule})");
        var f = result.Findings.FirstOrDefault(x => x.Kind == NetTrace.Analyzer.Detectors.SnatRaceDetector.Kind);
        if (f == null)
        {
            o.WriteLine("  no SNAT port race found in this run (no failed conntrack inserts).");
        }
        else
        {
            o.WriteLine($"  finding [{f.Severity.ToString().ToUpperInvariant()}, confidence {f.Confidence:F2}] {f.Title}");
            if (DemoEvidence.AffectedConnects(f) is int affected)
                o.WriteLine($"  affected connects (first SYN lost inside the NAT, from the pre/post-NAT captures): {affected} of {race.Connects.Count}");
            o.WriteLine($"  conntrack insert_failed rise (kernel, same run): +{race.InsertFailed}");
            if (race.Live is { } live)
                o.WriteLine($"  clash drops seen by the eBPF conntrack NAT probe: {live.Clashes.Count} ({live.Clashes.Count(c => c.Winner != null)} with the winning connection, {live.LostEvents} events lost)");
            if (connects is { } c)
                o.WriteLine($"  connects that retransmitted their SYN, seen by the tcpconnect eBPF probe: {c.WithSynRetransmit} of {c.Completed} ({c.LostEvents} events lost)");
            o.WriteLine($"  connects that waited >= 1 s (clients' own clocks): {race.SlowConnects}; per pod: " +
                        string.Join(", ", race.SlowPerPod.OrderBy(k => k.Key).Select(k => $"pod{k.Key} {k.Value}")));
            o.WriteLine($"  fix: {f.Remediation}");
        }
        foreach (var other in result.Findings.Where(x => x != f).Take(3))
            o.WriteLine($"  also [{other.Severity.ToString().ToUpperInvariant()}] {other.Title}");
        o.WriteLine($"report: {report}");
        o.WriteLine($"done in {elapsed.TotalSeconds:F1} s; the lab's namespaces, NAT rule and eBPF links are removed. " +
                    "Try `nettrace lab snat-race --random-fully` for the fix, `nettrace demo --sample` for a capture without root.");
    }

    /// <summary>Why the live demo cannot run here, or null when it can.</summary>
    private static string? WhyNotLive()
    {
        if (geteuid() != 0) return "the live demo needs root (it builds network namespaces, NAT rules and loads eBPF)";
        if (!File.Exists("/proc/self/ns/net")) return "network namespaces are not available (/proc/self/ns/net is missing)";
        foreach (var tool in new[] { "ip", "iptables-nft", "tcpdump" })
            if (!OnPath(tool)) return $"`{tool}` is not installed (scripts/setup.sh installs it)";
        return null;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
        .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    [DllImport("libc")] private static extern uint geteuid();

    /// <summary>Indents the lab's own progress lines under the demo's step lines.</summary>
    private sealed class PrefixWriter(TextWriter inner, string prefix) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;
        public override void WriteLine(string? value) => inner.WriteLine(prefix + value);
        public override void Write(char value) => inner.Write(value);
    }
}
