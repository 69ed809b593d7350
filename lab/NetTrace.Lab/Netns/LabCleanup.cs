using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace NetTrace.Lab.Netns;

/// <summary>
/// Last-resort cleanup: namespaces still alive when the process exits or gets SIGINT / SIGTERM / SIGQUIT are
/// deleted here, synchronously, even if the owner never reached its DisposeAsync. Deleting a namespace also
/// removes its veth ends, routes and iptables rules. Handlers never cancel the signal: the process still ends
/// the way it would have.
/// </summary>
public static class LabCleanup
{
    private static readonly ConcurrentDictionary<string, byte> Live = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _installed;

    internal static void Track(string netnsName)
    {
        Install();
        Live[netnsName] = 0;
    }

    internal static void Untrack(string netnsName) => Live.TryRemove(netnsName, out _);

    public static IReadOnlyCollection<string> LiveNamespaces => Live.Keys.ToList();

    /// <summary>Deletes every tracked namespace now. Idempotent.</summary>
    public static void DeleteAllNow()
    {
        foreach (var name in Live.Keys.ToList())
        {
            CommandRunner.Run("ip", ["netns", "delete", name], TimeSpan.FromSeconds(5));
            Live.TryRemove(name, out _);
        }
    }

    /// <summary>
    /// Deletes lab namespaces left by processes that no longer exist (a kill -9, a crashed test host). Only names
    /// this library makes (nt&lt;tag&gt;-&lt;pid&gt;-&lt;random&gt;) whose pid is gone are touched.
    /// </summary>
    public static IReadOnlyList<string> DeleteStale()
    {
        var removed = new List<string>();
        if (!Directory.Exists(NamespaceFile.NamedDir)) return removed;
        foreach (var file in Directory.EnumerateFiles(NamespaceFile.NamedDir))
        {
            var name = Path.GetFileName(file);
            if (!LabNames.TryParseOwnerPid(name, out var pid)) continue;
            if (pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}")) continue;
            if (CommandRunner.Run("ip", ["netns", "delete", name], TimeSpan.FromSeconds(5)).ExitCode == 0)
                removed.Add(name);
        }
        return removed;
    }

    private static void Install()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteAllNow();
        foreach (var sig in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT })
            Registrations.Add(PosixSignalRegistration.Create(sig, _ => DeleteAllNow()));
    }
}
