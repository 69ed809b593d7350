using System.Buffers;

namespace NetTrace.Analyzer.Capture;

/// <summary>
/// A sliding window over a file in one large pooled buffer. Readers ask for "n bytes at the current position",
/// get a span, and advance. The buffer grows only for records larger than itself (bounded by the caller).
/// </summary>
internal sealed class FileWindow : IDisposable
{
    private const int DefaultSize = 1 << 20;
    private readonly Stream _stream;
    private byte[] _buf;
    private int _start, _end;
    private long _bufFileOffset;
    private bool _eof;

    public FileWindow(Stream stream, int initialSize = DefaultSize)
    {
        _stream = stream;
        _buf = ArrayPool<byte>.Shared.Rent(initialSize);
        Length = stream.CanSeek ? stream.Length : -1;
    }

    public long Length { get; }
    /// <summary>File offset of the next unread byte.</summary>
    public long Position => _bufFileOffset + _start;
    public int Available => _end - _start;

    /// <summary>Makes sure n bytes from Position are buffered. False when the file ends first.</summary>
    public bool Ensure(int n)
    {
        if (_end - _start >= n) return true;
        if (n > _buf.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, (long)n * 2));
            Buffer.BlockCopy(_buf, _start, bigger, 0, _end - _start);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = bigger;
            Rebase();
        }
        else if (_start + n > _buf.Length)
        {
            Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
            Rebase();
        }
        while (_end - _start < n && !_eof)
        {
            int r = _stream.Read(_buf, _end, _buf.Length - _end);
            if (r == 0) _eof = true;
            else _end += r;
        }
        return _end - _start >= n;
    }

    private void Rebase()
    {
        _bufFileOffset += _start;
        _end -= _start;
        _start = 0;
    }

    public ReadOnlySpan<byte> Peek(int n) => _buf.AsSpan(_start, n);

    public void Advance(int n) => _start += n;

    public void Dispose()
    {
        var b = _buf;
        _buf = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
        _stream.Dispose();
    }
}
