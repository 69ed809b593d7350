namespace NetTrace.Cli.Commands;

/// <summary>`nettrace report` options as typed by the user.</summary>
public sealed record ReportOptions
{
    /// <summary>One saved analysis (JSON from `analyze --json`), or captures/recordings to analyse first.</summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];
    public string? Output { get; init; }
    public bool Quiet { get; init; }
    public string? Title { get; init; }
    /// <summary>Benchmark entry: render a synthetic analysis with this many handshakes instead of reading input.</summary>
    public int? SyntheticHandshakes { get; init; }
}
