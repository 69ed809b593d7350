using System.Text;

namespace NetTrace.Tracer.Probes;

/// <summary>
/// Task names (16-byte, NUL-padded comm fields) as strings without decoding and allocating one per event: a busy
/// node streams tens of thousands of events per second from a handful of tasks. Direct-mapped and lock-free:
/// a slot holds an immutable entry, replaced whole, so readers on any thread see either the old or the new one.
/// </summary>
internal static unsafe class CommStrings
{
    private sealed record Entry(ulong Low, ulong High, string Value);

    private const int SlotBits = 8;
    private static readonly Entry?[] Slots = new Entry?[1 << SlotBits];

    public static string Get(byte* comm16)
    {
        ulong low = *(ulong*)comm16, high = *(ulong*)(comm16 + 8);
        int slot = (int)(((low ^ (high * 31)) * 0x9E3779B97F4A7C15UL) >> (64 - SlotBits));
        var e = Slots[slot];
        if (e != null && e.Low == low && e.High == high) return e.Value;
        var span = new ReadOnlySpan<byte>(comm16, 16);
        int n = span.IndexOf((byte)0);
        var value = Encoding.UTF8.GetString(n < 0 ? span : span[..n]);
        Slots[slot] = new Entry(low, high, value);
        return value;
    }
}
