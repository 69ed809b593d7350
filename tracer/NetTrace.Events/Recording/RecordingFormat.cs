namespace NetTrace.Events.Recording;

/// <summary>
/// The .ntrace layout:
/// <code>
///   "NTRACE1\n"                       8 bytes magic
///   version                           uint32 little-endian (currently 1)
///   record*                           [varint length][TraceEvent protobuf bytes][CRC-32C of those bytes, uint32 LE]
/// </code>
/// Each record stands alone, so a file cut short (killed tracer, full disk) reads back to its last whole record.
/// The first record is a SessionHeader; a clean end writes a final LostEventCounts and a SessionEnd.
/// </summary>
public static class RecordingFormat
{
    public static ReadOnlySpan<byte> Magic => "NTRACE1\n"u8;
    public const uint Version = 1;
    public const int HeaderLength = 12;
    /// <summary>Larger lengths are damage, not data: no single event comes near this.</summary>
    public const int MaxRecordLength = 16 * 1024 * 1024;
    public const string FileExtension = ".ntrace";
}
