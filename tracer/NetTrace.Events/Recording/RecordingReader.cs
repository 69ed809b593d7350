using System.Buffers.Binary;
using Google.Protobuf;

namespace NetTrace.Events.Recording;

public enum ReadStopReason
{
    /// <summary>Every byte was a whole, valid record.</summary>
    EndOfFile,
    /// <summary>The file ends inside a record (killed tracer, full disk): everything before it was read.</summary>
    Truncated,
    /// <summary>A record's CRC does not match its bytes.</summary>
    ChecksumMismatch,
    /// <summary>A length prefix is impossible (zero, too large, or malformed varint).</summary>
    BadLength,
    /// <summary>CRC matched but the bytes are not a TraceEvent this version understands.</summary>
    BadRecord,
    /// <summary>Not a .ntrace file, or a version this reader does not know.</summary>
    BadHeader,
}

/// <summary>Where and why reading stopped. Offset = byte offset of the first record not read.</summary>
public sealed record ReadStop(ReadStopReason Reason, long Offset, long RecordsRead, string Message)
{
    public bool Complete => Reason == ReadStopReason.EndOfFile;
}

/// <summary>
/// Reads a .ntrace stream record by record. It never throws on damaged content: it yields every whole record
/// before the damage and then reports the stop in <see cref="Stop"/>.
/// </summary>
public sealed class RecordingReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private long _offset;
    private long _records;

    public uint Version { get; private set; }
    /// <summary>Set once enumeration of <see cref="ReadAll"/> has finished.</summary>
    public ReadStop? Stop { get; private set; }

    public RecordingReader(Stream stream, bool ownsStream = true)
    {
        _stream = stream;
        _ownsStream = ownsStream;
    }

    public static RecordingReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16));

    /// <summary>True if the first bytes are the .ntrace magic (for input format sniffing).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> firstBytes) =>
        firstBytes.Length >= 8 && firstBytes[..8].SequenceEqual(RecordingFormat.Magic);

    public IEnumerable<TraceEvent> ReadAll()
    {
        if (!ReadHeader()) yield break;
        var payload = new byte[4096];
        var crcBytes = new byte[4];
        while (true)
        {
            var start = _offset;
            var (lenStatus, length) = ReadVarint();
            if (lenStatus == VarintStatus.Eof)
            {
                Finish(ReadStopReason.EndOfFile, start, "end of file");
                yield break;
            }
            if (lenStatus == VarintStatus.Truncated)
            {
                Finish(ReadStopReason.Truncated, start, "file ends inside a record's length prefix");
                yield break;
            }
            if (lenStatus == VarintStatus.Malformed || length == 0 || length > RecordingFormat.MaxRecordLength)
            {
                Finish(ReadStopReason.BadLength, start, $"impossible record length {length}");
                yield break;
            }
            if (payload.Length < length) payload = new byte[Math.Max(length, payload.Length * 2)];
            var got = ReadFully(payload.AsSpan(0, (int)length));
            _offset += got;
            if (got < length)
            {
                Finish(ReadStopReason.Truncated, start, $"file ends inside a record: {got} of {length} bytes present");
                yield break;
            }
            got = ReadFully(crcBytes);
            _offset += got;
            if (got < 4)
            {
                Finish(ReadStopReason.Truncated, start, "file ends inside a record's checksum");
                yield break;
            }
            var expected = BinaryPrimitives.ReadUInt32LittleEndian(crcBytes);
            var actual = Crc32C.Compute(payload.AsSpan(0, (int)length));
            if (expected != actual)
            {
                Finish(ReadStopReason.ChecksumMismatch, start,
                    $"record {_records + 1}: checksum {actual:x8} does not match stored {expected:x8}");
                yield break;
            }
            TraceEvent evt;
            try
            {
                evt = TraceEvent.Parser.ParseFrom(payload, 0, (int)length);
            }
            catch (InvalidProtocolBufferException e)
            {
                Finish(ReadStopReason.BadRecord, start, $"record {_records + 1}: {e.Message}");
                yield break;
            }
            _records++;
            yield return evt;
        }
    }

    private bool ReadHeader()
    {
        Span<byte> header = stackalloc byte[RecordingFormat.HeaderLength];
        var got = ReadFully(header);
        _offset = got;
        if (got < 8 || !HasMagic(header))
        {
            Finish(ReadStopReason.BadHeader, 0, "not a NetTrace recording (no NTRACE1 magic)");
            return false;
        }
        if (got < RecordingFormat.HeaderLength)
        {
            Finish(ReadStopReason.Truncated, got, "file ends inside the header");
            return false;
        }
        Version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (Version != RecordingFormat.Version)
        {
            Finish(ReadStopReason.BadHeader, 8, $"recording version {Version} is not supported (this build reads {RecordingFormat.Version})");
            return false;
        }
        return true;
    }

    private void Finish(ReadStopReason reason, long offset, string message) =>
        Stop = new ReadStop(reason, offset, _records, message);

    private enum VarintStatus { Ok, Eof, Truncated, Malformed }

    private (VarintStatus, uint) ReadVarint()
    {
        uint value = 0;
        for (var i = 0; i < 5; i++)
        {
            var b = _stream.ReadByte();
            if (b < 0) return (i == 0 ? VarintStatus.Eof : VarintStatus.Truncated, value);
            _offset++;
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return (VarintStatus.Ok, value);
        }
        return (VarintStatus.Malformed, value);
    }

    private int ReadFully(Span<byte> dst)
    {
        var total = 0;
        while (total < dst.Length)
        {
            var n = _stream.Read(dst[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
    }
}
