using System.Diagnostics;
using System.Globalization;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Analyzer.Output;

namespace NetTrace.Cli.Commands;

/// <summary>Runs `nettrace analyze`: analysis, terminal summary or JSON, optional HTML report. Also used by `nettrace demo`.</summary>
public static class AnalyzeHandler
{
    public static int Run(AnalyzeOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options.Paths.Count == 0)
        {
            stderr.WriteLine("nettrace analyze: give at least one capture or recording (see nettrace analyze --help)");
            return Program.ExitUsage;
        }
        var rss = AnalyzeRss.Build(options, out var rssError);
        if (rss is null)
        {
            stderr.WriteLine($"nettrace analyze: {rssError}");
            return Program.ExitUsage;
        }
        var settings = new AnalyzeSettings
        {
            Reader = options.Reader,
            SlowHandshake = TimeSpan.FromMilliseconds(options.SlowHandshakeMs),
            Stalls = new NetTrace.Analyzer.Stalls.StallOptions { Rss = rss },
        };
        var clock = Stopwatch.StartNew();
        var progress = options.Quiet ? null : new StderrProgress(stderr, options.StderrIsTerminal, options.ProgressAfter);
        AnalysisResult result;
        try
        {
            result = CaptureAnalyzer.Analyze(options.Paths, settings, progress, ct);
        }
        catch (OperationCanceledException)
        {
            progress?.Finish();
            stderr.WriteLine("nettrace analyze: cancelled");
            return Program.ExitFailed;
        }
        progress?.Finish();

        if (options.Json)
        {
            WriteJson(result, stdout);
        }
        else
        {
            TerminalSummary.Write(result, stdout, clock.Elapsed);
        }
        stdout.Flush();

        foreach (var p in result.Problems.Where(p => p.Severity == ProblemSeverity.Error))
            stderr.WriteLine($"nettrace analyze: {TerminalSummary.Clean(p.Source)}: {TerminalSummary.Clean(p.Message)}");

        if (options.Html is { } html)
        {
            try
            {
                NetTrace.Reports.HtmlReport.Write(result, html);
                if (!options.Quiet) stderr.WriteLine($"nettrace analyze: HTML report written to {html}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"nettrace analyze: could not write the HTML report {html}: {e.Message}");
                return Program.ExitFailed;
            }
        }
        return CaptureAnalyzer.ExitCode(result);
    }

    private static void WriteJson(AnalysisResult result, TextWriter stdout)
    {
        if (stdout is StreamWriter sw)
        {
            sw.Flush();
            JsonResultWriter.Write(result, sw.BaseStream);
            sw.BaseStream.Flush();
            sw.WriteLine();
        }
        else
        {
            stdout.WriteLine(JsonResultWriter.ToJson(result));
        }
    }

    /// <summary>Synchronous progress on stderr (Progress&lt;T&gt; would post to the thread pool and print late).</summary>
    private sealed class StderrProgress(TextWriter stderr, bool terminal, TimeSpan after) : IProgress<AnalyzeProgress>
    {
        private bool _drawn;
        private TimeSpan? _lastLine;

        public void Report(AnalyzeProgress p)
        {
            if (p.Elapsed < after) return;
            if (!terminal && !p.Final && _lastLine is { } last && p.Elapsed - last < TimeSpan.FromSeconds(1)) return;
            _lastLine = p.Elapsed;
            string pct = p.TotalBytes > 0 ? $" ({100.0 * p.BytesRead / p.TotalBytes:0}%)" : "";
            string line = string.Create(CultureInfo.InvariantCulture,
                $"analyze [{p.FileIndex + 1}/{p.FileCount}] {Path.GetFileName(p.Path)}: {Mb(p.BytesRead)} / {Mb(p.TotalBytes)} MB{pct}, {p.Packets:N0} packets, {p.PacketsPerSecond / 1e6:0.00} M packets/s");
            if (terminal)
            {
                stderr.Write("\r" + line.PadRight(100));
                _drawn = true;
            }
            else
            {
                stderr.WriteLine(line);
            }
        }

        public void Finish()
        {
            if (_drawn) stderr.WriteLine();
            _drawn = false;
        }

        private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);
    }
}
