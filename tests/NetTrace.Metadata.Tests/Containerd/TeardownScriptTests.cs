using System.Diagnostics;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Linux;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>
/// scripts/containerd/stop.sh is the backstop after a crashed test: with a pod and a container still running and
/// no CRI teardown, it must leave nothing behind — containerd, shims, the pod's processes, the netns file, the CNI
/// bridge, the pod cgroups, the private directory. Runs its own containerd (in the containerd collection, so one
/// at a time).
/// </summary>
[Collection(ContainerdFixture.Collection)]
public sealed class TeardownScriptTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_script_removes_everything_a_running_pod_left_without_any_cri_teardown()
    {
        Privileged.Require("root: runs a private containerd with runc and CNI");
        var own = new ContainerdFixture();
        try
        {
            var cri = await own.StartAsync();
            var uid = Guid.NewGuid().ToString();
            var sandboxId = await own.RunSandboxAsync("orphan", "shop", uid);
            var containerId = await own.RunContainerAsync(sandboxId, "app", own.SandboxConfig("orphan", "shop", uid));
            var snapshot = await new CriInventory(cri, CgroupIds.Detect()).TakeAsync(Ct);
            var sandbox = snapshot.Sandboxes.Single(s => s.SandboxId == sandboxId);
            var container = snapshot.Containers.Single(c => c.Container.Id == containerId);
            var containerdPid = int.Parse(own.Env["CONTAINERD_PID"]);
            var bridge = own.Env["CNI_BRIDGE"];
            var shims = Pgrep($"containerd-shim-runc-v2 .*-address {own.Env["CONTAINERD_SOCKET"]}");
            Assert.NotEmpty(shims);
            Assert.True(File.Exists(sandbox.NetnsPath));
            Assert.True(await LinkExistsAsync(bridge));
            var podCgroups = Directory.GetDirectories("/sys/fs/cgroup").Select(h => Path.Combine(h, "kubepods/besteffort/pod" + uid)).Where(Directory.Exists).ToList();
            Assert.NotEmpty(podCgroups);

            await Script.RunAsync(Path.Combine(RepoRoot.Path, "scripts/containerd/stop.sh"), own.Dir);

            Assert.False(Alive(containerdPid), "containerd still running");
            Assert.All(shims.Append(sandbox.Pid).Append(container.Pid), pid => Assert.False(Alive(pid), $"pid {pid} still running"));
            Assert.False(File.Exists(sandbox.NetnsPath), $"{sandbox.NetnsPath} left");
            Assert.False(await LinkExistsAsync(bridge), $"bridge {bridge} left");
            Assert.All(podCgroups, d => Assert.False(Directory.Exists(d), $"{d} left"));
            Assert.False(Directory.Exists(own.Dir));

            // Idempotent: a second run on a gone directory is fine.
            await Script.RunAsync(Path.Combine(RepoRoot.Path, "scripts/containerd/stop.sh"), own.Dir);
        }
        finally
        {
            await own.DisposeAsync();   // no-op when stop.sh already removed everything
        }
    }

    private static bool Alive(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}") &&
                                          !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z");

    private static List<int> Pgrep(string pattern)
    {
        var psi = new ProcessStartInfo("pgrep", ["-f", pattern]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
    }

    private static async Task<bool> LinkExistsAsync(string name)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", ["link", "show", name]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await p.WaitForExitAsync(Ct);
        return p.ExitCode == 0;
    }
}
