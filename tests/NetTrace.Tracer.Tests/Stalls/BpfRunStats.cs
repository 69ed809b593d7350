using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>
/// In-kernel cost of programs: BPF_ENABLE_STATS (run time accounting only while the returned fd is open, so the
/// host's kernel.bpf_stats_enabled is never touched) and bpftool's run_time_ns / run_cnt per program.
/// </summary>
internal static partial class BpfRunStats
{
    private const long SysBpf = 321; // x86_64
    private const long BpfEnableStats = 32;

    public sealed record Program(string Name, ulong RunTimeNs, ulong RunCount, ulong RecursionMisses = 0)
    {
        public double AverageNs => RunCount == 0 ? 0 : (double)RunTimeNs / RunCount;
    }

    /// <summary>Turns on run-time statistics until the result is disposed.</summary>
    public static unsafe IDisposable Enable()
    {
        uint type = 0; // BPF_STATS_RUN_TIME
        long fd = syscall(SysBpf, BpfEnableStats, &type, sizeof(uint));
        if (fd < 0) throw new InvalidOperationException($"BPF_ENABLE_STATS failed: errno {Marshal.GetLastPInvokeError()}");
        return new Fd((int)fd);
    }

    /// <summary>Stats of the loaded programs whose names start with one of the prefixes (kernel names are cut at 15 chars).</summary>
    public static IReadOnlyList<Program> Read(params string[] prefixes)
    {
        var psi = new ProcessStartInfo("bpftool", ["-j", "prog", "show"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var result = new List<Program>();
        foreach (var prog in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            if (!prog.TryGetProperty("name", out var n)) continue;
            var name = n.GetString()!;
            if (!prefixes.Any(x => name.StartsWith(x, StringComparison.Ordinal) || x.StartsWith(name, StringComparison.Ordinal) && name.Length >= 15)) continue;
            ulong time = prog.TryGetProperty("run_time_ns", out var t) ? t.GetUInt64() : 0;
            ulong count = prog.TryGetProperty("run_cnt", out var c) ? c.GetUInt64() : 0;
            ulong misses = prog.TryGetProperty("recursion_misses", out var m) ? m.GetUInt64() : 0;
            result.Add(new Program(name, time, count, misses));
        }
        return result;
    }

    private sealed class Fd(int fd) : IDisposable
    {
        public void Dispose() => close(fd);
    }

    [LibraryImport("libc", SetLastError = true)] private static unsafe partial long syscall(long number, long cmd, void* attr, long size);
    [LibraryImport("libc")] private static partial int close(int fd);
}
