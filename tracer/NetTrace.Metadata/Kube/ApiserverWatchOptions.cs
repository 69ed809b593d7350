namespace NetTrace.Metadata.Kube;

public sealed record ApiserverWatchOptions
{
    /// <summary>Server-side watch timeout; the watch is then resumed from its resourceVersion.</summary>
    public int WatchTimeoutSeconds { get; init; } = 300;
    /// <summary>
    /// A watch still open this long after it started is abandoned and resumed: a connection that died without a
    /// FIN/RST (NAT timeout, node failover) would otherwise wait forever. Default: the server timeout plus a minute.
    /// </summary>
    public TimeSpan? WatchAbandonAfter { get; init; }
    internal TimeSpan AbandonAfter => WatchAbandonAfter ?? TimeSpan.FromSeconds(WatchTimeoutSeconds + 60);
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Changes within this window are published as one new directory.</summary>
    public TimeSpan PublishDelay { get; init; } = TimeSpan.FromMilliseconds(100);
}
