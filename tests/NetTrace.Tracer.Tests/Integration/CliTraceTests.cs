using NetTrace.Tracer.Tests.Kernel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using NetTrace.Analyzer;
using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Tracer.Tests.Integration;

/// <summary>
/// The real CLI as a child process: `nettrace trace --netns SERVER -o FILE --json`, traffic between the lab's
/// namespaces, then SIGTERM. The child must detach everything, finish the recording, and the recording must
/// analyse into the same model as a capture.
/// </summary>
[Collection("kernel-bpf")]
public sealed partial class CliTraceTests
{
    private const ushort PingId = 0x4e55;

    [Fact]
    public async Task Sigterm_detaches_and_the_recording_json_and_analysis_show_pings_and_netfilter_drops()
    {
        Privileged.Require("root + BPF + network namespaces");
        Privileged.RequireTool("bpftool");
        await using var lab = await TraceLab.StartAsync();
        var dir = Directory.CreateTempSubdirectory("nt-cli-");
        var recordingPath = Path.Combine(dir.FullName, "server.ntrace");
        var cli = Path.Combine(AppContext.BaseDirectory, "nettrace.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            ArgumentList = { cli, "trace", "--netns", lab.Server.Name, "-o", recordingPath, "--json", "--view", "lines",
                             "--probes", "icmp-echo,drops,tcp-connect", "--duration", "60s" },
        };
        using var child = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        child.OutputDataReceived += (_, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.StartsWith("nettrace trace: tracing", StringComparison.Ordinal)) attached.TrySetResult();
        };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        HashSet<int> held;
        TraceLab.ConnectResult blackholed;
        try
        {
            await attached.Task.WaitAsync(TimeSpan.FromSeconds(20));
            held = BpfLinks.LinkIdsHeldBy(child.Id);
            Assert.NotEmpty(held);

            var answered = await lab.PingAsync(TraceLab.ServerIp, PingId, 1, 3, TimeSpan.FromSeconds(1));
            Assert.All(answered, Assert.True);
            var dropped = await lab.PingAsync(TraceLab.DroppedIp, PingId, 100, 2, TimeSpan.FromMilliseconds(300));
            Assert.All(dropped, Assert.False);
            blackholed = await lab.ConnectAsync(TraceLab.ServerIp, TraceLab.BlackholedPort, TimeSpan.FromSeconds(1.3));
            Assert.False(blackholed.Connected);
            await Task.Delay(1200);   // past one collect interval: a periodic stats line is written while running

            Assert.Equal(0, kill(child.Id, 15 /* SIGTERM */));
            Assert.True(await WaitExitAsync(child, TimeSpan.FromSeconds(15)), "the tracer did not exit after SIGTERM");
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
        child.WaitForExit();   // flushes the redirected streams
        var err = stderr.ToString();
        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode}; stderr:\n{err}");
        Assert.Empty(BpfLinks.SystemLinkIds().Intersect(held));
        Assert.Contains("trace ended (stopped)", err);

        // The recording: complete, ends cleanly, and carries only the server namespace's events.
        List<TraceEvent> events;
        using (var reader = RecordingReader.Open(recordingPath))
        {
            events = reader.ReadAll().ToList();
            Assert.True(reader.Stop!.Complete, reader.Stop.Message);
        }
        Assert.Equal(lab.Server.Inode, events[0].Header.Filters.NetnsInodes.Single());
        Assert.Equal("stopped", events[^1].End.Reason);
        Assert.Contains(events, e => e.Lost is { Final: true });
        Assert.Contains(events, e => e.Lost is { Final: false });

        var echoes = events.Where(e => e.KindCase == TraceEvent.KindOneofCase.IcmpEcho).Select(e => e.IcmpEcho)
            .Where(e => e.Id == PingId).ToList();
        var toServer = echoes.Where(e => EventAddresses.Format(e.Dst) == TraceLab.ServerIp.ToString()).OrderBy(e => e.Seq).ToList();
        Assert.Equal([1u, 2u, 3u], toServer.Select(e => e.Seq));
        Assert.All(echoes, e =>
        {
            Assert.Equal(TraceLab.ClientIp.ToString(), EventAddresses.Format(e.Src));
            Assert.Equal(lab.Server.Inode, e.Origin.NetnsIno);
            Assert.InRange(e.Origin.Cpu, 0u, (uint)Environment.ProcessorCount - 1);
            Assert.NotEqual(ExecContext.Unspecified, e.Context);
        });

        var drops = events.Where(e => e.KindCase == TraceEvent.KindOneofCase.Drop).Select(e => e.Drop).ToList();
        var icmpDrops = drops.Where(d => d.Reason == "NETFILTER_DROP" && d.Tuple?.Protocol == IpProtocol.Icmp
                                         && EventAddresses.Format(d.Tuple.Daddr) == TraceLab.DroppedIp.ToString()).ToList();
        Assert.Equal(2, icmpDrops.Count);
        var synDrops = drops.Where(d => d.Reason == "NETFILTER_DROP" && d.Tuple?.Protocol == IpProtocol.Tcp
                                        && d.Tuple.Dport == TraceLab.BlackholedPort && d.Tuple.Sport == blackholed.Local.Port).ToList();
        Assert.InRange(synDrops.Count, 2, 3);   // the SYN and its ~1 s retransmit
        Assert.All(icmpDrops.Concat(synDrops), d =>
        {
            Assert.Equal(lab.Server.Inode, d.Origin.NetnsIno);
            // nf_hook_slow with iptables-legacy, nft_do_chain with iptables-nft (Debian's default).
            Assert.Matches(@"^(nf_hook_slow|nft_do_chain)\+0x[0-9a-f]+$", d.LocationSymbol);
        });
        // Nothing from the client namespace (its connects) got through the filter.
        Assert.DoesNotContain(events, e => e.KindCase == TraceEvent.KindOneofCase.Connect);

        // JSON lines: one per record, parseable, same content.
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(events.Count, lines.Length);
        var json = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, json.Count(j => j.GetProperty("type").GetString() == "drop"
                                        && j.GetProperty("reason").GetString() == "NETFILTER_DROP"
                                        && j.GetProperty("dst").GetString() == TraceLab.DroppedIp.ToString()));
        Assert.Contains(json, j => j.GetProperty("type").GetString() == "stats" && j.GetProperty("final").GetBoolean());

        // `nettrace analyze` path: the recording becomes the analyzer's model.
        var analysis = CaptureAnalyzer.Analyze([recordingPath], AnalyzeSettings.Default, null, CancellationToken.None);
        Assert.Equal("ntrace", analysis.Sources.Single().Format);
        Assert.True(analysis.Sources.Single().Complete);
        var finding = Assert.Single(analysis.Findings, f => f.Kind == "kernel-drops");
        Assert.Contains(finding.Evidence, e => e.Label is "NETFILTER_DROP at nf_hook_slow" or "NETFILTER_DROP at nft_do_chain");
        Assert.Equal(echoes.Count, analysis.IcmpEchoes.Count(e => e.Id == PingId));
        Assert.All(analysis.IcmpEchoes, e => Assert.NotNull(e.Cpu));
        Assert.DoesNotContain(analysis.Findings, f => f.Kind == "icmp-echo-unanswered");
        dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Bad_options_exit_64_with_a_reason_and_attach_nothing()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "nettrace.dll");
        foreach (var (args, expected) in new[]
        {
            (new[] { "trace", "--netns", "no-such-netns-nt" }, "no network namespace named 'no-such-netns-nt'"),
            (new[] { "trace", "--cidr", "10.0.0.0/40" }, "prefix length"),
            (new[] { "trace", "--duration", "soon" }, "not a duration"),
            (new[] { "trace", "--probes", "kprobe-magic" }, "unknown probe"),
            (new[] { "trace", "-o", "out.pcap" }, ".ntrace"),
        })
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(cli);
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.True(p.ExitCode == 64, $"{string.Join(' ', args)}: exit {p.ExitCode}, stderr {err}");
            Assert.Contains(expected, err);
        }
    }

    private static async Task<bool> WaitExitAsync(Process p, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
