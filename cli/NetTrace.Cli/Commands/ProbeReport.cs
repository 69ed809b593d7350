using NetTrace.Tracer.Planning;

namespace NetTrace.Cli.Commands;

/// <summary>What `nettrace probe` reports (also its --json shape).</summary>
public sealed record ProbeReport(
    KernelFacts Kernel,
    IReadOnlyList<ProbeEntry> Probes,
    // Pod metadata sources (CRI socket, apiserver) are reported here by the metadata side; empty until it does.
    IReadOnlyList<MetadataSourceFact> MetadataSources)
{
    public static ProbeReport From(KernelCapabilities caps, IReadOnlyList<ProbePlan> plans) => new(
        new KernelFacts(
            caps.KernelRelease,
            new BtfFact(caps.BtfPresent, caps.BtfPath, caps.BtfSizeBytes),
            new LibbpfFact(caps.LibbpfVersion),
            new Availability(caps.KprobesAvailable, caps.KprobesEvidence),
            new Availability(caps.FentryAvailable, caps.FentryEvidence),
            new TracefsFact(caps.TracefsMounted, caps.TracefsMounted ? caps.TracefsPath : null),
            caps.IsRoot),
        plans.Select(ProbeEntry.From).ToList(),
        []);
}

public sealed record KernelFacts(string Release, BtfFact Btf, LibbpfFact Libbpf, Availability Kprobes, Availability Fentry,
    TracefsFact Tracefs, bool Root);

public sealed record BtfFact(bool Present, string Path, long SizeBytes);
public sealed record LibbpfFact(string Version);
/// <summary>Available null = unknown (e.g. fentry cannot be tested without root).</summary>
public sealed record Availability(bool? Available, string Evidence);
public sealed record TracefsFact(bool Mounted, string? Path);
public sealed record MetadataSourceFact(string Name, bool Available, string Detail);

public sealed record AttachPoint(string Kind, IReadOnlyList<string> Targets, IReadOnlyList<string> Programs)
{
    public static AttachPoint From(AttachCandidate c) => new(AttachCandidate.KindName(c.Kind),
        c.Attachments.Select(a => a.Target).ToList(), c.Attachments.Select(a => a.Program).ToList());
    public override string ToString() => $"{Kind} {string.Join(" + ", Targets)}";
}

public sealed record RejectedAttachPoint(AttachPoint AttachPoint, string Reason);

public sealed record HookEntry(string Name, bool Required, AttachPoint? Chosen, IReadOnlyList<RejectedAttachPoint> Rejected);

public sealed record ProbeEntry(string Name, string Description, bool Usable, string? Problem, IReadOnlyList<HookEntry> Hooks)
{
    public static ProbeEntry From(ProbePlan p) => new(p.Probe.Name, p.Probe.Description, p.Usable, p.UnusableReason,
        p.Hooks.Select(h => new HookEntry(h.Hook.Name, h.Hook.Required,
            h.Chosen == null ? null : AttachPoint.From(h.Chosen),
            h.Rejected.Select(r => new RejectedAttachPoint(AttachPoint.From(r.Candidate), r.Reason)).ToList())).ToList());
}
