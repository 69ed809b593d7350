namespace NetTrace.Tracer.Planning;

/// <summary>
/// What the running kernel allows, taken once. Plain data so the planner can be tested with simulated kernels.
/// Target sets only hold names the probe catalog asks about.
/// </summary>
public sealed record KernelCapabilities
{
    public required string KernelRelease { get; init; }
    public required bool BtfPresent { get; init; }
    public string BtfPath { get; init; } = "/sys/kernel/btf/vmlinux";
    public long BtfSizeBytes { get; init; }

    public required bool KprobesAvailable { get; init; }
    public string KprobesEvidence { get; init; } = "";

    /// <summary>null: not known (e.g. not root, so the test load could not run).</summary>
    public required bool? FentryAvailable { get; init; }
    public string FentryEvidence { get; init; } = "";

    public required bool TracefsMounted { get; init; }
    public string TracefsPath { get; init; } = "";

    /// <summary>Tracepoints with a btf_trace_&lt;name&gt; typedef in vmlinux BTF (usable by tp_btf and raw_tp).</summary>
    public IReadOnlySet<string> BtfTracepoints { get; init; } = new HashSet<string>();
    /// <summary>Kernel functions present in vmlinux BTF (fentry targets).</summary>
    public IReadOnlySet<string> BtfFunctions { get; init; } = new HashSet<string>();
    /// <summary>Kernel functions in /proc/kallsyms (kprobe targets; absent = inlined, static-renamed, or missing).</summary>
    public IReadOnlySet<string> KallsymsFunctions { get; init; } = new HashSet<string>();
    /// <summary>"category/name" of classic tracepoints found under tracefs events/.</summary>
    public IReadOnlySet<string> Tracepoints { get; init; } = new HashSet<string>();

    /// <summary>CPU-wide software perf events can be opened (CONFIG_PERF_EVENTS, and root/CAP_PERFMON or perf_event_paranoid ≤ 0).</summary>
    public bool PerfEventsAvailable { get; init; }
    public string PerfEventsEvidence { get; init; } = "";

    public string LibbpfVersion { get; init; } = "";
    public bool IsRoot { get; init; }
}
