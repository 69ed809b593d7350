using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace demo`: the main job on an embedded default.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var html = CommonOptions.Html();
        var quiet = CommonOptions.Quiet();
        var sample = new Option<bool>("--sample") { Description = "Only analyze the capture built into the tool (needs no root)." };
        var output = new Option<FileInfo>("--output", "-o")
        {
            Description = "Where the live demo writes its HTML report.",
            DefaultValueFactory = _ => new FileInfo(DemoOptions.DefaultOutput),
        };
        var rounds = new Option<int>("--rounds", "-n")
        {
            Description = "Racing rounds of the live demo's lab (2 pods, one connect each per round).",
            DefaultValueFactory = _ => DemoOptions.DefaultRounds,
        };
        var cmd = new Command("demo",
            "Show what NetTrace finds, end to end, with no input of yours (needs root; a few seconds):\n" +
            "  1. runs the SNAT port race lab (`nettrace lab snat-race`): two pods in network namespaces behind a node\n" +
            "     namespace that MASQUERADEs them onto one address, racing for the same NAT port — all inside namespaces\n" +
            "     it creates and removes, no traffic leaves them;\n" +
            "  2. traces it live with the conntrack NAT eBPF probe (clash drops, conntrack insert_failed) and the\n" +
            "     tcpconnect probe (which connects retransmitted their SYN), and captures\n" +
            "     both sides of the NAT with tcpdump;\n" +
            "  3. analyzes the two captures together (as `nettrace analyze pre.pcap post.pcap` would), joins the kernel's\n" +
            "     evidence into the findings, writes the HTML report and prints what it found.\n" +
            "Without root or network namespaces it falls back to --sample: the analysis of the capture built into the\n" +
            "tool (a synthetic node capture with SYNs retransmitted at the 1 s initial RTO, refused and unanswered\n" +
            "connects, and pings delayed by RX-queue stalls).\n\n" +
            "Examples:\n" +
            "  sudo nettrace demo                          # live; report in ./nettrace-demo-report.html\n" +
            "  sudo nettrace demo -o /tmp/race.html --rounds 1000\n" +
            "  nettrace demo --sample                      # the built-in capture, no root needed\n" +
            "  nettrace demo --json > demo.json            # the built-in capture's analysis as JSON (implies --sample)\n" +
            "  nettrace demo --sample --html demo.html");
        foreach (var o in new Option[] { sample, output, rounds, json, html, quiet }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var options = new DemoOptions
            {
                Sample = pr.GetValue(sample),
                Output = pr.GetValue(output)!.FullName,
                Rounds = pr.GetValue(rounds),
                Json = pr.GetValue(json),
                Html = pr.GetValue(html)?.FullName,
                Quiet = pr.GetValue(quiet),
                StderrIsTerminal = !Console.IsErrorRedirected,
            };
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            try
            {
                return await DemoLiveHandler.RunAsync(options, stdout, Console.Error, ct);
            }
            finally
            {
                stdout.Flush();
            }
        });
        return cmd;
    }
}
