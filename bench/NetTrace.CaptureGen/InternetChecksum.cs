using System.Buffers.Binary;

namespace NetTrace.CaptureGen;

/// <summary>RFC 1071 one's-complement sums: accumulate 16-bit big-endian words in a wide register, fold at the end.</summary>
public static class InternetChecksum
{
    public static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i, 2));
        if (i < data.Length) sum += (ulong)data[i] << 8;
        return sum;
    }

    public static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Sum of the IPv4 or IPv6 pseudo-header used by TCP, UDP and ICMPv6.</summary>
    public static ulong PseudoHeader(ReadOnlySpan<byte> src, ReadOnlySpan<byte> dst, byte protocol, int length)
        => Sum(src) + Sum(dst) + protocol + (ulong)(uint)length;
}
