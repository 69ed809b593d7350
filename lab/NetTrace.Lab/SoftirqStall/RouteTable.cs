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
        int before = await CountAsync(ns, ct);
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
        return await CountAsync(ns, ct) - before;
    }

    /// <summary>
    /// The namespace's IPv6 route entries from /proc/net/rt6_stats (fourth field, fib_rt_entries, hex): the kernel's
    /// own counter, read in microseconds — a dump of 200k routes takes a second, and reading ipv6_route is the very
    /// walk that stalls.
    /// </summary>
    public static async Task<int> CountAsync(NetworkNamespace ns, CancellationToken ct)
    {
        var r = await ns.ExecAsync("cat", ["/proc/net/rt6_stats"], ct: ct);
        var fields = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length < 4 || !int.TryParse(fields[3], System.Globalization.NumberStyles.HexNumber, null, out var n))
            throw new LabException($"cannot read route entries from /proc/net/rt6_stats: '{r.Stdout.Trim()}'");
        return n;
    }
}
