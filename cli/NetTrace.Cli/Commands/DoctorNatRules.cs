using System.Text.Json;
using System.Text.RegularExpressions;

namespace NetTrace.Cli.Commands;

/// <summary>A source-NAT rule found on the node, and whether it randomises the translated port fully.</summary>
/// <param name="Source">where it came from: "iptables-nft", "iptables-legacy", "nft"</param>
/// <param name="Rule">the rule as the tool prints it</param>
/// <param name="Action">MASQUERADE or SNAT</param>
/// <param name="RandomFully">--random-fully / fully-random: NF_NAT_RANGE_PROTO_RANDOM_FULLY, the fix for the port race</param>
/// <param name="Random">--random / random only: hashes the port choice, barely reduces the race</param>
public sealed record NatRule(string Source, string Location, string Rule, string Action, bool RandomFully, bool Random);

/// <summary>Parsers for the three ways a node may express source NAT. Pure functions over tool output.</summary>
public static partial class DoctorNatRules
{
    /// <summary>Parses `iptables[-nft|-legacy] -t nat -S` (iptables-save syntax).</summary>
    public static IReadOnlyList<NatRule> ParseIptablesS(string text, string source)
    {
        var rules = new List<NatRule>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith("-A ", StringComparison.Ordinal)) continue;
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int j = Array.IndexOf(words, "-j");
            if (j < 0 || j + 1 >= words.Length) continue;
            var target = words[j + 1];
            if (target is not ("MASQUERADE" or "SNAT")) continue;
            bool fully = words.Contains("--random-fully");
            bool random = words.Contains("--random");
            rules.Add(new NatRule(source, $"nat/{words[1]}", line, target, fully, random));
        }
        return rules;
    }

    /// <summary>
    /// Parses `nft -j list ruleset`. Rules made by iptables-nft show up here as "xt" expressions; they are
    /// skipped because the iptables-nft listing reports them with their options.
    /// </summary>
    /// <exception cref="FormatException">not nft JSON</exception>
    public static IReadOnlyList<NatRule> ParseNftJson(string json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new FormatException($"nft JSON: {e.Message}"); }
        using var _ = doc;
        if (!doc.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
            throw new FormatException("nft JSON: no top-level \"nftables\" array");
        var rules = new List<NatRule>();
        foreach (var item in items.EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule)) continue;
            if (!rule.TryGetProperty("expr", out var exprs) || exprs.ValueKind != JsonValueKind.Array) continue;
            var location = $"{Str(rule, "family")} {Str(rule, "table")}/{Str(rule, "chain")} handle {(rule.TryGetProperty("handle", out var h) ? h.ToString() : "?")}";
            foreach (var e in exprs.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object) continue;
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name is not ("masquerade" or "snat")) continue;
                    var flags = Flags(p.Value);
                    rules.Add(new NatRule("nft", location, DescribeNft(exprs), p.Name == "masquerade" ? "MASQUERADE" : "SNAT",
                        flags.Contains("fully-random"), flags.Contains("random")));
                }
            }
        }
        return rules;
    }

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : "?";

    private static HashSet<string> Flags(JsonElement stmt)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (stmt.ValueKind != JsonValueKind.Object || !stmt.TryGetProperty("flags", out var f)) return set;
        if (f.ValueKind == JsonValueKind.String) set.Add(f.GetString()!);
        else if (f.ValueKind == JsonValueKind.Array)
            foreach (var x in f.EnumerateArray()) if (x.ValueKind == JsonValueKind.String) set.Add(x.GetString()!);
        return set;
    }

    /// <summary>A short human form of a JSON rule: enough to find it in `nft list ruleset`.</summary>
    private static string DescribeNft(JsonElement exprs)
    {
        var parts = new List<string>();
        foreach (var e in exprs.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object) continue;
            foreach (var p in e.EnumerateObject())
                parts.Add(p.Name switch
                {
                    "match" => MatchText(p.Value),
                    "counter" => "counter",
                    _ => p.Value.ValueKind == JsonValueKind.Null ? p.Name : $"{p.Name} {CompactJson(p.Value)}",
                });
        }
        return string.Join(' ', parts);
    }

    private static string MatchText(JsonElement m)
    {
        string Side(JsonElement s) => s.ValueKind switch
        {
            JsonValueKind.Object when s.TryGetProperty("meta", out var meta) => Str(meta, "key"),
            JsonValueKind.Object when s.TryGetProperty("payload", out var pl) => $"{Str(pl, "protocol")} {Str(pl, "field")}",
            JsonValueKind.Object when s.TryGetProperty("prefix", out var pf) => $"{Str(pf, "addr")}/{Str(pf, "len")}",
            JsonValueKind.String => s.GetString()!,
            _ => CompactJson(s),
        };
        var op = Str(m, "op");
        return $"{(m.TryGetProperty("left", out var l) ? Side(l) : "?")} {(op == "==" ? "" : op + " ")}{(m.TryGetProperty("right", out var r) ? Side(r) : "?")}";
    }

    private static string CompactJson(JsonElement e) => JsonSerializer.Serialize(e);

    /// <summary>
    /// Parses plain `nft list ruleset` (for an nft without JSON support). Tables that iptables-nft manages are
    /// skipped when <paramref name="skipIptablesNftTables"/> (their rules come from the iptables-nft listing).
    /// </summary>
    public static IReadOnlyList<NatRule> ParseNftText(string text, bool skipIptablesNftTables)
    {
        var rules = new List<NatRule>();
        string table = "?", chain = "?";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (TableRe().Match(line) is { Success: true } t) { table = $"{t.Groups[1].Value} {t.Groups[2].Value}"; continue; }
            if (ChainRe().Match(line) is { Success: true } c) { chain = c.Groups[1].Value; continue; }
            if (skipIptablesNftTables && table is "ip nat" or "ip6 nat") continue;
            var m = NatStmtRe().Match(line);
            if (!m.Success) continue;
            var opts = m.Groups[2].Value;
            bool fully = opts.Contains("fully-random", StringComparison.Ordinal);
            bool random = Regex.IsMatch(opts, @"(^|[\s,])random($|[\s,])");
            rules.Add(new NatRule("nft", $"{table}/{chain}", line, m.Groups[1].Value == "masquerade" ? "MASQUERADE" : "SNAT", fully, random));
        }
        return rules;
    }

    [GeneratedRegex(@"^table\s+(\S+)\s+(\S+)\s*\{")] private static partial Regex TableRe();
    [GeneratedRegex(@"^chain\s+(\S+)\s*\{")] private static partial Regex ChainRe();
    [GeneratedRegex(@"(?:^|\s)(masquerade|snat)(\s.*)?$")] private static partial Regex NatStmtRe();
}
