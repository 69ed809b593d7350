using System.Buffers.Binary;

namespace NetTrace.Analyzer.Capture;

/// <summary>
/// Classic libpcap files: microsecond (a1b2c3d4) and nanosecond (a1b23c4d) magics, either byte order.
/// </summary>
public sealed class PcapReader : PacketSourceBase
{
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;
    /// <summary>Larger than any real snaplen (libpcap's maximum is 256 KiB; some writers use 64 MiB for D-Bus).</summary>
    private const int AbsurdCaplen = 64 << 20;
    /// <summary>libpcap's default maximum snaplen: a caplen above both this and the file's snaplen is corrupt.</summary>
    private const int MaxSnaplen = 262144;

    private readonly FileWindow _win;
    private readonly bool _bigEndian;
    private readonly bool _nanos;
    private readonly int _linkType;
    private readonly uint _snaplen;
    private long _frame;
    private bool _done;
    private bool _warnedCaplenOverLen;

    public static bool IsPcapMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) is 0xa1b2c3d4 or 0xd4c3b2a1 or 0xa1b23c4d or 0x4d3cb2a1;

    public PcapReader(string path) : this(path, File.OpenRead(path)) { }

    public PcapReader(string path, Stream stream) : base(path)
    {
        _win = new FileWindow(stream);
        if (!_win.Ensure(GlobalHeaderLength))
            throw new InvalidCaptureException($"{path}: pcap global header is cut short ({_win.Available} of {GlobalHeaderLength} bytes)");
        var h = _win.Peek(GlobalHeaderLength);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(h);
        (_bigEndian, _nanos) = magic switch
        {
            0xa1b2c3d4 => (false, false),
            0xd4c3b2a1 => (true, false),
            0xa1b23c4d => (false, true),
            0x4d3cb2a1 => (true, true),
            _ => throw new InvalidCaptureException($"{path}: not a pcap file (magic 0x{magic:x8})"),
        };
        int major = U16(h[4..]);
        if (major != 2)
            throw new InvalidCaptureException($"{path}: unsupported pcap version {major}.{U16(h[6..])}");
        _snaplen = U32(h[16..]);
        // The upper bits of the link-type field carry FCS information; the link type is the low 16 bits.
        _linkType = (int)(U32(h[20..]) & 0xFFFF);
        _linkTypes.Add(_linkType);
        _win.Advance(GlobalHeaderLength);
    }

    public override string Format => "pcap-" + (_nanos ? "nsec" : "usec") + (_bigEndian ? "-be" : "-le");
    public override long Position => _win.Position;
    public override long Length => _win.Length;
    public int Snaplen => (int)Math.Min(_snaplen, int.MaxValue);

    private ushort U16(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    private uint U32(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    public override bool TryRead(out RawFrame frame)
    {
        frame = default;
        if (_done) return false;
        long offset = _win.Position;
        long number = _frame + 1;
        if (!_win.Ensure(RecordHeaderLength))
        {
            _done = true;
            if (_win.Available == 0) return false;
            return Stop($"file ends inside the record header of frame {number} ({_win.Available} of {RecordHeaderLength} bytes)", number, offset);
        }
        var h = _win.Peek(RecordHeaderLength);
        uint sec = U32(h), frac = U32(h[4..]), caplen = U32(h[8..]), len = U32(h[12..]);
        if (caplen > AbsurdCaplen || (caplen > _snaplen && caplen > MaxSnaplen))
        {
            _done = true;
            return Stop($"frame {number} claims a captured length of {caplen} bytes (snaplen {_snaplen}): the record header is corrupt", number, offset);
        }
        if (!_win.Ensure(RecordHeaderLength + (int)caplen))
        {
            _done = true;
            return Stop($"file cut short in the middle of frame {number}: {caplen} bytes announced, {Math.Max(0, _win.Available - RecordHeaderLength)} present", number, offset);
        }
        if (len < caplen && !_warnedCaplenOverLen)
        {
            _warnedCaplenOverLen = true;
            Warn($"frame {number} has a captured length ({caplen}) larger than its original length ({len}); original length taken as the captured length", number, offset);
        }
        long ns = sec * 1_000_000_000L + (_nanos ? frac : frac * 1000L);
        var data = _win.Peek(RecordHeaderLength + (int)caplen)[RecordHeaderLength..];
        _win.Advance(RecordHeaderLength + (int)caplen);
        _frame = number;
        frame = new RawFrame(data, ns, _linkType, (int)Math.Min(Math.Max(len, caplen), int.MaxValue), number, offset, 0);
        return true;
    }

    public override void Dispose() => _win.Dispose();
}

/// <summary>The file is not a capture this reader can open at all (wrong magic, header missing).</summary>
public sealed class InvalidCaptureException(string message) : Exception(message);
