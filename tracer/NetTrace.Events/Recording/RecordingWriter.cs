using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace NetTrace.Events.Recording;

/// <summary>
/// Appends TraceEvents to a .ntrace stream. Not thread-safe: one writer thread owns it.
/// Call <see cref="Flush"/> periodically (the trace runner does, with the lost-event counts) so a killed
/// tracer loses at most the last interval; Dispose flushes and fsyncs.
/// </summary>
public sealed class RecordingWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private bool _disposed;
    private bool _failed;

    public long EventsWritten { get; private set; }
    public long BytesWritten { get; private set; }

    public RecordingWriter(Stream stream, bool ownsStream = true)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        Span<byte> header = stackalloc byte[RecordingFormat.HeaderLength];
        RecordingFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], RecordingFormat.Version);
        _stream.Write(header);
        BytesWritten = header.Length;
    }

    public static RecordingWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16));

    public void Write(TraceEvent evt)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var size = evt.CalculateSize();
        _scratch.ResetWrittenCount();
        var buf = _scratch.GetSpan(size + 5 + 4);
        var n = WriteVarint(buf, (uint)size);
        evt.WriteTo(buf.Slice(n, size));
        BinaryPrimitives.WriteUInt32LittleEndian(buf.Slice(n + size), Crc32C.Compute(buf.Slice(n, size)));
        var total = n + size + 4;
        try
        {
            _stream.Write(buf[..total]);
        }
        catch (IOException)
        {
            _failed = true;
            throw;
        }
        EventsWritten++;
        BytesWritten += total;
    }

    public void Flush()
    {
        if (_disposed) return;
        try
        {
            _stream.Flush();
        }
        catch (IOException)
        {
            _failed = true;
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            _stream.Flush();
            if (_stream is FileStream fs) fs.Flush(flushToDisk: true);
        }
        catch (IOException) when (_failed)
        {
            // Already reported by the Write or Flush that failed (full disk): the whole records before it stay readable.
        }
        finally
        {
            if (_ownsStream) _stream.Dispose();
        }
    }

    private static int WriteVarint(Span<byte> dst, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            dst[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dst[i++] = (byte)value;
        return i;
    }
}
