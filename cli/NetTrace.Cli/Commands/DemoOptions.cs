namespace NetTrace.Cli.Commands;

/// <summary>`nettrace demo` options as typed by the user.</summary>
public sealed record DemoOptions
{
    public bool Json { get; init; }
    public string? Html { get; init; }
    public bool Quiet { get; init; }
    public bool StderrIsTerminal { get; init; }
    /// <summary>Analyze the built-in sample capture only (no root needed) instead of running the live SNAT race lab.</summary>
    public bool Sample { get; init; }
    /// <summary>Where the live demo writes its HTML report.</summary>
    public string Output { get; init; } = DefaultOutput;
    /// <summary>Racing rounds of the live demo's lab (2 pods, one connect each per round).</summary>
    public int Rounds { get; init; } = DefaultRounds;

    public const string DefaultOutput = "nettrace-demo-report.html";
    public const int DefaultRounds = 3000;
}
