using NetTrace.Tracer.Planning;

namespace NetTrace.Tracer.Tests.Planning;

/// <summary>Kernels the planner must handle, built from the catalog's own target names.</summary>
internal static class SimulatedKernels
{
    private static IEnumerable<(AttachKind Kind, string Target)> Targets =>
        ProbeCatalog.All.SelectMany(p => p.Hooks).SelectMany(h => h.Candidates)
            .SelectMany(c => c.Attachments.Select(a => (c.Kind, a.Target)));

    private static HashSet<string> Of(params AttachKind[] kinds) =>
        Targets.Where(t => kinds.Contains(t.Kind)).Select(t => t.Target).ToHashSet();

    /// <summary>A typical distribution kernel: everything works.</summary>
    public static KernelCapabilities Full => new()
    {
        KernelRelease = "6.8.0-generic",
        BtfPresent = true,
        KprobesAvailable = true,
        KprobesEvidence = "CONFIG_KPROBES=y",
        FentryAvailable = true,
        TracefsMounted = true,
        TracefsPath = "/sys/kernel/tracing",
        BtfTracepoints = Of(AttachKind.TpBtf, AttachKind.RawTracepoint),
        BtfFunctions = Of(AttachKind.Fentry),
        KallsymsFunctions = Of(AttachKind.Kprobe),
        Tracepoints = Of(AttachKind.Tracepoint),
        PerfEventsAvailable = true,
        PerfEventsEvidence = "perf_event_paranoid=2, root",
    };

    public static KernelCapabilities NoKprobes => Full with
    {
        KprobesAvailable = false, KprobesEvidence = "# CONFIG_KPROBES is not set", KallsymsFunctions = new HashSet<string>(),
    };

    public static KernelCapabilities NoFentry => Full with { FentryAvailable = false, FentryEvidence = "EPERM" };

    /// <summary>This machine: neither kprobes nor fentry, tracefs not mounted.</summary>
    public static KernelCapabilities Neither => NoKprobes with
    {
        FentryAvailable = false, FentryEvidence = "EPERM", TracefsMounted = false, Tracepoints = new HashSet<string>(),
    };

    public static KernelCapabilities NoBtf => Full with
    {
        BtfPresent = false, BtfTracepoints = new HashSet<string>(), BtfFunctions = new HashSet<string>(),
    };
}
