using System.Net;
using k8s;
using k8s.Models;
using NetTrace.Metadata.Index;

namespace NetTrace.Metadata.Kube;

/// <summary>
/// Keeps an IP directory of the whole cluster from list + watch of pods, services, endpoint slices and nodes.
/// Start lists all four (so a wrong kubeconfig or missing RBAC fails at once, with the reason); then four watch loops
/// keep it current. Changes are coalesced and published as a new immutable <see cref="ClusterDirectory"/>.
/// </summary>
public sealed class ApiserverWatcher : IIpDirectory, IAsyncDisposable
{
    private readonly ApiserverWatchOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly ResourceWatch<V1Pod, V1PodList> _pods;
    private readonly ResourceWatch<V1Service, V1ServiceList> _services;
    private readonly ResourceWatch<V1EndpointSlice, V1EndpointSliceList> _slices;
    private readonly ResourceWatch<V1Node, V1NodeList> _nodes;
    private volatile ClusterDirectory _directory = ClusterDirectory.Empty;
    private int _publishPending;
    private long _generation;

    private ApiserverWatcher(IKubernetes client, ApiserverWatchOptions options)
    {
        _options = options;
        var timeout = options.WatchTimeoutSeconds;
        _pods = new("pods",
            ct => client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct),
            (rv, ct) => client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct),
            p => Maybe(ClaimsOf.Pod(p)), Changed, options);
        _services = new("services",
            ct => client.CoreV1.ListServiceForAllNamespacesAsync(cancellationToken: ct),
            (rv, ct) => client.CoreV1.ListServiceForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct),
            s => Maybe(ClaimsOf.Service(s)), Changed, options);
        _slices = new("endpointslices",
            ct => client.DiscoveryV1.ListEndpointSliceForAllNamespacesAsync(cancellationToken: ct),
            (rv, ct) => client.DiscoveryV1.ListEndpointSliceForAllNamespacesWithHttpMessagesAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct),
            ClaimsOf.Slice, Changed, options);
        _nodes = new("nodes",
            ct => client.CoreV1.ListNodeAsync(cancellationToken: ct),
            (rv, ct) => client.CoreV1.ListNodeWithHttpMessagesAsync(
                allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct),
            n => Maybe(ClaimsOf.Node(n)), Changed, options);
    }

    /// <summary>Lists everything once (throws with the apiserver's reason on failure), then watches in the background.</summary>
    public static async Task<ApiserverWatcher> StartAsync(IKubernetes client, ApiserverWatchOptions? options = null, CancellationToken ct = default)
    {
        var watcher = new ApiserverWatcher(client, options ?? new ApiserverWatchOptions());
        try
        {
            await Task.WhenAll(watcher._pods.ListAsync(ct), watcher._services.ListAsync(ct),
                watcher._slices.ListAsync(ct), watcher._nodes.ListAsync(ct)).ConfigureAwait(false);
        }
        catch
        {
            await watcher.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        watcher.Publish();
        var stop = watcher._stop.Token;
        watcher._loops.Add(Task.Run(() => watcher._pods.RunAsync(stop), stop));
        watcher._loops.Add(Task.Run(() => watcher._services.RunAsync(stop), stop));
        watcher._loops.Add(Task.Run(() => watcher._slices.RunAsync(stop), stop));
        watcher._loops.Add(Task.Run(() => watcher._nodes.RunAsync(stop), stop));
        return watcher;
    }

    public ClusterDirectory Directory => _directory;
    /// <summary>Incremented on every publish.</summary>
    public long Generation => Interlocked.Read(ref _generation);
    public IReadOnlyList<WatchStats> Stats => [_pods.Stats, _services.Stats, _slices.Stats, _nodes.Stats];

    public IpOwner? Lookup(IPAddress address) => _directory.Lookup(address);

    private void Changed()
    {
        if (Interlocked.Exchange(ref _publishPending, 1) == 1) return;
        _ = Task.Delay(_options.PublishDelay, _stop.Token).ContinueWith(_ =>
        {
            Interlocked.Exchange(ref _publishPending, 0);
            Publish();
        }, TaskContinuationOptions.OnlyOnRanToCompletion);
    }

    private void Publish()
    {
        _directory = ClusterDirectory.Build(_pods.Claims().Concat(_nodes.Claims()).Concat(_services.Claims()).Concat(_slices.Claims()));
        Interlocked.Increment(ref _generation);
    }

    private static IEnumerable<ClusterDirectory.Claim> Maybe(ClusterDirectory.Claim? claim) => claim == null ? [] : [claim];

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
