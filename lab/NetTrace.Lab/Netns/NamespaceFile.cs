using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NetTrace.Lab.Netns;

/// <summary>Low-level network-namespace operations on namespace files (/var/run/netns/X, /proc/PID/ns/net).</summary>
public static partial class NamespaceFile
{
    public const int CloneNewNet = 0x40000000;
    public const string NamedDir = "/var/run/netns";

    /// <summary>The namespace's inode number: what BPF programs see as net->ns.inum.</summary>
    public static ulong Inode(string path)
    {
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        // /proc/self/fd/N of an nsfs file reads "net:[4026532123]": no stat struct layout to mirror.
        var target = new FileInfo($"/proc/self/fd/{h.DangerousGetHandle()}").LinkTarget
                     ?? throw new IOException($"{path}: cannot read its namespace id");
        var open = target.IndexOf('[');
        if (!target.StartsWith("net:", StringComparison.Ordinal) || open < 0)
            throw new IOException($"{path} is not a network namespace ({target})");
        return ulong.Parse(target.AsSpan(open + 1, target.Length - open - 2));
    }

    /// <summary>Moves the calling thread into the namespace. Only call on a thread you own and retire afterwards.</summary>
    public static void Enter(string path)
    {
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (setns((int)h.DangerousGetHandle(), CloneNewNet) != 0)
            throw new IOException($"setns({path}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a fresh thread that first enters the namespace; the thread ends with it, so
    /// no pooled thread is left in a foreign namespace. The body must be synchronous: awaits would continue on
    /// pool threads in the caller's namespace. Sockets created inside keep their namespace on any thread.
    /// </summary>
    public static Task<T> RunInsideAsync<T>(string path, Func<T> body, string? threadName = null)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var t = new Thread(() =>
        {
            try
            {
                Enter(path);
                tcs.SetResult(body());
            }
            catch (Exception e)
            {
                tcs.SetException(e);
            }
        }) { IsBackground = true, Name = threadName ?? "netns " + Path.GetFileName(path) };
        t.Start();
        return tcs.Task;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
