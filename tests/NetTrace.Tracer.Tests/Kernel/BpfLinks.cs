using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>Evidence that links come and go: this process's link fds (/proc/self/fdinfo) and the system-wide
/// list (`bpftool link list`). Other processes may trace at the same time, so tests compare link ids, not names.</summary>
internal static class BpfLinks
{
    /// <summary>Ids of the BPF links this process holds open.</summary>
    public static HashSet<int> OwnLinkIds() => FdinfoIds("self", "link_id:");

    /// <summary>Ids of the BPF links another process (e.g. a `nettrace trace` child) holds open.</summary>
    public static HashSet<int> LinkIdsHeldBy(int pid) => FdinfoIds(pid.ToString(), "link_id:");

    /// <summary>Ids of the BPF programs this process holds open (loaded objects).</summary>
    public static HashSet<int> OwnProgramIds() => FdinfoIds("self", "prog_id:", excludeIfHas: "link_id:");

    private static HashSet<int> FdinfoIds(string process, string key, string? excludeIfHas = null)
    {
        var ids = new HashSet<int>();
        foreach (var f in Directory.EnumerateFiles($"/proc/{process}/fdinfo"))
        {
            string[] lines;
            try { lines = File.ReadAllLines(f); }
            catch (IOException) { continue; } // fd closed meanwhile
            catch (UnauthorizedAccessException) { continue; }
            if (excludeIfHas != null && lines.Any(l => l.StartsWith(excludeIfHas))) continue;
            var line = lines.FirstOrDefault(l => l.StartsWith(key));
            if (line != null) ids.Add(int.Parse(line[key.Length..].Trim()));
        }
        return ids;
    }

    /// <summary>Ids of every BPF link in the system.</summary>
    public static HashSet<int> SystemLinkIds()
    {
        var psi = new ProcessStartInfo("bpftool", "-j link list") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("bpftool link list failed: " + p.StandardError.ReadToEnd());
        return JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json).RootElement
            .EnumerateArray().Select(l => l.GetProperty("id").GetInt32()).ToHashSet();
    }
}

/// <summary>Tests that count this process's BPF links run alone, after the parallel ones.</summary>
[CollectionDefinition("kernel-bpf", DisableParallelization = true)]
public sealed class KernelBpfCollection;
