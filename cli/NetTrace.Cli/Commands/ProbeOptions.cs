namespace NetTrace.Cli.Commands;

public sealed record ProbeOptions
{
    public bool Json { get; init; }
}
