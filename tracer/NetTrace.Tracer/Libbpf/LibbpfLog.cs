using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace NetTrace.Tracer.Libbpf;

public enum LibbpfLogLevel { Warn = 0, Info = 1, Debug = 2 }

/// <summary>
/// libbpf's log, routed into ours. libbpf_set_print is process-wide: installed once. Lines are also captured per
/// thread while one of our libbpf operations runs, so a failure's exception carries the verifier/CO-RE log.
/// </summary>
public static unsafe class LibbpfLog
{
    /// <summary>Receives every libbpf line at or below <see cref="Level"/>. Called on the libbpf caller's thread.</summary>
    public static Action<LibbpfLogLevel, string>? Sink { get; set; }

    /// <summary>Most verbose level that is formatted at all (Debug is very chatty: CO-RE relocations).</summary>
    public static LibbpfLogLevel Level { get; set; } = LibbpfLogLevel.Info;

    private static int _installed;
    [ThreadStatic] private static StringBuilder? _capture;
    [ThreadStatic] private static byte[]? _buffer;

    internal static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
            Native.libbpf_set_print(&OnPrint);
    }

    /// <summary>Captures libbpf's lines on this thread until disposed; nests by keeping the outer capture.</summary>
    internal static Capture BeginCapture()
    {
        EnsureInstalled();
        var outer = _capture;
        _capture ??= new StringBuilder();
        return new Capture(outer == null);
    }

    internal readonly struct Capture(bool owner) : IDisposable
    {
        public string Text => _capture?.ToString().TrimEnd() ?? "";
        public void Dispose() { if (owner) _capture = null; }
    }

    [UnmanagedCallersOnly]
    private static int OnPrint(int level, byte* format, nint args)
    {
        // Nothing may escape into native code: swallow everything (the log is best effort by nature).
        try
        {
            if (level > (int)Level) return 0;
            var sink = Sink;
            if (sink == null && _capture == null) return 0;
            var buf = _buffer ??= new byte[256 * 1024];
            int n;
            fixed (byte* p = buf) n = Native.vsnprintf(p, (nuint)buf.Length, format, args);
            if (n < 0) return 0;
            var text = Encoding.UTF8.GetString(buf, 0, Math.Min(n, buf.Length - 1));
            _capture?.Append(text);
            sink?.Invoke((LibbpfLogLevel)level, text.TrimEnd('\n'));
        }
        catch
        {
            // ignored on purpose
        }
        return 0;
    }
}
