using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace analyze`: captures and recordings in, handshakes, echoes, findings out.</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "pcap, pcapng or .ntrace files (several at once: e.g. pre- and post-NAT captures).", Arity = ArgumentArity.OneOrMore };
        var json = CommonOptions.Json();
        var html = CommonOptions.Html();
        var quiet = CommonOptions.Quiet();
        var reader = new Option<string>("--reader")
        {
            Description = "Which reader opens the files: auto (by content), native (our pcap/pcapng readers), libpcap (through SharpPcap; cannot read pcapng with mixed link types).",
            DefaultValueFactory = _ => "auto",
        };
        var slow = new Option<double>("--slow-handshake-ms") { Description = "SYN→SYN-ACK above this is reported as a slow handshake.", DefaultValueFactory = _ => 200 };

        var cmd = new Command("analyze",
            "Analyze packet captures (pcap, pcapng) and nettrace recordings: TCP handshakes with their timings and SYN " +
            "retransmissions, ICMP echo RTTs, per-flow counts, and findings with evidence. Exit code 0 = clean, " +
            "1 = analyzed but the input was damaged, 2 = an input could not be read.\n\n" +
            "Examples:\n" +
            "  nettrace analyze node.pcap\n" +
            "  nettrace analyze before-nat.pcapng after-nat.pcapng --json > analysis.json\n" +
            "  nettrace analyze trace.ntrace --html report.html\n" +
            "  nettrace analyze big.pcap --quiet --reader libpcap");
        cmd.Arguments.Add(files);
        foreach (var o in new Option[] { json, html, quiet, reader, slow }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var options = new AnalyzeOptions
            {
                Paths = pr.GetValue(files) ?? [],
                Json = pr.GetValue(json),
                Html = pr.GetValue(html)?.FullName,
                Quiet = pr.GetValue(quiet),
                Reader = pr.GetValue(reader) ?? "auto",
                SlowHandshakeMs = pr.GetValue(slow),
                StderrIsTerminal = !Console.IsErrorRedirected,
            };
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            try
            {
                return Task.FromResult(AnalyzeHandler.Run(options, stdout, Console.Error, ct));
            }
            finally
            {
                stdout.Flush();
            }
        });
        return cmd;
    }
}
