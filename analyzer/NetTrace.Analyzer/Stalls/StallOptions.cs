namespace NetTrace.Analyzer.Stalls;

/// <summary>How the capture stall detector judges probes and maps flows to RX queues.</summary>
public sealed record StallOptions
{
    public bool Enabled { get; init; } = true;
    /// <summary>The receiving host's RSS settings (key, indirection table). The queue numbers are only as right as these.</summary>
    public RssSettings Rss { get; init; } = RssSettings.Default;
    /// <summary>A probe is late when its latency exceeds its host pair's median by at least this much (and by the median itself).</summary>
    public double MinExtraMs { get; init; } = 5;
    /// <summary>Late replies released by one stall follow each other closer than this: the backlog is processed at once.</summary>
    public double BurstGapMs { get; init; } = 2;
    /// <summary>Released together means: the replies' spread is at most this share of the requests' spread.</summary>
    public double MaxReleaseToRequestSpread { get; init; } = 0.25;
    /// <summary>Requests of one stall must be spread over at least this long, or "bunched replies" says nothing.</summary>
    public double MinRequestSpreadMs { get; init; } = 2;
    /// <summary>A stall's late probes must have been sent at this many separate moments.</summary>
    public int MinDistinctRequests { get; init; } = 3;
    /// <summary>Late probes sent during a stall but not released in its burst may be at most this share of the burst (plus one).</summary>
    public double MaxLateOutsideBurst { get; init; } = 0.25;
    /// <summary>Latency points kept for the report's timeline (all points inside stalls are kept beyond this).</summary>
    public int MaxTimelinePoints { get; init; } = 4000;

    public static StallOptions Default { get; } = new();
}
