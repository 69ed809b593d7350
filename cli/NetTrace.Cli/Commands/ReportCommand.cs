using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace report`: a saved analysis (or captures/recordings) in, one self-contained HTML file out.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("input")
        {
            Description = "A saved analysis (the JSON of `nettrace analyze --json`), or pcap/pcapng/.ntrace files to analyse first.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "The HTML file to write." };
        var title = new Option<string?>("--title") { Description = "Title shown at the top of the report." };
        var quiet = CommonOptions.Quiet();
        var synthetic = new Option<int?>("--synthetic")
        {
            Description = "Benchmark: render a synthetic analysis with this many handshakes instead of reading input; prints the time and size.",
            Hidden = true,
        };

        var cmd = new Command("report",
            "Write the self-contained HTML latency report: what was analysed and what was lost, the findings with " +
            "evidence, receive-path stalls when there are any (per-CPU NET_RX softirq delay heatmap, latency timeline with the " +
            "stalls shaded, RX-queue attribution, each stall with the task that held the CPU), latency over time, percentiles " +
            "and histograms, SYN retransmissions, the worst flows and " +
            "connections. One file with no scripts and nothing loaded from the network; attach it to an incident.\n" +
            "Exit code 0 = written, 1 = written but the input was damaged, 2 = could not read the input or write the report.\n\n" +
            "Examples:\n" +
            "  nettrace analyze node.pcapng --json > analysis.json && nettrace report analysis.json -o report.html\n" +
            "  nettrace report trace.ntrace -o report.html\n" +
            "  nettrace report before-nat.pcapng after-nat.pcapng -o nat.html --title \"checkout connect timeouts\"");
        cmd.Arguments.Add(inputs);
        foreach (var o in new Option[] { output, title, quiet, synthetic }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var options = new ReportOptions
            {
                Inputs = pr.GetValue(inputs) ?? [],
                Output = pr.GetValue(output)?.FullName,
                Title = pr.GetValue(title),
                Quiet = pr.GetValue(quiet),
                SyntheticHandshakes = pr.GetValue(synthetic),
            };
            return Task.FromResult(ReportHandler.Run(options, Console.Out, Console.Error, ct));
        });
        return cmd;
    }
}
