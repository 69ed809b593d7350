using System.Globalization;

namespace NetTrace.Tracer.Node;

/// <summary>A mounted memory-cgroup hierarchy: cgroup v2 (unified, with the memory controller enabled at its root)
/// or cgroup v1's memory controller.
/// Root is the mount's root inside the hierarchy ("/" unless a cgroup namespace or bind mount shows a subtree).</summary>
public sealed record MemcgHierarchy(int Version, string MountPoint, string Root = "/");

/// <summary>One row of /proc/cgroups.</summary>
public sealed record ProcCgroupsRow(string Subsystem, int Hierarchy, long NumCgroups, bool Enabled);

/// <summary>Parsers for the cgroup files the doctor reads. Pure functions over the files' text.</summary>
public static class CgroupFiles
{
    /// <summary>cgroup.stat ("nr_descendants 4\nnr_dying_descendants 120\n…") as name -> value.</summary>
    public static IReadOnlyDictionary<string, long> ParseCgroupStat(string text)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            if (f.Length != 2 || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw new FormatException($"cgroup.stat line is not 'name value': '{line.Trim()}'");
            d[f[0]] = v;
        }
        return d;
    }

    /// <summary>/proc/cgroups: "#subsys_name hierarchy num_cgroups enabled" then one row per controller.
    /// num_cgroups counts live and dying cgroups of that controller's hierarchy, its root included.</summary>
    public static IReadOnlyList<ProcCgroupsRow> ParseProcCgroups(string text)
    {
        var rows = new List<ProcCgroupsRow>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0) continue;
            var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 4 || !int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
                || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                throw new FormatException($"/proc/cgroups line is not 'subsys hierarchy num_cgroups enabled': '{line.Trim()}'");
            rows.Add(new ProcCgroupsRow(f[0], h, n, f[3] == "1"));
        }
        return rows;
    }

    /// <summary>The memory-cgroup hierarchies among the mounts in /proc/self/mountinfo text. A cgroup2 mount is
    /// returned only when <paramref name="v2HasMemory"/> says its root lists the memory controller (on a hybrid
    /// host the unified tree carries no memory controller).</summary>
    public static IReadOnlyList<MemcgHierarchy> FindMemoryHierarchies(string mountinfo, Func<string, bool> v2HasMemory)
    {
        var found = new List<MemcgHierarchy>();
        foreach (var line in mountinfo.Split('\n'))
        {
            int sep = line.IndexOf(" - ", StringComparison.Ordinal);
            if (sep < 0) continue;
            var left = line[..sep].Split(' ');
            var right = line[(sep + 3)..].Split(' ');
            if (left.Length < 5 || right.Length < 3) continue;
            var mountPoint = Unescape(left[4]);
            var root = Unescape(left[3]);
            if (right[0] == "cgroup2" && v2HasMemory(mountPoint)) found.Add(new MemcgHierarchy(2, mountPoint, root));
            else if (right[0] == "cgroup" && right[2].Split(',').Contains("memory")) found.Add(new MemcgHierarchy(1, mountPoint, root));
        }
        // One entry per mount point (bind mounts of the same hierarchy would double-count).
        return found.DistinctBy(h => h.MountPoint).ToList();
    }

    /// <summary>mountinfo escapes blanks and backslashes as octal (\040, \011, \012, \134).</summary>
    private static string Unescape(string s) =>
        !s.Contains('\\') ? s
            : System.Text.RegularExpressions.Regex.Replace(s, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
