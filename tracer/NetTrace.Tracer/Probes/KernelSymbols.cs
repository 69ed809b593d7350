using System.Globalization;

namespace NetTrace.Tracer.Probes;

/// <summary>Symbolises kernel text addresses through /proc/kallsyms (real addresses need root / kptr_restrict).</summary>
public sealed class KernelSymbols
{
    private readonly ulong[] _addrs;
    private readonly string[] _names;

    private KernelSymbols(ulong[] addrs, string[] names) { _addrs = addrs; _names = names; }

    public static KernelSymbols Load(string path = "/proc/kallsyms")
    {
        var list = new List<(ulong, string)>(200_000);
        foreach (var line in File.ReadLines(path))
        {
            int a = line.IndexOf(' ');
            if (a <= 0 || line.Length < a + 4) continue;
            char type = line[a + 1];
            if (type is not ('T' or 't' or 'W' or 'w')) continue;
            if (!ulong.TryParse(line.AsSpan(0, a), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var addr) || addr == 0) continue;
            var rest = line.AsSpan(a + 3);
            int tab = rest.IndexOf('\t');
            list.Add((addr, (tab < 0 ? rest : rest[..tab]).ToString()));
        }
        list.Sort((x, y) => x.Item1.CompareTo(y.Item1));
        return new KernelSymbols(list.Select(x => x.Item1).ToArray(), list.Select(x => x.Item2).ToArray());
    }

    public int Count => _addrs.Length;

    /// <summary>"function+0xoff", or "0x…" when the address is outside kernel text or addresses are hidden.</summary>
    public string Resolve(ulong address)
    {
        int i = Array.BinarySearch(_addrs, address);
        if (i < 0) i = ~i - 1;
        if (i < 0 || address == 0) return $"0x{address:x}";
        ulong off = address - _addrs[i];
        if (off > 1 << 20) return $"0x{address:x}"; // beyond any function: not text we know
        return off == 0 ? _names[i] : $"{_names[i]}+0x{off:x}";
    }
}
