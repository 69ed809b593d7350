namespace NetTrace.Tracer.Probes;

/// <summary>The eBPF objects compiled from bpf/*.bpf.c and embedded by the build as "bpf/&lt;name&gt;.bpf.o".</summary>
public static class EmbeddedObjects
{
    public static byte[] Read(string name)
    {
        var asm = typeof(EmbeddedObjects).Assembly;
        using var s = asm.GetManifestResourceStream($"bpf/{name}.bpf.o")
            ?? throw new InvalidOperationException($"embedded eBPF object bpf/{name}.bpf.o missing: was bpf/ built? ({string.Join(", ", Names)})");
        var buf = new byte[s.Length];
        s.ReadExactly(buf);
        return buf;
    }

    public static IEnumerable<string> Names => typeof(EmbeddedObjects).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("bpf/", StringComparison.Ordinal) && n.EndsWith(".bpf.o", StringComparison.Ordinal))
        .Select(n => n["bpf/".Length..^".bpf.o".Length]);
}
