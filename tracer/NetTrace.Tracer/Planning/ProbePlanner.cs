namespace NetTrace.Tracer.Planning;

public sealed record Rejection(AttachCandidate Candidate, string Reason);

public sealed record HookPlan(ProbeHook Hook, AttachCandidate? Chosen, IReadOnlyList<Rejection> Rejected);

public sealed record ProbePlan(ProbeDefinition Probe, IReadOnlyList<HookPlan> Hooks)
{
    public bool Usable => Hooks.All(h => h.Chosen != null || !h.Hook.Required);

    public IEnumerable<Attachment> ChosenAttachments => Hooks.Where(h => h.Chosen != null).SelectMany(h => h.Chosen!.Attachments);

    public string? UnusableReason => Usable ? null : string.Join("; ", Hooks.Where(h => h.Chosen == null && h.Hook.Required)
        .Select(h => $"{Probe.Name}/{h.Hook.Name}: " + string.Join(", ", h.Rejected.Select(r => $"{r.Candidate.Describe()}: {r.Reason}"))));
}

/// <summary>The one place that decides how each probe attaches on a given kernel. Pure: same input, same plan.</summary>
public static class ProbePlanner
{
    public static ProbePlan Choose(KernelCapabilities caps, ProbeDefinition probe, IReadOnlySet<AttachKind>? disabled = null)
    {
        var hooks = new List<HookPlan>();
        foreach (var hook in probe.Hooks)
        {
            AttachCandidate? chosen = null;
            var rejected = new List<Rejection>();
            foreach (var c in hook.Candidates)
            {
                var why = disabled != null && disabled.Contains(c.Kind)
                    ? $"{AttachCandidate.KindName(c.Kind)} disabled by option"
                    : WhyNot(caps, c);
                // Candidates after the choice are reported with their own problem if they have one.
                if (chosen != null) rejected.Add(new Rejection(c, why ?? $"lower preference than {chosen.Describe()}"));
                else if (why == null) chosen = c;
                else rejected.Add(new Rejection(c, why));
            }
            hooks.Add(new HookPlan(hook, chosen, rejected));
        }
        return new ProbePlan(probe, hooks);
    }

    public static IReadOnlyList<ProbePlan> ChooseAll(KernelCapabilities caps, ProbeKinds kinds = ProbeKinds.All,
        IReadOnlySet<AttachKind>? disabled = null) =>
        ProbeCatalog.Select(kinds).Select(p => Choose(caps, p, disabled)).ToList();

    /// <summary>null when the candidate can be used; else the reason it cannot.</summary>
    public static string? WhyNot(KernelCapabilities caps, AttachCandidate c)
    {
        // Every program uses CO-RE relocations: without kernel BTF none of them can load.
        if (!caps.BtfPresent)
            return $"CO-RE needs kernel BTF and {caps.BtfPath} is missing (CONFIG_DEBUG_INFO_BTF)";
        foreach (var a in c.Attachments)
        {
            var why = c.Kind switch
            {
                AttachKind.Fentry => caps.FentryAvailable switch
                {
                    false => $"fentry refused by this kernel ({caps.FentryEvidence})",
                    null => $"fentry support unknown ({caps.FentryEvidence})",
                    _ => caps.BtfFunctions.Contains(a.Target) ? null : $"function {a.Target} not in vmlinux BTF",
                },
                AttachKind.Kprobe => !caps.KprobesAvailable
                    ? $"kprobes unavailable ({caps.KprobesEvidence})"
                    : caps.KallsymsFunctions.Contains(a.Target) ? null : $"function {a.Target} not in /proc/kallsyms (inlined or renamed)",
                AttachKind.TpBtf or AttachKind.RawTracepoint => caps.BtfTracepoints.Contains(a.Target)
                    ? null : $"tracepoint {a.Target} not in vmlinux BTF (no btf_trace_{a.Target})",
                AttachKind.Tracepoint => !caps.TracefsMounted
                    ? "tracefs not mounted (needed to look up tracepoint ids)"
                    : caps.Tracepoints.Contains(a.Target) ? null : $"no tracepoint {a.Target} under {caps.TracefsPath}/events",
                AttachKind.PerfEvent => !caps.PerfEventsAvailable
                    ? $"perf events unavailable ({caps.PerfEventsEvidence})"
                    : a.Target == "cpu-clock" ? null : $"unknown perf event {a.Target}",
                _ => $"unknown attach kind {c.Kind}",
            };
            if (why != null) return why;
        }
        return null;
    }
}
