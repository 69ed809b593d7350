using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using NetTrace.Tracer.Node;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>Real dying memory cgroups: cgroups that held page cache and were removed stay in the kernel, and the
/// doctor's count rises by as many.</summary>
public class DoctorNodeDyingMemcgTests
{
    private const int Made = 30;

    [Fact]
    public void Removed_cgroups_with_page_cache_are_counted_as_dying()
    {
        Privileged.Require("root (creating memory cgroups)");
        var h = MemcgSurvey.Discover().FirstOrDefault()
                ?? throw new InvalidOperationException("no memory cgroup hierarchy is mounted on this machine");
        string name = $"ntdoc{Environment.ProcessId % 10000}m{Random.Shared.Next(100000)}";
        string parent = Path.Combine(h.MountPoint, name);
        string files = Directory.CreateTempSubdirectory(name).FullName;
        try
        {
            var before = MemcgSurvey.CountDying(h, "/proc/cgroups", TimeSpan.FromSeconds(5));
            Assert.Null(before.Error);

            Directory.CreateDirectory(parent);
            if (h.Version == 2) File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+memory");
            for (int i = 0; i < Made; i++)
            {
                var child = Path.Combine(parent, $"c{i}");
                Directory.CreateDirectory(child);
                // A short process joins the cgroup and writes a file: its page cache stays charged to the cgroup.
                Cmd.Check("sh", "-c", $"echo $$ > {child}/cgroup.procs && exec dd if=/dev/zero of={files}/f{i} bs=4k count=16 status=none");
                Directory.Delete(child);
            }

            var after = MemcgSurvey.CountDying(h, "/proc/cgroups", TimeSpan.FromSeconds(5));
            Assert.Null(after.Error);
            // Other cgroups on the machine may come and go meanwhile; ours dominate the change.
            Assert.InRange(after.Dying!.Value - before.Dying!.Value, Made - 5, Made + 5);

            var check = DoctorDyingMemcgCheck.Evaluate([after], Environment.OSVersion.Version);
            Assert.Contains($"{after.Dying.Value:N0} dying memory cgroups", check.Summary);
        }
        finally
        {
            // Freeing the page cache lets the kernel release the dying cgroups; the parent can go once its children are dead.
            Directory.Delete(files, recursive: true);
            for (int i = 0; i < Made; i++) try { Directory.Delete(Path.Combine(parent, $"c{i}")); } catch (IOException) { }
            try { Directory.Delete(parent); } catch (IOException) { }
        }
        Assert.False(Directory.Exists(parent));
    }
}
