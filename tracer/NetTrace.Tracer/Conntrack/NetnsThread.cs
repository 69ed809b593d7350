using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Conntrack;

/// <summary>
/// Runs a piece of work inside another network namespace on a dedicated OS thread.
/// setns(CLONE_NEWNET) changes only the calling thread, so the work gets a thread of its own that ends with it;
/// no pooled thread ever carries a foreign namespace back into the process.
/// Inside, per-namespace /proc files must be read through /proc/thread-self/net (/proc/net follows the process,
/// i.e. the main thread's namespace), while /proc/sys/net/* follows the thread that opens it.
/// </summary>
public static class NetnsThread
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>Runs <paramref name="work"/> in the namespace named by <paramref name="netnsPath"/>
    /// (/run/netns/NAME or /proc/PID/ns/net); null runs it in the caller's namespace on the same dedicated-thread path.</summary>
    public static T Run<T>(string? netnsPath, Func<T> work)
    {
        T? result = default;
        Exception? error = null; // rethrown on the caller's thread with its original stack
        var thread = new Thread(() =>
        {
            try
            {
                if (netnsPath != null) Enter(netnsPath);
                result = work();
            }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "netns-worker" };
        thread.Start();
        thread.Join();
        if (error != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        return result!;
    }

    /// <summary>Moves the calling thread into the namespace. Only call on a thread you own and that ends after the work.</summary>
    public static void Enter(string netnsPath)
    {
        int fd = open(netnsPath, 0x80000 /* O_RDONLY|O_CLOEXEC */);
        if (fd < 0)
            throw new NetnsException($"cannot open network namespace {netnsPath}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        try
        {
            if (setns(fd, CloneNewNet) != 0)
                throw new NetnsException($"setns({netnsPath}) failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())} (needs CAP_SYS_ADMIN)");
        }
        finally { close(fd); }
    }

    /// <summary>Resolves a namespace name as `ip netns` knows it, or passes a path through.</summary>
    public static string ResolvePath(string nameOrPath) =>
        nameOrPath.Contains('/') ? nameOrPath : Path.Combine("/run/netns", nameOrPath);

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int setns(int fd, int nstype);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}

public sealed class NetnsException(string message) : Exception(message);
