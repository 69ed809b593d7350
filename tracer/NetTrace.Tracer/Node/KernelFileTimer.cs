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
    /// <summary>How many whole reads were done (fewer than asked when the time budget ran out; 0 when even the first
    /// was cut short, then the times are those of the part read).</summary>
    int Reads,
    double MedianMs,
    double MaxMs,
    double LongestCallMs,
    long Bytes,
    long Lines,
    string? Error,
    /// <summary>The file was not read to its end; Note says what was done instead.</summary>
    bool Partial = false,
    string? Note = null)
{
    public bool Ok => Error == null;
}

public static class KernelFileTimer
{
    /// <summary>Same order of size as cat's buffer: a seq_file hands out at most one kernel buffer per call anyway.</summary>
    private const int BufferSize = 128 * 1024;

    /// <summary>Reads <paramref name="path"/> up to <paramref name="repeats"/> times. Once <paramref name="budget"/>
    /// is spent no new read starts, and a read still going is stopped after its current read() call (a file that
    /// takes longer than the budget is then Partial). Errors are returned, never thrown. <paramref name="label"/> is
    /// the name shown (e.g. /proc/net/tcp for /proc/thread-self/net/tcp).</summary>
    public static FileReadTiming Time(string path, int repeats, TimeSpan budget, string? label = null)
    {
        var buffer = new byte[BufferSize];
        var wall = new List<double>();
        double longestCall = 0;
        long bytes = 0, lines = 0, wholeBytes = 0, wholeLines = 0;
        var total = Stopwatch.StartNew();
        try
        {
            do
            {
                long start = Stopwatch.GetTimestamp();
                bytes = 0; lines = 0;
                bool cut = false;
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
                        if (total.Elapsed >= budget) { cut = true; break; }
                    }
                }
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (cut)
                {
                    if (wall.Count > 0) break;   // earlier whole reads stand; this one is dropped
                    return new FileReadTiming(label ?? path, 0, ms, ms, longestCall, bytes, lines, null, Partial: true,
                        Note: $"stopped after {bytes:N0} bytes and {ms:0} ms, at the {budget.TotalSeconds:0.#} s budget");
                }
                wall.Add(ms);
                wholeBytes = bytes; wholeLines = lines;
            } while (wall.Count < repeats && total.Elapsed < budget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileReadTiming(label ?? path, wall.Count, 0, 0, longestCall, bytes, lines, Why(e));
        }
        wall.Sort();
        return new FileReadTiming(label ?? path, wall.Count, wall[wall.Count / 2], wall[^1], longestCall, wholeBytes, wholeLines, null);
    }

    /// <summary>Times one read() of <paramref name="length"/> bytes at <paramref name="offset"/>. A seq_file asked
    /// for an offset it is not at walks its table from the start up to there: a read near the end costs what the
    /// last read() of a full pass costs, without making the whole pass.</summary>
    public static FileReadTiming TimeReadAt(string path, long offset, int length, string? label = null)
    {
        var buffer = new byte[length];
        try
        {
            using SafeFileHandle h = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            long start = Stopwatch.GetTimestamp();
            int n = RandomAccess.Read(h, buffer, offset);
            double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return new FileReadTiming(label ?? path, 0, ms, ms, ms, Math.Max(n, 0), 0, null, Partial: true,
                Note: $"one {length / 1024} KiB read() at offset {offset:N0}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FileReadTiming(label ?? path, 0, 0, 0, 0, 0, 0, Why(e));
        }
    }

    private static string Why(Exception e) =>
        e is UnauthorizedAccessException ? "permission denied (run as root)"
        : e is FileNotFoundException or DirectoryNotFoundException ? "not present" : e.Message;
}
