using System.Diagnostics;

namespace NetTrace.Tracer.Node;

/// <summary>Dying (deleted but not yet freed) memory cgroups of one hierarchy.</summary>
public sealed record DyingMemcgs(
    MemcgHierarchy Hierarchy,
    /// <summary>Dying memory cgroups, null when they could not be counted (Error says why).</summary>
    long? Dying,
    /// <summary>Live cgroups (v1: directories present, root included; v2: nr_descendants).</summary>
    long? Live,
    /// <summary>Where the number came from, in the kernel's words.</summary>
    string Source,
    string? KubepodsPath,
    long? KubepodsDying,
    string? Error);

/// <summary>memory.stat read times over a bounded sample of a hierarchy's cgroups.</summary>
public sealed record MemoryStatSample(
    MemcgHierarchy Hierarchy,
    /// <summary>The cgroup the sample started from: kubepods when present (what kubelet's cadvisor reads), else the root.</summary>
    string StartedAt,
    IReadOnlyList<FileReadTiming> Files,
    /// <summary>Cgroups found by the walk (a lower bound when it was cut short).</summary>
    int CgroupsSeen,
    bool WalkComplete,
    bool BudgetHit);

public static class MemcgSurvey
{
    /// <summary>The memory hierarchies mounted on this host.</summary>
    public static IReadOnlyList<MemcgHierarchy> Discover(string mountinfoPath = "/proc/self/mountinfo") =>
        CgroupFiles.FindMemoryHierarchies(File.ReadAllText(mountinfoPath), mp =>
        {
            try { return File.ReadAllText(Path.Combine(mp, "cgroup.controllers")).Split(' ', '\n').Contains("memory"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        });

    /// <summary>kubelet's parent cgroup for pods: kubepods.slice with the systemd driver, kubepods with cgroupfs.</summary>
    public static string? KubepodsDir(string mountPoint) =>
        new[] { "kubepods.slice", "kubepods" }.Select(n => Path.Combine(mountPoint, n)).FirstOrDefault(Directory.Exists);

    /// <summary>Counts the dying memory cgroups. v2: cgroup.stat (nr_dying_subsys_memory where the kernel has it,
    /// else nr_dying_descendants). v1: /proc/cgroups' num_cgroups for memory (live + dying) minus the directories
    /// present, found by a walk bounded by <paramref name="walkBudget"/>.</summary>
    public static DyingMemcgs CountDying(MemcgHierarchy h, string procCgroupsPath, TimeSpan walkBudget)
    {
        var kube = KubepodsDir(h.MountPoint);
        if (h.Version == 2)
        {
            try
            {
                var stat = CgroupFiles.ParseCgroupStat(File.ReadAllText(Path.Combine(h.MountPoint, "cgroup.stat")));
                var (dying, source) = DyingFromStat(stat);
                long? kubeDying = null;
                if (kube != null && File.Exists(Path.Combine(kube, "cgroup.stat")))
                    kubeDying = DyingFromStat(CgroupFiles.ParseCgroupStat(File.ReadAllText(Path.Combine(kube, "cgroup.stat")))).Item1;
                return new DyingMemcgs(h, dying, stat.GetValueOrDefault("nr_descendants"), source, kube, kubeDying, null);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                return new DyingMemcgs(h, null, null, "cgroup.stat", kube, null, $"{Path.Combine(h.MountPoint, "cgroup.stat")}: {e.Message}");
            }
        }

        if (h.Root != "/")
            return new DyingMemcgs(h, null, null, "/proc/cgroups", kube, null,
                $"the memory hierarchy is mounted from {h.Root}, not its root (cgroup namespace?): /proc/cgroups counts the whole hierarchy, so the difference would be wrong");
        ProcCgroupsRow? row;
        try { row = CgroupFiles.ParseProcCgroups(File.ReadAllText(procCgroupsPath)).FirstOrDefault(r => r.Subsystem == "memory"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return new DyingMemcgs(h, null, null, "/proc/cgroups", kube, null, $"{procCgroupsPath}: {e.Message}");
        }
        if (row == null)
            return new DyingMemcgs(h, null, null, "/proc/cgroups", kube, null, $"{procCgroupsPath} has no memory row");
        var (dirs, complete) = Walk(h.MountPoint, int.MaxValue, walkBudget);
        if (!complete)
            return new DyingMemcgs(h, null, dirs.Count, $"/proc/cgroups memory num_cgroups {row.NumCgroups}", kube, null,
                $"walking {h.MountPoint} stopped after {dirs.Count} directories ({walkBudget.TotalSeconds:0.#} s budget): dying count unknown");
        return new DyingMemcgs(h, Math.Max(0, row.NumCgroups - dirs.Count), dirs.Count,
            $"/proc/cgroups memory num_cgroups {row.NumCgroups} - {dirs.Count} directories under {h.MountPoint}", kube, null, null);
    }

    private static (long?, string) DyingFromStat(IReadOnlyDictionary<string, long> stat) =>
        stat.TryGetValue("nr_dying_subsys_memory", out var m) ? (m, "cgroup.stat nr_dying_subsys_memory")
        : stat.TryGetValue("nr_dying_descendants", out var d) ? (d, "cgroup.stat nr_dying_descendants (all controllers)")
        : (null, "cgroup.stat (no nr_dying_* field)");

    /// <summary>Times memory.stat of the cgroups a kubelet's cadvisor reads: breadth first from kubepods (or the
    /// root when there is none), the hierarchy root always first, at most <paramref name="maxCgroups"/> cgroups and
    /// <paramref name="budget"/> in all. Upper levels come first: on old kernels they were the slow ones.</summary>
    public static MemoryStatSample SampleMemoryStat(MemcgHierarchy h, int repeats, int maxCgroups, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var start = KubepodsDir(h.MountPoint) ?? h.MountPoint;
        var (dirs, complete) = Walk(start, maxCgroups, budget / 4);
        if (start != h.MountPoint) dirs.Insert(0, h.MountPoint);
        var files = new List<FileReadTiming>();
        bool budgetHit = false;
        foreach (var d in dirs.Take(maxCgroups))
        {
            var left = budget - clock.Elapsed;
            if (left <= TimeSpan.Zero) { budgetHit = true; break; }
            var f = Path.Combine(d, "memory.stat");
            if (!File.Exists(f)) continue;
            files.Add(KernelFileTimer.Time(f, repeats, left));
        }
        return new MemoryStatSample(h, start, files, dirs.Count, complete && dirs.Count <= maxCgroups, budgetHit);
    }

    /// <summary>Breadth-first list of the directories under <paramref name="root"/> (root first). Stops after
    /// <paramref name="maxDirs"/> or <paramref name="budget"/>; complete says whether every directory was seen.
    /// Unreadable directories are skipped (a cgroup removed during the walk is normal).</summary>
    public static (List<string> Dirs, bool Complete) Walk(string root, int maxDirs, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        var dirs = new List<string> { root };
        for (int i = 0; i < dirs.Count; i++)
        {
            if (clock.Elapsed > budget || dirs.Count > maxDirs) return (dirs, false);
            try
            {
                foreach (var sub in Directory.EnumerateDirectories(dirs[i]))
                    if (!new FileInfo(sub).Attributes.HasFlag(FileAttributes.ReparsePoint)) dirs.Add(sub);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return (dirs, true);
    }
}
