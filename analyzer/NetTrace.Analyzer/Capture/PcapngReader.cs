using System.Buffers.Binary;
using System.Text;

namespace NetTrace.Analyzer.Capture;

/// <summary>
/// pcapng: any number of sections (each with its own byte order), interfaces with their own link type,
/// if_tsresol (decimal or power-of-two) and if_tsoffset; EPB, SPB and the obsolete OPB carry packets; every other
/// block is skipped by its length.
/// </summary>
public sealed class PcapngReader : PacketSourceBase
{
    private const uint ShbType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint IdbType = 1, OpbType = 2, SpbType = 3, EpbType = 6;
    /// <summary>No sane block is larger; a bigger length field means the framing is corrupt.</summary>
    private const uint AbsurdBlockLength = 256u << 20;
    private const int MaxComments = 32;

    private readonly FileWindow _win;
    private readonly List<Interface> _interfaces = [];
    private bool _bigEndian;
    private long _frame;
    private long _lastTimestampNs;
    private bool _done;
    private bool _warnedSpbTime;
    private int _sections;

    private readonly record struct Interface(int LinkType, uint Snaplen, bool Pow2, int Exponent, long OffsetSeconds);

    public static bool IsPcapngMagic(ReadOnlySpan<byte> head) =>
        head.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(head) == ShbType;

    public PcapngReader(string path) : this(path, File.OpenRead(path)) { }

    public PcapngReader(string path, Stream stream) : base(path)
    {
        _win = new FileWindow(stream);
        if (!_win.Ensure(12) || BinaryPrimitives.ReadUInt32LittleEndian(_win.Peek(4)) != ShbType)
            throw new InvalidCaptureException($"{path}: not a pcapng file (no section header block at offset 0)");
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_win.Peek(12)[8..]);
        if (bom != ByteOrderMagic && BinaryPrimitives.ReverseEndianness(bom) != ByteOrderMagic)
            throw new InvalidCaptureException($"{path}: pcapng section header has an invalid byte-order magic 0x{bom:x8}");
    }

    public override string Format => "pcapng" + (_bigEndian ? "-be" : "-le");
    public override long Position => _win.Position;
    public override long Length => _win.Length;
    public int Sections => _sections;

    private ushort U16(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    private uint U32(ReadOnlySpan<byte> s) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    public override bool TryRead(out RawFrame frame)
    {
        frame = default;
        while (!_done)
        {
            long offset = _win.Position;
            if (!_win.Ensure(12))
            {
                _done = true;
                if (_win.Available == 0) return false;
                return Stop($"file ends inside a block header ({_win.Available} bytes left) after frame {_frame}", _frame + 1, offset);
            }
            var head = _win.Peek(12);
            uint rawType = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (rawType == ShbType)
            {
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                if (bom == ByteOrderMagic) _bigEndian = false;
                else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic) _bigEndian = true;
                else
                {
                    _done = true;
                    return Stop($"section header at offset {offset} has an invalid byte-order magic 0x{bom:x8}", _frame + 1, offset);
                }
            }
            uint type = U32(head);
            uint length = U32(head[4..]);
            if (length < 12 || length % 4 != 0 || length > AbsurdBlockLength)
            {
                _done = true;
                return Stop($"block of type 0x{type:x} at offset {offset} has an invalid length {length}: framing is corrupt", _frame + 1, offset);
            }
            if (_win.Length >= 0 && offset + length > _win.Length)
            {
                _done = true;
                string what = type is EpbType or SpbType or OpbType ? $"in the middle of frame {_frame + 1}" : $"inside a block of type 0x{type:x}";
                return Stop($"file cut short {what}: block at offset {offset} announces {length} bytes, {_win.Length - offset} present", _frame + 1, offset);
            }
            if (!_win.Ensure((int)length))
            {
                _done = true;
                return Stop($"file cut short inside the block at offset {offset} ({length} bytes announced)", _frame + 1, offset);
            }
            var block = _win.Peek((int)length);
            uint trailer = U32(block[^4..]);
            if (trailer != length)
            {
                _done = true;
                return Stop($"block at offset {offset} has length {length} but its trailing length is {trailer}: framing is corrupt", _frame + 1, offset);
            }
            var body = block[8..^4];
            bool produced = type switch
            {
                ShbType => Section(body, offset),
                IdbType => InterfaceBlock(body, offset),
                EpbType => Enhanced(body, offset, out frame),
                SpbType => Simple(body, offset, out frame),
                OpbType => Obsolete(body, offset, out frame),
                _ => false, // NRB, ISB, DSB, custom and unknown blocks: skipped by their length
            };
            _win.Advance((int)length);
            if (produced) return true;
        }
        return false;
    }

    private bool Section(ReadOnlySpan<byte> body, long offset)
    {
        _sections++;
        _interfaces.Clear(); // interface ids are per section
        if (body.Length < 16)
        {
            Warn($"section header at offset {offset} is too short ({body.Length + 12} bytes)", null, offset);
            return false;
        }
        int major = U16(body[4..]);
        if (major != 1) Warn($"section header at offset {offset} has version {major}.{U16(body[6..])}; reading it as 1.0", null, offset);
        foreach (var o in new OptionWalker(body[16..], _bigEndian))
        {
            if (o.Code == 1 && _comments.Count < MaxComments) _comments.Add(Text(o.Value));
        }
        return false;
    }

    private bool InterfaceBlock(ReadOnlySpan<byte> body, long offset)
    {
        if (body.Length < 8)
        {
            Warn($"interface description block at offset {offset} is too short; interface {_interfaces.Count} treated as unsupported", null, offset);
            _interfaces.Add(new Interface(-1, 0, false, 6, 0));
            return false;
        }
        int linkType = U16(body);
        uint snaplen = U32(body[4..]);
        bool pow2 = false;
        int exponent = 6;
        long tsOffset = 0;
        foreach (var o in new OptionWalker(body[8..], _bigEndian))
        {
            int code = o.Code;
            var value = o.Value;
            if (code == 9 && value.Length >= 1)
            {
                pow2 = (value[0] & 0x80) != 0;
                exponent = value[0] & 0x7F;
                if ((!pow2 && exponent > 18) || (pow2 && exponent > 63))
                {
                    Warn($"interface {_interfaces.Count} at offset {offset} has an unusable if_tsresol 0x{value[0]:x2}; assuming microseconds", null, offset);
                    pow2 = false;
                    exponent = 6;
                }
            }
            else if (code == 14 && value.Length >= 8)
            {
                tsOffset = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
            }
            else if (code == 1 && _comments.Count < MaxComments)
            {
                _comments.Add(Text(value));
            }
        }
        _interfaces.Add(new Interface(linkType, snaplen, pow2, exponent, tsOffset));
        _linkTypes.Add(linkType);
        return false;
    }

    // EPB and the obsolete PB differ only in how wide the interface id is (PB: 16 bits, then a drops count).
    private bool Enhanced(ReadOnlySpan<byte> body, long offset, out RawFrame frame) =>
        TimedPacket(body, offset, "enhanced packet block", body.Length >= 4 ? U32(body) : 0u, out frame);

    private bool Obsolete(ReadOnlySpan<byte> body, long offset, out RawFrame frame) =>
        TimedPacket(body, offset, "packet block", body.Length >= 2 ? U16(body) : 0u, out frame);

    private bool TimedPacket(ReadOnlySpan<byte> body, long offset, string kind, uint ifId, out RawFrame frame)
    {
        frame = default;
        long number = ++_frame;
        if (body.Length < 20)
            return Skip($"{kind} of frame {number} is too short ({body.Length + 12} bytes)", number, offset);
        ulong ticks = ((ulong)U32(body[4..]) << 32) | U32(body[8..]);
        uint caplen = U32(body[12..]), len = U32(body[16..]);
        if (caplen > body.Length - 20)
            return Skip($"frame {number} claims {caplen} captured bytes but its block holds {body.Length - 20}", number, offset);
        if (ifId >= _interfaces.Count)
            return Skip($"frame {number} refers to interface {ifId}, but only {_interfaces.Count} are described", number, offset);
        var itf = _interfaces[(int)ifId];
        long ns = ToNanos(ticks, itf);
        _lastTimestampNs = ns;
        frame = new RawFrame(body.Slice(20, (int)caplen), ns, itf.LinkType, (int)Math.Min(Math.Max(len, caplen), int.MaxValue), number, offset, (int)ifId);
        return true;
    }

    private bool Simple(ReadOnlySpan<byte> body, long offset, out RawFrame frame)
    {
        frame = default;
        long number = ++_frame;
        if (body.Length < 4)
            return Skip($"simple packet block of frame {number} is too short", number, offset);
        if (_interfaces.Count == 0)
            return Skip($"frame {number} is a simple packet block but no interface is described", number, offset);
        var itf = _interfaces[0];
        uint len = U32(body);
        long caplen = Math.Min(len, body.Length - 4);
        if (itf.Snaplen != 0) caplen = Math.Min(caplen, itf.Snaplen);
        if (!_warnedSpbTime)
        {
            _warnedSpbTime = true;
            Info($"simple packet blocks carry no timestamp (first: frame {number}); they get the time of the packet before them", number, offset);
        }
        frame = new RawFrame(body.Slice(4, (int)caplen), _lastTimestampNs, itf.LinkType, (int)Math.Min(Math.Max(len, caplen), int.MaxValue), number, offset, 0);
        return true;
    }

    /// <summary>A damaged packet block whose framing is still sound: report it, keep reading after it.</summary>
    private bool Skip(string message, long number, long offset)
    {
        Warn(message + "; frame skipped", number, offset);
        return false;
    }

    public override void Dispose() => _win.Dispose();

    internal static long ToNanos(ulong ticks, bool pow2, int exponent, long offsetSeconds)
    {
        long ns;
        if (pow2)
            ns = (long)(((UInt128)ticks * 1_000_000_000UL) >> exponent);
        else if (exponent <= 9)
            ns = (long)(ticks * Pow10(9 - exponent));
        else
            ns = (long)(ticks / Pow10(exponent - 9));
        return ns + offsetSeconds * 1_000_000_000L;
    }

    private static long ToNanos(ulong ticks, Interface itf) => ToNanos(ticks, itf.Pow2, itf.Exponent, itf.OffsetSeconds);

    private static ulong Pow10(int n)
    {
        ulong r = 1;
        for (int i = 0; i < n; i++) r *= 10;
        return r;
    }

    private static string Text(ReadOnlySpan<byte> value)
    {
        var s = Encoding.UTF8.GetString(value.Length > 1024 ? value[..1024] : value);
        return s.TrimEnd('\0');
    }

    private readonly ref struct Option(int code, ReadOnlySpan<byte> value)
    {
        public int Code { get; } = code;
        public ReadOnlySpan<byte> Value { get; } = value;
    }

    /// <summary>Walks pcapng options (code, length, value padded to 4) until opt_endofopt or the end of the block.</summary>
    private ref struct OptionWalker(ReadOnlySpan<byte> rest, bool bigEndian)
    {
        private ReadOnlySpan<byte> _rest = rest;
        public Option Current { get; private set; }

        public readonly OptionWalker GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.Length < 4) return false;
            int code = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_rest) : BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            int len = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]) : BinaryPrimitives.ReadUInt16LittleEndian(_rest[2..]);
            if (code == 0 || 4 + len > _rest.Length) return false;
            Current = new Option(code, _rest.Slice(4, len));
            int padded = 4 + ((len + 3) & ~3);
            _rest = padded >= _rest.Length ? default : _rest[padded..];
            return true;
        }
    }
}
