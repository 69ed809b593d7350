using NetTrace.Cli.Commands;
using NetTrace.Lab.SnatRace;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The doctor against real namespaces holding real NAT rules (created here, removed in finally).</summary>
public class DoctorPrivilegedTests
{
    private static string NewNetns(List<string> created)
    {
        var name = $"ntdoc-{Environment.ProcessId}-{Random.Shared.Next(1_000_000)}";
        Cmd.Check("ip", "netns", "add", name);
        created.Add(name);
        return name;
    }

    [Fact]
    public void Flags_masquerade_without_random_fully_and_not_with_it()
    {
        Privileged.Require("root (network namespaces, iptables)");
        Privileged.RequireTool("iptables-nft");
        Privileged.RequireTool("nsenter");
        var created = new List<string>();
        try
        {
            var plain = NewNetns(created);
            var fixedNs = NewNetns(created);
            var native = NewNetns(created);
            Cmd.Check("ip", "netns", "exec", plain, "iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "10.244.0.0/24", "-j", "MASQUERADE");
            Cmd.Check("ip", "netns", "exec", fixedNs, "iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "10.244.0.0/24", "-j", "MASQUERADE", "--random-fully");
            Cmd.Check("ip", "netns", "exec", native, "nft", "add table inet nt; add chain inet nt post { type nat hook postrouting priority srcnat; }; add rule inet nt post ip saddr 10.9.0.0/16 masquerade");

            var a = DoctorNatCheck.Run(new DoctorTools($"/run/netns/{plain}"));
            Assert.Equal(DoctorStatus.Warn, a.Status);
            Assert.Contains(a.Details, d => d.StartsWith("RACE") && d.Contains("iptables-nft") && d.Contains("10.244.0.0/24"));

            var b = DoctorNatCheck.Run(new DoctorTools($"/run/netns/{fixedNs}"));
            Assert.Equal(DoctorStatus.Ok, b.Status);
            Assert.Contains(b.Details, d => d.StartsWith("ok") && d.Contains("--random-fully"));

            var c = DoctorNatCheck.Run(new DoctorTools($"/run/netns/{native}"));
            Assert.Equal(DoctorStatus.Warn, c.Status);
            Assert.Contains(c.Details, d => d.Contains("[nft]") && d.Contains("10.9.0.0/16"));

            // The whole command, by namespace name, as a user would run it.
            var stdout = new StringWriter();
            var code = new DoctorHandler(new DoctorOptions(Json: true, Netns: plain), stdout, new StringWriter()).Run();
            Assert.Equal(NetTrace.Cli.Program.ExitWarnings, code);
            Assert.Contains("\"nat-random-fully\"", stdout.ToString());
            Assert.Contains("\"warn\"", stdout.ToString());
        }
        finally
        {
            foreach (var n in created) Cmd.Run("ip", "netns", "del", n);
        }
    }

    [Fact]
    public void Unknown_netns_is_a_usage_error()
    {
        var err = new StringWriter();
        var code = new DoctorHandler(new DoctorOptions(false, "ntdoc-does-not-exist"), new StringWriter(), err).Run();
        Assert.Equal(NetTrace.Cli.Program.ExitUsage, code);
        Assert.Contains("not found", err.ToString());
    }
}
