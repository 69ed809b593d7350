namespace NetTrace.Analyzer.Model;

public enum Severity { Info, Low, Medium, High, Critical }

/// <summary>
/// A named cause with its evidence. Confidence (0..1) is lowered when events were lost or data is partial.
/// </summary>
public sealed record Finding
{
    public required string Kind { get; init; }             // "syn-retransmit-initial-rto", "snat-port-race", ...
    public required string Title { get; init; }
    public required Severity Severity { get; init; }
    public required double Confidence { get; init; }
    public double? WindowStart { get; init; }              // Unix seconds
    public double? WindowEnd { get; init; }
    /// <summary>What it affects: pods, flows, CPUs, RX queues, as display strings.</summary>
    public IReadOnlyList<string> Affects { get; init; } = [];
    /// <summary>Evidence as label -> value lines, e.g. "SYNs retransmitted at ~1 s" -> "84".</summary>
    public IReadOnlyList<Evidence> Evidence { get; init; } = [];
    public required string Remediation { get; init; }
}

public sealed record Evidence(string Label, string Value);
