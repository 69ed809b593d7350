using NetTrace.Events;

namespace NetTrace.Tracer.Trace;

/// <summary>
/// The filters the user asked for, applied in user space to every event. The kernel programs already filter by
/// one netns inode, one pid and up to four ports; this repeats those checks (cheap, and covers several values
/// or probes the kernel does not filter) and adds what only user space does: CIDRs.
/// Pid filters apply to events that name the owning process (connects, sends); packet events handled in softirq
/// context carry whichever task was on the CPU, so a pid filter does not judge them.
/// </summary>
public sealed class TraceFilter
{
    private readonly HashSet<ulong> _netns;
    private readonly HashSet<uint> _pids;
    private readonly HashSet<uint> _ports;
    private readonly CidrSet _cidrs;

    public TraceFilter(IEnumerable<ulong> netnsInodes, IEnumerable<uint> pids, IEnumerable<uint> ports, CidrSet cidrs)
    {
        _netns = [.. netnsInodes];
        _pids = [.. pids];
        _ports = [.. ports];
        _cidrs = cidrs;
    }

    public static TraceFilter None { get; } = new([], [], [], new CidrSet([]));

    public TraceFilters Describe(IEnumerable<string> netnsSpecs) => new()
    {
        NetnsInodes = { _netns }, NetnsSpecs = { netnsSpecs }, Pids = { _pids }, Ports = { _ports }, Cidrs = { _cidrs.Specs },
    };

    public bool Accepts(TraceEvent e) => e.KindCase switch
    {
        TraceEvent.KindOneofCase.Connect => Origin(e.Connect.Origin, ownerKnown: true) && Tuple(e.Connect.Tuple),
        TraceEvent.KindOneofCase.FlowSend => Origin(e.FlowSend.Origin, ownerKnown: true) && Tuple(e.FlowSend.Tuple),
        TraceEvent.KindOneofCase.IcmpEcho => Origin(e.IcmpEcho.Origin, ownerKnown: false) && _ports.Count == 0
                                             && Addresses(e.IcmpEcho.Src, e.IcmpEcho.Dst),
        TraceEvent.KindOneofCase.Drop => Origin(e.Drop.Origin, ownerKnown: false) && Tuple(e.Drop.Tuple),
        TraceEvent.KindOneofCase.Nat => Origin(e.Nat.Origin, ownerKnown: false) && (Tuple(e.Nat.Original) || Tuple(e.Nat.Reply)),
        TraceEvent.KindOneofCase.RxLatency => Origin(e.RxLatency.Origin, ownerKnown: false) && RxTuple(e.RxLatency.Tuple),
        // Per-CPU softirq data belongs to no namespace or flow: it stays, it is the context for everything else.
        _ => true,
    };

    private bool Origin(Origin? o, bool ownerKnown)
    {
        if (o == null) return _netns.Count == 0 && _pids.Count == 0;
        if (_netns.Count > 0 && !_netns.Contains(o.NetnsIno)) return false;
        if (ownerKnown && _pids.Count > 0 && !_pids.Contains(o.Pid)) return false;
        return true;
    }

    private bool Tuple(FlowTuple? t)
    {
        if (t == null) return _ports.Count == 0 && _cidrs.IsEmpty;
        if (_ports.Count > 0 && !_ports.Contains(t.Sport) && !_ports.Contains(t.Dport)) return false;
        return Addresses(t.Saddr, t.Daddr);
    }

    // ICMP carries the echo id/sequence in the port fields: a port filter cannot match it.
    private bool RxTuple(FlowTuple? t) => t != null && t.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6
        ? _ports.Count == 0 && Addresses(t.Saddr, t.Daddr)
        : Tuple(t);

    private bool Addresses(Google.Protobuf.ByteString a, Google.Protobuf.ByteString b) =>
        _cidrs.IsEmpty || _cidrs.Contains(a.Span) || _cidrs.Contains(b.Span);
}
