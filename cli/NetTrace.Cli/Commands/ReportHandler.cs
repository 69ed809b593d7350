using System.Diagnostics;
using System.Globalization;
using NetTrace.Analyzer;
using NetTrace.Analyzer.Model;
using NetTrace.Reports;
using NetTrace.Analyzer.Output;
using NetTrace.Reports.Synthetic;

namespace NetTrace.Cli.Commands;

/// <summary>Runs `nettrace report`: read a saved analysis or analyse captures, then write the HTML report.</summary>
public static class ReportHandler
{
    public static int Run(ReportOptions options, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (options.Output is null)
        {
            stderr.WriteLine("nettrace report: say where to write the report with -o FILE.html (see nettrace report --help)");
            return Program.ExitUsage;
        }
        var htmlOptions = new HtmlReportOptions();
        if (options.Title is { Length: > 0 } t) htmlOptions = htmlOptions with { Title = t };

        if (options.SyntheticHandshakes is { } n) return RunSynthetic(n, options.Output, htmlOptions, stdout, stderr);
        if (options.Inputs.Count == 0)
        {
            stderr.WriteLine("nettrace report: give a saved analysis (analysis.json) or captures/recordings (see nettrace report --help)");
            return Program.ExitUsage;
        }

        AnalysisResult result;
        try
        {
            result = Load(options.Inputs, ct, out var fromJson);
            if (!options.Quiet)
                stderr.WriteLine(fromJson
                    ? $"nettrace report: read the saved analysis {options.Inputs[0]}"
                    : $"nettrace report: analysed {options.Inputs.Count} file(s)");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"nettrace report: {Clean(e.Message)}");
            return Program.ExitFailed;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("nettrace report: cancelled");
            return Program.ExitFailed;
        }

        foreach (var p in result.Problems.Where(p => p.Severity == ProblemSeverity.Error))
            stderr.WriteLine($"nettrace report: {Clean(p.Source)}: {Clean(p.Message)}");
        try
        {
            HtmlReport.Write(result, options.Output, htmlOptions);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"nettrace report: could not write {options.Output}: {e.Message}");
            return Program.ExitFailed;
        }
        if (!options.Quiet) stderr.WriteLine($"nettrace report: written to {options.Output}");
        return CaptureAnalyzer.ExitCode(result);
    }

    /// <summary>A saved analysis is JSON (starts with '{'); anything else goes through the analyzer.</summary>
    private static AnalysisResult Load(IReadOnlyList<string> inputs, CancellationToken ct, out bool fromJson)
    {
        var json = inputs.Where(LooksLikeJson).ToList();
        fromJson = json.Count > 0;
        if (!fromJson) return CaptureAnalyzer.Analyze(inputs, AnalyzeSettings.Default, null, ct);
        if (inputs.Count > 1)
            throw new ArgumentException($"a saved analysis ({json[0]}) is reported on its own; to combine files, analyse them together with `nettrace analyze ... --json`");
        return JsonResultReader.Read(inputs[0]);
    }

    private static bool LooksLikeJson(string path)
    {
        if (!File.Exists(path)) return false;
        using var f = File.OpenRead(path);
        Span<byte> head = stackalloc byte[256];
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        foreach (byte b in head[..n])
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF) continue;   // whitespace, UTF-8 BOM
            return b == (byte)'{';
        }
        return false;
    }

    /// <summary>Benchmark entry: times only the report (not the synthetic data) and prints seconds and size.</summary>
    private static int RunSynthetic(int handshakes, string output, HtmlReportOptions htmlOptions, TextWriter stdout, TextWriter stderr)
    {
        if (handshakes < 0)
        {
            stderr.WriteLine("nettrace report: --synthetic needs a non-negative count");
            return Program.ExitUsage;
        }
        var result = SyntheticAnalysis.Create(handshakes);
        var parts = new List<string>();
        htmlOptions = htmlOptions with { OnTiming = (part, t) => parts.Add(string.Create(CultureInfo.InvariantCulture, $"{part} {t.TotalSeconds:0.000} s")) };
        GC.Collect();
        var clock = Stopwatch.StartNew();
        HtmlReport.Write(result, output, htmlOptions);
        clock.Stop();
        long bytes = new FileInfo(output).Length;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"report: {handshakes} handshakes, {result.IcmpEchoes.Count} echoes -> {output}: {clock.Elapsed.TotalSeconds:0.000} s, {bytes} bytes ({bytes / 1e6:0.00} MB), peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:0} MB"));
        stdout.WriteLine("  " + string.Join("; ", parts));
        return Program.ExitOk;
    }

    /// <summary>Control characters from file names or messages must not drive the terminal.</summary>
    private static string Clean(string s) => new(s.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
