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

        var rssKey = new Option<string?>("--rss-key")
        {
            Description = "Toeplitz RSS key of the host that received the traffic, as hex (\"6d:5a:56:...\" as `ethtool -x` prints it). " +
                          "Default: the Microsoft RSS verification key; Linux drivers often pick a random key at boot, so give the real one.",
        };
        var rssQueues = new Option<int?>("--rss-queues") { Description = "RX queue count of that host (round-robin indirection table). Default 8." };
        var rssIndir = new Option<string?>("--rss-indir") { Description = "Its indirection table as queue numbers, e.g. \"0,1,2,3,0,1,2,3\" (hash % entries picks one)." };
        var ethtoolX = new Option<FileInfo?>("--ethtool-x") { Description = "A file with `ethtool -x DEV` output saved on that host: key and indirection table (the options above override it)." };

        var cmd = new Command("analyze",
            "Analyze packet captures (pcap, pcapng) and nettrace recordings: TCP handshakes with their timings and SYN " +
            "retransmissions, ICMP echo RTTs, per-flow counts, and findings with evidence. Exit code 0 = clean, " +
            "1 = analyzed but the input was damaged, 2 = an input could not be read.\n\n" +
            "RX-queue stalls (softirq held off on one CPU, or a whole-host pause) are found from SYN→SYN-ACK and ping " +
            "latencies that spike in clusters and end in a burst; each stall is attributed to the RX queue the receiving " +
            "host's NIC hashes the delayed flows to (Toeplitz RSS). The queue numbers are only as right as the RSS " +
            "settings given: save `ethtool -x DEV` on that host and pass it with --ethtool-x.\n\n" +
            "Examples:\n" +
            "  nettrace analyze node.pcap\n" +
            "  nettrace analyze before-nat.pcapng after-nat.pcapng --json > analysis.json\n" +
            "  nettrace analyze trace.ntrace --html report.html\n" +
            "  nettrace analyze big.pcap --quiet --reader libpcap\n" +
            "  nettrace analyze sender.pcap --ethtool-x node-b-ethtool-x.txt\n" +
            "  nettrace analyze sender.pcap --rss-queues 16 --rss-key 6d:5a:56:da:25:5b:0e:c2:...");
        cmd.Arguments.Add(files);
        foreach (var o in new Option[] { json, html, quiet, reader, slow, rssKey, rssQueues, rssIndir, ethtoolX }) cmd.Options.Add(o);
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
                RssKey = pr.GetValue(rssKey),
                RssQueues = pr.GetValue(rssQueues),
                RssIndirection = pr.GetValue(rssIndir),
                EthtoolX = pr.GetValue(ethtoolX)?.FullName,
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
