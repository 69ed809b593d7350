using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace NetTrace.Metadata.Kube;

/// <summary>Counters of one resource's list/watch loop, for `nettrace probe` and the tests.</summary>
public sealed record WatchStats(string Resource, long Lists, long Relists, long Reconnects, long Events, string ResourceVersion, string? LastError);

/// <summary>
/// List + watch of one resource kind, keeping only each object's address claims. A watch that ends or drops is
/// resumed from the last resourceVersion seen (events or bookmarks); a 410 Gone (as an ERROR event or as the watch
/// request's status) means the history is gone, so the kind is listed again and its store replaced.
/// </summary>
internal sealed class ResourceWatch<T, TList>
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    private readonly string _resource;
    private readonly Func<CancellationToken, Task<TList>> _list;
    private readonly Func<string, CancellationToken, Task<HttpOperationResponse<TList>>> _watch;
    private readonly Func<T, IEnumerable<ClusterDirectory.Claim>> _claims;
    private readonly Action _changed;
    private readonly ApiserverWatchOptions _options;
    private readonly Lock _gate = new();
    private Dictionary<string, ClusterDirectory.Claim[]> _byObject = [];
    private string _resourceVersion = "";
    private long _lists, _relists, _reconnects, _events;
    private string? _lastError;

    public ResourceWatch(string resource, Func<CancellationToken, Task<TList>> list,
        Func<string, CancellationToken, Task<HttpOperationResponse<TList>>> watch,
        Func<T, IEnumerable<ClusterDirectory.Claim>> claims, Action changed, ApiserverWatchOptions options)
    {
        _resource = resource;
        _list = list;
        _watch = watch;
        _claims = claims;
        _changed = changed;
        _options = options;
    }

    public WatchStats Stats
    {
        get
        {
            lock (_gate)
                return new WatchStats(_resource, _lists, _relists, _reconnects, _events, _resourceVersion, _lastError);
        }
    }

    public List<ClusterDirectory.Claim> Claims()
    {
        lock (_gate)
            return _byObject.Values.SelectMany(c => c).ToList();
    }

    /// <summary>Lists the kind and replaces the store; throws when the apiserver refuses or cannot be reached.</summary>
    public async Task ListAsync(CancellationToken ct)
    {
        var list = await _list(ct).ConfigureAwait(false);
        var byObject = new Dictionary<string, ClusterDirectory.Claim[]>();
        foreach (var item in list.Items ?? [])
            byObject[Key(item)] = _claims(item).ToArray();
        lock (_gate)
        {
            _byObject = byObject;
            _resourceVersion = list.Metadata?.ResourceVersion ?? "";
            _lists++;
        }
        _changed();
    }

    /// <summary>Watches until cancelled, resuming and relisting as needed.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var backoff = _options.MinBackoff;
        while (!ct.IsCancellationRequested)
        {
            var gone = false;
            // A silently dead connection (half-open TCP) would never end the stream: give up on it a minute after
            // the server should have closed it, and resume.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(_options.AbandonAfter);
            try
            {
                string from;
                lock (_gate) from = _resourceVersion;
                // The Task-based WatchAsync reports ERROR events (410 Gone) through onError, which is what a relist
                // needs; its replacement is marked obsolete-in-waiting but this one is the documented behaviour.
#pragma warning disable CS0618
                var stream = _watch(from, attempt.Token).WatchAsync<T, TList>(e =>
                {
                    if (IsGone(e)) gone = true;
                    else SetError(e);
                }, attempt.Token);
#pragma warning restore CS0618
                await foreach (var (type, item) in stream.ConfigureAwait(false))
                {
                    Apply(type, item);
                    backoff = _options.MinBackoff;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (attempt.IsCancellationRequested)
            {
                // the watchdog fired: resume like after any other end of stream
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone)
            {
                gone = true;
            }
            catch (Exception e)
            {
                SetError(e);
                if (!await DelayAsync(backoff, ct).ConfigureAwait(false)) return;
                backoff = Next(backoff);
            }

            if (!gone)
            {
                lock (_gate) _reconnects++;
                continue;
            }
            lock (_gate) _relists++;
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await ListAsync(ct).ConfigureAwait(false);
                    backoff = _options.MinBackoff;
                    break;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    SetError(e);
                    if (!await DelayAsync(backoff, ct).ConfigureAwait(false)) return;
                    backoff = Next(backoff);
                }
            }
        }
    }

    private void Apply(WatchEventType type, T item)
    {
        var rv = item.Metadata?.ResourceVersion;
        lock (_gate)
        {
            if (!string.IsNullOrEmpty(rv)) _resourceVersion = rv;
            if (type == WatchEventType.Bookmark) return;
            _events++;
            switch (type)
            {
                case WatchEventType.Added or WatchEventType.Modified:
                    _byObject[Key(item)] = _claims(item).ToArray();
                    break;
                case WatchEventType.Deleted:
                    _byObject.Remove(Key(item));
                    break;
            }
        }
        _changed();
    }

    private static string Key(T item) =>
        item.Metadata?.Uid is { Length: > 0 } uid ? uid : $"{item.Metadata?.NamespaceProperty}/{item.Metadata?.Name}";

    private static bool IsGone(Exception e) =>
        e is KubernetesException { Status.Code: 410 } || e is HttpOperationException { Response.StatusCode: HttpStatusCode.Gone };

    private void SetError(Exception e)
    {
        lock (_gate) _lastError = $"{_resource}: {e.GetType().Name}: {e.Message}";
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
