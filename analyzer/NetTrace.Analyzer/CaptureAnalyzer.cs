using System.Diagnostics;
using NetTrace.Analyzer.Capture;
using NetTrace.Analyzer.Findings;
using NetTrace.Analyzer.Flows;
using NetTrace.Analyzer.Inputs;
using NetTrace.Analyzer.Model;

namespace NetTrace.Analyzer;

/// <summary>Entry point: analyse captures (and any format an <see cref="IInputReader"/> adds) into one result.</summary>
public static class CaptureAnalyzer
{
    public static AnalysisResult Analyze(IReadOnlyList<string> paths, AnalyzeSettings settings,
        IProgress<AnalyzeProgress>? progress, CancellationToken ct)
    {
        var acc = new Accumulator();
        for (int i = 0; i < paths.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            AnalyzeOne(paths[i], i, paths.Count, acc, settings, progress, ct);
        }
        // One compact copy of the handshakes serves the findings and the stall detector.
        using var handshakes = FindingsBuilder.Table(acc.Handshakes, settings);
        var findings = FindingsBuilder.Build(handshakes, acc.IcmpEchoes, acc.Problems, acc.Sources, settings);
        findings.AddRange(acc.Findings);
        if (DetectStalls(handshakes, acc, settings) is { } stalls)
        {
            acc.Stalls.Add(stalls.Analysis);
            if (stalls.Finding is { } stallFinding) findings.Add(stallFinding);
        }
        return new AnalysisResult
        {
            Sources = acc.Sources,
            Summary = acc.Summary(),
            Handshakes = acc.Handshakes,
            IcmpEchoes = acc.IcmpEchoes,
            Flows = acc.Flows,
            Findings = findings,
            Problems = acc.Problems,
            Stalls = acc.MergedStalls(),
        };
    }

    /// <summary>RX-queue stalls from the handshakes and echoes (after flow analysis: the per-packet path is untouched).</summary>
    private static Stalls.StallDetector.Result? DetectStalls(HandshakeTable handshakes, Accumulator acc, AnalyzeSettings settings)
    {
        if (!settings.Stalls.Enabled) return null;
        double trust = acc.Sources.Any(s => !s.Complete) ? 0.6
            : acc.Problems.Any(p => p.Severity != ProblemSeverity.Info) ? 0.8 : 1.0;
        return Stalls.StallDetector.Detect(handshakes, acc.IcmpEchoes, settings.Stalls, trust);
    }

    private static void AnalyzeOne(string path, int index, int count, Accumulator acc, AnalyzeSettings settings,
        IProgress<AnalyzeProgress>? progress, CancellationToken ct)
    {
        IInputReader? reader;
        try
        {
            Span<byte> head = stackalloc byte[64];
            int n;
            using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            head = head[..n];
            if (settings.Reader is "auto" or "")
            {
                reader = InputReaders.Detect(path, head);
                if (reader is null)
                {
                    Unreadable(acc, path, n == 0
                        ? "the file is empty"
                        : $"not a capture or recording this tool reads (first bytes {Convert.ToHexString(head[..Math.Min(8, n)])}); expected pcap, pcapng" +
                          (InputReaders.All.Count > 2 ? " or " + string.Join(", ", InputReaders.All.Skip(2).Select(r => r.Name)) : ""));
                    return;
                }
            }
            else
            {
                reader = InputReaders.ByName(settings.Reader);
                if (reader is null)
                {
                    Unreadable(acc, path, $"unknown reader '{settings.Reader}' (known: {string.Join(", ", InputReaders.All.Select(r => r.Name))})");
                    return;
                }
                if (!reader.CanRead(path, head))
                {
                    Unreadable(acc, path, $"the {reader.Name} reader does not recognize this file");
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Unreadable(acc, path, e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message);
            return;
        }

        var sink = new AnalysisSink(path, acc, settings, progress, index, count, Stopwatch.StartNew(), ct);
        try
        {
            var info = reader.Read(path, sink, ct);
            acc.Sources.Add(info);
        }
        catch (InvalidCaptureException e)
        {
            Unreadable(acc, path, e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // I/O errors, or a bug in a reader: one bad input must not take the other inputs' results with it.
            string why = e is IOException or UnauthorizedAccessException ? e.Message : $"{reader.Name} reader failed: {e.GetType().Name}: {e.Message}";
            acc.Problems.Add(new InputProblem(path, ProblemSeverity.Error, $"reading stopped after {sink.Packets} frame(s): {why}", sink.Packets));
            acc.Sources.Add(new SourceInfo(path, reader.Name, [], sink.Packets, null, null, false, []));
        }
        finally
        {
            sink.Complete();
        }
    }

    private static void Unreadable(Accumulator acc, string path, string why)
    {
        acc.Problems.Add(new InputProblem(path, ProblemSeverity.Error, "could not read: " + why));
        acc.Sources.Add(new SourceInfo(path, "unreadable", [], 0, null, null, false, []));
    }

    /// <summary>0 = clean, 1 = analysed but input damaged (warnings), 2 = some input could not be read at all.</summary>
    public static int ExitCode(AnalysisResult r) =>
        r.Problems.Any(p => p.Severity == ProblemSeverity.Error) ? 2
        : r.Problems.Any(p => p.Severity == ProblemSeverity.Warning) || r.Sources.Any(s => !s.Complete) ? 1
        : 0;
}
