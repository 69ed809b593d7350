using System.Net;
using k8s;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Kube;
using Xunit;

namespace NetTrace.Metadata.Tests.Apiserver;

/// <summary>
/// The production list + watch code (KubernetesClient configured from a kubeconfig) against a local server that
/// replays recorded apiserver JSON: lists, a watch with ADDED / MODIFIED / DELETED / BOOKMARK that then drops, a
/// resumed watch that answers ERROR 410, the relist, and the next watch. The index is checked after each phase.
/// </summary>
public sealed class ApiserverWatcherTests : IDisposable
{
    private const string Pods = "/api/v1/pods", Services = "/api/v1/services", Nodes = "/api/v1/nodes",
        Slices = "/apis/discovery.k8s.io/v1/endpointslices";

    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private readonly string _dir = Directory.CreateTempSubdirectory("nt-kube-").FullName;

    private static ApiserverWatchOptions FastOptions => new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200), PublishDelay = TimeSpan.FromMilliseconds(10),
    };

    private static IpOwner? At(IIpDirectory d, string ip) => d.Lookup(IPAddress.Parse(ip));

    [Fact]
    public async Task Lists_then_follows_watch_events_resumes_a_dropped_watch_and_relists_after_410_Gone()
    {
        await using var server = new ApiserverReplay();
        var watch1 = new TaskCompletionSource();
        var watch2 = new TaskCompletionSource();
        server.List(Pods, "pods-list.json");
        server.List(Pods, "pods-relist.json");
        server.Watch(Pods, "pods-watch-1.jsonl", watch1.Task);
        server.Watch(Pods, "pods-watch-2-gone.jsonl", watch2.Task);
        server.List(Services, "services-list.json");
        server.Watch(Services, "services-watch-1.jsonl", watch1.Task);
        server.List(Slices, "endpointslices-list.json");
        server.List(Nodes, "nodes-list.json");

        var resolved = KubeConfigSource.Resolve(server.WriteKubeconfig(_dir));
        Assert.Null(resolved.Problem);
        using var client = new Kubernetes(resolved.Config!);
        await using var watcher = await ApiserverWatcher.StartAsync(client, FastOptions, Ct);
        var index = new MetadataIndex();
        index.UseClusterDirectory(watcher);

        // Phase 1: the four lists.
        Assert.Equal(new IpOwner(IpOwnerKind.Pod, "checkout-7f9c8d6b5-abcde", "shop", Uid("shop/checkout-7f9c8d6b5-abcde"), "worker-1"),
            index.ResolveIp(IPAddress.Parse("10.244.1.17")));
        Assert.Equal("cart-5d8b9c7f4-xk2lp", index.ResolveIp(IPAddress.Parse("10.244.1.18"))?.Name);
        Assert.Equal(new IpOwner(IpOwnerKind.Service, "payments", "payments", Uid("svc/payments/payments"), "ClusterIP"), At(watcher, "10.96.0.12"));
        Assert.Equal(IpOwnerKind.Service, At(watcher, "172.18.255.200")?.Kind);                 // LoadBalancer ingress
        Assert.Equal("frontend", At(watcher, "172.18.255.200")?.Name);
        Assert.Equal(new IpOwner(IpOwnerKind.Node, "worker-1", "", Uid("node/worker-1"), ""), At(watcher, "172.18.0.3"));  // not the hostNetwork pod
        Assert.Equal(IpOwnerKind.Node, At(watcher, "172.18.0.2")?.Kind);                        // node beats the kubernetes slice
        Assert.Equal(new IpOwner(IpOwnerKind.Pod, "search-84d5f6c7b9-m2n3p", "search", Uid("search/search-84d5f6c7b9-m2n3p"), "worker-3"),
            At(watcher, "10.244.3.41"));                                                       // known only from its slice
        Assert.Equal(new IpOwner(IpOwnerKind.Service, "external-db", "default", "", "endpoint"), At(watcher, "192.168.50.10"));
        Assert.Equal("payments-6c4f7b9d8-q9z8r", At(watcher, "10.244.2.9")?.Name);            // the pod, not its slice
        Assert.Equal("payments", index.ResolveIp(IPAddress.Parse("::ffff:10.96.0.12"))?.Name);  // v4-mapped
        Assert.Null(At(watcher, "10.244.2.14"));                                               // the pending pod has no IP yet
        Assert.Null(At(watcher, "10.96.77.7"));
        Assert.Equal(14, watcher.Directory.Count);   // 3 pods, 6 service IPs, 3 nodes, 2 slice-only addresses

        // The lists went through the kubeconfig's server and token.
        var firstPodList = Assert.Single(server.RequestsTo(Pods, watch: false));
        Assert.Equal("Bearer replay-token", firstPodList.Authorization);

        // Phase 2: the watch streams ADDED, MODIFIED, DELETED, a BOOKMARK, then drops.
        watch1.SetResult();
        await Eventually(() => At(watcher, "10.244.1.22") != null && At(watcher, "10.96.77.7") != null && At(watcher, "10.244.1.18") == null);
        Assert.Equal("checkout-7f9c8d6b5-n4m2x", At(watcher, "10.244.1.22")?.Name);           // ADDED
        Assert.Equal("checkout-7f9c8d6b5-zzzzz", At(watcher, "10.244.2.14")?.Name);           // MODIFIED: got its IP
        Assert.Null(At(watcher, "10.244.1.18"));                                               // DELETED
        Assert.Equal("search", At(watcher, "10.96.77.7")?.Name);                               // services watch too
        var firstWatch = server.RequestsTo(Pods, watch: true)[0];
        Assert.Equal("1000", firstWatch.Query["resourceVersion"]);                             // from the list
        Assert.Equal("true", firstWatch.Query["allowWatchBookmarks"]);

        // Phase 3: the dropped watch is resumed from the bookmark's resourceVersion, not relisted.
        await Eventually(() => server.RequestsTo(Pods, watch: true).Count >= 2);
        Assert.Equal("1005", server.RequestsTo(Pods, watch: true)[1].Query["resourceVersion"]);
        Assert.Single(server.RequestsTo(Pods, watch: false));
        Assert.Equal(1, watcher.Stats.Single(s => s.Resource == "pods").Reconnects);

        // Phase 4: that watch answers 410 Gone; the client relists and watches from the new list.
        watch2.SetResult();
        await Eventually(() => server.RequestsTo(Pods, watch: true).Count >= 3 && At(watcher, "10.244.2.30") != null);
        Assert.Equal(2, server.RequestsTo(Pods, watch: false).Count);
        Assert.Equal("2000", server.RequestsTo(Pods, watch: true)[2].Query["resourceVersion"]);
        var pods = watcher.Stats.Single(s => s.Resource == "pods");
        Assert.Equal(1, pods.Relists);
        Assert.Equal("2000", pods.ResourceVersion);
        Assert.Equal("checkout-7f9c8d6b5-p0p0p", At(watcher, "10.244.2.30")?.Name);           // created during the gap
        Assert.Null(At(watcher, "10.244.2.14"));                                               // deleted during the gap
        Assert.Equal("checkout-7f9c8d6b5-n4m2x", At(watcher, "10.244.1.22")?.Name);
        Assert.Equal("payments", At(watcher, "10.96.0.12")?.Name);                             // other kinds untouched
        // The other kinds were never relisted.
        Assert.Single(server.RequestsTo(Services, watch: false));
        Assert.Single(server.RequestsTo(Nodes, watch: false));
    }

    [Fact]
    public async Task A_watch_that_goes_silent_is_abandoned_and_resumed_from_its_resource_version()
    {
        await using var server = new ApiserverReplay();   // every watch stays open and silent
        server.List(Pods, "pods-list.json");
        server.List(Services, "services-list.json");
        server.List(Slices, "endpointslices-list.json");
        server.List(Nodes, "nodes-list.json");
        using var client = new Kubernetes(KubeConfigSource.Resolve(server.WriteKubeconfig(_dir)).Config!);

        await using var watcher = await ApiserverWatcher.StartAsync(client, FastOptions with { WatchAbandonAfter = TimeSpan.FromMilliseconds(300) }, Ct);
        await Eventually(() => server.RequestsTo(Nodes, watch: true).Count >= 3);

        Assert.All(server.RequestsTo(Nodes, watch: true), r => Assert.Equal("1000", r.Query["resourceVersion"]));
        Assert.Single(server.RequestsTo(Nodes, watch: false));                        // resumed, never relisted
        Assert.True(watcher.Stats.Single(s => s.Resource == "nodes").Reconnects >= 2);
        Assert.Null(watcher.Stats.Single(s => s.Resource == "nodes").LastError);
        Assert.Equal("worker-2", At(watcher, "172.18.0.4")?.Name);                    // the index stays
    }

    [Fact]
    public async Task A_session_with_a_kubeconfig_resolves_cluster_ips_and_says_where_they_came_from()
    {
        await using var server = new ApiserverReplay();
        server.List(Pods, "pods-list.json");
        server.List(Services, "services-list.json");
        server.List(Slices, "endpointslices-list.json");
        server.List(Nodes, "nodes-list.json");
        var kubeconfig = server.WriteKubeconfig(_dir);

        await using var session = await NetTrace.Metadata.Sources.MetadataSession.StartAsync(
            new NetTrace.Metadata.Sources.MetadataOptions { UseCri = false, Kubeconfig = kubeconfig }, Ct);

        var status = Assert.Single(session.Sources, s => s.Source == "apiserver");
        Assert.True(status.Answered, status.ToString());
        Assert.Equal($"apiserver: {server.Address.ToString().TrimEnd('/')}: via --kubeconfig {kubeconfig}: 14 addresses (pods, services, nodes)", status.ToString());
        Assert.Equal("payments (ClusterIP)", session.Resolver.ResolveIp(IPAddress.Parse("10.96.0.12"))!.ToString().Split('/')[1]);
        Assert.Equal(IpOwnerKind.Node, session.Resolver.ResolveIp(IPAddress.Parse("172.18.0.4"))?.Kind);
    }

    [Fact]
    public async Task Start_fails_with_the_apiservers_reason_when_listing_is_forbidden()
    {
        await using var server = new ApiserverReplay();
        server.List(Pods, "pods-list.json");
        server.List(Services, "services-list.json");
        server.List(Nodes, "nodes-list.json");
        server.Fail(Slices, false, 403, """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:kube-system:nettrace\" cannot list resource \"endpointslices\" in API group \"discovery.k8s.io\" at the cluster scope","reason":"Forbidden","code":403}""");
        var options = new NetTrace.Metadata.Sources.MetadataOptions { UseCri = false, Kubeconfig = server.WriteKubeconfig(_dir) };

        await using var session = await NetTrace.Metadata.Sources.MetadataSession.StartAsync(options, Ct);

        var status = Assert.Single(session.Sources, s => s.Source == "apiserver");
        Assert.False(status.Answered);
        Assert.Contains("HTTP 403", status.Detail);
        Assert.Contains("cannot list resource \"endpointslices\" in API group \"discovery.k8s.io\"", status.Detail);
        Assert.Null(session.Apiserver);
        Assert.Null(session.Resolver.ResolveIp(IPAddress.Parse("10.244.1.17")));   // nothing half-loaded
    }

    private static string Uid(string seed) => Fixtures.Uid(seed);

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("condition not reached within 10 s");
            await Task.Delay(20, Ct);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
