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

    /// <summary>Multiply-xor mix: one pass over the fields, far cheaper than nested HashCode.Combine per packet.</summary>
    public override int GetHashCode()
    {
        const ulong K1 = 0x9E3779B97F4A7C15, K2 = 0xC2B2AE3D27D4EB4F, K3 = 0x165667B19E3779F9, K4 = 0xD6E8FEB86659FD93;
        ulong h = (A.Lo * K1) ^ (B.Lo * K2) ^ ((A.Hi ^ (B.Hi << 1)) * K3)
                  ^ (((ulong)PortA << 32 | (ulong)PortB << 16 | (byte)Proto) * K4) ^ (VlanPath * K1);
        if (TunnelKind != TunnelKind.None)
            h ^= ((TunnelA.Lo ^ TunnelA.Hi) * K2) ^ ((TunnelB.Lo ^ TunnelB.Hi) * K3) ^ (((ulong)TunnelId << 8 | (byte)TunnelKind) * K4);
        h ^= h >> 29;
        h *= K1;
        return (int)(h ^ (h >> 32));
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
