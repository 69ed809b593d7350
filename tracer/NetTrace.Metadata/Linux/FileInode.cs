using System.Runtime.InteropServices;

namespace NetTrace.Metadata.Linux;

/// <summary>
/// Inode numbers of files the kernel uses as identities: a network namespace file's inode is the netns inode that
/// events carry; a cgroup v2 directory's inode is the id bpf_get_current_cgroup_id returns.
/// </summary>
internal static partial class FileInode
{
    /// <summary>The inode of <paramref name="path"/> (following symlinks), or null when it cannot be read.</summary>
    public static unsafe ulong? Of(string path)
    {
        // struct stat starts with st_dev (8 bytes) then st_ino (8 bytes) on x86_64 and on the generic layout
        // (arm64); the whole struct is under 256 bytes on both.
        var buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0) return null;
        return *(ulong*)(buffer + 8);
    }

    /// <summary>The netns inode of a process, from the link text "net:[4026532281]".</summary>
    public static ulong? NetnsOfPid(int pid)
    {
        if (pid <= 0) return null;
        try
        {
            return ParseNsLink(new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static ulong? ParseNsLink(string? link)
    {
        if (link == null) return null;
        var open = link.IndexOf('[');
        var close = link.IndexOf(']');
        if (open < 0 || close <= open + 1) return null;
        return ulong.TryParse(link.AsSpan(open + 1, close - open - 1), out var ino) ? ino : null;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
