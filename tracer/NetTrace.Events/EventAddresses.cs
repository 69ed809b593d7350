using System.Net;
using Google.Protobuf;

namespace NetTrace.Events;

/// <summary>Conversions between the model's raw address bytes and IPAddress / display strings.</summary>
public static class EventAddresses
{
    /// <summary>4 or 16 bytes; v4-mapped IPv6 becomes plain IPv4 so one flow has one spelling.</summary>
    public static ByteString ToBytes(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return ByteString.CopyFrom(address.GetAddressBytes());
    }

    public static IPAddress? ToAddress(ByteString bytes) =>
        bytes.Length is 4 or 16 ? new IPAddress(bytes.Span) : null;

    /// <summary>"10.1.2.3" / "fd00::1"; "?" when the event carried no address.</summary>
    public static string Format(ByteString bytes) => ToAddress(bytes)?.ToString() ?? "?";

    /// <summary>"ip:port", "[v6]:port" — the analyzer's endpoint spelling.</summary>
    public static string Endpoint(ByteString addr, uint port)
    {
        var a = ToAddress(addr);
        if (a == null) return $"?:{port}";
        return a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]:{port}" : $"{a}:{port}";
    }

    /// <summary>"ip:port"; just "ip" for ICMP, which has no ports.</summary>
    public static string Source(this FlowTuple t) => HasPorts(t) ? Endpoint(t.Saddr, t.Sport) : Format(t.Saddr);
    public static string Destination(this FlowTuple t) => HasPorts(t) ? Endpoint(t.Daddr, t.Dport) : Format(t.Daddr);

    private static bool HasPorts(FlowTuple t) => t.Protocol is not (IpProtocol.Icmp or IpProtocol.Icmpv6);

    public static FlowTuple MakeTuple(IPAddress src, int sport, IPAddress dst, int dport, IpProtocol protocol) => new()
    {
        Saddr = ToBytes(src), Daddr = ToBytes(dst), Sport = (uint)sport, Dport = (uint)dport, Protocol = protocol,
    };
}
