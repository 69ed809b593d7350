namespace NetTrace.Metadata.Linux;

/// <summary>
/// Maps a process to the cgroup id the kernel reports for it (bpf_get_current_cgroup_id): the id of the task's
/// cgroup in the unified (v2) hierarchy, which is the inode number of that cgroup's directory in cgroup2fs.
/// On a pure v2 host the hierarchy is mounted at /sys/fs/cgroup; on a hybrid v1 host (this project's CI) at
/// /sys/fs/cgroup/unified. On a v1-only host (no cgroup2 mount) there is no such id: every task reports the root's.
/// </summary>
public sealed class CgroupV2
{
    /// <summary>Where cgroup2 is mounted, or null when it is not.</summary>
    public string? MountPoint { get; }

    public CgroupV2(string? mountPoint) => MountPoint = mountPoint;

    public static CgroupV2 Detect() => new(FindMount(File.Exists("/proc/self/mountinfo") ? File.ReadLines("/proc/self/mountinfo") : []));

    /// <summary>The first cgroup2 mount point in mountinfo lines ("... - cgroup2 cgroup2 rw").</summary>
    internal static string? FindMount(IEnumerable<string> mountinfo)
    {
        foreach (var line in mountinfo)
        {
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var after = line[(dash + 3)..].Split(' ');
            if (after.Length == 0 || after[0] != "cgroup2") continue;
            var before = line[..dash].Split(' ');
            if (before.Length > 4) return before[4].Replace("\\040", " ", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>The v2 path of a process ("0::/kubepods/..." in /proc/PID/cgroup), or null.</summary>
    public static string? PathOfPid(int pid)
    {
        if (pid <= 0) return null;
        try
        {
            return ParseUnifiedPath(File.ReadLines($"/proc/{pid}/cgroup"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string? ParseUnifiedPath(IEnumerable<string> procCgroupLines)
    {
        foreach (var line in procCgroupLines)
            if (line.StartsWith("0::", StringComparison.Ordinal))
                return line[3..];
        return null;
    }

    /// <summary>The cgroup id of a v2 path, or null when the hierarchy or the directory is missing.</summary>
    public ulong? IdOfPath(string? path)
    {
        if (MountPoint == null || string.IsNullOrEmpty(path) || path.Contains("..", StringComparison.Ordinal)) return null;
        return FileInode.Of(MountPoint.TrimEnd('/') + "/" + path.TrimStart('/'));
    }

    /// <summary>The cgroup id the kernel would report for a task of <paramref name="pid"/>; null when unknown.</summary>
    public ulong? IdOfPid(int pid) => IdOfPath(PathOfPid(pid));
}
