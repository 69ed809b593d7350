using System.Buffers.Binary;
using System.Text;

namespace NetTrace.Analyzer.Tests.Builders;

/// <summary>One frame to write: time in nanoseconds since the Unix epoch.</summary>
public sealed record Frame(long TimeNs, byte[] Data, int? OriginalLength = null, int Interface = 0);

/// <summary>Writes classic pcap files: micro- or nanosecond magic, little- or big-endian.</summary>
public static class PcapFile
{
    public static byte[] Build(int linkType, IEnumerable<Frame> frames, bool nanos = false, bool bigEndian = false, uint snaplen = 65535)
    {
        var ms = new MemoryStream();
        void U16(ushort v) { Span<byte> b = stackalloc byte[2]; if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v); ms.Write(b); }
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v); ms.Write(b); }
        U32(nanos ? 0xa1b23c4d : 0xa1b2c3d4);
        U16(2); U16(4); U32(0); U32(0); U32(snaplen); U32((uint)linkType);
        foreach (var f in frames)
        {
            U32((uint)(f.TimeNs / 1_000_000_000));
            U32((uint)(nanos ? f.TimeNs % 1_000_000_000 : f.TimeNs % 1_000_000_000 / 1000));
            U32((uint)f.Data.Length);
            U32((uint)(f.OriginalLength ?? f.Data.Length));
            ms.Write(f.Data);
        }
        return ms.ToArray();
    }
}

/// <summary>Writes pcapng: sections, interfaces with if_tsresol/if_tsoffset, EPB/SPB/OPB and arbitrary blocks.</summary>
public sealed class PcapngFile(bool bigEndian = false)
{
    private readonly MemoryStream _ms = new();

    public byte[] ToArray() => _ms.ToArray();

    private byte[] U16(ushort v) { var b = new byte[2]; if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v); return b; }
    private byte[] U32(uint v) { var b = new byte[4]; if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v); return b; }
    private byte[] I64(long v) { var b = new byte[8]; if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(b, v); else BinaryPrimitives.WriteInt64LittleEndian(b, v); return b; }

    private static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    private static byte[] Pad(byte[] b) => b.Length % 4 == 0 ? b : b.Concat(new byte[4 - b.Length % 4]).ToArray();

    public byte[] Option(ushort code, byte[] value) => Cat(U16(code), U16((ushort)value.Length), Pad(value));
    public byte[] EndOfOptions() => Cat(U16(0), U16(0));

    public PcapngFile Block(uint type, byte[] body)
    {
        var padded = Pad(body);
        uint len = (uint)(12 + padded.Length);
        _ms.Write(U32(type));
        _ms.Write(U32(len));
        _ms.Write(padded);
        _ms.Write(U32(len));
        return this;
    }

    public PcapngFile Section(string? comment = null)
    {
        var opts = comment is null ? [] : Cat(Option(1, Encoding.UTF8.GetBytes(comment)), EndOfOptions());
        return Block(0x0A0D0D0A, Cat(U32(0x1A2B3C4D), U16(1), U16(0), I64(-1), opts));
    }

    /// <summary>tsresol byte: 6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n seconds; null = no option (microseconds).</summary>
    public PcapngFile Interface(int linkType, byte? tsresol = null, long? tsOffsetSeconds = null, uint snaplen = 0)
    {
        var opts = new List<byte[]>();
        if (tsresol is byte r) opts.Add(Option(9, [r]));
        if (tsOffsetSeconds is long o) opts.Add(Option(14, I64(o)));
        if (opts.Count > 0) opts.Add(EndOfOptions());
        return Block(1, Cat(U16((ushort)linkType), U16(0), U32(snaplen), Cat(opts.ToArray())));
    }

    public PcapngFile Enhanced(int iface, ulong ticks, byte[] data, int? originalLength = null, bool withComment = false)
    {
        var opts = withComment ? Cat(Option(1, "a packet comment"u8.ToArray()), EndOfOptions()) : [];
        return Block(6, Cat(U32((uint)iface), U32((uint)(ticks >> 32)), U32((uint)ticks), U32((uint)data.Length),
            U32((uint)(originalLength ?? data.Length)), Pad(data), opts));
    }

    public PcapngFile Simple(byte[] data, int? originalLength = null) =>
        Block(3, Cat(U32((uint)(originalLength ?? data.Length)), Pad(data)));

    public PcapngFile Obsolete(int iface, ulong ticks, byte[] data) =>
        Block(2, Cat(U16((ushort)iface), U16(0), U32((uint)(ticks >> 32)), U32((uint)ticks), U32((uint)data.Length), U32((uint)data.Length), Pad(data)));

    public PcapngFile InterfaceStatistics(int iface) => Block(5, Cat(U32((uint)iface), U32(0), U32(0)));
}
