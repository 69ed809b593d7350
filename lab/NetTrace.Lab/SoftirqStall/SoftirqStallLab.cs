using System.Diagnostics;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Runs the softirq-stall lab end to end: build the namespaces (leftovers of killed runs go first), steer received
/// packets with RPS, load the route table, start the service, captures and live tracing, probe for a baseline,
/// cause the stalls on the stall CPU while probing, then tear everything down — on success, failure and
/// cancellation alike (signals are covered by <see cref="LabCleanup"/>).
/// </summary>
public static class SoftirqStallLab
{
    public static async Task<SoftirqStallResult> RunAsync(SoftirqStallOptions o, TextWriter progress, CancellationToken ct)
    {
        o.Validate();
        var allowed = CpuAffinity.Allowed();
        if (!allowed.Contains(o.StallCpu) || !allowed.Contains(o.SenderCpu))
            throw new LabException($"this process may only run on CPUs {string.Join(',', allowed)}; the lab needs {o.SenderCpu} and {o.StallCpu}");
        var sw = Stopwatch.StartNew();
        await using var lab = new NetnsLab("sirq");
        progress.WriteLine($"building lab: client -> server over two veth pairs; RPS steers the stalled queue's flows to CPU {o.StallCpu}, the other queues' to CPU {o.SenderCpu}");
        var topo = await SoftirqStallTopology.BuildAsync(lab, o, progress, ct);
        if (o.AfterSetup != null) await o.AfterSetup(topo);
        var captures = new List<TcpdumpCapture>();
        LiveStallTrace? live = null;
        try
        {
            using var server = new ProbeServer(topo, o.ServerPort);
            if (o.CaptureDir != null)
            {
                Directory.CreateDirectory(o.CaptureDir);
                var filter = $"icmp or tcp port {o.ServerPort}";
                // Requests leave by both veths but every reply comes back by the first: capture both, in one file.
                captures.Add(TcpdumpCapture.Start(topo.Client.Name, "any", Path.GetFullPath(Path.Combine(o.CaptureDir, "client.pcap")), filter));
            }
            if (o.Trace)
            {
                live = new LiveStallTrace(o.TraceThresholdMs, topo.Server.Inode);
                progress.WriteLine($"live stall tracing on every CPU ({live.Attach}), threshold {o.TraceThresholdMs} ms");
            }
            var setup = sw.Elapsed;
            var prober = new Prober(o, topo);
            progress.WriteLine($"probing every {o.IntervalMs} ms (one ICMP echo, a TCP connect on the stalled queue and one on another queue); {o.Stalls} stalls " +
                               $"({(o.Mechanism == StallMechanism.Mtu ? "MTU change" : "agent reading /proc/net/ipv6_route")} over {topo.RoutesLoaded:N0} routes) " +
                               $"on CPU {o.StallCpu} every {o.GapMs} ms after a {o.BaselineMs} ms baseline");
            long origin = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20;
            progress.WriteLine($"RSS model: {prober.Steering.Rss}; ICMP and the probed TCP flows of queue {prober.Steering.StalledQueue} -> CPU {o.StallCpu}, other queues -> CPU {o.SenderCpu}");
            var probing = Task.Factory.StartNew(() => prober.Run(origin, ct), TaskCreationOptions.LongRunning);
            IReadOnlyList<StallSample> stalls;
            try
            {
                stalls = new StallDriver(o, topo).Run(origin, ct);
            }
            finally
            {
                prober.EndAfter(TimeSpan.FromMilliseconds(o.TailMs));
                // The prober ends a tail after the last stall (or on cancellation); never leave it running.
                await probing.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            var probes = await probing;
            ct.ThrowIfCancellationRequested();
            if (prober.PriorityRefused is { } why)
                progress.WriteLine($"warning: the prober ran at normal priority (nice -20 refused: {why}); this machine's own load may have delayed probes");

            var statistics = ProbeStatistics.Compute(probes, stalls);
            LiveStallMatch? match = null;
            if (live != null)
            {
                match = LiveStallMatch.Build(live.Attach, live.Stop(), stalls, statistics, o.StallCpu);
            }
            if (captures.Count > 0) await Task.Delay(200, CancellationToken.None);
            var files = new List<CaptureFile>();
            foreach (var (c, role) in captures.Zip(new[] { "client (sender side, both paths)" }))
            {
                c.Stop();
                files.Add(new CaptureFile(role, c.File, c.Interface, c.Captured, c.KernelDrops));
            }
            return new SoftirqStallResult
            {
                Options = o, Namespaces = [topo.Client.Name, topo.Server.Name], RoutesLoaded = topo.RoutesLoaded,
                StallDevice = topo.StallDevice,
                Devices = topo.Devices, StalledQueue = prober.Steering.StalledQueue,
                Stalls = stalls, Probes = probes,
                Statistics = statistics, Captures = files, Live = match,
                Elapsed = sw.Elapsed, SetupTime = setup,
            };
        }
        finally
        {
            live?.Dispose();
            foreach (var c in captures) c.Dispose();
        }
    }
}
