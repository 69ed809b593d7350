using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>Runs code on a thread with its own mount namespace where tracefs is mounted, so classic tracepoints
/// can be attached without mounting anything on the host. The namespace dies with the thread.</summary>
internal static partial class PrivateTracefs
{
    private const int CLONE_NEWNS = 0x00020000;
    private const ulong MS_REC = 16384, MS_PRIVATE = 1 << 18;

    public static void Run(Action body)
    {
        ExceptionDispatchInfo? failure = null;
        var t = new Thread(() =>
        {
            try
            {
                if (unshare(CLONE_NEWNS) != 0) throw new InvalidOperationException($"unshare(CLONE_NEWNS): errno {Marshal.GetLastPInvokeError()}");
                if (mount(null, "/", null, MS_REC | MS_PRIVATE, 0) != 0) throw new InvalidOperationException($"make / private: errno {Marshal.GetLastPInvokeError()}");
                if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, 0) != 0) throw new InvalidOperationException($"mount tracefs: errno {Marshal.GetLastPInvokeError()}");
                body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        });
        t.Start();
        t.Join();
        failure?.Throw();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string? source, string target, string? fstype, ulong flags, nint data);
}
