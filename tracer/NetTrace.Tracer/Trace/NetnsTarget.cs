namespace NetTrace.Tracer.Trace;

/// <summary>A network namespace the user named: --netns NAME (in /var/run/netns) or --netns PATH (/proc/PID/ns/net).</summary>
public sealed record NetnsTarget(string Spec, string Path, ulong Inode)
{
    public const string NamedDir = "/var/run/netns";

    public static NetnsTarget Resolve(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("--netns needs a name or a path");
        var path = spec.Contains('/') ? spec : System.IO.Path.Combine(NamedDir, spec);
        if (!File.Exists(path))
            throw new FileNotFoundException(spec.Contains('/')
                ? $"network namespace file {path} does not exist"
                : $"no network namespace named '{spec}' ({path} does not exist; see `ip netns list`)");
        return new NetnsTarget(spec, path, InodeOf(path));
    }

    /// <summary>The nsfs inode: what the kernel's net->ns.inum is, and what BPF programs filter on.</summary>
    public static ulong InodeOf(string path)
    {
        using var h = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var target = new FileInfo($"/proc/self/fd/{h.DangerousGetHandle()}").LinkTarget ?? "";
        var open = target.IndexOf('[');
        if (!target.StartsWith("net:[", StringComparison.Ordinal) || !target.EndsWith(']'))
            throw new IOException($"{path} is not a network namespace file ({(target.Length == 0 ? "not a namespace" : target)})");
        return ulong.Parse(target.AsSpan(open + 1, target.Length - open - 2));
    }

    /// <summary>Inode of the caller's own namespace (/proc/self/ns/net).</summary>
    public static ulong Current() => InodeOf("/proc/self/ns/net");
}
