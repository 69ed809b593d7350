namespace NetTrace.Cli.Commands;

/// <summary>`nettrace analyze` options as typed by the user.</summary>
public sealed record AnalyzeOptions
{
    public IReadOnlyList<string> Paths { get; init; } = [];
    public bool Json { get; init; }
    public string? Html { get; init; }
    public bool Quiet { get; init; }
    /// <summary>auto (by content), native (our pcap/pcapng readers), libpcap (SharpPcap), or a plug-in reader's name.</summary>
    public string Reader { get; init; } = "auto";
    public double SlowHandshakeMs { get; init; } = 200;
    /// <summary>RSS settings of the host that received the traffic, for RX-queue attribution of stalls (see AnalyzeRss).</summary>
    public string? RssKey { get; init; }
    public int? RssQueues { get; init; }
    public string? RssIndirection { get; init; }
    /// <summary>A file holding `ethtool -x DEV` output saved on that host.</summary>
    public string? EthtoolX { get; init; }
    /// <summary>Progress redraws one line with \r on a terminal; otherwise it prints one line per update.</summary>
    public bool StderrIsTerminal { get; init; }
    /// <summary>Show progress only for inputs that take longer than this.</summary>
    public TimeSpan ProgressAfter { get; init; } = TimeSpan.FromSeconds(1.5);
}
