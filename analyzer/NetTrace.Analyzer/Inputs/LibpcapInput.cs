using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Model;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NetTrace.Analyzer.Inputs;

/// <summary>
/// Alternate path through libpcap (SharpPcap's CaptureFileReaderDevice), chosen with --reader libpcap. Used to
/// cross-check our readers. libpcap cannot read pcapng files whose interfaces differ in link type; our reader can.
/// This path copies each frame (libpcap owns its buffer), so it is slower and allocates.
/// </summary>
public sealed class LibpcapInput : IInputReader
{
    public string Name => "libpcap";
    public bool Automatic => false;

    public bool CanRead(string path, ReadOnlySpan<byte> head) => PcapReader.IsPcapMagic(head) || PcapngReader.IsPcapngMagic(head);

    public SourceInfo Read(string path, AnalysisSink sink, CancellationToken ct)
    {
        using var source = new LibpcapPacketSource(path);
        return PacketPump.Run(source, sink, ct);
    }
}

/// <summary>Frames read by libpcap, with nanosecond timestamps.</summary>
public sealed class LibpcapPacketSource : PacketSourceBase
{
    private readonly CaptureFileReaderDevice _device;
    private readonly long _length;
    private readonly int _linkType;
    private long _frame;
    private bool _done;

    public LibpcapPacketSource(string path) : base(path)
    {
        _length = new FileInfo(path).Length;
        _device = new CaptureFileReaderDevice(path);
        try
        {
            _device.Open(new DeviceConfiguration { TimestampResolution = TimestampResolution.Nanosecond });
        }
        catch (Exception e) when (e is PcapException or DllNotFoundException)
        {
            _device.Dispose();
            throw new InvalidCaptureException($"{path}: libpcap cannot read it: {e.Message}");
        }
        _linkType = (int)_device.LinkType;
        _linkTypes.Add(_linkType);
    }

    public override string Format => "libpcap";
    public override long Position => _done ? _length : 0;
    public override long Length => _length;

    public override bool TryRead(out RawFrame frame)
    {
        frame = default;
        if (_done) return false;
        GetPacketStatus status;
        PacketCapture capture;
        try
        {
            status = _device.GetNextPacket(out capture);
        }
        catch (PcapException e)
        {
            _done = true;
            return Stop($"libpcap stopped after frame {_frame}: {e.Message}", _frame + 1, null);
        }
        if (status != GetPacketStatus.PacketRead)
        {
            _done = true;
            if (status == GetPacketStatus.Error)
                return Stop($"libpcap stopped after frame {_frame}: {_device.LastError}", _frame + 1, null);
            return false;
        }
        _frame++;
        var raw = capture.GetPacket();
        long ns = (long)(raw.Timeval.Value * 1_000_000_000m);
        // RawCapture.PacketLength is the captured length; the wire length is in libpcap's own header.
        int wireLength = capture.Header is PcapHeader ph ? (int)ph.PacketLength : raw.PacketLength;
        frame = new RawFrame(raw.Data, ns, _linkType, wireLength, _frame, -1, 0);
        return true;
    }

    public override void Dispose() => _device.Dispose();
}
