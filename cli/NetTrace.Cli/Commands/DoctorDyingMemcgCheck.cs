using System.Globalization;
using NetTrace.Tracer.Node;

namespace NetTrace.Cli.Commands;

/// <summary>Dying ("zombie") memory cgroups: deleted cgroups the kernel keeps because pages charged to them remain.</summary>
public static class DoctorDyingMemcgCheck
{
    public const string Id = "memcg-dying";
    /// <summary>Many dying memcgs cost memory on any kernel; on kernels before 5.13 they also slow every memory.stat read.</summary>
    public const long WarnAlways = 1000, WarnOldKernel = 100;
    public static readonly Version RstatKernel = new(5, 13);
    public static readonly TimeSpan WalkBudget = TimeSpan.FromSeconds(2);

    public static DoctorCheck Run()
    {
        IReadOnlyList<MemcgHierarchy> hierarchies;
        try { hierarchies = MemcgSurvey.Discover(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Skipped($"cannot read /proc/self/mountinfo: {e.Message}");
        }
        if (hierarchies.Count == 0) return Skipped("no memory cgroup hierarchy is mounted (cgroup v1 memory or cgroup v2 with the memory controller)");
        var counts = hierarchies.Select(h => MemcgSurvey.CountDying(h, "/proc/cgroups", WalkBudget)).ToList();
        return Evaluate(counts, Environment.OSVersion.Version);
    }

    public static DoctorCheck Evaluate(IReadOnlyList<DyingMemcgs> counts, Version kernel)
    {
        bool oldKernel = kernel < RstatKernel;
        var details = new List<string>();
        foreach (var c in counts)
        {
            var where = $"cgroup v{c.Hierarchy.Version} at {c.Hierarchy.MountPoint}";
            if (c.Dying is not long d) { details.Add($"{where}: not counted: {c.Error}"); continue; }
            details.Add($"{where}: {N(d)} dying, {(c.Live is long l ? N(l) : "?")} live ({c.Source})");
            if (c.KubepodsPath != null)
                details.Add($"  {c.KubepodsPath}: {(c.KubepodsDying is long k ? $"{N(k)} dying" : "present")}");
        }
        details.Add($"kernel {kernel}: memory.stat {(oldKernel ? "walks every descendant, dying ones included (before 5.13)" : "is summed by rstat and does not walk dying cgroups (5.13+)")}");

        const string meaning =
            "A deleted memory cgroup whose pages (page cache, slab such as dentries) are still charged to it stays in the " +
            "kernel as a dying cgroup until those pages are reclaimed. Kernels before 5.13 summed memory.stat by walking " +
            "every descendant, dying ones included, so each read by cadvisor grew slower as they piled up — 100 ms to over " +
            "1 s in story 1, holding that CPU's NET_RX softirq off. From 5.13 the statistics are kept by rstat and reads " +
            "stay fast (measured here on 6.18: ~0.02 ms with 30k dying), but each dying cgroup still holds kernel memory.";
        const string action =
            "Find the churn that creates and deletes cgroups (short-lived pods, CronJobs, crash-looping containers, " +
            "systemd transient units). Stopgap: `echo 3 > /proc/sys/vm/drop_caches` drops the page cache that pins them " +
            "(temporary, costs I/O). Lasting: a 5.13+ kernel; on older kernels with kernel-memory accounting, boot with " +
            "cgroup.memory=nokmem. slow-kernel-files shows the memory.stat read time measured here.";

        var counted = counts.Where(c => c.Dying != null).ToList();
        if (counted.Count == 0)
            return new DoctorCheck(Id, DoctorStatus.Skipped, "Dying memory cgroups", "could not be counted", meaning, "run as root", details, counts);
        long dying = counted.Sum(c => c.Dying!.Value);
        long threshold = oldKernel ? WarnOldKernel : WarnAlways;
        var status = dying >= threshold ? DoctorStatus.Warn : DoctorStatus.Ok;
        string summary = $"{N(dying)} dying memory cgroups" +
                         (status == DoctorStatus.Warn
                             ? oldKernel ? $" on a kernel before 5.13: every memory.stat read walks them" : ": kernel memory held by deleted cgroups"
                             : $" (under {N(threshold)})");
        return new DoctorCheck(Id, status, "Dying memory cgroups", summary, meaning,
            status == DoctorStatus.Ok ? "nothing to do" : action, details, counts);
    }

    private static DoctorCheck Skipped(string why) =>
        new(Id, DoctorStatus.Skipped, "Dying memory cgroups", why, "Dying memory cgroups cannot be counted.", "nothing to do", []);

    private static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
}
