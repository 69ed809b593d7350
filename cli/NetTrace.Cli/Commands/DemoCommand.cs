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
        var cmd = new Command("demo",
            "Show what NetTrace finds, with no input of yours: analyzes the capture built into the tool (a synthetic " +
            "node capture with SYNs retransmitted at the 1 s initial RTO, refused and unanswered connects, and pings " +
            "delayed by RX-queue stalls) and prints the summary.\n\n" +
            "Examples:\n" +
            "  nettrace demo\n" +
            "  nettrace demo --json > demo.json\n" +
            "  nettrace demo --html demo.html");
        foreach (var o in new Option[] { json, html, quiet }) cmd.Options.Add(o);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var options = new DemoOptions
            {
                Json = pr.GetValue(json),
                Html = pr.GetValue(html)?.FullName,
                Quiet = pr.GetValue(quiet),
                StderrIsTerminal = !Console.IsErrorRedirected,
            };
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
            try
            {
                return Task.FromResult(DemoHandler.Run(options, stdout, Console.Error, ct));
            }
            finally
            {
                stdout.Flush();
            }
        });
        return cmd;
    }
}
