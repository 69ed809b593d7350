using System.Net;
using NetTrace.Events;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using Xunit;

namespace NetTrace.Metadata.Tests.Unit;

public sealed class IndexAndEnricherTests
{
    private static readonly PodIdentity Web = new("web-1", "shop", "u-web");
    private static readonly PodIdentity Db = new("db-0", "data", "u-db");
    private static readonly PodIdentity Agent = new("agent-x", "kube-system", "u-agent");   // a hostNetwork pod

    private static CriSnapshot Snapshot(params (PodIdentity Pod, ulong Netns, string Ip)[] pods) => new(
        DateTimeOffset.UtcNow, "containerd test",
        pods.Select(p => new SandboxEntry("sb-" + p.Pod.Name, p.Pod, p.Netns, null, 1, [IPAddress.Parse(p.Ip)])).ToList(),
        [
            new ContainerEntry(new ContainerIdentity(Web, "nginx", "c1"), "sb-web-1", 2, 9001, "/kubepods/a"),
            new ContainerEntry(new ContainerIdentity(Db, "postgres", "c2"), "sb-db-0", 3, 9002, "/kubepods/b"),
            new ContainerEntry(new ContainerIdentity(Agent, "agent", "c3"), "sb-agent-x", 4, 9003, "/kubepods/c"),
            new ContainerEntry(new ContainerIdentity(Db, "no-cgroup", "c4"), "sb-db-0", 5, 0, null),
        ],
        []);

    [Fact]
    public void A_reused_netns_inode_names_only_the_pod_that_holds_it_now()
    {
        var index = new MetadataIndex();
        index.ApplyCri(Snapshot((Web, 4026532100, "10.88.0.5")));
        Assert.Equal(Web, index.ResolveNetns(4026532100));

        // The web pod stopped; the kernel gave its inode to the db pod's new netns.
        index.ApplyCri(Snapshot((Db, 4026532100, "10.88.0.6")));
        Assert.Equal(Db, index.ResolveNetns(4026532100));
        Assert.Null(index.ResolveIp(IPAddress.Parse("10.88.0.5")));
        Assert.Equal("db-0", index.ResolveIp(IPAddress.Parse("::ffff:10.88.0.6"))?.Name);

        index.ApplyCri(Snapshot());
        Assert.Null(index.ResolveNetns(4026532100));
        index.ClearCri();
        Assert.Null(index.ResolveCgroup(9001));
    }

    [Fact]
    public void Pods_are_found_by_name_prefix_and_namespace_for_trace_filters()
    {
        var index = new MetadataIndex();
        var web2 = new PodIdentity("web-2", "shop", "u-web2");
        index.ApplyCri(Snapshot((Web, 11, "10.88.0.5"), (web2, 12, "10.88.0.7"), (Db, 13, "10.88.0.6")));
        Assert.Equal([11UL, 12UL], index.FindPods("web-*", "shop").Select(s => s.NetnsInode).Order());
        Assert.Equal([13UL], index.FindPods(null, "data").Select(s => s.NetnsInode));
        Assert.Equal([12UL], index.FindPods("web-2", null).Select(s => s.NetnsInode));
        Assert.Empty(index.FindPods("web", "shop"));        // exact unless '*'
        Assert.Equal(3, index.FindPods(null, null).Count);
    }

    [Fact]
    public void Cgroup_ids_map_to_containers_and_zero_ids_are_not_indexed()
    {
        var index = new MetadataIndex();
        index.ApplyCri(Snapshot((Web, 1, "10.88.0.5")));
        Assert.Equal(new ContainerIdentity(Web, "nginx", "c1"), index.ResolveCgroup(9001));
        Assert.Null(index.ResolveCgroup(0));
        Assert.Equal("shop/web-1/nginx", index.ResolveCgroup(9001)!.ToString());
    }

    [Fact]
    public void The_netns_decides_the_pod_and_a_foreign_tasks_cgroup_adds_no_container()
    {
        var index = new MetadataIndex();
        index.ApplyCri(Snapshot((Web, 4026532100, "10.88.0.5"), (Db, 4026532200, "10.88.0.6")));
        var enricher = new EventEnricher(index);

        // A drop of web's packet while a postgres task happened to be on the CPU (softirq context).
        var drop = new TraceEvent { Drop = new DropEvent { Origin = new Origin { NetnsIno = 4026532100, CgroupId = 9002 } } };
        Assert.True(enricher.Enrich(drop));
        Assert.Equal(new PodRef { Name = "web-1", Namespace = "shop", Uid = "u-web", Container = "" }, drop.Drop.Origin.Pod);

        // web's own task connecting: the container is named.
        var connect = new TraceEvent { Connect = new ConnectEvent { Origin = new Origin { NetnsIno = 4026532100, CgroupId = 9001 } } };
        Assert.True(enricher.Enrich(connect));
        Assert.Equal("nginx", connect.Connect.Origin.Pod.Container);

        // A hostNetwork pod's connect: host netns (unknown), its cgroup names it.
        var host = new TraceEvent { Connect = new ConnectEvent { Origin = new Origin { NetnsIno = 4026531840, CgroupId = 9003 } } };
        Assert.True(enricher.Enrich(host));
        Assert.Equal(new PodRef { Name = "agent-x", Namespace = "kube-system", Uid = "u-agent", Container = "agent" }, host.Connect.Origin.Pod);

        // But a softirq-context event in the host netns is not pinned on whoever was running.
        var icmp = new TraceEvent { IcmpEcho = new IcmpEchoEvent { Origin = new Origin { NetnsIno = 4026531840, CgroupId = 9003 } } };
        Assert.False(enricher.Enrich(icmp));
        Assert.Null(icmp.IcmpEcho.Origin.Pod);

        // Already enriched, or no origin: untouched.
        Assert.False(enricher.Enrich(drop));
        Assert.False(enricher.Enrich(new TraceEvent { End = new SessionEnd() }));
    }
}
