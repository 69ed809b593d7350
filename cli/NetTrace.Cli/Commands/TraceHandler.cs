using NetTrace.Events;
using NetTrace.Events.Recording;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Sources;
using NetTrace.Tracer.Trace;
using NetTrace.Tracer.Trace.LiveView;

namespace NetTrace.Cli.Commands;

/// <summary>
/// Runs `nettrace trace`: validates the options, starts the kernel session (or the injected source), and runs the
/// <see cref="TraceRunner"/> until the duration or the token ends it. Exit: 0 ok, 1 events were lost,
/// 2 could not trace (privileges, kernel, output file), 64 bad options.
/// </summary>
public sealed class TraceHandler(TraceOptions options, TextWriter stdout, TextWriter stderr,
    bool stdoutIsTerminal = false, bool stderrIsTerminal = false,
    Func<TraceRequest, ITraceEventSource>? sourceFactory = null,
    Func<MetadataOptions, CancellationToken, Task<MetadataSession>>? metadataFactory = null)
{
    private readonly Func<TraceRequest, ITraceEventSource> _sourceFactory = sourceFactory ?? KernelEventSource.Start;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        TraceRequest request;
        TimeSpan? duration;
        try
        {
            (request, duration) = Validate();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or FileNotFoundException or IOException)
        {
            await stderr.WriteLineAsync("nettrace trace: " + e.Message);
            return Program.ExitUsage;
        }

        // Pod metadata (CRI, apiserver) is optional: sources that do not answer are reported, events keep raw ids.
        await using var metadata = options.NoMetadata ? null : await (metadataFactory ?? MetadataSession.StartAsync)(
            new MetadataOptions { CriEndpoint = options.CriEndpoint, Kubeconfig = options.Kubeconfig }, ct);
        if (metadata != null && !options.Quiet)
            await Diagnostic("pod metadata: " + string.Join("; ", metadata.Sources));
        if (options.Pods.Count > 0 || options.Namespace != null)
        {
            var pods = PodTargets(metadata);
            if (pods.Count == 0)
            {
                await stderr.WriteLineAsync("nettrace trace: no ready pod on this node matches " +
                    $"{string.Join(" ", options.Pods.Select(p => "--pod " + p))}{(options.Namespace != null ? " --namespace " + options.Namespace : "")}" +
                    (metadata == null ? " (--no-metadata)" : $" ({string.Join("; ", metadata.Sources.Where(s => s.Source == "CRI"))})"));
                return Program.ExitUsage;
            }
            request = request with { Netns = [.. request.Netns, .. pods] };
        }

        RecordingWriter? recording = null;
        if (options.Output is { } path)
        {
            try
            {
                recording = RecordingWriter.Create(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"nettrace trace: cannot write {path}: {e.Message}");
                return Program.ExitFailed;
            }
        }

        ITraceEventSource source;
        try
        {
            source = _sourceFactory(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            recording?.Dispose();
            if (options.Output is { } p && new FileInfo(p).Length <= RecordingFormat.HeaderLength) File.Delete(p);
            await stderr.WriteLineAsync("nettrace trace: could not start tracing: " + e.Message);
            if (Environment.UserName != "root")
                await stderr.WriteLineAsync("nettrace trace: eBPF tracing needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN).");
            return Program.ExitFailed;
        }

        using (source)
        using (recording)
        {
            var json = options.Json ? new JsonLinesWriter(stdout) : null;
            var header = Header(request, source);
            var view = ChooseView();
            if (!options.Quiet && view is not NoLiveView)
                await Diagnostic($"tracing {string.Join(", ", header.Probes.Where(p => p.Attached).Select(p => $"{p.Probe} ({p.Attach})"))}" +
                                 (duration is { } d ? $" for {d}" : " until Ctrl-C") +
                                 (options.Output != null ? $", recording to {options.Output}" : ""));
            var runner = new TraceRunner(source, request.UserFilter(), header, new TraceOutputs(recording, json, view),
                metadata == null ? null : new EventEnricher(metadata.Resolver));
            var result = await runner.RunAsync(duration, ct);
            json?.Dispose();
            await stdout.FlushAsync(CancellationToken.None);
            if (result.Error != null)
            {
                await stderr.WriteLineAsync("nettrace trace: " + result.Error);
                return Program.ExitFailed;
            }
            if (options.Output != null && !options.Quiet)
                await Diagnostic($"recording: {options.Output} ({result.RecordingEvents} records)");
            if (result.TotalLost > 0)
            {
                await stderr.WriteLineAsync($"nettrace trace: {result.TotalLost} event(s) LOST (ring buffer full): " +
                    string.Join(", ", result.Lost.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}")));
                return Program.ExitWarnings;
            }
            return Program.ExitOk;
        }
    }

    /// <summary>The network namespaces of the pods --pod / --namespace name (pods on this node, from CRI).</summary>
    private List<NetnsTarget> PodTargets(MetadataSession? metadata)
    {
        if (metadata == null) return [];
        var names = options.Pods.Count > 0 ? options.Pods : [null];
        return names.SelectMany(n => metadata.Index.FindPods(n, options.Namespace))
            .DistinctBy(s => s.NetnsInode)
            .Select(s => new NetnsTarget($"pod {s.Pod}", s.NetnsPath ?? $"/proc/{s.Pid}/ns/net", s.NetnsInode))
            .ToList();
    }

    private (TraceRequest, TimeSpan?) Validate()
    {
        TimeSpan? duration = options.Duration is { } d ? DurationParser.Parse(d) : null;
        foreach (var p in options.Ports)
            if (p is < 1 or > 65535) throw new FormatException($"--port {p}: must be 1..65535");
        foreach (var p in options.Pids)
            if (p < 1) throw new FormatException($"--pid {p}: must be a positive process id");
        if (options.SoftirqThresholdMs <= 0) throw new FormatException("--softirq-threshold-ms must be positive");
        var stallThreshold = options.StallThreshold is { } st ? DurationParser.Parse(st) : TimeSpan.FromMilliseconds(2);
        if (stallThreshold <= TimeSpan.Zero) throw new FormatException("--stall-threshold must be positive");
        if (options.Output is { } o && !o.EndsWith(RecordingFormat.FileExtension, StringComparison.Ordinal))
            throw new FormatException($"-o {o}: recordings end in {RecordingFormat.FileExtension}");
        var request = new TraceRequest
        {
            Netns = options.Netns.Select(NetnsTarget.Resolve).ToList(),
            Pids = options.Pids.Select(p => (uint)p).ToList(),
            Ports = options.Ports.Select(p => (uint)p).Distinct().ToList(),
            Cidrs = new CidrSet(options.Cidrs),
            Probes = TraceRequest.ParseProbes(options.Probes),
            SoftirqThreshold = TimeSpan.FromMilliseconds(options.SoftirqThresholdMs),
            RxLatencyThreshold = stallThreshold,
            IncludeUnspecifiedDrops = options.IncludeUnspecifiedDrops,
            ExcludedDropReasons = options.ExcludedDropReasons,
        };
        return (request, duration);
    }

    private SessionHeader Header(TraceRequest request, ITraceEventSource source)
    {
        var now = DateTimeOffset.UtcNow;
        return new SessionHeader
        {
            Host = Environment.MachineName,
            Kernel = ReadFirstLine("/proc/sys/kernel/osrelease"),
            ToolVersion = typeof(TraceHandler).Assembly.GetName().Version?.ToString(3) ?? "0",
            StartTimeUnixNs = (ulong)(now - DateTimeOffset.UnixEpoch).Ticks * 100,
            StartKtimeNs = (ulong)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency)),
            Probes = { source.Probes },
            Filters = request.UserFilter().Describe(request.Netns.Select(n => n.Spec)),
            CommandLine = string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
        };
    }

    private ILiveView ChooseView()
    {
        if (options.Quiet || options.View == "none") return new NoLiveView();
        // With --json, stdout carries the events: the view moves to stderr.
        var (writer, isTerminal) = options.Json ? (stderr, stderrIsTerminal) : (stdout, stdoutIsTerminal);
        return options.View switch
        {
            "table" => new TerminalTableView(writer),
            "lines" => new RollingLinesView(writer),
            _ => isTerminal ? new TerminalTableView(writer) : new RollingLinesView(writer),
        };
    }

    private Task Diagnostic(string line) => stderr.WriteLineAsync("nettrace trace: " + line);

    private static string ReadFirstLine(string path)
    {
        try { return File.ReadLines(path).FirstOrDefault()?.Trim() ?? ""; }
        catch (IOException) { return ""; }
    }
}
