using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace NetTrace.Analyzer.Decode;

/// <summary>An IPv4 or IPv6 address as two integers: hashable, comparable and free to copy (no IPAddress per packet).</summary>
public readonly struct IpAddr : IEquatable<IpAddr>, IComparable<IpAddr>
{
    public readonly ulong Hi;
    public readonly ulong Lo;
    public readonly bool V6;

    private IpAddr(ulong hi, ulong lo, bool v6)
    {
        Hi = hi;
        Lo = lo;
        V6 = v6;
    }

    public static IpAddr FromV4(ReadOnlySpan<byte> b) => new(0, BinaryPrimitives.ReadUInt32BigEndian(b), false);
    public static IpAddr FromV6(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), true);

    public bool Equals(IpAddr o) => Hi == o.Hi && Lo == o.Lo && V6 == o.V6;
    public override bool Equals(object? obj) => obj is IpAddr o && Equals(o);
    public override int GetHashCode() => HashCode.Combine(Hi, Lo, V6);
    public int CompareTo(IpAddr o)
    {
        int c = V6.CompareTo(o.V6);
        if (c != 0) return c;
        c = Hi.CompareTo(o.Hi);
        return c != 0 ? c : Lo.CompareTo(o.Lo);
    }
    public static bool operator ==(IpAddr a, IpAddr b) => a.Equals(b);
    public static bool operator !=(IpAddr a, IpAddr b) => !a.Equals(b);

    public override string ToString()
    {
        if (!V6)
        {
            uint v = (uint)Lo;
            return string.Create(CultureInfo.InvariantCulture, $"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}");
        }
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, Hi);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Lo);
        return new IPAddress(b).ToString();
    }

    /// <summary>"ip:port", with brackets for IPv6 ("[2001:db8::1]:443").</summary>
    public string WithPort(int port) => V6
        ? string.Create(CultureInfo.InvariantCulture, $"[{this}]:{port}")
        : string.Create(CultureInfo.InvariantCulture, $"{this}:{port}");
}
