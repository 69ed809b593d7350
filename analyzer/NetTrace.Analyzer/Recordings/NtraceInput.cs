using NetTrace.Analyzer.Inputs;
using NetTrace.Analyzer.Model;
using NetTrace.Events;
using NetTrace.Events.Recording;

namespace NetTrace.Analyzer.Recordings;

/// <summary>
/// Reads the tracer's .ntrace recordings into the same model as captures: connects become handshakes, echoes
/// become echoes with CPU and context, drops and softirq stalls become findings, lost events become problems.
/// Found by <see cref="InputReaders"/> through its magic bytes.
/// </summary>
public sealed class NtraceInput : IInputReader
{
    public string Name => "ntrace";

    public bool CanRead(string path, ReadOnlySpan<byte> head) => RecordingReader.HasMagic(head);

    public SourceInfo Read(string path, AnalysisSink sink, CancellationToken ct)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        using var reader = new RecordingReader(stream, ownsStream: false);
        var builder = new RecordingAnalysis(path);
        long records = 0;
        var cancelled = false;
        foreach (var e in reader.ReadAll())
        {
            builder.Add(e);
            if ((++records & 4095) == 0)
            {
                sink.ReportProgress(stream.Position, stream.Length, records);
                if (ct.IsCancellationRequested) { cancelled = true; break; }
            }
        }

        var stop = reader.Stop;
        if (stop is { Reason: ReadStopReason.BadHeader })
            throw new Capture.InvalidCaptureException($"{path}: {stop.Message}");

        var output = builder.Finish();
        foreach (var h in output.Handshakes) sink.AddHandshake(h);
        foreach (var e in output.Echoes) sink.AddIcmpEcho(e);
        foreach (var f in output.Flows) sink.AddFlow(f);
        foreach (var f in output.Findings) sink.AddFinding(f);
        foreach (var p in output.Problems) sink.AddProblem(p);
        sink.AddCounts(output.Counts);
        if (output.Stalls != null) sink.AddStalls(output.Stalls);

        var complete = !cancelled && stop is { Complete: true };
        if (cancelled)
            sink.AddProblem(new InputProblem(path, ProblemSeverity.Warning, $"cancelled after record {records}; the rest was not read", records, stream.Position));
        else if (stop is { Complete: false })
            sink.AddProblem(new InputProblem(path, ProblemSeverity.Warning,
                $"recording damaged: {Describe(stop.Reason)} ({stop.Message}); the {stop.RecordsRead} whole record(s) before it were read",
                stop.RecordsRead + 1, stop.Offset));
        sink.ReportProgress(stream.Position, stream.Length, records);
        return new SourceInfo(path, "ntrace", [], records, output.FirstTime, output.LastTime, complete, output.Comments);
    }

    private static string Describe(ReadStopReason r) => r switch
    {
        ReadStopReason.Truncated => "the file ends inside a record (tracer killed or disk full?)",
        ReadStopReason.ChecksumMismatch => "a record's checksum does not match",
        ReadStopReason.BadLength => "an impossible record length",
        ReadStopReason.BadRecord => "a record that does not decode",
        _ => r.ToString(),
    };
}
