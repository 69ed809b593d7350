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
    /// <summary>Sets the event's origin pod and its remote peers when known; false when nothing was added (already set, or unknown).</summary>
    public bool Enrich(TraceEvent e)
    {
        var (origin, taskContext) = e.KindCase switch
        {
            TraceEvent.KindOneofCase.Connect => (e.Connect.Origin, true),
            TraceEvent.KindOneofCase.FlowSend => (e.FlowSend.Origin, true),
            TraceEvent.KindOneofCase.IcmpEcho => (e.IcmpEcho.Origin, false),
            TraceEvent.KindOneofCase.Drop => (e.Drop.Origin, false),
            TraceEvent.KindOneofCase.SoftirqStall => (e.SoftirqStall.Origin, false),
            TraceEvent.KindOneofCase.RxLatency => (e.RxLatency.Origin, false),   // netns of the receiving device: the pod that waited
            TraceEvent.KindOneofCase.Nat => (e.Nat.Origin, false),
            _ => (null, false),
        };
        var peers = EnrichPeers(e);
        if (origin == null || origin.Pod != null) return peers;
        var pod = PodFor(origin.NetnsIno, origin.CgroupId, taskContext);
        if (pod == null) return peers;
        origin.Pod = pod;
        return true;
    }

    /// <summary>
    /// The remote ends' owners from the apiserver index (IP → pod, Service, node). Only the addresses the event is
    /// about: the connect's or send's destination, a drop's two ends, a NAT'd packet's pre-NAT destination (the
    /// Service). Already-set peers are kept; true when one was added.
    /// </summary>
    private bool EnrichPeers(TraceEvent e)
    {
        switch (e.KindCase)
        {
            case TraceEvent.KindOneofCase.Connect when e.Connect.Remote == null:
                return (e.Connect.Remote = PeerFor(e.Connect.Tuple?.Daddr)) != null;
            case TraceEvent.KindOneofCase.FlowSend when e.FlowSend.Remote == null:
                return (e.FlowSend.Remote = PeerFor(e.FlowSend.Tuple?.Daddr)) != null;
            case TraceEvent.KindOneofCase.Drop when e.Drop.Tuple != null:
                e.Drop.SrcPeer ??= PeerFor(e.Drop.Tuple.Saddr);
                e.Drop.DstPeer ??= PeerFor(e.Drop.Tuple.Daddr);
                return e.Drop.SrcPeer != null || e.Drop.DstPeer != null;
            case TraceEvent.KindOneofCase.Nat when e.Nat.OriginalDstPeer == null:
                return (e.Nat.OriginalDstPeer = PeerFor(e.Nat.Original?.Daddr)) != null;
            default:
                return false;
        }
    }

    /// <summary>The owner of 4- or 16-byte address bytes as an event field; null when unknown or not an address.</summary>
    public PeerRef? PeerFor(Google.Protobuf.ByteString? address)
    {
        if (address == null || address.Length is not (4 or 16)) return null;
        var owner = resolver.ResolveIp(new System.Net.IPAddress(address.Span));
        return owner == null ? null : new PeerRef
        {
            Kind = owner.Kind switch
            {
                IpOwnerKind.Pod => PeerKind.Pod,
                IpOwnerKind.Service => PeerKind.Service,
                _ => PeerKind.Node,
            },
            Name = owner.Name, Namespace = owner.Namespace, Uid = owner.Uid, Detail = owner.Detail,
        };
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
