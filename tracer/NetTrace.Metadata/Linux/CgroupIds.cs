namespace NetTrace.Metadata.Linux;

/// <summary>
/// Maps a process to the cgroup id NetTrace's eBPF programs put in events (bpf/nt_bpf.h nt_cgroup_id):
/// bpf_get_current_cgroup_id(), i.e. the id of the task's cgroup in the unified (v2) hierarchy — the inode number of
/// that cgroup's directory in cgroup2fs — and, when that is the v2 root (id 1: a v1-only host, or a task the runtime
/// never placed in v2), the kernfs id of the task's cpu-controller cgroup, the inode of its cgroupfs directory.
/// Where the hierarchies are mounted: pure v2 at /sys/fs/cgroup; hybrid (this project's CI: cgroup v1 with
/// cgroupfs, runc 1.1) v2 at /sys/fs/cgroup/unified, where runc does create each container's cgroup.
/// </summary>
public sealed class CgroupIds
{
    /// <summary>Where cgroup2 is mounted, or null when it is not.</summary>
    public string? UnifiedMount { get; }
    /// <summary>Where the v1 cpu controller is mounted, or null.</summary>
    public string? CpuMount { get; }

    public CgroupIds(string? unifiedMount, string? cpuMount = null)
    {
        UnifiedMount = unifiedMount;
        CpuMount = cpuMount;
    }

    public static CgroupIds Detect()
    {
        var lines = File.Exists("/proc/self/mountinfo") ? File.ReadAllLines("/proc/self/mountinfo") : [];
        return new CgroupIds(FindUnifiedMount(lines), FindCpuMount(lines));
    }

    /// <summary>The first cgroup2 mount point in mountinfo lines ("... - cgroup2 cgroup2 rw").</summary>
    internal static string? FindUnifiedMount(IEnumerable<string> mountinfo) =>
        FindMount(mountinfo, (fstype, _) => fstype == "cgroup2");

    /// <summary>The v1 hierarchy that has the cpu controller ("... - cgroup cgroup rw,cpu" or "rw,cpu,cpuacct").</summary>
    internal static string? FindCpuMount(IEnumerable<string> mountinfo) =>
        FindMount(mountinfo, (fstype, options) => fstype == "cgroup" && options.Split(',').Contains("cpu"));

    private static string? FindMount(IEnumerable<string> mountinfo, Func<string, string, bool> match)
    {
        foreach (var line in mountinfo)
        {
            var dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var after = line[(dash + 3)..].Split(' ');
            if (after.Length < 3 || !match(after[0], after[2])) continue;
            var before = line[..dash].Split(' ');
            if (before.Length > 4) return before[4].Replace("\\040", " ", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>The task's v2 path ("0::/kubepods/...") and v1 cpu path ("3:cpu,cpuacct:/kubepods/...").</summary>
    internal static (string? Unified, string? Cpu) ParsePaths(IEnumerable<string> procCgroupLines)
    {
        string? unified = null, cpu = null;
        foreach (var line in procCgroupLines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0) unified = parts[2];
            else if (parts[1].Split(',').Contains("cpu")) cpu = parts[2];
        }
        return (unified, cpu);
    }

    public static (string? Unified, string? Cpu) PathsOfPid(int pid)
    {
        if (pid <= 0) return (null, null);
        try
        {
            return ParsePaths(File.ReadLines($"/proc/{pid}/cgroup"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// The id events carry for tasks in these cgroups, with the path it came from; null when the task sits in the
    /// roots of both hierarchies (no id names it) or a directory is missing.
    /// </summary>
    public (ulong Id, string Path)? IdOf((string? Unified, string? Cpu) paths)
    {
        if (paths.Unified is { } v2 && v2 != "/" && Stat(UnifiedMount, v2) is { } id) return (id, v2);
        if (paths.Cpu is { } v1 && v1 != "/" && Stat(CpuMount, v1) is { } cpuId) return (cpuId, "cpu:" + v1);
        return null;
    }

    public (ulong Id, string Path)? IdOfPid(int pid) => IdOf(PathsOfPid(pid));

    private static ulong? Stat(string? mount, string path)
    {
        if (mount == null || path.Contains("..", StringComparison.Ordinal)) return null;
        return FileInode.Of(mount.TrimEnd('/') + "/" + path.TrimStart('/'));
    }
}
