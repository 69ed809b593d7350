using System.Buffers.Binary;
using System.Text;

namespace NetTrace.CaptureGen.Writers;

/// <summary>
/// pcapng, little-endian: one section header (with the generator named in shb_userappl and a comment saying
/// how the file was made), one Ethernet interface, then enhanced packet blocks.
/// </summary>
public sealed class PcapNgWriter : ICaptureWriter
{
    private readonly Stream _out;
    private readonly bool _nanos;
    private readonly int _snap;
    private readonly byte[] _block = new byte[32 + 262144 + 4];

    public long BytesWritten { get; private set; }

    public PcapNgWriter(Stream output, bool nanoseconds, int snapLength, string comment)
    {
        _out = output; _nanos = nanoseconds; _snap = snapLength;
        WriteSectionHeader(comment);
        WriteInterface();
    }

    private void WriteSectionHeader(string comment)
    {
        var body = new MemoryStream();
        Span<byte> fixedPart = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart, 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[4..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(fixedPart[8..], -1); // section length not known while streaming
        body.Write(fixedPart);
        WriteOption(body, 1, Encoding.UTF8.GetBytes(comment));                       // opt_comment
        WriteOption(body, 4, Encoding.UTF8.GetBytes("NetTrace.CaptureGen"));         // shb_userappl
        WriteOption(body, 0, []);                                                    // opt_endofopt
        WriteBlock(0x0A0D0D0A, body.ToArray());
    }

    private void WriteInterface()
    {
        var body = new MemoryStream();
        Span<byte> fixedPart = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(fixedPart, CaptureWriters.EthernetLinkType);
        BinaryPrimitives.WriteUInt32LittleEndian(fixedPart[4..], (uint)_snap);
        body.Write(fixedPart);
        WriteOption(body, 2, Encoding.UTF8.GetBytes("eth0"));                        // if_name
        if (_nanos) WriteOption(body, 9, [9]);                                      // if_tsresol = 10^-9
        WriteOption(body, 0, []);
        WriteBlock(1, body.ToArray());
    }

    private static void WriteOption(Stream s, ushort code, byte[] value)
    {
        Span<byte> h = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(h, code);
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)value.Length);
        s.Write(h);
        s.Write(value);
        for (int pad = (4 - value.Length % 4) % 4; pad > 0; pad--) s.WriteByte(0);
    }

    private void WriteBlock(uint type, byte[] body)
    {
        uint total = (uint)(12 + body.Length);
        Span<byte> h = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], total);
        _out.Write(h);
        _out.Write(body);
        _out.Write(h[4..]);
        BytesWritten += total;
    }

    public void Write(long timeNanos, ReadOnlySpan<byte> frame)
    {
        int caplen = Math.Min(frame.Length, _snap);
        int padded = (caplen + 3) & ~3;
        int total = 32 + padded;
        var b = _block.AsSpan(0, total);
        ulong ts = (ulong)(_nanos ? timeNanos : timeNanos / 1000);
        BinaryPrimitives.WriteUInt32LittleEndian(b, 6);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], (uint)total);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], 0);                        // interface 0
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], (uint)(ts >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], (uint)ts);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], (uint)caplen);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], (uint)frame.Length);
        frame[..caplen].CopyTo(b[28..]);
        b.Slice(28 + caplen, padded - caplen).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b[(total - 4)..], (uint)total);
        _out.Write(_block, 0, total);
        BytesWritten += total;
    }

    public void Dispose() => _out.Flush();
}
