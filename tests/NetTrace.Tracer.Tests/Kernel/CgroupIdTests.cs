using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTrace.TestSupport;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;
using Xunit;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>Events name the connecting task's cgroup: the v2 id on cgroup-v2 hosts, else (v1 / hybrid, as here)
/// the inode of its cpu-controller cgroup directory — what a container runtime's cgroup path resolves to.</summary>
[Collection("kernel-bpf")]
public sealed class CgroupIdTests
{
    [Fact]
    public void A_connect_from_a_process_in_its_own_cgroup_carries_that_cgroups_id()
    {
        Privileged.Require("root + BPF + cgroups");
        Privileged.RequireTool("python3");
        bool v1 = Directory.Exists("/sys/fs/cgroup/cpu") && File.Exists("/sys/fs/cgroup/cpu/cgroup.procs");
        var parent = v1 ? "/sys/fs/cgroup/cpu" : "/sys/fs/cgroup";
        var dir = Path.Combine(parent, $"ntcg-{Environment.ProcessId}-{Random.Shared.Next(1 << 20):x}");
        Directory.CreateDirectory(dir);
        try
        {
            ulong expected = Inode(dir);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var sink = new CollectingSink();
            using var session = TraceSession.Start(new TraceSessionOptions { Probes = ProbeKinds.TcpConnect, Ports = [(ushort)port] }, sink);

            var script = $"echo $$ > {dir}/cgroup.procs && exec python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port})).close()\"";
            using (var p = Process.Start(new ProcessStartInfo("bash", ["-c", script]))!)
            {
                Assert.True(p.WaitForExit(10_000));
                Assert.Equal(0, p.ExitCode);
            }
            CollectingSink.PollUntil(session, () => sink.Connects.Any(c => c.Kind == TcpConnectKind.Established), TimeSpan.FromSeconds(3));
            var e = Assert.Single(sink.Connects, c => c.Kind == TcpConnectKind.Established);
            Assert.Equal("python3", e.Owner.Comm);
            Assert.Equal(expected, e.Owner.CgroupId);
        }
        finally
        {
            Directory.Delete(dir); // empty again: the process has exited
        }
    }

    private static ulong Inode(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return ulong.Parse(s);
    }
}
