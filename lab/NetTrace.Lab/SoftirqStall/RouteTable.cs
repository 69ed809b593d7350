using System.Diagnostics;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Fills the server namespace's IPv6 table with distinct /64 routes (2001:db8::/32, the documentation prefix, on a
/// local veth: nothing is reachable through them) via one `ip -6 -batch -` (250k routes take ~3.5 s here).
/// </summary>
internal static class RouteTable
{
    public static async Task<int> LoadAsync(NetworkNamespace ns, string device, int count, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", ns.Name, "-6", "-batch", "-" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new LabException("cannot start ip");
        var stderr = p.StandardError.ReadToEndAsync(ct);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        try
        {
            var w = p.StandardInput;
            for (int i = 0; i < count; i++)
            {
                ct.ThrowIfCancellationRequested();
                await w.WriteLineAsync($"route add 2001:db8:{i >> 16:x}:{i & 0xffff:x}::/64 dev {device}");
            }
            w.Close();
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromSeconds(120));
            await p.WaitForExitAsync(limit.Token);
        }
        catch
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            throw;
        }
        if (p.ExitCode != 0) throw new LabException($"loading IPv6 routes failed: {(await stderr).Trim()}");
        await stdout;
        return await CountAsync(ns, device, ct);
    }

    /// <summary>Routes through the device, counted from the kernel's own dump.</summary>
    public static async Task<int> CountAsync(NetworkNamespace ns, string device, CancellationToken ct)
    {
        var r = await CommandRunner.RunAsync("ip", ["-n", ns.Name, "-6", "route", "show", "dev", device],
            timeout: TimeSpan.FromSeconds(60), ct: ct);
        return r.Stdout.AsSpan().Count('\n') - CountNonTable(r.Stdout);
    }

    // The device's own fe80::/64 and multicast routes are not part of the lab's table.
    private static int CountNonTable(string dump) =>
        dump.Split('\n').Count(l => l.Length > 0 && !l.StartsWith("2001:db8:", StringComparison.Ordinal));
}
