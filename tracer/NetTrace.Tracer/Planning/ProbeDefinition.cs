namespace NetTrace.Tracer.Planning;

/// <summary>How a program hooks into the kernel, in the usual order of preference.</summary>
public enum AttachKind { Fentry, Kprobe, TpBtf, Tracepoint, RawTracepoint, PerfEvent }

[Flags]
public enum ProbeKinds
{
    None = 0,
    TcpConnect = 1,
    TcpSendmsg = 2,
    IcmpEcho = 4,
    Drops = 8,
    Softirq = 16,
    RxLatency = 32,
    CpuGaps = 64,
    All = TcpConnect | TcpSendmsg | IcmpEcho | Drops | Softirq | RxLatency | CpuGaps,
}

/// <summary>One program of an object and what it hooks: a kernel function (fentry, kprobe), a tracepoint name
/// (tp_btf, raw_tracepoint), "category/name" (classic tracepoint) or a software perf event ("cpu-clock", one per online CPU).</summary>
public sealed record Attachment(string Program, string Target);

/// <summary>A way to implement a hook: all its attachments must be possible, else the next candidate is tried.</summary>
public sealed record AttachCandidate(AttachKind Kind, IReadOnlyList<Attachment> Attachments)
{
    public AttachCandidate(AttachKind kind, string program, string target) : this(kind, [new Attachment(program, target)]) { }
    public string Describe() => $"{KindName(Kind)} {string.Join(" + ", Attachments.Select(a => a.Target))}";

    public static string KindName(AttachKind k) => k switch
    {
        AttachKind.Fentry => "fentry",
        AttachKind.Kprobe => "kprobe",
        AttachKind.TpBtf => "tp_btf",
        AttachKind.Tracepoint => "tracepoint",
        AttachKind.RawTracepoint => "raw_tracepoint",
        AttachKind.PerfEvent => "perf_event",
        _ => k.ToString(),
    };
}

/// <summary>One kernel event a probe listens to. Optional hooks improve the data but the probe works without.</summary>
public sealed record ProbeHook(string Name, bool Required, IReadOnlyList<AttachCandidate> Candidates);

/// <summary>A probe: one embedded object (bpf/&lt;Object&gt;.bpf.o) and the hooks its programs implement.</summary>
public sealed record ProbeDefinition(ProbeKinds Kind, string Name, string Object, string Description, IReadOnlyList<ProbeHook> Hooks)
{
    public IEnumerable<Attachment> AllAttachments => Hooks.SelectMany(h => h.Candidates).SelectMany(c => c.Attachments);
}
