using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;

namespace NetTrace.Tracer.Session;

/// <summary>One probe's object, loaded with only the chosen candidates' programs, and its links.</summary>
internal sealed class LoadedProbe : IDisposable
{
    public ProbePlan Plan { get; }
    public BpfObject Object { get; }
    private readonly List<BpfLink> _links = [];
    public IReadOnlyList<BpfLink> Links => _links;
    public ulong Delivered;

    private LoadedProbe(ProbePlan plan, BpfObject obj) { Plan = plan; Object = obj; }

    public ProbeKinds Kind => Plan.Probe.Kind;

    /// <summary>CPUs a perf-event program samples (empty for tracepoint probes).</summary>
    public IReadOnlyList<int> SampledCpus { get; private set; } = [];

    private void AttachEveryCpu(BpfProgram program, TimeSpan period)
    {
        var cpus = PerfEvents.OnlineCpus();
        foreach (var cpu in cpus)
        {
            int fd = PerfEvents.OpenCpuClock(cpu, (ulong)period.Ticks * 100);
            try { _links.Add(program.AttachPerfEvent(fd)); }
            catch { PerfEvents.Close(fd); throw; }
        }
        SampledCpus = cpus;
    }

    /// <summary>Opens, configures, loads and attaches. On any failure everything created here is released.</summary>
    /// <summary>This kernel's values of the excluded drop reason names (numbering differs between kernels).</summary>
    internal static List<uint> ExcludedDropReasonValues(TraceSessionOptions o)
    {
        var values = new List<uint>();
        if (o.ExcludedDropReasons.Count == 0) return values;
        var reasons = DropReasons.FromKernel();
        bool isDefault = ReferenceEquals(o.ExcludedDropReasons, TraceSessionOptions.DefaultExcludedDropReasons);
        foreach (var raw in o.ExcludedDropReasons)
        {
            var name = raw.Trim().ToUpperInvariant();
            if (name.StartsWith("SKB_DROP_REASON_", StringComparison.Ordinal)) name = name["SKB_DROP_REASON_".Length..];
            if (reasons.Value(name) is uint v) { if (!values.Contains(v)) values.Add(v); }
            else if (!isDefault)
                throw new ArgumentException($"drop reason '{raw}' is not known to this kernel (known: {string.Join(", ", reasons.All.Values.Order())})");
        }
        return values;
    }

    public static LoadedProbe Load(ProbePlan plan, TraceSessionOptions o)
    {
        var obj = BpfObject.Open(EmbeddedObjects.Read(plan.Probe.Object), "nt_" + plan.Probe.Object);
        var probe = new LoadedProbe(plan, obj);
        try
        {
            var chosen = plan.ChosenAttachments.Select(a => a.Program).ToHashSet();
            foreach (var prog in obj.Programs())
                prog.SetAutoload(chosen.Contains(prog.Name));
            Configure(obj, plan, o);
            obj.Load();
            foreach (var hook in plan.Hooks.Where(h => h.Chosen != null))
                foreach (var a in hook.Chosen!.Attachments)
                {
                    if (hook.Chosen.Kind == AttachKind.PerfEvent) probe.AttachEveryCpu(obj.Program(a.Program), o.CpuGapPeriod);
                    else probe._links.Add(obj.Program(a.Program).Attach());
                }
            return probe;
        }
        catch
        {
            probe.Dispose();
            throw;
        }
    }

    private static unsafe void Configure(BpfObject obj, ProbePlan plan, TraceSessionOptions o)
    {
        var kind = plan.Probe.Kind;
        var filter = new NtFilter { Netns = o.NetnsInode, Pid = (uint)o.Pid };
        for (int i = 0; i < o.Ports.Count; i++) filter.Ports[i] = o.Ports[i];
        // Only probes that emit events need a big ring; the sendmsg probe aggregates in a hash map.
        obj.Map("events").SetMaxEntries(kind == ProbeKinds.TcpSendmsg ? 4096u : (uint)o.RingBufferBytes);
        obj.SetReadOnlyGlobal("nt_wakeup_bytes", (uint)o.WakeupBytes);
        switch (kind)
        {
            case ProbeKinds.TcpConnect:
                obj.SetReadOnlyGlobal("cfg", new TcpconnectConfig { Filter = filter });
                break;
            case ProbeKinds.TcpSendmsg:
                obj.SetReadOnlyGlobal("cfg", new TcpsendmsgConfig { Filter = filter });
                break;
            case ProbeKinds.IcmpEcho:
                obj.SetReadOnlyGlobal("cfg", new IcmpechoConfig
                {
                    Filter = new NtFilter { Netns = o.NetnsInode },
                    SoftirqVec = 3,
                    TrackContext = plan.Hooks.Any(h => h.Hook.Name == "context" && h.Chosen != null) ? (byte)1 : (byte)0,
                });
                break;
            case ProbeKinds.Drops:
                var pf = new NtFilter { Netns = o.NetnsInode };
                for (int i = 0; i < o.Ports.Count; i++) pf.Ports[i] = o.Ports[i];
                var dc = new DropsConfig { Filter = pf, IncludeUnspecified = o.IncludeUnspecifiedDrops ? (byte)1 : (byte)0 };
                foreach (var value in ExcludedDropReasonValues(o))
                    dc.Excluded[dc.NExcluded++] = value;
                obj.SetReadOnlyGlobal("cfg", dc);
                break;
            case ProbeKinds.RxLatency:
                obj.SetReadOnlyGlobal("cfg", new RxlatencyConfig
                {
                    Filter = new NtFilter { Netns = o.NetnsInode },
                    ThresholdNs = (ulong)Math.Max(0, o.RxLatencyThreshold.Ticks) * 100,
                    SoftirqVec = 3,
                    TrackContext = HookChosen(plan, "context"),
                    StampVethXmit = HookChosen(plan, "veth-xmit"),
                });
                // In-flight packets: room for every CPU's backlog (net.core.netdev_max_backlog, 1000 by default) twice over.
                obj.Map("stamps").SetMaxEntries((uint)Math.Clamp(2048 * Environment.ProcessorCount, 8192, 1 << 20));
                break;
            case ProbeKinds.CpuGaps:
                obj.SetReadOnlyGlobal("cfg", new CpugapsConfig { ThresholdNs = (ulong)o.CpuGapThreshold.Ticks * 100 });
                break;
            case ProbeKinds.Softirq:
                obj.SetReadOnlyGlobal("cfg", new SoftirqsConfig
                {
                    ThresholdNs = (ulong)Math.Max(0, o.SoftirqThreshold.Ticks) * 100,
                    Vec = (uint)o.SoftirqVector,
                });
                break;
        }
    }

    private static byte HookChosen(ProbePlan plan, string hook) =>
        plan.Hooks.Any(h => h.Hook.Name == hook && h.Chosen != null) ? (byte)1 : (byte)0;

    /// <summary>Events the kernel could not deliver (reserve failures, tracking map full), summed over CPUs.</summary>
    public ulong ReadLost()
    {
        ulong sum = 0;
        foreach (var v in Object.Map("lost_events").LookupPerCpu<ulong>()) sum += v;
        return sum;
    }

    public void Dispose()
    {
        foreach (var l in _links) l.Dispose();
        _links.Clear();
        Object.Dispose();
    }
}
