using System.Diagnostics;
using System.Net;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// Runs the SNAT port race lab end to end: remove leftovers of killed runs, build the topology, start the server
/// (and captures), snapshot conntrack statistics in the node namespace, race, snapshot again, and tear everything
/// down — on success, on failure and on cancellation alike.
/// </summary>
public static class SnatRaceLab
{
    public static async Task<SnatRaceResult> RunAsync(SnatRaceOptions o, TextWriter progress, CancellationToken ct)
    {
        o.Validate();
        foreach (var ns in SnatRaceCleanup.RemoveLeftovers())
            progress.WriteLine($"removed leftover namespace {ns} of an earlier run that was killed");

        if (CpuAffinity.Allowed().Count < 2)
            progress.WriteLine("warning: this process may use only one CPU; the race needs two translations at the same time, expect no clashes");
        var sw = Stopwatch.StartNew();
        var names = SnatRaceNames.New();
        progress.WriteLine($"building lab {names.Node[..^5]}: {o.Pods} pods -> node (MASQUERADE{(o.RandomFully ? " --random-fully" : "")}) -> server");
        using var topo = SnatRaceTopology.Create(names, o.Pods, o.RandomFully);
        ct.ThrowIfCancellationRequested();
        var captures = new List<TcpdumpCapture>();
        try
        {
            var server = new IPEndPoint(SnatRaceTopology.ServerIp, o.ServerPort);
            await using var srv = new RaceServer(topo.NetnsPath(names.Server), server);
            if (o.CaptureDir != null)
            {
                Directory.CreateDirectory(o.CaptureDir);
                var filter = $"tcp port {o.ServerPort}";
                captures.Add(TcpdumpCapture.Start(names.Node, SnatRaceTopology.BridgeDev, Path.GetFullPath(Path.Combine(o.CaptureDir, "pre.pcap")), filter));
                captures.Add(TcpdumpCapture.Start(names.Node, SnatRaceTopology.UplinkDev, Path.GetFullPath(Path.Combine(o.CaptureDir, "post.pcap")), filter));
            }
            Warmup(topo, server, ct);

            var nodeNs = topo.NetnsPath(names.Node);
            using var live = o.Trace ? new LiveNatTrace(nodeNs) : null;
            if (live != null) progress.WriteLine($"conntrack NAT probe attached in the node namespace (POST_ROUTING priority {live.Priority}, clash drops via kfree_skb)");
            var before = ConntrackStats.Read(nodeNs);
            progress.WriteLine($"racing {o.Rounds} rounds x {o.Pods} pods ({(o.EphemeralPorts ? "kernel-chosen source ports" : "equal source ports, released together")})");
            var clients = new RaceClients(topo, server, o.Rounds, o.BasePort, o.EphemeralPorts);
            int lastShown = 0;
            var samples = await Task.Run(() => clients.Run(o.Drain, r =>
            {
                if (r * 10 / o.Rounds > lastShown) { lastShown = r * 10 / o.Rounds; progress.WriteLine($"  round {r}/{o.Rounds}"); }
            }, ct), CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            var after = ConntrackStats.Read(nodeNs);
            SnatClashReport? joined = null;
            if (live != null)
            {
                var (events, lost) = live.Stop();
                joined = SnatClashJoiner.Join(events, after.Since(before), lost);
            }

            // Let the last handshakes' ACKs and RSTs reach the capture before it stops.
            if (captures.Count > 0) await Task.Delay(200, CancellationToken.None);
            var files = new List<CaptureFile>();
            foreach (var (c, role) in captures.Zip(new[] { "pre-nat", "post-nat" }))
            {
                c.Stop();
                files.Add(new CaptureFile(role, c.File, c.Interface, c.Captured, c.KernelDrops));
            }
            return new SnatRaceResult
            {
                Options = o, NatRule = topo.NatRule, NodeNetns = names.Node, Connects = samples,
                Conntrack = after.Since(before), Captures = files, Elapsed = sw.Elapsed, Live = joined,
            };
        }
        finally
        {
            foreach (var c in captures) c.Dispose();
        }
    }

    /// <summary>One connect per pod before measuring, so ARP and route caches are warm and the first round's
    /// SYNs are not queued behind neighbour resolution.</summary>
    private static void Warmup(SnatRaceTopology topo, IPEndPoint server, CancellationToken ct)
    {
        for (int i = 0; i < topo.Pods; i++)
        {
            ct.ThrowIfCancellationRequested();
            NetnsThread.Run(topo.NetnsPath(topo.Names.Pod(i)), () =>
            {
                using var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                s.LingerState = new System.Net.Sockets.LingerOption(true, 0);
                var connect = s.ConnectAsync(server);
                if (!connect.Wait(TimeSpan.FromSeconds(5)))
                    throw new LabException($"warm-up connect from pod{i} to {server} did not complete in 5 s: the lab network is broken");
                return 0;
            });
        }
    }
}
