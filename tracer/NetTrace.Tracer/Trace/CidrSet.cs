using System.Net;
using System.Net.Sockets;

namespace NetTrace.Tracer.Trace;

/// <summary>A list of CIDR prefixes (IPv4 and IPv6). Empty = matches everything.</summary>
public sealed class CidrSet
{
    private readonly List<(byte[] Prefix, int Bits)> _v4 = [];
    private readonly List<(byte[] Prefix, int Bits)> _v6 = [];

    public IReadOnlyList<string> Specs { get; }
    public bool IsEmpty => Specs.Count == 0;

    public CidrSet(IEnumerable<string> specs)
    {
        var list = new List<string>();
        foreach (var spec in specs)
        {
            var (addr, bits) = Parse(spec);
            var bytes = addr.GetAddressBytes();
            (bytes.Length == 4 ? _v4 : _v6).Add((bytes, bits));
            list.Add($"{addr}/{bits}");
        }
        Specs = list;
    }

    /// <summary>"10.0.0.0/8", "fd00::/64", or a bare address (a /32 or /128).</summary>
    public static (IPAddress Address, int Bits) Parse(string spec)
    {
        var slash = spec.IndexOf('/');
        var addrPart = slash < 0 ? spec : spec[..slash];
        if (!IPAddress.TryParse(addrPart, out var addr))
            throw new FormatException($"'{spec}' is not a CIDR (expected e.g. 10.0.0.0/8 or fd00::/64)");
        if (addr.IsIPv4MappedToIPv6) addr = addr.MapToIPv4();
        var max = addr.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var bits = max;
        if (slash >= 0 && (!int.TryParse(spec.AsSpan(slash + 1), out bits) || bits < 0 || bits > max))
            throw new FormatException($"'{spec}': prefix length must be 0..{max}");
        return (Mask(addr, bits), bits);
    }

    private static IPAddress Mask(IPAddress addr, int bits)
    {
        var b = addr.GetAddressBytes();
        for (var i = 0; i < b.Length; i++)
        {
            var keep = Math.Clamp(bits - i * 8, 0, 8);
            b[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(b);
    }

    /// <summary>Raw 4- or 16-byte address (v4-mapped IPv6 counts as IPv4).</summary>
    public bool Contains(ReadOnlySpan<byte> address)
    {
        if (address.Length == 16 && IsV4Mapped(address)) address = address[12..];
        var list = address.Length == 4 ? _v4 : address.Length == 16 ? _v6 : null;
        if (list == null) return false;
        foreach (var (prefix, bits) in list)
            if (PrefixMatches(address, prefix, bits)) return true;
        return false;
    }

    private static bool PrefixMatches(ReadOnlySpan<byte> a, byte[] prefix, int bits)
    {
        var full = bits / 8;
        if (!a[..full].SequenceEqual(prefix.AsSpan(0, full))) return false;
        var rest = bits % 8;
        if (rest == 0) return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == prefix[full];
    }

    private static bool IsV4Mapped(ReadOnlySpan<byte> a) =>
        a[..10].IndexOfAnyExcept((byte)0) < 0 && a[10] == 0xFF && a[11] == 0xFF;
}
