using System.Runtime.InteropServices;

namespace NetTrace.Lab.Netns;

/// <summary>Low-level network-namespace operations on namespace files (/var/run/netns/X, /proc/PID/ns/net).</summary>
public static partial class NamespaceFile
{
    public const int CloneNewNet = 0x40000000;
    public const string NamedDir = "/var/run/netns";

    /// <summary>The namespace's inode number: what BPF programs see as net->ns.inum.</summary>
    public static ulong Inode(string path)
    {
        using (var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            // NS_GET_NSTYPE tells a network namespace from any other file (or another namespace type).
            var type = ioctl((int)h.DangerousGetHandle(), NsGetNstype, 0);
            if (type != CloneNewNet)
                throw new IOException($"{path} is not a network namespace" + (type < 0 ? $" ({Marshal.GetLastPInvokeErrorMessage()})" : ""));
        }
        // statx's struct has the same layout on every architecture (stx_ino at byte 32), unlike struct stat.
        Span<byte> buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxIno, ref MemoryMarshal.GetReference(buf)) != 0)
            throw new IOException($"{path}: {Marshal.GetLastPInvokeErrorMessage()}");
        return BitConverter.ToUInt64(buf.Slice(32, 8));
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

    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const ulong NsGetNstype = 0xb703;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buf);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, ulong request, nint arg);
}
