using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Flows;

/// <summary>
/// Direction-free flow identity: the 5-tuple plus the VLAN path and the outer tunnel, so the same inner tuple
/// seen untagged, in VLAN 42 and in QinQ 10/20 is three flows (tshark's tcp.stream would merge them).
/// Endpoint A is the lower (address, port); the tunnel's addresses are ordered the same way.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    public readonly IpAddr A, B;
    public readonly ushort PortA, PortB;
    public readonly Transport Proto;
    public readonly ulong VlanPath;
    public readonly TunnelKind TunnelKind;
    public readonly IpAddr TunnelA, TunnelB;
    public readonly uint TunnelId;

    private FlowKey(IpAddr a, ushort pa, IpAddr b, ushort pb, Transport proto, ulong vlan, in Tunnel t)
    {
        A = a; PortA = pa; B = b; PortB = pb; Proto = proto; VlanPath = vlan;
        TunnelKind = t.Kind;
        TunnelId = t.Id;
        if (t.Src.CompareTo(t.Dst) <= 0) { TunnelA = t.Src; TunnelB = t.Dst; }
        else { TunnelA = t.Dst; TunnelB = t.Src; }
    }

    /// <summary>Key of the packet's flow; srcIsA tells whether the packet travels A→B.</summary>
    public static FlowKey Of(in PacketInfo p, ushort srcPort, ushort dstPort, out bool srcIsA)
    {
        int c = p.Src.CompareTo(p.Dst);
        srcIsA = c < 0 || (c == 0 && srcPort <= dstPort);
        return srcIsA
            ? new FlowKey(p.Src, srcPort, p.Dst, dstPort, p.L4, p.VlanPath, p.Outer)
            : new FlowKey(p.Dst, dstPort, p.Src, srcPort, p.L4, p.VlanPath, p.Outer);
    }

    public bool Equals(FlowKey o) =>
        PortA == o.PortA && PortB == o.PortB && Proto == o.Proto && A.Equals(o.A) && B.Equals(o.B)
        && VlanPath == o.VlanPath && TunnelKind == o.TunnelKind && TunnelId == o.TunnelId
        && TunnelA.Equals(o.TunnelA) && TunnelB.Equals(o.TunnelB);

    public override bool Equals(object? obj) => obj is FlowKey o && Equals(o);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(A);
        h.Add(B);
        h.Add(PortA | (PortB << 16));
        h.Add((byte)Proto);
        h.Add(VlanPath);
        if (TunnelKind != TunnelKind.None)
        {
            h.Add((byte)TunnelKind);
            h.Add(TunnelA);
            h.Add(TunnelB);
            h.Add(TunnelId);
        }
        return h.ToHashCode();
    }

    public Tunnel Tunnel => new(TunnelKind, TunnelA, TunnelB, TunnelId);

    /// <summary>"vlan 10/20" for the path of 802.1Q ids, or null when untagged.</summary>
    public string? VlanText() => FormatVlan(VlanPath);

    public static string? FormatVlan(ulong vlanPath)
    {
        if (vlanPath == 0) return null;
        var ids = new List<string>();
        ulong v = vlanPath & ~(1UL << 63);
        // Ids were shifted in from the outside; unpack the 12-bit groups (an id of 0 is a priority tag).
        var stack = new Stack<ulong>();
        int guard = 0;
        do { stack.Push(v & 0xFFF); v >>= 12; } while (v != 0 && ++guard < 5);
        while (stack.Count > 0) ids.Add(stack.Pop().ToString(System.Globalization.CultureInfo.InvariantCulture));
        return "vlan " + string.Join('/', ids);
    }
}
