using k8s;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Kube;

namespace NetTrace.Metadata.Sources;

/// <summary>
/// What a trace run holds for its whole duration: the resolver for per-event enrichment, the sources that feed it,
/// and their status. Sources that do not answer at start are reported and left out; the trace keeps raw ids.
/// </summary>
public sealed class MetadataSession : IAsyncDisposable
{
    private readonly CriRefresher? _cri;
    private readonly ApiserverWatcher? _apiserver;
    private readonly Kubernetes? _kube;

    public MetadataIndex Index { get; }
    public IMetadataResolver Resolver => Index;
    public IReadOnlyList<SourceStatus> Sources { get; }
    public CriRefresher? Cri => _cri;
    public ApiserverWatcher? Apiserver => _apiserver;

    private MetadataSession(MetadataIndex index, IReadOnlyList<SourceStatus> sources, CriRefresher? cri, ApiserverWatcher? apiserver, Kubernetes? kube)
    {
        Index = index;
        Sources = sources;
        _cri = cri;
        _apiserver = apiserver;
        _kube = kube;
    }

    public static async Task<MetadataSession> StartAsync(MetadataOptions options, CancellationToken ct = default)
    {
        var index = new MetadataIndex();
        var statuses = new List<SourceStatus>();

        CriRefresher? cri = null;
        if (options.UseCri)
        {
            foreach (var status in await MetadataProbe.CheckCriAsync(options, ct).ConfigureAwait(false))
            {
                if (!status.Answered || cri != null)
                {
                    statuses.Add(status);
                    continue;
                }
                var refresher = new CriRefresher(new CriClient(new CriEndpoint(status.Target)), index, options);
                if (await refresher.RefreshAsync(ct).ConfigureAwait(false))
                {
                    cri = refresher;
                    refresher.Start();
                    var snap = index.Cri;
                    var detail = $"{status.Detail}; {snap.Sandboxes.Count} netns and {snap.Containers.Count(c => c.CgroupId != 0)} cgroups mapped";
                    if (snap.Problems.Count > 0) detail += $"; {snap.Problems.Count} not mapped: {snap.Problems[0]}";
                    statuses.Add(status with { Detail = detail });
                }
                else
                {
                    statuses.Add(status with { Answered = false, Detail = $"inventory failed: {refresher.LastError}" });
                    await refresher.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        else statuses.Add(new SourceStatus("CRI", "", false, "disabled"));

        ApiserverWatcher? apiserver = null;
        Kubernetes? kube = null;
        if (options.UseApiserver)
        {
            var resolved = KubeConfigSource.Resolve(options.Kubeconfig);
            if (resolved.Config == null)
                statuses.Add(new SourceStatus("apiserver", "", false, resolved.Problem ?? "no configuration"));
            else
            {
                kube = new Kubernetes(resolved.Config);
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    timeout.CancelAfter(options.ProbeTimeout * 2);
                    apiserver = await ApiserverWatcher.StartAsync(kube, null, timeout.Token).ConfigureAwait(false);
                    index.UseClusterDirectory(apiserver);
                    statuses.Add(new SourceStatus("apiserver", resolved.Config.Host ?? "", true,
                        $"via {resolved.Origin}: {apiserver.Directory.Count} addresses (pods, services, nodes)"));
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    statuses.Add(new SourceStatus("apiserver", resolved.Config.Host ?? "", false, $"via {resolved.Origin}: {MetadataProbe.Describe(e)}"));
                    kube.Dispose();
                    kube = null;
                }
            }
        }
        else statuses.Add(new SourceStatus("apiserver", "", false, "disabled"));

        return new MetadataSession(index, statuses, cri, apiserver, kube);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cri != null) await _cri.DisposeAsync().ConfigureAwait(false);
        if (_apiserver != null) await _apiserver.DisposeAsync().ConfigureAwait(false);
        _kube?.Dispose();
    }
}
