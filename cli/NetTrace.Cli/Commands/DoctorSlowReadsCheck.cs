using System.Globalization;
using NetTrace.Tracer.Conntrack;
using NetTrace.Tracer.Node;

namespace NetTrace.Cli.Commands;

/// <summary>
/// Kernel files that metrics agents read on a schedule and that are slow to produce: memory.stat of the memory
/// cgroups kubelet's cadvisor reads, and the /proc/net route and socket tables. A long read is a stretch of kernel
/// work on one CPU; when it runs with bottom halves disabled, that CPU's NET_RX softirq waits (story 1).
/// </summary>
public static class DoctorSlowReadsCheck
{
    public const string Id = "slow-kernel-files";
    public const double WarnMs = 10, FailMs = 100;
    public const int Repeats = 3;
    public const int MaxCgroups = 100;
    /// <summary>All memory.stat reads together; the /proc/net tables get their own per-file budget.</summary>
    public static readonly TimeSpan MemoryStatBudget = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ProcNetFileBudget = TimeSpan.FromSeconds(0.5);

    public sealed record Result(IReadOnlyList<MemoryStatSample> MemoryStat, IReadOnlyList<FileReadTiming> ProcNet,
        IReadOnlyDictionary<string, long>? HashSizes = null);

    public static DoctorCheck Run(string? netnsPath)
    {
        var notes = new List<string>();
        var samples = new List<MemoryStatSample>();
        IReadOnlyList<MemcgHierarchy> hierarchies = [];
        try { hierarchies = MemcgSurvey.Discover(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { notes.Add($"cannot read /proc/self/mountinfo: {e.Message}"); }
        if (hierarchies.Count == 0) notes.Add("no memory cgroup hierarchy is mounted: memory.stat not timed");
        foreach (var h in hierarchies)
            samples.Add(MemcgSurvey.SampleMemoryStat(h, Repeats, MaxCgroups, MemoryStatBudget / hierarchies.Count));

        IReadOnlyList<FileReadTiming> procNet = [];
        IReadOnlyDictionary<string, long>? hashes = null;
        try
        {
            procNet = ProcNetTables.Time(netnsPath, Repeats, ProcNetFileBudget);
            hashes = ProcNetTables.HashSizes(netnsPath);
        }
        catch (NetnsException e) { notes.Add($"/proc/net tables not timed: {e.Message}"); }
        return Evaluate(new Result(samples, procNet, hashes), notes);
    }

    public static DoctorCheck Evaluate(Result r, IReadOnlyList<string> notes)
    {
        var details = new List<string>();
        var timed = new List<(string Label, FileReadTiming T)>();
        foreach (var s in r.MemoryStat)
        {
            var ok = s.Files.Where(f => f.Ok).ToList();
            string from = s.StartedAt == s.Hierarchy.MountPoint ? "from the root, no kubepods cgroup" : $"from {s.StartedAt} and the root";
            details.Add($"memory.stat, cgroup v{s.Hierarchy.Version} at {s.Hierarchy.MountPoint}: {ok.Count} of {s.CgroupsSeen}" +
                        $"{(s.WalkComplete ? "" : "+")} cgroups timed ({from}; {Repeats} reads each" +
                        $"{(s.BudgetHit ? $"; stopped at the {MemoryStatBudget.TotalSeconds:0.#} s budget" : "")})" +
                        (ok.Count == 0 ? "" : $": median {Ms(Median(ok.Select(f => f.MedianMs)))}, slowest read() {Ms(ok.Max(f => f.LongestCallMs))}" +
                                              $", {Bytes((long)ok.Average(f => f.Bytes))} per file"));
            foreach (var f in ok.OrderByDescending(f => f.LongestCallMs).Take(3))
                details.Add($"  {f.Path}: {Line(f)}");
            foreach (var f in s.Files.Where(f => !f.Ok).Take(3))
                details.Add($"  {f.Path}: could not be read: {f.Error}");
            timed.AddRange(ok.Select(f => (f.Path, f)));
        }
        foreach (var f in r.ProcNet)
        {
            if (!f.Ok) { details.Add($"{f.Path}: could not be read: {f.Error}"); continue; }
            string what = (f.Path.EndsWith("route", StringComparison.Ordinal) ? "route" : "socket") + (f.Lines == 1 ? "" : "s");
            string? hash = f.Path.StartsWith("/proc/net/tcp", StringComparison.Ordinal) ? "tcp_ehash_entries"
                : f.Path.StartsWith("/proc/net/udp", StringComparison.Ordinal) ? "udp_hash_entries" : null;
            string buckets = hash != null && r.HashSizes?.TryGetValue(hash, out var n) == true
                ? $" (walks {n.ToString("N0", CultureInfo.InvariantCulture)} hash buckets, net.ipv4.{hash})" : "";
            // A read cut at the time budget has counted only the entries it got to.
            string count = f.Lines.ToString("N0", CultureInfo.InvariantCulture) + (f.Partial && f.Reads == 0 && f.Path != "/proc/net/ipv6_route" ? "+" : "");
            details.Add($"{f.Path}: {count} {what}{buckets}, {Bytes(f.Bytes)}: {Line(f)}");
            timed.Add((f.Path, f));
        }
        details.AddRange(notes.Select(n => "note: " + n));

        const string meaning =
            "Reading these files runs kernel code that walks a table: every route (ipv6_route walks the whole IPv6 " +
            "route tree with bottom halves disabled, again for each 4 KiB read), every socket hash bucket (empty ones too, " +
            "so a big tcp_ehash is slow to read with few sockets; busy buckets under a BH-disabling lock), or a " +
            "cgroup's memory statistics. While a read() holds bottom halves off (ipv6_route's whole walk; a socket " +
            "table only per busy bucket), packets that arrived on that CPU wait in its RX queue: NET_RX softirq cannot " +
            "run there. Any long read also keeps ksoftirqd and other tasks off that CPU while it runs in the kernel " +
            "without a preemption point. An agent that reads them on a schedule makes periodic latency spikes on one " +
            "CPU at a time. Readers: kubelet's cadvisor (memory.stat of every " +
            "container cgroup, each housekeeping interval; /proc/<pid>/net/tcp*, udp* when its tcp/udp metrics are " +
            "on), node-exporter (tcpstat collector: /proc/net/tcp, tcp6), and any agent or script that lists routes " +
            "(route, netstat -r). Story 1: cadvisor's memory.stat reads took 100 ms to over 1 s with many zombie " +
            "memory cgroups.";
        const string action =
            "Find who reads the slow file and how often (the agent's config; `nettrace trace` shows NET_RX delay per " +
            "CPU and the task that was running). Read it less often or turn that collector off; shrink the table " +
            "(fewer routes, fewer dying memory cgroups — see memcg-dying); prefer netlink dumps (ss, ip route) to " +
            "/proc/net files.";

        if (timed.Count == 0)
            return new DoctorCheck(Id, DoctorStatus.Skipped, "Kernel files slow to read", "nothing could be timed", meaning,
                "run as root", details, r);
        var worst = timed.MaxBy(t => t.T.LongestCallMs);
        var status = worst.T.LongestCallMs >= FailMs ? DoctorStatus.Fail : worst.T.LongestCallMs >= WarnMs ? DoctorStatus.Warn : DoctorStatus.Ok;
        int slow = timed.Count(t => t.T.LongestCallMs >= WarnMs);
        string summary = status == DoctorStatus.Ok
            ? $"{timed.Count} files timed, slowest read() {Ms(worst.T.LongestCallMs)} ({worst.Label}), under {WarnMs:0} ms"
            : $"{slow} of {timed.Count} files have a read() of {WarnMs:0} ms or more; slowest {Ms(worst.T.LongestCallMs)} ({worst.Label})";
        return new DoctorCheck(Id, status, "Kernel files slow to read", summary, meaning,
            status == DoctorStatus.Ok ? "nothing to do" : action, details, r);
    }

    private static string Line(FileReadTiming f) =>
        f.Partial
            ? $"slowest read() {Ms(f.LongestCallMs)} ({f.Note})"
            : $"median {Ms(f.MedianMs)}, max {Ms(f.MaxMs)} over {f.Reads} read{(f.Reads == 1 ? "" : "s")}, slowest read() {Ms(f.LongestCallMs)}";

    private static double Median(IEnumerable<double> xs) { var s = xs.Order().ToList(); return s.Count == 0 ? 0 : s[s.Count / 2]; }

    internal static string Ms(double ms) => ms < 1 ? $"{ms.ToString("0.###", CultureInfo.InvariantCulture)} ms" : $"{ms.ToString("0.#", CultureInfo.InvariantCulture)} ms";

    internal static string Bytes(long b) =>
        b < 10_000 ? $"{b} B" : b < 10_000_000 ? $"{(b / 1024.0).ToString("0.#", CultureInfo.InvariantCulture)} KiB"
        : $"{(b / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture)} MiB";
}
