using System.Buffers.Binary;
using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// The Toeplitz hash NICs use for receive-side scaling (RSS), as Microsoft's RSS specification defines it: for every
/// set bit of the input (most significant bit of the first byte first), XOR in the 32 key bits that start at that
/// bit's position. The input is the packet's source address, destination address, then (TCP/UDP with ports) source
/// port and destination port, all in network byte order. The per-bit work is folded into a table of 256 entries per
/// input byte, so a hash costs one lookup per input byte.
/// </summary>
public sealed class ToeplitzHash
{
    private readonly uint[] _table;

    /// <summary>Longest input the key covers: the key must reach 32 bits beyond the input's last bit.</summary>
    public int MaxInputBytes { get; }

    public ToeplitzHash(ReadOnlySpan<byte> key)
    {
        if (key.Length < 12)
            throw new ArgumentException($"an RSS key needs at least 12 bytes (IPv4 addresses and ports), got {key.Length}", nameof(key));
        MaxInputBytes = key.Length - 4;
        _table = new uint[MaxInputBytes * 256];
        Span<uint> windows = stackalloc uint[8];
        Span<byte> padded = stackalloc byte[key.Length + 8];
        key.CopyTo(padded);
        for (int pos = 0; pos < MaxInputBytes; pos++)
        {
            ulong v = BinaryPrimitives.ReadUInt64BigEndian(padded[pos..]);
            for (int bit = 0; bit < 8; bit++) windows[bit] = (uint)((v << bit) >> 32); // key bits pos*8+bit .. +31
            for (int b = 0; b < 256; b++)
            {
                uint h = 0;
                for (int bit = 0; bit < 8; bit++)
                    if ((b & (0x80 >> bit)) != 0) h ^= windows[bit];
                _table[pos * 256 + b] = h;
            }
        }
    }

    public uint Hash(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputBytes)
            throw new ArgumentException($"input of {input.Length} bytes is longer than the key covers ({MaxInputBytes})", nameof(input));
        uint h = 0;
        var t = _table;
        for (int i = 0; i < input.Length; i++) h ^= t[i * 256 + input[i]];
        return h;
    }

    /// <summary>
    /// The hash of a packet from <paramref name="src"/> to <paramref name="dst"/> as the receiving NIC computes it:
    /// addresses only (<paramref name="withPorts"/> false: ICMP and other protocols) or addresses and ports (TCP, UDP).
    /// </summary>
    public uint Hash(in IpAddr src, in IpAddr dst, ushort srcPort, ushort dstPort, bool withPorts)
    {
        Span<byte> input = stackalloc byte[36];
        int n;
        if (src.V6 || dst.V6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(input, src.Hi);
            BinaryPrimitives.WriteUInt64BigEndian(input[8..], src.Lo);
            BinaryPrimitives.WriteUInt64BigEndian(input[16..], dst.Hi);
            BinaryPrimitives.WriteUInt64BigEndian(input[24..], dst.Lo);
            n = 32;
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(input, (uint)src.Lo);
            BinaryPrimitives.WriteUInt32BigEndian(input[4..], (uint)dst.Lo);
            n = 8;
        }
        if (withPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(input[n..], srcPort);
            BinaryPrimitives.WriteUInt16BigEndian(input[(n + 2)..], dstPort);
            n += 4;
        }
        return Hash(input[..n]);
    }
}
