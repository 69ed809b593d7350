using System.Globalization;
using NetTrace.Analyzer.Decode;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// How a host's NIC maps a flow to an RX queue: the Toeplitz key, then the indirection table indexed by the hash's
/// low bits (queue = table[hash % table size]). The queue numbers a capture analysis reports are only as right as
/// these settings: Linux drivers usually pick a random key at boot (netdev_rss_key_fill), so the default key here is
/// a guess unless the user gives the real one (`ethtool -x DEV` prints both).
/// </summary>
public sealed class RssSettings
{
    /// <summary>Microsoft's RSS verification key: the specification's example, which many NIC drivers also default to.</summary>
    public static readonly byte[] MicrosoftKey = Convert.FromHexString(
        "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa");

    /// <summary>The table size most drivers use (ethtool_rxfh_indir_default fills it round-robin).</summary>
    public const int DefaultTableSize = 128;
    public const int DefaultQueues = 8;

    private ToeplitzHash? _hash;

    public byte[] Key { get; }
    public int[] Indirection { get; }
    /// <summary>Queues in use: one more than the highest queue the indirection table names.</summary>
    public int Queues { get; }
    public string KeySource { get; }
    public string IndirectionSource { get; }

    public RssSettings(byte[] key, int[] indirection, string keySource, string indirectionSource)
    {
        if (key.Length < 40)
            throw new ArgumentException($"the RSS key has {key.Length} bytes; a Toeplitz key for IPv6 with ports needs 40 (ethtool prints 40 or 52)");
        if (indirection.Length == 0) throw new ArgumentException("the RSS indirection table is empty");
        foreach (int q in indirection)
            if (q < 0) throw new ArgumentException($"the RSS indirection table names queue {q}");
        Key = key;
        Indirection = indirection;
        Queues = indirection.Max() + 1;
        KeySource = keySource;
        IndirectionSource = indirectionSource;
    }

    public static RssSettings Default { get; } = WithQueues(DefaultQueues);

    /// <summary>The default key with a round-robin table over <paramref name="queues"/> queues.</summary>
    public static RssSettings WithQueues(int queues, byte[]? key = null, string? keySource = null)
    {
        if (queues is < 1 or > 4096) throw new ArgumentException($"RX queue count {queues} is out of range (1..4096)");
        return new RssSettings(key ?? MicrosoftKey, RoundRobin(queues), keySource ?? "default (Microsoft RSS verification key)",
            $"round-robin over {queues} queue(s) (default)");
    }

    public static int[] RoundRobin(int queues)
    {
        var t = new int[Math.Max(DefaultTableSize, queues)];
        for (int i = 0; i < t.Length; i++) t[i] = i % queues;
        return t;
    }

    public ToeplitzHash Hash => _hash ??= new ToeplitzHash(Key);

    public int QueueOf(uint hash) => Indirection[(int)(hash % (uint)Indirection.Length)];

    /// <summary>The RX queue a packet from src to dst lands on at the receiving host.</summary>
    public int QueueOf(in IpAddr src, in IpAddr dst, ushort srcPort, ushort dstPort, bool withPorts) =>
        QueueOf(Hash.Hash(src, dst, srcPort, dstPort, withPorts));

    /// <summary>Parses a key as hex, with or without separators ("6d:5a:56:..." as ethtool prints it, or "6d5a56...").</summary>
    public static byte[] ParseKey(string text)
    {
        var hex = new string(text.Where(c => !char.IsWhiteSpace(c) && c is not ':' and not '-').ToArray());
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length == 0 || hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit))
            throw new FormatException($"RSS key '{text}' is not hex bytes (e.g. 6d:5a:56:da:... as `ethtool -x` prints it)");
        return Convert.FromHexString(hex);
    }

    /// <summary>Parses an indirection table given as queue numbers separated by commas or spaces ("0,1,2,3" or "0 1 0 1").</summary>
    public static int[] ParseIndirection(string text)
    {
        var parts = text.Split([',', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var t = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out t[i]))
                throw new FormatException($"RSS indirection entry '{parts[i]}' is not a queue number");
        if (t.Length == 0) throw new FormatException("the RSS indirection table is empty");
        return t;
    }

    public override string ToString() => $"{Queues} queue(s); key: {KeySource}; indirection: {IndirectionSource}";
}
