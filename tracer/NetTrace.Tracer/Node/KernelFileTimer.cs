using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace NetTrace.Tracer.Node;

/// <summary>
/// How long one kernel file takes to read, the way a metrics agent reads it: open, read() until EOF, close.
/// Whole-file times are kept per repetition; the longest single read() call is kept too, because one call is one
/// stretch of kernel work (for seq_file tables such as ipv6_route, one walk with bottom halves disabled).
/// </summary>
public sealed record FileReadTiming(
    string Path,
    /// <summary>How many whole reads were done (fewer than asked when the time budget ran out).</summary>
    int Reads,
    double MedianMs,
    double MaxMs,
    double LongestCallMs,
    long Bytes,
    long Lines,
    string? Error)
{
    public bool Ok => Error == null;
}

public static class KernelFileTimer
{
    /// <summary>Same order of size as cat's buffer: a seq_file hands out at most one kernel buffer per call anyway.</summary>
    private const int BufferSize = 128 * 1024;

    /// <summary>Reads <paramref name="path"/> up to <paramref name="repeats"/> times, stopping early once
    /// <paramref name="budget"/> is spent (at least one read is always done). <paramref name="label"/> is the name
    /// shown (e.g. /proc/net/tcp for /proc/thread-self/net/tcp). Errors are returned, never thrown.</summary>
    public static FileReadTiming Time(string path, int repeats, TimeSpan budget, string? label = null)
    {
        var buffer = new byte[BufferSize];
        var wall = new List<double>();
        double longestCall = 0;
        long bytes = 0, lines = 0;
        var total = Stopwatch.StartNew();
        try
        {
            do
            {
                long start = Stopwatch.GetTimestamp();
                bytes = 0; lines = 0;
                using (SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
                {
                    while (true)
                    {
                        long callStart = Stopwatch.GetTimestamp();
                        int n = RandomAccess.Read(h, buffer, bytes);
                        longestCall = Math.Max(longestCall, Stopwatch.GetElapsedTime(callStart).TotalMilliseconds);
                        if (n <= 0) break;
                        lines += buffer.AsSpan(0, n).Count((byte)'\n');
                        bytes += n;
                    }
                }
                wall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            } while (wall.Count < repeats && total.Elapsed < budget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied (run as root)"
                : e is FileNotFoundException or DirectoryNotFoundException ? "not present" : e.Message;
            return new FileReadTiming(label ?? path, wall.Count, 0, 0, longestCall, bytes, lines, why);
        }
        wall.Sort();
        return new FileReadTiming(label ?? path, wall.Count, wall[wall.Count / 2], wall[^1], longestCall, bytes, lines, null);
    }
}
