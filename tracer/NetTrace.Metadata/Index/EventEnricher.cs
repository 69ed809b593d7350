using NetTrace.Events;

namespace NetTrace.Metadata.Index;

/// <summary>
/// Fills <see cref="Origin.Pod"/> of recorded events from the resolver (in-memory lookups only; call it per event on
/// the trace runner's thread). The network namespace decides the pod: it comes from the packet or socket, while the
/// cgroup is that of whichever task was on the CPU, which for softirq-context events (drops, ICMP, connect outcomes)
/// is often unrelated. So the container name is added only when the cgroup's container belongs to the netns's pod,
/// and the cgroup alone names the pod only for events raised in the owning task's context (connect, sendmsg) — the
/// way a hostNetwork pod's traffic still gets its name.
/// </summary>
public sealed class EventEnricher(IMetadataResolver resolver)
{
    /// <summary>Sets the event's origin pod when known; false when nothing was added (already set, or unknown).</summary>
    public bool Enrich(TraceEvent e)
    {
        var (origin, taskContext) = e.KindCase switch
        {
            TraceEvent.KindOneofCase.Connect => (e.Connect.Origin, true),
            TraceEvent.KindOneofCase.FlowSend => (e.FlowSend.Origin, true),
            TraceEvent.KindOneofCase.IcmpEcho => (e.IcmpEcho.Origin, false),
            TraceEvent.KindOneofCase.Drop => (e.Drop.Origin, false),
            TraceEvent.KindOneofCase.SoftirqStall => (e.SoftirqStall.Origin, false),
            TraceEvent.KindOneofCase.Nat => (e.Nat.Origin, false),
            _ => (null, false),
        };
        if (origin == null || origin.Pod != null) return false;
        var pod = PodFor(origin.NetnsIno, origin.CgroupId, taskContext);
        if (pod == null) return false;
        origin.Pod = pod;
        return true;
    }

    public PodRef? PodFor(ulong netnsInode, ulong cgroupId, bool taskContext)
    {
        var container = cgroupId > 1 ? resolver.ResolveCgroup(cgroupId) : null;
        var pod = netnsInode != 0 ? resolver.ResolveNetns(netnsInode) : null;
        if (pod != null)
            return new PodRef
            {
                Name = pod.Name, Namespace = pod.Namespace, Uid = pod.Uid,
                Container = container != null && container.Pod == pod ? container.Name : "",
            };
        if (container != null && taskContext)
            return new PodRef { Name = container.Pod.Name, Namespace = container.Pod.Namespace, Uid = container.Pod.Uid, Container = container.Name };
        return null;
    }
}
