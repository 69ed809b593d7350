using System.Diagnostics;
using System.Text.Json;

namespace NetTrace.Tracer.Tests.Integration;

/// <summary>
/// BPF link ids: the ones a process holds (its /proc/PID/fdinfo "link_id:" lines) and the ones the kernel has
/// (bpftool link list). Link ids are allocated cyclically, so an id gone from the kernel's list stays gone.
/// </summary>
internal static class LinkIds
{
    public static HashSet<int> HeldBy(int pid)
    {
        var ids = new HashSet<int>();
        foreach (var file in Directory.EnumerateFiles($"/proc/{pid}/fdinfo"))
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (IOException) { continue; }            // fd closed meanwhile
            catch (UnauthorizedAccessException) { continue; }
            foreach (var line in text.Split('\n'))
                if (line.StartsWith("link_id:", StringComparison.Ordinal) && int.TryParse(line.AsSpan(8).Trim(), out var id))
                    ids.Add(id);
        }
        return ids;
    }

    public static HashSet<int> InKernel()
    {
        var psi = new ProcessStartInfo("bpftool", ["-j", "link", "list"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("bpftool link list failed: " + p.StandardError.ReadToEnd());
        return JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json).RootElement
            .EnumerateArray().Select(l => l.GetProperty("id").GetInt32()).ToHashSet();
    }
}
