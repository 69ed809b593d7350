namespace NetTrace.Cli.Commands;

/// <summary>`nettrace demo` options as typed by the user.</summary>
public sealed record DemoOptions
{
    public bool Json { get; init; }
    public string? Html { get; init; }
    public bool Quiet { get; init; }
    public bool StderrIsTerminal { get; init; }
}
