using System.Text.Json;

namespace NetTrace.Metadata.Cri;

/// <summary>
/// What the runtime's verbose status tells about a sandbox or container process: its pid (in the runtime's pid
/// namespace), its network namespace path and its cgroups path from the OCI runtime spec. containerd and CRI-O both
/// put a JSON object with "pid" and "runtimeSpec" under info["info"]; other keys are searched too.
/// </summary>
public sealed record RuntimeInfo(int Pid, string? NetnsPath, string? CgroupsPath)
{
    public static RuntimeInfo Empty { get; } = new(0, null, null);

    public static RuntimeInfo Parse(IReadOnlyDictionary<string, string> info)
    {
        if (info.TryGetValue("info", out var main) && TryParse(main, out var parsed)) return parsed;
        foreach (var (_, value) in info)
            if (TryParse(value, out parsed)) return parsed;
        return Empty;
    }

    private static bool TryParse(string json, out RuntimeInfo result)
    {
        result = Empty;
        if (string.IsNullOrWhiteSpace(json) || json[0] != '{') return false;
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var pid = root.TryGetProperty("pid", out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var v) ? v : 0;
            string? netns = null, cgroups = null;
            if (root.TryGetProperty("runtimeSpec", out var spec) && spec.ValueKind == JsonValueKind.Object &&
                spec.TryGetProperty("linux", out var linux) && linux.ValueKind == JsonValueKind.Object)
            {
                if (linux.TryGetProperty("cgroupsPath", out var cg) && cg.ValueKind == JsonValueKind.String)
                    cgroups = cg.GetString();
                if (linux.TryGetProperty("namespaces", out var nss) && nss.ValueKind == JsonValueKind.Array)
                    foreach (var ns in nss.EnumerateArray())
                        if (ns.TryGetProperty("type", out var t) && t.GetString() == "network" &&
                            ns.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String)
                            netns = path.GetString();
            }
            if (pid == 0 && netns == null && cgroups == null) return false;
            result = new RuntimeInfo(pid, string.IsNullOrEmpty(netns) ? null : netns, string.IsNullOrEmpty(cgroups) ? null : cgroups);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
