using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Trace;

/// <summary>A network namespace the user named: --netns NAME (in /var/run/netns) or --netns PATH (/proc/PID/ns/net).</summary>
public sealed partial record NetnsTarget(string Spec, string Path, ulong Inode)
{
    public const string NamedDir = "/var/run/netns";

    public static NetnsTarget Resolve(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("--netns needs a name or a path");
        var path = spec.Contains('/') ? spec : System.IO.Path.Combine(NamedDir, spec);
        if (!File.Exists(path))
            throw new FileNotFoundException(spec.Contains('/')
                ? $"network namespace file {path} does not exist"
                : $"no network namespace named '{spec}' ({path} does not exist; see `ip netns list`)");
        return new NetnsTarget(spec, path, InodeOf(path));
    }

    /// <summary>The nsfs inode: what the kernel's net->ns.inum is, and what BPF programs filter on.</summary>
    public static ulong InodeOf(string path)
    {
        using (var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            // NS_GET_NSTYPE tells a network namespace from any other file or namespace type.
            var type = ioctl((int)h.DangerousGetHandle(), NsGetNstype, 0);
            if (type != CloneNewNet)
                throw new IOException($"{path} is not a network namespace file" + (type < 0 ? $" ({Marshal.GetLastPInvokeErrorMessage()})" : ""));
        }
        // statx has one layout on every architecture (stx_ino at byte 32); struct stat does not.
        Span<byte> buf = stackalloc byte[256];
        if (statx(AtFdCwd, path, 0, StatxIno, ref MemoryMarshal.GetReference(buf)) != 0)
            throw new IOException($"{path}: {Marshal.GetLastPInvokeErrorMessage()}");
        return BitConverter.ToUInt64(buf.Slice(32, 8));
    }

    /// <summary>Inode of the caller's own namespace (/proc/self/ns/net).</summary>
    public static ulong Current() => InodeOf("/proc/self/ns/net");

    private const int CloneNewNet = 0x40000000;
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const ulong NsGetNstype = 0xb703;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buf);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, ulong request, nint arg);
}
