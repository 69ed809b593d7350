using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Linux;

namespace NetTrace.Metadata.Sources;

/// <summary>
/// Re-takes the CRI inventory every interval and applies it to the index, so new pods appear and stopped ones
/// disappear. A failed refresh keeps the last good view until it is older than the staleness limit, then drops it:
/// the kernel reuses netns inodes, so an old map would name the wrong pod.
/// </summary>
public sealed class CriRefresher : IAsyncDisposable
{
    private readonly CriInventory _inventory;
    private readonly MetadataIndex _index;
    private readonly MetadataOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private DateTimeOffset _lastGood = DateTimeOffset.MinValue;

    public CriClient Client { get; }
    public CriInventory Inventory => _inventory;
    public long Refreshes { get; private set; }
    public long Failures { get; private set; }
    public string? LastError { get; private set; }
    /// <summary>When the last successful inventory was taken (MinValue before the first).</summary>
    public DateTimeOffset LastSuccess => _lastGood;

    public CriRefresher(CriClient client, MetadataIndex index, MetadataOptions options)
    {
        Client = client;
        _inventory = new CriInventory(client, CgroupIds.Detect());
        _index = index;
        _options = options;
    }

    /// <summary>Takes one inventory now; true when it succeeded.</summary>
    public async Task<bool> RefreshAsync(CancellationToken ct = default)
    {
        try
        {
            var snapshot = await _inventory.TakeAsync(ct).ConfigureAwait(false);
            _index.ApplyCri(snapshot);
            _lastGood = snapshot.TakenAt;
            Refreshes++;
            LastError = null;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Failures++;
            LastError = MetadataProbe.Describe(e);
            if (DateTimeOffset.UtcNow - _lastGood > _options.CriMaxStaleness) _index.ClearCri();
            return false;
        }
    }

    public void Start()
    {
        var ct = _stop.Token;
        _loop ??= Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(_options.CriRefreshInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                    await RefreshAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop != null)
            try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
        Client.Dispose();
    }
}
