using NetTrace.Tracer.Tests.Kernel;
using System.Net;
using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.TestSupport;
using NetTrace.Tracer.Trace;
using NetTrace.Tracer.Trace.LiveView;
using Xunit;

namespace NetTrace.Tracer.Tests.Integration;

/// <summary>
/// The whole user-space trace path on the real kernel: KernelEventSource + TraceRunner with a netns filter for the
/// client namespace, while the test makes established, refused and blackholed connects there.
/// In the kernel-bpf collection: the kernel tests count system-wide links and must not see ours.
/// </summary>
[Collection("kernel-bpf")]
public sealed class InProcessTraceTests
{
    [Fact]
    public async Task Connects_in_the_client_namespace_have_the_right_tuples_outcomes_netns_and_retransmits()
    {
        Privileged.Require("root + BPF + network namespaces");
        Privileged.RequireTool("bpftool");
        await using var lab = await TraceLab.StartAsync();
        var request = new TraceRequest
        {
            Netns = [NetnsTarget.Resolve(lab.Client.Name)],
            Probes = new HashSet<string> { ProbeNames.TcpConnect, ProbeNames.Drops, ProbeNames.IcmpEcho },
        };
        Assert.Equal(lab.Client.Inode, request.Netns[0].Inode);

        var recordingPath = Path.Combine(Path.GetTempPath(), $"nt-inproc-{Guid.NewGuid():N}.ntrace");
        HashSet<int> heldLinks;
        TraceRunResult result;
        TraceLab.ConnectResult ok, refused, blackholed;
        try
        {
            using (var recording = RecordingWriter.Create(recordingPath))
            using (var source = KernelEventSource.Start(request))
            {
                heldLinks = BpfLinks.LinkIdsHeldBy(Environment.ProcessId);
                Assert.NotEmpty(heldLinks);
                Assert.Subset(BpfLinks.SystemLinkIds(), heldLinks);

                using var stop = new CancellationTokenSource();
                var runner = new TraceRunner(source, request.UserFilter(), new SessionHeader { Host = "test" },
                    new TraceOutputs(recording, null, new NoLiveView()));
                var run = runner.RunAsync(null, stop.Token);

                // In parallel: the blackholed connect takes the whole 3.5 s (SYN at 0, retransmits at ~1 s and ~3 s).
                var blackholedTask = lab.ConnectAsync(TraceLab.ServerIp, TraceLab.BlackholedPort, TimeSpan.FromSeconds(3.5));
                ok = await lab.ConnectAsync(TraceLab.ServerIp, TraceLab.OpenPort, TimeSpan.FromSeconds(3));
                refused = await lab.ConnectAsync(TraceLab.ServerIp, TraceLab.ClosedPort, TimeSpan.FromSeconds(3));
                await lab.PingAsync(TraceLab.ServerIp, 0x4e54, 1, 2, TimeSpan.FromSeconds(1));   // received in the server ns: filtered out
                blackholed = await blackholedTask;
                await Task.Delay(300);   // let the outcome events reach the ring buffer
                stop.Cancel();
                result = await run;
            }
            // The source is disposed: every link it held is gone from the kernel, and from our fd table.
            Assert.Empty(BpfLinks.LinkIdsHeldBy(Environment.ProcessId).Intersect(heldLinks));
            Assert.Empty(BpfLinks.SystemLinkIds().Intersect(heldLinks));

            Assert.True(ok.Connected, "connect to the open port");
            Assert.Equal(System.Net.Sockets.SocketError.ConnectionRefused, refused.Error);
            Assert.False(blackholed.Connected);
            Assert.Null(result.Error);
            Assert.Equal(0UL, result.TotalLost);

            using var reader = RecordingReader.Open(recordingPath);
            var events = reader.ReadAll().ToList();
            Assert.True(reader.Stop!.Complete, reader.Stop.Message);
            var connects = events.Where(e => e.KindCase == TraceEvent.KindOneofCase.Connect).Select(e => e.Connect).ToList();
            // Only the client namespace passed the filter.
            Assert.All(events.Select(Origin).Where(o => o != null), o => Assert.Equal(lab.Client.Inode, o!.NetnsIno));
            Assert.DoesNotContain(events, e => e.KindCase == TraceEvent.KindOneofCase.IcmpEcho);

            var established = Single(connects, ok.Local, TraceLab.OpenPort);
            Assert.Equal(ConnectOutcome.Established, established.Outcome);
            Assert.Equal(0u, established.SynRetransmits);
            Assert.InRange(established.LatencyNs, 1UL, 500_000_000UL);
            Assert.Equal((uint)Environment.ProcessId, established.Origin.Pid);

            var refusedEvent = Single(connects, refused.Local, TraceLab.ClosedPort);
            Assert.Equal(ConnectOutcome.Refused, refusedEvent.Outcome);
            Assert.Equal(0u, refusedEvent.SynRetransmits);
            Assert.Equal(111, refusedEvent.Error);

            var lost = Single(connects, blackholed.Local, TraceLab.BlackholedPort);
            // The application gave up (socket closed while SYN_SENT) before the kernel's own timeout.
            Assert.Equal(ConnectOutcome.Aborted, lost.Outcome);
            var offsets = string.Join(", ", lost.SynRetransmitOffsetsNs.Select(o => $"{o / 1e9:0.000} s"));
            // 1 s initial RTO, then doubling — or, with net.ipv4.tcp_syn_linear_timeouts (6.17+, default 4), 1 s steps:
            // 1-2 retransmits in 3.5 s classically, 3 on this kernel.
            Assert.True(lost.SynRetransmits is >= 1 and <= 3, $"{lost.SynRetransmits} SYN retransmits at {offsets}");
            Assert.Equal((int)lost.SynRetransmits, lost.SynRetransmitOffsetsNs.Count);
            Assert.InRange(lost.SynRetransmitOffsetsNs[0] / 1e9, 0.9, 1.6);
            for (var i = 1; i < lost.SynRetransmitOffsetsNs.Count; i++)
                Assert.InRange((lost.SynRetransmitOffsetsNs[i] - lost.SynRetransmitOffsetsNs[i - 1]) / 1e9, 0.9, 2.5);
            Assert.InRange(lost.LatencyNs / 1e9, 3.0, 4.5);
            Assert.All(new[] { established, refusedEvent, lost }, c => Assert.Equal(lab.Client.Inode, c.Origin.NetnsIno));
            Assert.Contains(events, e => e.Lost is { Final: true });
            Assert.Equal("stopped", events[^1].End.Reason);
        }
        finally
        {
            File.Delete(recordingPath);
        }
    }

    [Fact]
    public async Task Links_are_detached_when_the_code_using_the_source_throws()
    {
        Privileged.Require("root + BPF");
        Privileged.RequireTool("bpftool");
        HashSet<int> held = [];
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            using var source = KernelEventSource.Start(new TraceRequest { Probes = new HashSet<string> { ProbeNames.Drops } });
            held = BpfLinks.LinkIdsHeldBy(Environment.ProcessId);
            await Task.Yield();
            throw new InvalidOperationException("the test failed here");
        });
        Assert.NotEmpty(held);
        Assert.Empty(BpfLinks.SystemLinkIds().Intersect(held));
    }

    private static ConnectEvent Single(List<ConnectEvent> connects, IPEndPoint local, int dport)
    {
        var matches = connects.Where(c => c.Tuple.Source() == local.ToString() && c.Tuple.Destination() == $"{TraceLab.ServerIp}:{dport}").ToList();
        Assert.True(matches.Count == 1,
            $"expected one connect {local} -> {TraceLab.ServerIp}:{dport}, saw: {string.Join("; ", connects.Select(c => $"{c.Tuple.Source()}->{c.Tuple.Destination()} {c.Outcome}"))}");
        return matches[0];
    }

    private static Origin? Origin(TraceEvent e) => e.KindCase switch
    {
        TraceEvent.KindOneofCase.Connect => e.Connect.Origin,
        TraceEvent.KindOneofCase.Drop => e.Drop.Origin,
        TraceEvent.KindOneofCase.IcmpEcho => e.IcmpEcho.Origin,
        TraceEvent.KindOneofCase.FlowSend => e.FlowSend.Origin,
        _ => null,
    };
}
