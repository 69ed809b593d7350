using System.Globalization;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Receive Packet Steering on a namespace's device: every packet received on its rx-0 queue is processed by one CPU's
/// NET_RX softirq, as a NIC queue's interrupt would be. A namespace's devices are only visible in a sysfs mounted
/// from inside it, which `ip netns exec` does (it remounts /sys); a setns'd thread would still see the host's.
/// </summary>
internal static class RpsSteering
{
    public static async Task SteerAsync(NetworkNamespace ns, string device, int cpu, CancellationToken ct)
    {
        if (!device.All(c => char.IsAsciiLetterOrDigit(c))) throw new ArgumentException("device name", nameof(device));
        var mask = (1UL << cpu).ToString("x", CultureInfo.InvariantCulture);
        var path = $"/sys/class/net/{device}/queues/rx-0/rps_cpus";
        // Names and mask are generated here (letters, digits, hex): nothing to quote.
        await ns.ExecAsync("sh", ["-c", $"echo {mask} > {path}"], ct: ct);
        var back = (await ns.ExecAsync("cat", [path], ct: ct)).Stdout.Trim().TrimStart('0', ',');
        if (!string.Equals(back, mask, StringComparison.OrdinalIgnoreCase))
            throw new LabException($"RPS on {device} in {ns.Name}: wrote {mask}, reads back {back}");
    }
}
