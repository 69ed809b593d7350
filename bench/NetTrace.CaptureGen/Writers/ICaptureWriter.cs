namespace NetTrace.CaptureGen.Writers;

/// <summary>A streaming capture file writer: packets go out in the order given, nothing is held back.</summary>
public interface ICaptureWriter : IDisposable
{
    /// <param name="timeNanos">Unix time in nanoseconds (rounded to the file's resolution).</param>
    /// <param name="frame">The whole frame; the writer cuts it to its snap length.</param>
    void Write(long timeNanos, ReadOnlySpan<byte> frame);
    long BytesWritten { get; }
}

public enum CaptureFormat { Pcap, PcapNg }

public static class CaptureWriters
{
    public const int EthernetLinkType = 1;

    public static ICaptureWriter Create(Stream output, CaptureFormat format, bool nanoseconds, int snapLength, string comment)
        => format switch
        {
            CaptureFormat.Pcap => new PcapWriter(output, nanoseconds, snapLength),
            CaptureFormat.PcapNg => new PcapNgWriter(output, nanoseconds, snapLength, comment),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };

    public static FileStream OpenFile(string path) =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1 << 20);
}
