using System.Runtime.InteropServices;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Tracer.Node;

/// <summary>
/// /sys/class/net shows the devices of the network namespace that mounted sysfs, not of the thread reading it.
/// To see another namespace's devices and queues, a dedicated thread enters that namespace, takes a private mount
/// namespace of its own (unshare CLONE_NEWNS; mounts made there never reach the host) and mounts a fresh sysfs over
/// /sys — what `ip netns exec` does for a whole process. Both namespaces end with the thread.
/// </summary>
public static class NetnsSysfs
{
    private const int CloneNewNs = 0x00020000;
    private const ulong MsRec = 0x4000, MsPrivate = 1 << 18;

    /// <summary>Runs <paramref name="work"/> with the sysfs root to read: "/sys" of this process when
    /// <paramref name="netnsPath"/> is null, else a sysfs of that namespace.</summary>
    /// <exception cref="NetnsException">the namespace cannot be entered or sysfs cannot be mounted (needs root).</exception>
    public static T Run<T>(string? netnsPath, Func<string, T> work)
    {
        if (netnsPath == null) return work("/sys");
        return NetnsThread.Run(netnsPath, () =>
        {
            if (unshare(CloneNewNs) != 0) throw Fail("unshare(CLONE_NEWNS)");
            if (mount("none", "/", null, MsRec | MsPrivate, IntPtr.Zero) != 0) throw Fail("making / private");
            if (mount("sysfs", "/sys", "sysfs", 0, IntPtr.Zero) != 0) throw Fail("mounting sysfs");
            return work("/sys");
        });
    }

    private static NetnsException Fail(string what) =>
        new($"{what} for the namespace's sysfs failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())} (needs CAP_SYS_ADMIN)");

    [DllImport("libc", SetLastError = true)] private static extern int unshare(int flags);
    [DllImport("libc", SetLastError = true)]
    private static extern int mount([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string? fstype, ulong flags, IntPtr data);
}
