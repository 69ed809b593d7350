using NetTrace.Tracer.Planning;
using Xunit;

namespace NetTrace.Tracer.Tests.Planning;

public sealed class ProbePlannerTests
{
    private static AttachKind Chosen(KernelCapabilities caps, ProbeDefinition p, string hook) =>
        ProbePlanner.Choose(caps, p).Hooks.Single(h => h.Hook.Name == hook).Chosen!.Kind;

    [Fact]
    public void A_full_kernel_gets_the_first_candidate_of_every_hook()
    {
        foreach (var plan in ProbePlanner.ChooseAll(SimulatedKernels.Full))
        {
            Assert.True(plan.Usable);
            foreach (var h in plan.Hooks)
            {
                Assert.Same(h.Hook.Candidates[0], h.Chosen);
                Assert.All(h.Rejected, r => Assert.StartsWith("lower preference than", r.Reason));
            }
        }
        Assert.Equal(AttachKind.Fentry, Chosen(SimulatedKernels.Full, ProbeCatalog.TcpConnect, "state"));
        Assert.Equal(AttachKind.Fentry, Chosen(SimulatedKernels.Full, ProbeCatalog.IcmpEcho, "receive"));
    }

    [Fact]
    public void Without_kprobes_fentry_still_wins_where_offered()
    {
        var caps = SimulatedKernels.NoKprobes;
        Assert.Equal(AttachKind.Fentry, Chosen(caps, ProbeCatalog.TcpConnect, "state"));
        Assert.Equal(AttachKind.Fentry, Chosen(caps, ProbeCatalog.TcpSendmsg, "sendmsg"));
        Assert.Equal(AttachKind.TpBtf, Chosen(caps, ProbeCatalog.Drops, "kfree_skb"));
    }

    [Fact]
    public void Without_fentry_kprobes_come_next_and_the_rejection_says_why()
    {
        var caps = SimulatedKernels.NoFentry;
        var plan = ProbePlanner.Choose(caps, ProbeCatalog.TcpConnect);
        var state = plan.Hooks.Single(h => h.Hook.Name == "state");
        Assert.Equal(AttachKind.Kprobe, state.Chosen!.Kind);
        var fentry = state.Rejected.Single(r => r.Candidate.Kind == AttachKind.Fentry);
        Assert.Contains("fentry refused", fentry.Reason);
        Assert.Contains("EPERM", fentry.Reason);
        Assert.Equal(AttachKind.Kprobe, Chosen(caps, ProbeCatalog.IcmpEcho, "receive"));
    }

    [Fact]
    public void With_neither_every_probe_falls_back_to_tracepoints_like_this_machine()
    {
        var caps = SimulatedKernels.Neither;
        foreach (var plan in ProbePlanner.ChooseAll(caps))
        {
            Assert.True(plan.Usable, plan.UnusableReason);
            foreach (var h in plan.Hooks)
                Assert.Contains(h.Chosen!.Kind, new[] { AttachKind.TpBtf, AttachKind.RawTracepoint, AttachKind.PerfEvent });
        }
        var state = ProbePlanner.Choose(caps, ProbeCatalog.TcpConnect).Hooks[0];
        Assert.Contains(state.Rejected, r => r.Candidate.Kind == AttachKind.Kprobe && r.Reason.Contains("kprobes unavailable"));
        Assert.Contains(state.Rejected, r => r.Candidate.Kind == AttachKind.Tracepoint && r.Reason.StartsWith("tracefs not mounted"));
        var withTracefs = ProbePlanner.Choose(SimulatedKernels.Full with { FentryAvailable = false, KprobesAvailable = false }, ProbeCatalog.TcpConnect).Hooks[0];
        Assert.Contains(withTracefs.Rejected, r => r.Candidate.Kind == AttachKind.Tracepoint && r.Reason == "lower preference than tp_btf inet_sock_set_state");
    }

    [Fact]
    public void Without_tp_btf_targets_classic_tracepoints_are_used_and_raw_tp_needs_the_tracepoint()
    {
        var caps = SimulatedKernels.Neither with
        {
            TracefsMounted = true,
            TracefsPath = "/sys/kernel/tracing",
            BtfTracepoints = new HashSet<string>(),
            Tracepoints = SimulatedKernels.Full.Tracepoints,
        };
        Assert.Equal(AttachKind.Tracepoint, Chosen(caps, ProbeCatalog.TcpConnect, "state"));
        Assert.Equal(AttachKind.Tracepoint, Chosen(caps, ProbeCatalog.Softirq, "raise"));
        var icmp = ProbePlanner.Choose(caps, ProbeCatalog.IcmpEcho);
        Assert.False(icmp.Usable); // netif_receive_skb has no classic-tracepoint candidate
        Assert.Contains("netif_receive_skb", icmp.UnusableReason);
    }

    [Fact]
    public void Without_BTF_nothing_can_load_and_the_reason_names_CO_RE()
    {
        foreach (var plan in ProbePlanner.ChooseAll(SimulatedKernels.NoBtf))
        {
            Assert.False(plan.Usable);
            Assert.All(plan.Hooks.SelectMany(h => h.Rejected), r => Assert.Contains("CO-RE needs kernel BTF", r.Reason));
        }
    }

    [Fact]
    public void An_optional_hook_may_be_missing_and_the_probe_still_works()
    {
        var caps = SimulatedKernels.Neither with
        {
            BtfTracepoints = SimulatedKernels.Full.BtfTracepoints.Where(t => t != "tcp_receive_reset").ToHashSet(),
        };
        var plan = ProbePlanner.Choose(caps, ProbeCatalog.TcpConnect);
        Assert.True(plan.Usable);
        Assert.Null(plan.Hooks.Single(h => h.Hook.Name == "receive-reset").Chosen);
        Assert.DoesNotContain(plan.ChosenAttachments, a => a.Target == "tcp_receive_reset");
    }

    [Fact]
    public void Unknown_fentry_support_is_not_used_and_a_missing_function_rejects_only_its_candidate()
    {
        var caps = SimulatedKernels.Full with { FentryAvailable = null, FentryEvidence = "not root" };
        Assert.Equal(AttachKind.Kprobe, Chosen(caps, ProbeCatalog.TcpConnect, "state"));

        var inlined = SimulatedKernels.NoFentry with
        {
            KallsymsFunctions = SimulatedKernels.Full.KallsymsFunctions.Where(f => f != "icmpv6_rcv").ToHashSet(),
        };
        var hook = ProbePlanner.Choose(inlined, ProbeCatalog.IcmpEcho).Hooks[0];
        Assert.Equal(AttachKind.TpBtf, hook.Chosen!.Kind); // kprobe needs both icmp_rcv and icmpv6_rcv
        Assert.Contains(hook.Rejected, r => r.Candidate.Kind == AttachKind.Kprobe && r.Reason.Contains("icmpv6_rcv not in /proc/kallsyms"));
    }

    [Fact]
    public void Disabled_kinds_are_skipped_with_that_reason()
    {
        var plan = ProbePlanner.Choose(SimulatedKernels.Full, ProbeCatalog.Drops, new HashSet<AttachKind> { AttachKind.TpBtf });
        Assert.Equal(AttachKind.Tracepoint, plan.Hooks[0].Chosen!.Kind);
        Assert.Contains(plan.Hooks[0].Rejected, r => r.Reason == "tp_btf disabled by option");
    }

    [Fact]
    public void Every_catalog_program_exists_in_its_embedded_object()
    {
        foreach (var probe in ProbeCatalog.All)
        {
            using var obj = NetTrace.Tracer.Libbpf.BpfObject.Open(NetTrace.Tracer.Probes.EmbeddedObjects.Read(probe.Object), probe.Object);
            var programs = obj.Programs().Select(p => p.Name).ToHashSet();
            var listed = probe.AllAttachments.Select(a => a.Program).ToHashSet();
            Assert.Subset(programs, listed);
            Assert.Superset(programs, listed); // no program the planner does not know about (it would autoload blindly)
            foreach (var c in probe.Hooks.SelectMany(h => h.Candidates))
                foreach (var a in c.Attachments)
                    Assert.EndsWith(c.Kind == AttachKind.PerfEvent ? "perf_event" : a.Target.Split('/').Last(), obj.Program(a.Program).Section);
        }
    }
}
