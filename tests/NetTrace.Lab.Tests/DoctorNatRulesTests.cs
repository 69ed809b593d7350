using NetTrace.Cli.Commands;
using NetTrace.Tracer.Conntrack;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The doctor's parsers on outputs recorded from a namespace holding iptables-nft and native nft NAT rules.</summary>
public class DoctorNatRulesTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", name));

    [Fact]
    public void Iptables_rules_without_random_fully_are_found()
    {
        var rules = DoctorNatRules.ParseIptablesS(Data("iptables-nft-nat-S.txt"), "iptables-nft");
        Assert.Equal(3, rules.Count);
        Assert.Equal(["MASQUERADE", "MASQUERADE", "SNAT"], rules.Select(r => r.Action));
        Assert.Equal([false, true, false], rules.Select(r => r.RandomFully));
        Assert.True(rules[2].Random);               // --random alone does not count as the fix
        Assert.All(rules, r => Assert.Equal("nat/POSTROUTING", r.Location));
    }

    [Fact]
    public void Nft_json_reads_native_rules_and_leaves_iptables_nft_ones_to_iptables()
    {
        var rules = DoctorNatRules.ParseNftJson(Data("nft-ruleset.json"));
        Assert.Equal(4, rules.Count);                // the 3 xt rules of table ip nat are not repeated here
        Assert.All(rules, r => Assert.StartsWith("inet kube/post", r.Location));
        Assert.Equal([false, true, false, true], rules.Select(r => r.RandomFully));
        Assert.Equal("SNAT", rules[2].Action);
        Assert.True(rules[2].Random);
        Assert.Contains("10.4.0.0/16", rules[0].Rule);
    }

    [Fact]
    public void Nft_text_fallback_agrees_with_json()
    {
        var text = DoctorNatRules.ParseNftText(Data("nft-ruleset.txt"), skipIptablesNftTables: true);
        var json = DoctorNatRules.ParseNftJson(Data("nft-ruleset.json"));
        Assert.Equal(json.Select(r => (r.Action, r.RandomFully, r.Random)), text.Select(r => (r.Action, r.RandomFully, r.Random)));
        // Without iptables-nft output the text parser must report the ip nat table too.
        Assert.Equal(7, DoctorNatRules.ParseNftText(Data("nft-ruleset.txt"), skipIptablesNftTables: false).Count);
    }

    [Fact]
    public void Verdict_warns_on_any_rule_without_random_fully_and_passes_when_all_have_it()
    {
        var all = DoctorNatRules.ParseIptablesS(Data("iptables-nft-nat-S.txt"), "iptables-nft")
            .Concat(DoctorNatRules.ParseNftJson(Data("nft-ruleset.json"))).ToList();
        var warn = DoctorNatCheck.Evaluate(all, []);
        Assert.Equal(DoctorStatus.Warn, warn.Status);
        Assert.Contains("4 of 7", warn.Summary);
        Assert.Contains(warn.Details, d => d.StartsWith("RACE") && d.Contains("10.1.0.0/24"));
        Assert.Contains("--random-fully", warn.Action);

        var ok = DoctorNatCheck.Evaluate(all.Where(r => r.RandomFully).ToList(), []);
        Assert.Equal(DoctorStatus.Ok, ok.Status);
        Assert.Equal(DoctorStatus.Ok, DoctorNatCheck.Evaluate([], []).Status);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"x\": 1}")]
    public void Bad_nft_json_is_a_format_error(string text) =>
        Assert.Throws<FormatException>(() => DoctorNatRules.ParseNftJson(text));

    [Fact]
    public void Conntrack_verdicts_follow_the_counters()
    {
        var race = DoctorConntrackCheck.Evaluate(ConntrackStats.Parse(Data("nf_conntrack-6.18-race.txt")) with { Max = 262144 });
        Assert.Equal(DoctorStatus.Warn, race.Single(c => c.Id == DoctorConntrackCheck.CountersId).Status);
        Assert.Equal(DoctorStatus.Ok, race.Single(c => c.Id == DoctorConntrackCheck.FillId).Status);   // 8348 of 262144

        var full = DoctorConntrackCheck.Evaluate(ConntrackStats.Parse(Data("nf_conntrack-6.18-race.txt")) with { Max = 9000 });
        Assert.Equal(DoctorStatus.Fail, full.Single(c => c.Id == DoctorConntrackCheck.FillId).Status);

        var clean = ConntrackStats.Parse("entries insert_failed drop early_drop\n00000001 00000000 00000000 00000000\n") with { Max = 100 };
        Assert.All(DoctorConntrackCheck.Evaluate(clean), c => Assert.Equal(DoctorStatus.Ok, c.Status));
    }

    [Fact]
    public void Rate_check_warns_only_when_inserts_fail_during_the_sample()
    {
        var t0 = DateTimeOffset.UnixEpoch.AddSeconds(1000);
        var before = ConntrackStats.Parse("entries insert_failed drop\n00000001 00000010 00000010\n") with { Time = t0 };
        var same = before with { Time = t0.AddSeconds(2) };
        var rising = ConntrackStats.Parse("entries insert_failed drop\n00000001 00000016 00000016\n") with { Time = t0.AddSeconds(2) };
        Assert.Equal(DoctorStatus.Ok, DoctorConntrackCheck.EvaluateRate(same.Since(before)).Status);
        var warn = DoctorConntrackCheck.EvaluateRate(rising.Since(before));
        Assert.Equal(DoctorStatus.Warn, warn.Status);
        Assert.Contains("6 failed inserts (3.0/s)", warn.Summary);
    }
}
