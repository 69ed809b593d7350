using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

public sealed record SoftirqStallResult
{
    public required SoftirqStallOptions Options { get; init; }
    /// <summary>The lab's namespaces (already removed when the result is returned).</summary>
    public required IReadOnlyList<string> Namespaces { get; init; }
    public required int RoutesLoaded { get; init; }
    public required string StallDevice { get; init; }
    /// <summary>Every interface the lab made (all inside its namespaces, gone with them).</summary>
    public required IReadOnlyList<string> Devices { get; init; }
    /// <summary>The RX queue (analyzer's default RSS settings) whose flows the lab sent to the stall CPU.</summary>
    public required int StalledQueue { get; init; }
    public required IReadOnlyList<StallSample> Stalls { get; init; }
    public required IReadOnlyList<ProbeSample> Probes { get; init; }
    public required ProbeStatistics Statistics { get; init; }
    public IReadOnlyList<CaptureFile> Captures { get; init; } = [];
    /// <summary>With --trace: the live eBPF view of the same stalls.</summary>
    public LiveStallMatch? Live { get; init; }
    public required TimeSpan Elapsed { get; init; }
    public required TimeSpan SetupTime { get; init; }

    /// <summary>Every planned stall ran, on the CPU it was meant for.</summary>
    public bool AllStallsOnStallCpu => Stalls.Count == Options.Stalls && Stalls.All(s => s.Cpu == Options.StallCpu);
}
