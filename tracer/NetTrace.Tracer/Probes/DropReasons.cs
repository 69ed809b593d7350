using NetTrace.Tracer.Libbpf;

namespace NetTrace.Tracer.Probes;

/// <summary>Names of this kernel's enum skb_drop_reason values, read from vmlinux BTF (values differ by kernel).</summary>
public sealed class DropReasons(IReadOnlyDictionary<long, string> names)
{
    public static DropReasons FromKernel()
    {
        using var btf = Btf.LoadVmlinux();
        return FromBtf(btf);
    }

    public static DropReasons FromBtf(Btf btf)
    {
        var raw = btf.EnumValues("skb_drop_reason") ?? new Dictionary<long, string>();
        return new DropReasons(raw.ToDictionary(kv => kv.Key, kv => Strip(kv.Value)));
    }

    private static string Strip(string n) =>
        n.StartsWith("SKB_DROP_REASON_", StringComparison.Ordinal) ? n["SKB_DROP_REASON_".Length..]
        : n.StartsWith("SKB_", StringComparison.Ordinal) ? n["SKB_".Length..] : n;

    public int Count => names.Count;
    public IReadOnlyDictionary<long, string> All => names;

    public string Name(uint value) => names.TryGetValue(value, out var n) ? n : $"reason_{value}";

    public uint? Value(string name) => names.FirstOrDefault(kv => kv.Value == name) is { Value: not null } kv ? (uint)kv.Key : null;
}
