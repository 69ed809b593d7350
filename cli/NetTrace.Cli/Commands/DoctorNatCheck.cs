using NetTrace.Tracer.Conntrack;

namespace NetTrace.Cli.Commands;

/// <summary>
/// Finds MASQUERADE / SNAT rules that leave the translated port to netfilter's sequential search — the rules that
/// make the SNAT port race possible — in iptables-nft, iptables-legacy and native nftables rulesets.
/// </summary>
public static class DoctorNatCheck
{
    public const string Id = "nat-random-fully";

    public static DoctorCheck Run(DoctorTools tools)
    {
        var rules = new List<NatRule>();
        var notes = new List<string>();
        bool haveIptablesNft = false;

        if (DoctorTools.OnPath("iptables-nft"))
        {
            var o = tools.Run("iptables-nft", "-t", "nat", "-S");
            if (o.ExitCode == 0) { rules.AddRange(DoctorNatRules.ParseIptablesS(o.Stdout, "iptables-nft")); haveIptablesNft = true; }
            else notes.Add($"iptables-nft -t nat -S failed: {o.Stderr.Trim()}");
        }
        else notes.Add("iptables-nft not installed: its rules were not read");

        // Listing a legacy table that does not exist yet would create it: look only when the kernel already has one.
        if (LegacyNatTableExists(tools.NetnsPath))
        {
            if (DoctorTools.OnPath("iptables-legacy"))
            {
                var o = tools.Run("iptables-legacy", "-t", "nat", "-S");
                if (o.ExitCode == 0) rules.AddRange(DoctorNatRules.ParseIptablesS(o.Stdout, "iptables-legacy"));
                else notes.Add($"iptables-legacy -t nat -S failed: {o.Stderr.Trim()}");
            }
            else notes.Add("a legacy iptables nat table exists but iptables-legacy is not installed: its rules were not read");
        }

        if (DoctorTools.OnPath("nft"))
        {
            var j = tools.Run("nft", "-j", "list", "ruleset");
            IReadOnlyList<NatRule>? parsed = null;
            if (j.ExitCode == 0)
                try { parsed = DoctorNatRules.ParseNftJson(j.Stdout); } catch (FormatException e) { notes.Add(e.Message); }
            if (parsed == null)
            {
                var t = tools.Run("nft", "list", "ruleset");
                if (t.ExitCode == 0) parsed = DoctorNatRules.ParseNftText(t.Stdout, haveIptablesNft);
                else notes.Add($"nft list ruleset failed: {t.Stderr.Trim()}");
            }
            if (parsed != null) rules.AddRange(parsed);
        }
        else notes.Add("nft not installed: native nftables rules were not read");

        return Evaluate(rules, notes);
    }

    /// <summary>The verdict over the rules found; separate from running tools so tests can feed recorded outputs.</summary>
    public static DoctorCheck Evaluate(IReadOnlyList<NatRule> rules, IReadOnlyList<string> notes)
    {
        var risky = rules.Where(r => !r.RandomFully).ToList();
        var details = rules.Select(r =>
                $"{(r.RandomFully ? "ok  " : "RACE")} [{r.Source}] {r.Location}: {r.Rule}" +
                (r.RandomFully ? "" : r.Random ? "  (--random only: barely helps)" : ""))
            .Concat(notes.Select(n => "note: " + n)).ToList();
        const string meaning =
            "Without --random-fully, netfilter keeps a connection's source port when it looks free and checks that only " +
            "against connections already confirmed. Two connections translated at the same moment (pods connecting to " +
            "the same service) can get the same outer ip:port; the second fails its conntrack insert (insert_failed) " +
            "and its SYN is dropped, so the client waits for the 1 s (then 3 s) retransmit.";
        const string action =
            "Add --random-fully to MASQUERADE/SNAT rules (nft: 'masquerade fully-random'); most CNIs have a setting for " +
            "it (e.g. flannel and Calico natOutgoing use it on new versions, Docker does not). Confirm with " +
            "`nettrace doctor` (insert_failed stops rising) or reproduce with `nettrace lab snat-race`.";
        if (rules.Count == 0)
            return new DoctorCheck(Id, notes.Count > 0 && notes.Any(n => n.Contains("failed")) ? DoctorStatus.Skipped : DoctorStatus.Ok,
                "Source NAT rules use --random-fully", "no MASQUERADE/SNAT rules found", meaning, "nothing to do", details);
        if (risky.Count == 0)
            return new DoctorCheck(Id, DoctorStatus.Ok, "Source NAT rules use --random-fully",
                $"all {rules.Count} MASQUERADE/SNAT rules randomise ports fully", meaning, "nothing to do", details);
        return new DoctorCheck(Id, DoctorStatus.Warn, "Source NAT rules use --random-fully",
            $"{risky.Count} of {rules.Count} MASQUERADE/SNAT rules without --random-fully: connections through them can hit the SNAT port race",
            meaning, action, details);
    }

    private static bool LegacyNatTableExists(string? netnsPath)
    {
        try
        {
            return NetnsThread.Run(netnsPath, () =>
            {
                var f = "/proc/thread-self/net/ip_tables_names";
                return File.Exists(f) && File.ReadAllLines(f).Any(l => l.Trim() == "nat");
            });
        }
        catch (NetnsException) { return false; }
    }
}
