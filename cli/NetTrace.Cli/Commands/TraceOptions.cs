namespace NetTrace.Cli.Commands;

/// <summary>`nettrace trace` options as typed by the user (validated by <see cref="TraceHandler"/>).</summary>
public sealed record TraceOptions
{
    public string? Duration { get; init; }
    public IReadOnlyList<string> Netns { get; init; } = [];
    public IReadOnlyList<int> Pids { get; init; } = [];
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<string> Cidrs { get; init; } = [];
    public IReadOnlyList<string> Probes { get; init; } = [];
    public bool Json { get; init; }
    public string? Output { get; init; }
    public bool Quiet { get; init; }
    /// <summary>auto (table on a terminal, lines otherwise), table, lines, none.</summary>
    public string View { get; init; } = "auto";
    public double SoftirqThresholdMs { get; init; } = 1.0;
    /// <summary>Received packets that waited at least this long before the stack processed them are streamed
    /// ("250us", "2ms"); null = 2 ms.</summary>
    public string? StallThreshold { get; init; }
    public bool IncludeUnspecifiedDrops { get; init; }
    /// <summary>Drop reasons not to stream; null = the default (QUEUE_PURGE); empty = none excluded.</summary>
    public IReadOnlyList<string>? ExcludedDropReasons { get; init; }
    /// <summary>Pod names on this node to trace ("name" or "prefix-*"), resolved through CRI to their netns.</summary>
    public IReadOnlyList<string> Pods { get; init; } = [];
    /// <summary>Only pods of this Kubernetes namespace (with --pod, or alone: all of its pods on this node).</summary>
    public string? Namespace { get; init; }
    public string? CriEndpoint { get; init; }
    public string? Kubeconfig { get; init; }
    /// <summary>No CRI / apiserver lookups: events keep raw ids.</summary>
    public bool NoMetadata { get; init; }
}
