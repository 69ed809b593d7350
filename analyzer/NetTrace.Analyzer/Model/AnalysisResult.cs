namespace NetTrace.Analyzer.Model;

/// <summary>
/// Everything one analysis run produced, whatever the inputs were (captures or recordings).
/// Reports, the terminal summary and the JSON output all read this one model.
/// </summary>
public sealed record AnalysisResult
{
    public required IReadOnlyList<SourceInfo> Sources { get; init; }
    public required CaptureSummary Summary { get; init; }
    public required IReadOnlyList<Handshake> Handshakes { get; init; }
    public required IReadOnlyList<IcmpEcho> IcmpEchoes { get; init; }
    public required IReadOnlyList<FlowStats> Flows { get; init; }
    public required IReadOnlyList<Finding> Findings { get; init; }
    /// <summary>Damage, truncation, unsupported link types, lost events: what lowers confidence.</summary>
    public required IReadOnlyList<InputProblem> Problems { get; init; }
    /// <summary>Receive-path stalls (RX queue / softirq), when the run looked for them; null otherwise.</summary>
    public StallAnalysis? Stalls { get; init; }
    public string ToolVersion { get; init; } = typeof(AnalysisResult).Assembly.GetName().Version?.ToString(3) ?? "0";
}
