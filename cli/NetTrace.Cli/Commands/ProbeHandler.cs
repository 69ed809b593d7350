using System.Text.Json;
using System.Text.Json.Serialization;
using NetTrace.Metadata.Sources;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Planning;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace probe`: what this kernel allows and how each probe would attach. Changes nothing: the only
/// kernel interaction is loading (never attaching) one tiny fentry program and closing it.</summary>
public static class ProbeHandler
{
    public static int Run(ProbeOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct,
        Func<KernelCapabilities>? detect = null)
    {
        KernelCapabilities caps;
        try
        {
            caps = (detect ?? KernelCapabilitiesDetector.Detect)();
        }
        catch (DllNotFoundException e)
        {
            stderr.WriteLine($"nettrace probe: libbpf.so.1 not found ({e.Message}); install libbpf1 (./scripts/setup.sh)");
            return Program.ExitFailed;
        }
        catch (LibbpfException e)
        {
            stderr.WriteLine($"nettrace probe: {e.Message}");
            return Program.ExitFailed;
        }
        var report = ProbeReport.From(caps, ProbePlanner.ChooseAll(caps)) with
        {
            MetadataSources = CheckMetadata(options, ct),
        };
        if (options.Json) WriteJson(report, stdout);
        else WriteText(report, stdout);
        return report.Probes.All(p => p.Usable) ? Program.ExitOk : Program.ExitWarnings;
    }

    /// <summary>Read-only questions to each pod metadata source (NetTrace.Metadata.Sources.MetadataProbe).</summary>
    private static IReadOnlyList<MetadataSourceFact> CheckMetadata(ProbeOptions options, CancellationToken ct)
    {
        var statuses = MetadataProbe.CheckAsync(new MetadataOptions { CriEndpoint = options.CriEndpoint, Kubeconfig = options.Kubeconfig }, ct)
            .GetAwaiter().GetResult();
        return statuses.Select(s => new MetadataSourceFact(s.Target.Length == 0 ? s.Source : $"{s.Source} {s.Target}", s.Answered, s.Detail)).ToList();
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static void WriteJson(ProbeReport report, TextWriter stdout) =>
        stdout.WriteLine(JsonSerializer.Serialize(report, JsonOptions));

    private static void WriteText(ProbeReport r, TextWriter o)
    {
        var k = r.Kernel;
        o.WriteLine($"kernel    {k.Release}{(k.Root ? "" : "   (not root: fentry untested, tracing needs root)")}");
        o.WriteLine(k.Btf.Present ? $"BTF       {k.Btf.Path} ({k.Btf.SizeBytes / 1024.0 / 1024.0:F1} MiB)" : $"BTF       missing ({k.Btf.Path}): CO-RE programs cannot load");
        o.WriteLine($"libbpf    {k.Libbpf.Version}");
        o.WriteLine($"kprobes   {YesNo(k.Kprobes.Available)} — {k.Kprobes.Evidence}");
        o.WriteLine($"fentry    {YesNo(k.Fentry.Available)} — {k.Fentry.Evidence}");
        o.WriteLine($"tracefs   {(k.Tracefs.Mounted ? k.Tracefs.Path : "not mounted (classic tracepoints unavailable)")}");
        foreach (var p in r.Probes)
        {
            o.WriteLine();
            o.WriteLine($"{p.Name,-11} {(p.Usable ? "" : "UNAVAILABLE  ")}{p.Description}");
            foreach (var h in p.Hooks)
            {
                var chosen = h.Chosen?.ToString() ?? (h.Required ? "none — probe cannot run" : "none (optional)");
                o.WriteLine($"  {h.Name + (h.Required ? "" : "?"),-16} → {chosen}");
                foreach (var rej in h.Rejected)
                    o.WriteLine($"  {"",-16}   ✗ {rej.AttachPoint}: {rej.Reason}");
            }
        }
        if (r.MetadataSources.Count > 0)
        {
            o.WriteLine();
            foreach (var m in r.MetadataSources) o.WriteLine($"metadata  {m.Name}: {(m.Available ? "yes" : "no")} — {m.Detail}");
        }
    }

    private static string YesNo(bool? b) => b switch { true => "yes", false => "no", null => "unknown" };
}
