using System.Net;
using System.Text.Json;
using NetTrace.Events;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Sources;
using NetTrace.Tracer.Trace;
using NetTrace.Tracer.Trace.LiveView;
using Xunit;

namespace NetTrace.Metadata.Tests.Apiserver;

/// <summary>
/// The remote end of events named through the apiserver source: a session against the replayed apiserver lists,
/// the EventEnricher filling PeerRef fields, and the JSON lines / live view showing them.
/// </summary>
public sealed class RemotePeerEnrichmentTests : IDisposable
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("nt-peer-").FullName;

    private static FlowTuple Tcp(string src, int sport, string dst, int dport) =>
        EventAddresses.MakeTuple(IPAddress.Parse(src), sport, IPAddress.Parse(dst), dport, IpProtocol.Tcp);

    [Fact]
    public async Task The_enricher_names_a_cluster_ip_as_its_service_and_json_lines_and_the_live_view_show_it()
    {
        await using var server = new ApiserverReplay();
        server.List("/api/v1/pods", "pods-list.json");
        server.List("/api/v1/services", "services-list.json");
        server.List("/apis/discovery.k8s.io/v1/endpointslices", "endpointslices-list.json");
        server.List("/api/v1/nodes", "nodes-list.json");
        await using var session = await MetadataSession.StartAsync(
            new MetadataOptions { UseCri = false, Kubeconfig = server.WriteKubeconfig(_dir) }, Ct);
        var enricher = new EventEnricher(session.Resolver);

        // A connect from a pod to the payments Service's ClusterIP (the node's netns is unknown: no local pod).
        var connect = new TraceEvent { Connect = new ConnectEvent
        {
            Origin = new Origin { NetnsIno = 4026531840, Comm = "curl" }, Tuple = Tcp("10.244.1.17", 40000, "10.96.0.12", 443),
            Outcome = ConnectOutcome.TimedOut, SynRetransmits = 2,
        } };
        Assert.True(enricher.Enrich(connect));
        Assert.Null(connect.Connect.Origin.Pod);
        Assert.Equal(new PeerRef { Kind = PeerKind.Service, Name = "payments", Namespace = "payments", Uid = Fixtures.Uid("svc/payments/payments"), Detail = "ClusterIP" },
            connect.Connect.Remote);

        // A drop has two ends: a pod and a node.
        var drop = new TraceEvent { Drop = new DropEvent { Origin = new Origin(), Tuple = Tcp("10.244.1.17", 40000, "172.18.0.3", 10250), Reason = "NETFILTER_DROP" } };
        Assert.True(enricher.Enrich(drop));
        Assert.Equal((PeerKind.Pod, "checkout-7f9c8d6b5-abcde", "shop", "worker-1"),
            (drop.Drop.SrcPeer.Kind, drop.Drop.SrcPeer.Name, drop.Drop.SrcPeer.Namespace, drop.Drop.SrcPeer.Detail));
        Assert.Equal((PeerKind.Node, "worker-1"), (drop.Drop.DstPeer.Kind, drop.Drop.DstPeer.Name));

        // NAT: the pre-NAT destination is the Service.
        var nat = new TraceEvent { Nat = new ConntrackNatEvent
        {
            Origin = new Origin(), Kind = NatEventKind.Mapping,
            Original = Tcp("10.244.1.17", 40000, "10.96.0.12", 443), Reply = Tcp("10.244.2.9", 8443, "10.244.1.17", 40000),
        } };
        Assert.True(enricher.Enrich(nat));
        Assert.Equal("payments", nat.Nat.OriginalDstPeer.Name);

        // An address nobody claims stays raw.
        var unknown = new TraceEvent { Connect = new ConnectEvent { Origin = new Origin(), Tuple = Tcp("10.244.1.17", 40001, "10.96.77.7", 80) } };
        Assert.False(enricher.Enrich(unknown));
        Assert.Null(unknown.Connect.Remote);

        var text = new StringWriter();
        using (var json = new JsonLinesWriter(text))
        {
            json.Write(connect);
            json.Write(drop);
            json.Write(unknown);
        }
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var remote = lines[0].GetProperty("remote");
        Assert.Equal(("service", "payments", "payments", "ClusterIP"),
            (remote.GetProperty("kind").GetString(), remote.GetProperty("name").GetString(), remote.GetProperty("namespace").GetString(), remote.GetProperty("detail").GetString()));
        Assert.Equal("checkout-7f9c8d6b5-abcde", lines[1].GetProperty("src_peer").GetProperty("name").GetString());
        Assert.Equal("node", lines[1].GetProperty("dst_peer").GetProperty("kind").GetString());
        Assert.False(lines[2].TryGetProperty("remote", out _));

        Assert.Contains("-> 10.96.0.12:443 [payments/payments (ClusterIP)]", EventLines.Describe(connect));
        Assert.Contains("10.244.1.17:40000 [shop/checkout-7f9c8d6b5-abcde] -> 172.18.0.3:10250 [node worker-1]", EventLines.Describe(drop));
    }

    [Fact]
    public void The_live_view_names_the_local_pod_instead_of_the_netns_inode()
    {
        var connect = new TraceEvent { Connect = new ConnectEvent
        {
            Origin = new Origin { NetnsIno = 4026532100, Comm = "curl", Pod = new PodRef { Name = "web-1", Namespace = "shop", Container = "nginx" } },
            Tuple = Tcp("10.244.1.5", 40000, "10.96.0.12", 443), Outcome = ConnectOutcome.Refused,
        } };
        var line = EventLines.Describe(connect);
        Assert.Contains(" pod shop/web-1 (nginx)", line);
        Assert.DoesNotContain("netns 4026532100", line);

        var stats = new TraceStats();
        stats.Add(connect);
        var table = string.Join('\n', new TerminalTableView(TextWriter.Null, width: 200).Render(stats.Snapshot(), null));
        Assert.Contains("10.244.1.5:40000 [shop/web-1 (nginx)] -> 10.96.0.12:443 refused", table);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
