using System.Diagnostics;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>What `bpftool link list` shows: used to prove nothing of ours stays attached.</summary>
internal static class BpfLinks
{
    /// <summary>Program names of every BPF link in the system.</summary>
    public static List<string> ProgramNames()
    {
        var psi = new ProcessStartInfo("bpftool", "-j link list") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("bpftool link list failed: " + p.StandardError.ReadToEnd());
        var ids = System.Text.Json.JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "[]" : json).RootElement
            .EnumerateArray().Select(l => l.GetProperty("prog_id").GetInt32()).ToList();
        var names = new List<string>();
        foreach (var id in ids)
        {
            var q = Process.Start(new ProcessStartInfo("bpftool", $"-j prog show id {id}") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var pj = q.StandardOutput.ReadToEnd();
            q.WaitForExit();
            if (q.ExitCode != 0) continue; // went away meanwhile
            var doc = System.Text.Json.JsonDocument.Parse(pj).RootElement;
            if (doc.TryGetProperty("name", out var n)) names.Add(n.GetString() ?? "");
        }
        return names;
    }

    /// <summary>Our programs' names as the kernel stores them (truncated to 15 characters).</summary>
    public static bool IsOurs(string kernelName) =>
        new[] { "tcpconnect_", "tcpsendmsg_", "icmpecho_", "drops_", "softirqs_", "capprobe_" }.Any(kernelName.StartsWith);
}
