using System.Buffers.Binary;

namespace NetTrace.CaptureGen.Writers;

/// <summary>Classic libpcap format, little-endian, Ethernet, micro- or nanosecond timestamps.</summary>
public sealed class PcapWriter : ICaptureWriter
{
    private readonly Stream _out;
    private readonly bool _nanos;
    private readonly int _snap;
    private readonly byte[] _record = new byte[16 + 262144];

    public long BytesWritten { get; private set; }

    public PcapWriter(Stream output, bool nanoseconds, int snapLength)
    {
        _out = output; _nanos = nanoseconds; _snap = snapLength;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        // thiszone and sigfigs stay 0
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], CaptureWriters.EthernetLinkType);
        _out.Write(h);
        BytesWritten = 24;
    }

    public void Write(long timeNanos, ReadOnlySpan<byte> frame)
    {
        int caplen = Math.Min(frame.Length, _snap);
        var r = _record.AsSpan();
        long seconds = timeNanos / 1_000_000_000;
        long frac = timeNanos % 1_000_000_000;
        BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..], (uint)(_nanos ? frac : frac / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)caplen);
        BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)frame.Length);
        frame[..caplen].CopyTo(r[16..]);
        _out.Write(_record, 0, 16 + caplen);
        BytesWritten += 16 + caplen;
    }

    public void Dispose() => _out.Flush();
}
