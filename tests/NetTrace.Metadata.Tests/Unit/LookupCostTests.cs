using System.Net;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Kube;
using Xunit;

namespace NetTrace.Metadata.Tests.Unit;

/// <summary>
/// Measures what enrichment costs on the event path and what a directory rebuild costs, at a large node's and
/// cluster's size, and prints the numbers. Time is this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other
/// tests and builds sharing the 2 CPUs do not count; the bounds only catch a pathological regression (a lock, I/O,
/// a scan).
/// </summary>
public sealed partial class LookupCostTests(ITestOutputHelper output)
{
    private readonly struct Timespec { public readonly long Sec; public readonly long Nsec; }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec ts);

    private static double ThreadCpuNs()
    {
        const int CLOCK_THREAD_CPUTIME_ID = 3;
        ClockGettime(CLOCK_THREAD_CPUTIME_ID, out var ts);
        return ts.Sec * 1e9 + ts.Nsec;
    }

    [Fact]
    public void Lookups_cost_well_under_a_microsecond_and_a_10k_pod_directory_builds_in_milliseconds()
    {
        const int pods = 10_000, services = 2_000, nodes = 500;
        var sandboxes = Enumerable.Range(0, 250).Select(i => new SandboxEntry($"sb{i}", new PodIdentity($"p{i}", "ns", $"u{i}"),
            4026532000UL + (ulong)i, null, 1, [IPAddress.Parse($"10.88.{i / 250}.{i % 250}")])).ToList();
        var containers = Enumerable.Range(0, 750).Select(i => new ContainerEntry(
            new ContainerIdentity(sandboxes[i % 250].Pod, $"c{i}", $"id{i}"), $"sb{i % 250}", 1, 50_000UL + (ulong)i, null)).ToList();
        var index = new MetadataIndex();
        index.ApplyCri(new CriSnapshot(DateTimeOffset.UtcNow, "t", sandboxes, containers, []));

        var claims = new List<ClusterDirectory.Claim>();
        for (var i = 0; i < pods; i++)
            claims.Add(new(new IpOwner(IpOwnerKind.Pod, $"pod{i}", "ns", $"u{i}", "n"), [IPAddress.Parse($"10.244.{i / 256}.{i % 256}")], 0));
        for (var i = 0; i < services; i++)
            claims.Add(new(new IpOwner(IpOwnerKind.Service, $"svc{i}", "ns", $"s{i}", "ClusterIP"), [IPAddress.Parse($"10.96.{i / 256}.{i % 256}")], 2));
        for (var i = 0; i < nodes; i++)
            claims.Add(new(new IpOwner(IpOwnerKind.Node, $"node{i}", "", $"n{i}", ""), [IPAddress.Parse($"172.18.{i / 256}.{i % 256}")], 1));

        ClusterDirectory.Build(claims);   // warm up
        var t0 = ThreadCpuNs();
        const int builds = 5;
        for (var i = 0; i < builds; i++) index.UseClusterDirectory(ClusterDirectory.Build(claims));
        var buildMs = (ThreadCpuNs() - t0) / 1e6 / builds;

        var probeIps = Enumerable.Range(0, 1024).Select(i => IPAddress.Parse($"10.244.{i % 39}.{i % 256}")).ToArray();
        const int n = 1_000_000;
        long hits = 0;
        for (var i = 0; i < 10_000; i++) hits += index.ResolveNetns(4026532000UL + (ulong)(i % 300)) != null ? 1 : 0;   // warm up
        var t = ThreadCpuNs();
        for (var i = 0; i < n; i++) hits += index.ResolveNetns(4026532000UL + (ulong)(i % 300)) != null ? 1 : 0;
        var netnsNs = (ThreadCpuNs() - t) / n;
        t = ThreadCpuNs();
        for (var i = 0; i < n; i++) hits += index.ResolveCgroup(50_000UL + (ulong)(i % 900)) != null ? 1 : 0;
        var cgroupNs = (ThreadCpuNs() - t) / n;
        t = ThreadCpuNs();
        for (var i = 0; i < n; i++) hits += index.ResolveIp(probeIps[i & 1023]) != null ? 1 : 0;
        var ipNs = (ThreadCpuNs() - t) / n;

        output.WriteLine($"directory of {pods + services + nodes} addresses: build {buildMs:F1} ms (thread CPU)");
        output.WriteLine($"ResolveNetns {netnsNs:F0} ns, ResolveCgroup {cgroupNs:F0} ns, ResolveIp {ipNs:F0} ns per lookup ({hits} hits)");
        Assert.True(hits > n);
        Assert.InRange(netnsNs, 0, 1000);
        Assert.InRange(cgroupNs, 0, 1000);
        Assert.InRange(ipNs, 0, 2000);
        Assert.InRange(buildMs, 0, 2000);
    }
    [Fact]
    public void Enriching_a_connect_with_its_pod_and_remote_service_is_measured_and_stays_under_5_us()
    {
        var pod = new PodIdentity("web-1", "shop", "u-web");
        var index = new MetadataIndex();
        index.ApplyCri(new CriSnapshot(DateTimeOffset.UtcNow, "t",
            [new SandboxEntry("sb", pod, 4026532100, null, 1, [IPAddress.Parse("10.88.0.5")])],
            [new ContainerEntry(new ContainerIdentity(pod, "nginx", "c1"), "sb", 2, 9001, null)], []));
        var claims = Enumerable.Range(0, 2_000).Select(i => new ClusterDirectory.Claim(
            new IpOwner(IpOwnerKind.Service, $"svc{i}", "ns", $"s{i}", "ClusterIP"), [IPAddress.Parse($"10.96.{i / 256}.{i % 256}")], 2)).ToList();
        index.UseClusterDirectory(ClusterDirectory.Build(claims));
        var enricher = new EventEnricher(index);
        var e = new NetTrace.Events.TraceEvent { Connect = new NetTrace.Events.ConnectEvent
        {
            Origin = new NetTrace.Events.Origin { NetnsIno = 4026532100, CgroupId = 9001 },
            Tuple = NetTrace.Events.EventAddresses.MakeTuple(IPAddress.Parse("10.88.0.5"), 40000, IPAddress.Parse("10.96.1.7"), 443,
                NetTrace.Events.IpProtocol.Tcp),
        } };

        double Measure(int n, out long bytes)
        {
            var b0 = GC.GetAllocatedBytesForCurrentThread();
            var t0 = ThreadCpuNs();
            for (var i = 0; i < n; i++)
            {
                e.Connect.Origin.Pod = null;
                e.Connect.Remote = null;
                enricher.Enrich(e);
            }
            var ns = (ThreadCpuNs() - t0) / n;
            bytes = (GC.GetAllocatedBytesForCurrentThread() - b0) / n;
            return ns;
        }
        Measure(10_000, out _);   // warm up
        var perEvent = Measure(200_000, out var bytesPerEvent);

        Assert.Equal("svc263", e.Connect.Remote.Name);
        Assert.Equal("nginx", e.Connect.Origin.Pod.Container);
        output.WriteLine($"Enrich(connect: pod + remote Service) {perEvent:F0} ns, {bytesPerEvent} bytes allocated per event (thread CPU)");
        Assert.InRange(perEvent, 0, 5000);
    }
}
