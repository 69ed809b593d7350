using System.Globalization;

namespace NetTrace.Analyzer.Stalls;

/// <summary>
/// Reads the text `ethtool -x DEV` prints (saved by the user on the node that received the traffic):
/// <code>
/// RX flow hash indirection table for eth0 with 8 RX ring(s):
///     0:      0     1     2     3     4     5     6     7
///     8:      0     1     2 ...
/// RSS hash key:
/// 6d:5a:56:da:...
/// RSS hash function:
///     toeplitz: on
/// </code>
/// A driver that cannot report the key prints "Operation not supported" instead; the default key is used then and
/// the settings say so.
/// </summary>
public static class EthtoolRss
{
    public static RssSettings Parse(string text, string sourceName)
    {
        var lines = text.Replace("\r", "").Split('\n');
        var table = new List<int>();
        int? rings = null;
        string device = "?";
        byte[]? key = null;
        string? keyProblem = null;
        string? hashFunction = null;
        int i = 0;
        for (; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith("RX flow hash indirection table for ", StringComparison.Ordinal))
            {
                // "... for eth0 with 8 RX ring(s):"
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int w = Array.IndexOf(words, "with");
                if (w > 0) device = words[w - 1];
                if (w >= 0 && w + 1 < words.Length && int.TryParse(words[w + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int r)) rings = r;
                continue;
            }
            if (line.StartsWith("RSS hash key:", StringComparison.Ordinal))
            {
                string rest = line["RSS hash key:".Length..].Trim();
                string keyLine = rest.Length > 0 ? rest : i + 1 < lines.Length ? lines[++i].Trim() : "";
                try { key = RssSettings.ParseKey(keyLine); }
                catch (FormatException) { keyProblem = keyLine.Length == 0 ? "no key printed" : keyLine; }
                continue;
            }
            if (line.StartsWith("RSS hash function:", StringComparison.Ordinal))
            {
                for (int j = i + 1; j < lines.Length; j++)
                {
                    var f = lines[j].Trim();
                    if (f.EndsWith(": on", StringComparison.Ordinal)) hashFunction = f[..f.IndexOf(':')];
                    if (f.Length == 0 || !f.Contains(':')) break;
                }
                continue;
            }
            // "    8:      0     1     2     3 ..." — a row of the table, starting at the index before the colon.
            int colon = line.IndexOf(':');
            if (colon > 0 && int.TryParse(line[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int start) && rings is not null)
            {
                if (start != table.Count)
                    throw new FormatException($"{sourceName}: indirection table row {start} follows {table.Count} entries (line {i + 1})");
                foreach (var cell in line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!int.TryParse(cell, NumberStyles.None, CultureInfo.InvariantCulture, out int q))
                        throw new FormatException($"{sourceName}: '{cell}' in the indirection table is not a queue number (line {i + 1})");
                    table.Add(q);
                }
            }
        }
        if (rings is null)
            throw new FormatException($"{sourceName}: no \"RX flow hash indirection table for DEV with N RX ring(s):\" line — is this `ethtool -x DEV` output?");
        if (hashFunction is not null && hashFunction != "toeplitz")
            throw new FormatException($"{sourceName}: the NIC hashes with {hashFunction}, not toeplitz; queue attribution would be wrong");
        int[] indirection = table.Count > 0 ? table.ToArray() : RssSettings.RoundRobin(rings.Value);
        string indirSource = table.Count > 0
            ? $"ethtool -x {device} ({Path.GetFileName(sourceName)}: {table.Count} entries, {rings} ring(s))"
            : $"round-robin over {rings} ring(s) ({Path.GetFileName(sourceName)} printed no table)";
        string keySource = key is not null
            ? $"ethtool -x {device} ({Path.GetFileName(sourceName)})"
            : $"default (Microsoft RSS verification key; {Path.GetFileName(sourceName)}: {keyProblem ?? "no key"})";
        return new RssSettings(key ?? RssSettings.MicrosoftKey, indirection, keySource, indirSource);
    }
}
