using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTrace.TestSupport;
using Xunit;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>Real BPF on this kernel: every probe loads and attaches through the path the planner picks, sees
/// loopback traffic the test makes, and leaves nothing attached. Tests in this class must not run in parallel
/// with each other (they count links), hence one collection.</summary>
[Collection("kernel-bpf")]
public sealed class SessionIntegrationTests
{
    // Other tests and benchmarks may load the machine meanwhile: filter on this process (and the test's ports)
    // in the kernel, so their events neither fill our rings nor confuse the assertions.
    private static TraceSession StartAll(CollectingSink sink, ProbeKinds probes = ProbeKinds.All, params ushort[] ports) =>
        TraceSession.Start(new TraceSessionOptions
        {
            Probes = probes, SoftirqThreshold = TimeSpan.FromMicroseconds(1), Pid = Environment.ProcessId, Ports = ports,
        }, sink);

    [Fact]
    public void Every_probe_loads_and_attaches_and_detaches_leaving_no_links()
    {
        Privileged.Require("root + BPF");
        Privileged.RequireTool("bpftool");
        Assert.Empty(BpfLinks.OwnLinkIds());
        var sink = new CollectingSink();
        var session = StartAll(sink);
        HashSet<int> ours;
        try
        {
            Assert.Equal(ProbeCatalog.All.Count, session.Plan.Count);
            Assert.Empty(session.Unavailable);
            ours = BpfLinks.OwnLinkIds();
            // A perf-event attachment is one link per online CPU.
            Assert.Equal(session.Plan.Sum(p => p.Hooks.Where(h => h.Chosen != null).Sum(h =>
                h.Chosen!.Attachments.Count * (h.Chosen.Kind == AttachKind.PerfEvent ? OnlineCpus() : 1))), ours.Count);
            Assert.Subset(BpfLinks.SystemLinkIds(), ours); // the kernel lists every one of them
            // This kernel has neither kprobes nor fentry: every choice is tp_btf, tracepoint or raw_tracepoint (cpu gaps: perf event).
            foreach (var h in session.Plan.SelectMany(p => p.Hooks).Where(h => h.Chosen != null))
                Assert.Contains(h.Chosen!.Kind, new[] { AttachKind.TpBtf, AttachKind.Tracepoint, AttachKind.RawTracepoint, AttachKind.PerfEvent });
        }
        finally
        {
            session.Dispose();
        }
        session.Dispose(); // idempotent
        Assert.Empty(BpfLinks.OwnLinkIds());
        Assert.Empty(BpfLinks.OwnProgramIds());
        Assert.Empty(BpfLinks.SystemLinkIds().Intersect(ours));
        Assert.Throws<ObjectDisposedException>(() => session.Poll(0));
    }

    [Fact]
    public void Tcpconnect_sees_an_established_and_a_refused_loopback_connect()
    {
        Privileged.Require("root + BPF");
        var sink = new CollectingSink();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int openPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        int closedPort = FreePort();
        using var session = StartAll(sink, ProbeKinds.TcpConnect | ProbeKinds.Drops, (ushort)openPort, (ushort)closedPort);
        int myPid = Environment.ProcessId;

        var before = DateTime.UtcNow;
        using (var ok = new TcpClient(AddressFamily.InterNetwork)) ok.Connect(IPAddress.Loopback, openPort);
        var after = DateTime.UtcNow;
        using (var refused = new TcpClient(AddressFamily.InterNetwork))
            Assert.Throws<SocketException>(() => refused.Connect(IPAddress.Loopback, closedPort));
        // A dual-stack (AF_INET6) socket to 127.0.0.1: the v4-mapped path.
        using (var mapped = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true })
            mapped.Connect(IPAddress.Loopback.MapToIPv6(), openPort);

        CollectingSink.PollUntil(session, () =>
            sink.Connects.Count(c => c.Kind == TcpConnectKind.Established && c.DestinationPort == openPort) >= 2 &&
            sink.Connects.Any(c => c.Kind == TcpConnectKind.Refused && c.DestinationPort == closedPort) &&
            sink.Drops.Any(d => d.DestinationPort == closedPort), TimeSpan.FromSeconds(5));

        var mine = sink.Connects.Where(c => c.Owner.Pid == myPid).ToList();
        var starts = mine.Where(c => c.Kind == TcpConnectKind.Start && c.DestinationPort == openPort).ToList();
        Assert.Equal(2, starts.Count);
        var est = mine.Where(c => c.Kind == TcpConnectKind.Established && c.DestinationPort == openPort).ToList();
        Assert.Equal(2, est.Count);
        foreach (var e in est)
        {
            Assert.Equal(IPAddress.Loopback, e.Destination);
            Assert.Equal(IPAddress.Loopback, e.Source);
            Assert.NotEqual(0, e.SourcePort);
            Assert.True(e.LatencyNs > 0 && e.LatencyNs < 1_000_000_000UL, $"latency {e.LatencyNs} ns");
            Assert.Contains(starts, s => s.SocketId == e.SocketId && s.StartNs == e.StartNs);
            Assert.Equal(SelfNetns(), e.Header.NetnsInode);
        }
        // Kernel CLOCK_MONOTONIC stamps convert to the wall-clock time the connect happened.
        var firstUtc = session.MonotonicToUtc(est.Min(e => e.Header.TimestampNs));
        Assert.InRange(firstUtc, before.AddMilliseconds(-5), after.AddMilliseconds(5));
        Assert.Single(est, e => e.WasV4Mapped);
        Assert.Single(est, e => !e.WasV4Mapped);

        var refusedEv = Assert.Single(mine, c => c.Kind == TcpConnectKind.Refused);
        Assert.Equal(closedPort, refusedEv.DestinationPort);
        Assert.Equal(111, refusedEv.Error);
        Assert.True(refusedEv.ResetSeen);
        Assert.NotEqual(0, refusedEv.SourcePort); // remembered from before CLOSE cleared it

        // The SYN to the closed port is dropped by TCP for want of a socket.
        var drop = sink.Drops.First(d => d.DestinationPort == closedPort && d.SourcePort == refusedEv.SourcePort);
        Assert.Equal("NO_SOCKET", drop.Reason);
        Assert.StartsWith("tcp_v4_rcv", drop.LocationSymbol);
        Assert.Equal(IPAddress.Loopback, drop.Destination);
        Assert.Equal((byte)6, drop.IpProtocol);
        Assert.All(session.LostEvents.Values, v => Assert.Equal(0UL, v));
    }

    [Fact]
    public void Icmpecho_sees_three_loopback_pings_and_names_the_context()
    {
        Privileged.Require("root + BPF");
        Privileged.RequireTool("ping");
        var sink = new CollectingSink();
        using var session = StartAll(sink, ProbeKinds.IcmpEcho);
        var ping = Process.Start(new ProcessStartInfo("ping", "-c 3 -i 0.2 -W 1 127.0.0.1") { RedirectStandardOutput = true })!;
        int pingPid = ping.Id;
        ping.WaitForExit(10_000);
        Assert.Equal(0, ping.ExitCode);
        CollectingSink.PollUntil(session, () => sink.Echoes.Count(e => e.Destination.Equals(IPAddress.Loopback)) >= 3, TimeSpan.FromSeconds(3));

        var echoes = sink.Echoes.Where(e => e.Destination.Equals(IPAddress.Loopback)).ToList();
        Assert.Equal(3, echoes.Count);
        Assert.Equal(new ushort[] { 1, 2, 3 }, echoes.Select(e => e.Sequence).ToArray());
        Assert.Single(echoes.Select(e => e.Id).Distinct());
        foreach (var e in echoes)
        {
            Assert.Equal(IPAddress.Loopback, e.Source);
            Assert.Equal(1, e.IfIndex); // lo
            // Loopback receive runs in NET_RX softirq: on top of ping itself (when it sends) or in ksoftirqd.
            Assert.Equal(ExecContext.Softirq, e.Context);
            Assert.True(e.ContextDescription.StartsWith("softirq in ") || e.ContextDescription.StartsWith("ksoftirqd/"), e.ContextDescription);
            if (e.SkbTimestampNs != 0)
            {
                Assert.True(e.SinceStampNs != null, $"stamp {e.SkbTimestampNs} at {e.Header.TimestampNs}: unusable");
                Assert.InRange(e.SinceStampNs!.Value, -1_000_000, 1_000_000_000);
            }
        }
        Assert.Contains(echoes, e => e.Header.Pid == pingPid || e.Header.Comm.StartsWith("ksoftirqd/"));
        // ping asks for SO_TIMESTAMP, which turns on receive stamping (the kernel enables it from a work item,
        // so the very first packet may still go unstamped).
        Assert.Contains(echoes, e => e.SinceStampNs != null);
    }

    [Fact]
    public void Icmpecho_sees_IPv6_echo_requests()
    {
        Privileged.Require("root + BPF");
        Privileged.RequireTool("ping");
        var sink = new CollectingSink();
        using var session = StartAll(sink, ProbeKinds.IcmpEcho);
        using (var ping = Process.Start(new ProcessStartInfo("ping", "-6 -c 2 -i 0.2 -W 1 ::1") { RedirectStandardOutput = true })!)
        {
            ping.WaitForExit(10_000);
            Assert.Equal(0, ping.ExitCode);
        }
        CollectingSink.PollUntil(session, () => sink.Echoes.Count(e => e.Destination.Equals(IPAddress.IPv6Loopback)) >= 2, TimeSpan.FromSeconds(3));
        var echoes = sink.Echoes.Where(e => e.Destination.Equals(IPAddress.IPv6Loopback)).ToList();
        Assert.Equal(new ushort[] { 1, 2 }, echoes.Select(e => e.Sequence).ToArray());
        Assert.All(echoes, e => Assert.Equal(IPAddress.IPv6Loopback, e.Source));
    }

    [Fact]
    public void Softirq_histograms_fill_with_loopback_traffic_and_threshold_events_name_tasks()
    {
        Privileged.Require("root + BPF");
        var sink = new CollectingSink();
        using var session = StartAll(sink, ProbeKinds.Softirq | ProbeKinds.TcpSendmsg);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new TcpClient(AddressFamily.InterNetwork);
        client.Connect(IPAddress.Loopback, port);
        using var server = listener.AcceptTcpClient();
        var buf = new byte[1000];
        for (int i = 0; i < 200; i++)
        {
            client.GetStream().Write(buf);
            server.GetStream().ReadExactly(buf);
            server.GetStream().Write(buf);
            client.GetStream().ReadExactly(buf);
        }
        session.Poll(100);

        var hist = session.ReadSoftirqHistograms();
        Assert.Equal(Environment.ProcessorCount, hist.Count(h => h.Cpu < Environment.ProcessorCount));
        ulong delayCount = (ulong)hist.Sum(h => (long)h.DelayCount), runCount = (ulong)hist.Sum(h => (long)h.RunCount);
        Assert.True(runCount > 0, "no NET_RX runs counted");
        Assert.True(delayCount > 0, "no NET_RX raise->entry delays counted");
        Assert.Equal(runCount, (ulong)hist.Sum(h => h.RunSlots.Sum(x => (long)x)));
        Assert.Equal(delayCount, (ulong)hist.Sum(h => h.DelaySlots.Sum(x => (long)x)));
        Assert.All(hist, h => Assert.True(h.RunMaxNs == 0 || h.RunSumNs >= h.RunMaxNs));
        // With a 1 µs threshold nearly every run is an event; each names a task and carries its run time.
        Assert.Contains(sink.Softirqs, e => e.Kind == SoftirqEventKind.Run && e.RunNs >= 1000 && e.Vector == 3);
        // A run's raise + wait + run time ends at the exit where the event was stamped.
        var timed = sink.Softirqs.Where(e => e.Kind == SoftirqEventKind.Run && e.RaisedAtNs != 0).ToList();
        Assert.NotEmpty(timed);
        Assert.All(timed, e => Assert.InRange((long)e.Header.TimestampNs - (long)(e.RaisedAtNs + e.DelayNs + e.RunNs), 0, 200_000));
        Assert.All(timed, e => Assert.False(string.IsNullOrEmpty(e.RaisedByComm)));

        var sends = session.ReadSendStats();
        var flow = Assert.Single(sends, s => s.Pid == Environment.ProcessId && s.DestinationPort == port);
        Assert.Equal(200UL * 1000, flow.Bytes);
        Assert.Equal(200UL, flow.Calls);
        var back = Assert.Single(sends, s => s.Pid == Environment.ProcessId && s.SourcePort == port);
        Assert.Equal(200UL * 1000, back.Bytes);
        Assert.Equal(flow.SourcePort, back.DestinationPort);
        Assert.Equal(SelfNetns(), flow.NetnsInode);
        Assert.Empty(session.ReadSendStats().Where(s => s.Pid == Environment.ProcessId)); // drained
    }

    [Fact]
    public void The_classic_tracepoint_and_raw_tracepoint_programs_load_attach_and_see_traffic_too()
    {
        Privileged.Require("root + BPF");
        Privileged.RequireTool("ping");
        PrivateTracefs.Run(() =>
        {
            var sink = new CollectingSink();
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int openPort = ((IPEndPoint)listener.LocalEndpoint).Port, closedPort = FreePort();
            using var session = TraceSession.Start(new TraceSessionOptions
            {
                DisabledAttachKinds = new HashSet<AttachKind> { AttachKind.TpBtf },
                Capabilities = KernelCapabilitiesDetector.Detect(), // on this thread: it sees the private tracefs
                SoftirqThreshold = TimeSpan.FromMicroseconds(1),
                Pid = Environment.ProcessId,
                Ports = [(ushort)openPort, (ushort)closedPort],
            }, sink);
            foreach (var h in session.Plan.SelectMany(p => p.Hooks))
                Assert.Contains(h.Chosen!.Kind, new[] { AttachKind.Tracepoint, AttachKind.RawTracepoint, AttachKind.PerfEvent });
            Assert.Equal(AttachKind.RawTracepoint, session.Plan.Single(p => p.Probe.Kind == ProbeKinds.IcmpEcho).Hooks[0].Chosen!.Kind);

            using (var ok = new TcpClient(AddressFamily.InterNetwork))
            {
                ok.Connect(IPAddress.Loopback, openPort);
                ok.GetStream().Write(new byte[100]);
            }
            using (var refused = new TcpClient(AddressFamily.InterNetwork))
                Assert.Throws<SocketException>(() => refused.Connect(IPAddress.Loopback, closedPort));
            using (var ping = Process.Start(new ProcessStartInfo("ping", "-c 2 -i 0.2 -W 1 127.0.0.1") { RedirectStandardOutput = true })!)
                ping.WaitForExit(10_000);

            CollectingSink.PollUntil(session, () =>
                sink.Connects.Any(c => c.Kind == TcpConnectKind.Established && c.DestinationPort == openPort) &&
                sink.Connects.Any(c => c.Kind == TcpConnectKind.Refused && c.DestinationPort == closedPort) &&
                sink.Drops.Any(d => d.DestinationPort == closedPort && d.Reason == "NO_SOCKET") &&
                sink.Echoes.Count(e => e.Destination.Equals(IPAddress.Loopback)) >= 2 &&
                sink.Softirqs.Count > 0, TimeSpan.FromSeconds(5));

            Assert.Contains(sink.Connects, c => c.Kind == TcpConnectKind.Established && c.DestinationPort == openPort && c.SourcePort != 0);
            Assert.Contains(sink.Connects, c => c.Kind == TcpConnectKind.Refused && c.DestinationPort == closedPort && c.ResetSeen);
            Assert.Contains(sink.Drops, d => d.DestinationPort == closedPort && d.Reason == "NO_SOCKET");
            Assert.Equal(2, sink.Echoes.Count(e => e.Destination.Equals(IPAddress.Loopback)));
            Assert.All(sink.Echoes, e => Assert.Equal(ExecContext.Softirq, e.Context));
            Assert.NotEmpty(sink.Softirqs);
            Assert.True(session.ReadSoftirqHistograms().Sum(h => (long)h.RunCount) > 0);
            var sends = session.ReadSendStats();
            Assert.Contains(sends, s => s.Pid == Environment.ProcessId && s.DestinationPort == openPort && s.Bytes == 100);
            Assert.All(sends, s => Assert.True(s.SourcePort == openPort || s.DestinationPort == openPort ||
                                               s.SourcePort == closedPort || s.DestinationPort == closedPort));
        });
    }

    [Fact]
    public void Tcpconnect_decodes_native_IPv6()
    {
        Privileged.Require("root + BPF");
        var sink = new CollectingSink();
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var session = StartAll(sink, ProbeKinds.TcpConnect, (ushort)port);
        using (var c = new TcpClient(AddressFamily.InterNetworkV6)) c.Connect(IPAddress.IPv6Loopback, port);
        CollectingSink.PollUntil(session, () => sink.Connects.Any(c => c.Kind == TcpConnectKind.Established && c.DestinationPort == port), TimeSpan.FromSeconds(3));
        var e = Assert.Single(sink.Connects, c => c.Kind == TcpConnectKind.Established && c.DestinationPort == port);
        Assert.Equal(IPAddress.IPv6Loopback, e.Destination);
        Assert.Equal(IPAddress.IPv6Loopback, e.Source);
        Assert.False(e.WasV4Mapped);
        Assert.Equal(Environment.ProcessId, e.Owner.Pid);
    }

    [Fact]
    public void A_probe_the_kernel_cannot_host_fails_the_start_or_is_listed_as_unavailable()
    {
        Privileged.Require("root + BPF");
        var real = KernelCapabilitiesDetector.Detect();
        // Pretend netif_receive_skb has no tp_btf/raw_tp target: icmpecho's required hook has no candidate left.
        var caps = real with { BtfTracepoints = real.BtfTracepoints.Where(t => t != "netif_receive_skb").ToHashSet() };
        var strict = Assert.Throws<NotSupportedException>(() =>
            TraceSession.Start(new TraceSessionOptions { Capabilities = caps }, new CollectingSink()));
        Assert.Contains("icmpecho/receive", strict.Message);
        Assert.Empty(BpfLinks.OwnLinkIds()); // nothing left behind by the refused start

        using var partial = TraceSession.Start(new TraceSessionOptions { Capabilities = caps, AllowPartial = true }, new CollectingSink());
        // icmpecho needs netif_receive_skb's BTF; rxlatency too unless tracefs offers its classic-tracepoint fallback.
        ProbeKinds[] expected = caps.TracefsMounted ? [ProbeKinds.IcmpEcho] : [ProbeKinds.IcmpEcho, ProbeKinds.RxLatency];
        Assert.Equal(ProbeCatalog.All.Count - expected.Length, partial.Plan.Count);
        Assert.Equal(expected, partial.Unavailable.Select(u => u.Plan.Probe.Kind).Order());
        Assert.All(partial.Unavailable, u => Assert.Contains("netif_receive_skb not in vmlinux BTF", u.Reason));
    }

    [Fact]
    public void Events_that_do_not_fit_the_ring_are_counted_as_lost_in_the_kernel()
    {
        Privileged.Require("root + BPF");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var sink = new CollectingSink();
        // One page of ring (≈25 connect events) and nobody polling while 200 connects make 400 events.
        using var session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.TcpConnect, Ports = [(ushort)port], RingBufferBytes = 4096, WakeupBytes = 0,
        }, sink);
        for (int i = 0; i < 200; i++)
        {
            using var c = new TcpClient(AddressFamily.InterNetwork);
            c.Connect(IPAddress.Loopback, port);
            listener.AcceptTcpClient().Dispose();
        }
        session.Poll(0);
        ulong lost = session.LostEvents[ProbeKinds.TcpConnect], delivered = session.DeliveredEvents[ProbeKinds.TcpConnect];
        Assert.True(lost > 0, "nothing lost with a one-page ring");
        Assert.Equal((ulong)sink.Connects.Count, delivered);
        Assert.Equal(400UL, delivered + lost); // every event is either delivered or counted
    }

    [Fact]
    public void A_sink_exception_stops_the_poll_and_surfaces_on_the_managed_side()
    {
        Privileged.Require("root + BPF");
        using var session = TraceSession.Start(new TraceSessionOptions { Probes = ProbeKinds.TcpConnect }, new ThrowingSink());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using (var c = new TcpClient(AddressFamily.InterNetwork)) c.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var ex = Assert.Throws<InvalidOperationException>(() => { for (int i = 0; i < 40; i++) session.Poll(50); });
        Assert.Equal("sink failed", ex.Message);
    }

    private sealed class ThrowingSink : ITraceEventSink
    {
        public void OnTcpConnect(in TcpConnectEvent e) => throw new InvalidOperationException("sink failed");
        public void OnIcmpEcho(in IcmpEchoEvent e) { }
        public void OnDrop(in DropEvent e) { }
        public void OnSoftirq(in SoftirqEvent e) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    internal static uint SelfNetns()
    {
        var target = new FileInfo("/proc/self/ns/net").LinkTarget!; // "net:[4026531840]"
        return uint.Parse(target[5..^1]);
    }

    private static int OnlineCpus() => File.ReadAllText("/sys/devices/system/cpu/online").Trim().Split(',')
        .Sum(r => r.Contains('-') ? int.Parse(r.Split('-')[1]) - int.Parse(r.Split('-')[0]) + 1 : 1);
}
