namespace NetTrace.Cli.Commands;

/// <summary>
/// Runs `nettrace demo`: the analyzer on the capture shipped inside the tool (samples/demo.pcapng, embedded in this
/// assembly), so a fresh install shows what NetTrace finds without any input of the user's.
/// </summary>
public static class DemoHandler
{
    public const string SampleResource = "NetTrace.Cli.demo.pcapng";

    public const string Provenance =
        "samples/demo.pcapng, a synthetic capture made by the project's own generator (bench/NetTrace.CaptureGen, " +
        "profile 'demo', seed 7): pods on one node making ~300 connects to services, with SYNs lost and retransmitted " +
        "at the 1 s initial RTO (connects that took ~1 s and ~3 s), refused and unanswered connects, DNS lookups, and " +
        "node-to-node pings delayed in clusters by RX-queue stalls. Not real traffic.";

    public static int Run(DemoOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string path;
        try
        {
            path = ExtractSample();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            stderr.WriteLine($"nettrace demo: could not extract the built-in sample capture: {e.Message}");
            return Program.ExitFailed;
        }
        try
        {
            // With --json, stdout carries only the JSON document; the explanation goes to stderr.
            var say = options.Json ? stderr : stdout;
            if (!options.Quiet || !options.Json)
            {
                say.WriteLine($"nettrace demo: analyzing the built-in sample capture: {Provenance}");
                say.WriteLine($"nettrace demo: (extracted to {path} for this run)");
                say.WriteLine();
            }
            int code = AnalyzeHandler.Run(new AnalyzeOptions
            {
                Paths = [path],
                Json = options.Json,
                Html = options.Html,
                Quiet = options.Quiet,
                StderrIsTerminal = options.StderrIsTerminal,
            }, stdout, stderr, ct);
            if (!options.Json)
            {
                stdout.WriteLine();
                stdout.WriteLine("Next: run `nettrace analyze <your.pcap>` on a capture of your own, or `nettrace demo --json` for the machine-readable form.");
            }
            return code;
        }
        finally
        {
            try { File.Delete(path); } catch (IOException) { /* a temp file left behind is harmless */ }
        }
    }

    /// <summary>Copies the embedded capture to a new temporary file and returns its path.</summary>
    public static string ExtractSample()
    {
        using var sample = typeof(DemoHandler).Assembly.GetManifestResourceStream(SampleResource)
            ?? throw new InvalidOperationException($"resource {SampleResource} is missing from the nettrace assembly");
        string path = Path.Combine(Path.GetTempPath(), $"nettrace-demo-{Environment.ProcessId}-{Guid.NewGuid():N}.pcapng");
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        sample.CopyTo(file);
        return path;
    }
}
