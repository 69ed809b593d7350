using System.Text;

namespace NetTrace.Tracer.Libbpf;

/// <summary>A failed libbpf call: the operation, errno, libbpf's own message and whatever libbpf logged meanwhile.</summary>
public sealed class LibbpfException : Exception
{
    public string Operation { get; }
    public int Errno { get; }
    public string LibbpfMessage { get; }
    public string Log { get; }

    public LibbpfException(string operation, int errno, string log)
        : base(Compose(operation, errno, log))
    {
        Operation = operation;
        Errno = Math.Abs(errno);
        LibbpfMessage = Describe(errno);
        Log = log;
    }

    /// <summary>libbpf_strerror: knows libbpf's own error codes (LIBBPF_ERRNO__*) as well as errno.</summary>
    public static unsafe string Describe(int errno)
    {
        var buf = stackalloc byte[256];
        if (Native.libbpf_strerror(Math.Abs(errno), buf, 256) != 0)
            return $"errno {Math.Abs(errno)}";
        return Encoding.UTF8.GetString(buf, new ReadOnlySpan<byte>(buf, 256).IndexOf((byte)0));
    }

    private static string Compose(string operation, int errno, string log)
    {
        var msg = $"{operation} failed: {Describe(errno)} (errno {Math.Abs(errno)})";
        if (string.IsNullOrWhiteSpace(log)) return msg;
        // Verifier logs can be megabytes: keep the tail, where the reason is.
        var tail = log.Length > 8000 ? "…" + log[^8000..] : log;
        return msg + "\nlibbpf log:\n" + tail;
    }
}
