namespace NetTrace.Analyzer.Capture;

/// <summary>
/// One captured frame as a reader hands it out: a span over the reader's reusable buffer, valid only until the
/// next read. Nothing is copied or allocated per frame.
/// </summary>
public readonly ref struct RawFrame
{
    public readonly ReadOnlySpan<byte> Data;
    /// <summary>Unix time in nanoseconds.</summary>
    public readonly long TimestampNs;
    public readonly int LinkType;
    /// <summary>Length on the wire; larger than Data.Length when the snaplen cut the frame.</summary>
    public readonly int OriginalLength;
    /// <summary>1-based frame number within its file, the way Wireshark numbers frames.</summary>
    public readonly long Number;
    /// <summary>Byte offset of the record (pcap record header / pcapng block) in the file.</summary>
    public readonly long FileOffset;
    public readonly int InterfaceId;

    public RawFrame(ReadOnlySpan<byte> data, long timestampNs, int linkType, int originalLength, long number, long fileOffset, int interfaceId)
    {
        Data = data;
        TimestampNs = timestampNs;
        LinkType = linkType;
        OriginalLength = originalLength;
        Number = number;
        FileOffset = fileOffset;
        InterfaceId = interfaceId;
    }
}
