using System.Runtime.InteropServices;

namespace NetTrace.Lab.SnatRace;

/// <summary>Removes lab namespaces: this run's at the end, and at start the leftovers of runs that were killed.</summary>
public static class SnatRaceCleanup
{
    /// <summary>Names of lab namespaces whose owning process no longer exists.</summary>
    public static IReadOnlyList<string> FindLeftovers() =>
        ListNetns().Where(n => SnatRaceNames.OwnerOf(n) is int pid && !Directory.Exists($"/proc/{pid}")).ToList();

    /// <summary>Removes leftovers of killed runs; returns their names. Labs of live processes are left alone.</summary>
    public static IReadOnlyList<string> RemoveLeftovers()
    {
        var removed = new List<string>();
        foreach (var ns in FindLeftovers())
            if (RemoveNetns(ns, out _)) removed.Add(ns);
        return removed;
    }

    public static IReadOnlyList<string> ListNetns()
    {
        var r = Cmd.Run("ip", "netns", "list");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2)[0]).ToList();
    }

    internal static bool RemoveNetns(string name, out string error)
    {
        error = "";
        // A process left inside (e.g. a capture of a killed run) would keep the namespace alive after its name is gone.
        var pids = Cmd.Run("ip", "netns", "pids", name);
        foreach (var line in pids.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line.Trim(), out var pid) && pid != Environment.ProcessId) kill(pid, 9);
        var r = Cmd.Run("ip", "netns", "del", name);
        if (r.ExitCode == 0 || !File.Exists(Path.Combine("/run/netns", name))) return true;
        error = $"ip netns del {name}: {r.Stderr.Trim()}";
        return false;
    }

    [DllImport("libc", SetLastError = true)] private static extern int kill(int pid, int sig);
}
