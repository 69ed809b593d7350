using System.Text.Json;
using System.Text.Json.Serialization;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

/// <param name="SoftnetInterval">How long to watch softnet_stat for drops and squeezes happening now; null = 1 s,
/// zero = totals only.</param>
public sealed record DoctorOptions(bool Json, string? Netns, TimeSpan? Sample = null, TimeSpan? SoftnetInterval = null);

public sealed class DoctorHandler(DoctorOptions options, TextWriter stdout, TextWriter stderr)
{
    public int Run()
    {
        string? nsPath = null;
        if (options.Netns != null)
        {
            nsPath = NetnsThread.ResolvePath(options.Netns);
            if (!File.Exists(nsPath))
            {
                stderr.WriteLine($"network namespace '{options.Netns}' not found ({nsPath}); see `ip netns list`");
                return Program.ExitUsage;
            }
        }
        var checks = RunChecks(nsPath).ToList();
        checks.AddRange(RunNodeChecks(nsPath, options.SoftnetInterval ?? TimeSpan.FromSeconds(1), CancellationToken.None));
        if (options.Sample is { } window && window > TimeSpan.Zero
            && DoctorConntrackCheck.Sample(nsPath, window, CancellationToken.None) is { } rate)
            checks.Add(rate);
        if (options.Json) WriteJson(nsPath, checks); else WriteText(nsPath, checks);
        if (checks.All(c => c.Status == DoctorStatus.Skipped)) return Program.ExitFailed;
        return checks.Any(c => c.Status is DoctorStatus.Warn or DoctorStatus.Fail) ? Program.ExitWarnings : Program.ExitOk;
    }

    public static IReadOnlyList<DoctorCheck> RunChecks(string? netnsPath)
    {
        var tools = new DoctorTools(netnsPath);
        return [DoctorNatCheck.Run(tools), .. DoctorConntrackCheck.Run(netnsPath)];
    }

    /// <summary>Story 1's checks: what can hold a CPU's NET_RX softirq off and where receive work runs. Cgroups and
    /// softnet_stat are node-wide; the /proc/net tables and the devices are those of the chosen namespace.</summary>
    public static IReadOnlyList<DoctorCheck> RunNodeChecks(string? netnsPath, TimeSpan softnetInterval, CancellationToken ct) =>
    [
        DoctorSlowReadsCheck.Run(netnsPath), DoctorDyingMemcgCheck.Run(),
        DoctorSoftnetCheck.Run(softnetInterval, ct), DoctorRpsIrqCheck.Run(netnsPath),
    ];

    private void WriteText(string? ns, IReadOnlyList<DoctorCheck> checks)
    {
        stdout.WriteLine($"nettrace doctor — network namespace: {ns ?? "this process's (host)"}");
        foreach (var c in checks)
        {
            stdout.WriteLine();
            stdout.WriteLine($"[{c.Status.ToString().ToUpperInvariant(),-7}] {c.Title}: {c.Summary}");
            foreach (var d in c.Details) stdout.WriteLine($"            {d}");
            if (c.Status is DoctorStatus.Warn or DoctorStatus.Fail)
            {
                stdout.WriteLine($"   means:   {c.Meaning}");
                stdout.WriteLine($"   do:      {c.Action}");
            }
        }
    }

    private void WriteJson(string? ns, IReadOnlyList<DoctorCheck> checks)
    {
        var opts = new JsonSerializerOptions
        {
            WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,   // stdout JSON, not HTML
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        };
        stdout.WriteLine(JsonSerializer.Serialize(new { netns = ns, checks }, opts));
    }
}
