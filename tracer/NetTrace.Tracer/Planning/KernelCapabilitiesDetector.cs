using System.IO.Compression;
using System.Runtime.InteropServices;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Probes;

namespace NetTrace.Tracer.Planning;

/// <summary>Looks at the running kernel once. Side-effect free: the fentry test program is loaded and closed,
/// never attached.</summary>
public static partial class KernelCapabilitiesDetector
{
    private const string VmlinuxBtf = "/sys/kernel/btf/vmlinux";

    private static readonly Lazy<KernelCapabilities> _cached = new(Detect);

    /// <summary>Taken once per process (the kernel does not change under us); <see cref="Detect"/> looks again.</summary>
    public static KernelCapabilities Cached => _cached.Value;

    public static KernelCapabilities Detect()
    {
        var release = ReadTrimmed("/proc/sys/kernel/osrelease") ?? "unknown";
        bool btf = File.Exists(VmlinuxBtf);
        var attachments = ProbeCatalog.All.SelectMany(p => p.Hooks).SelectMany(h => h.Candidates)
            .SelectMany(c => c.Attachments.Select(a => (c.Kind, a.Target))).Distinct().ToList();

        var btfTracepoints = new HashSet<string>();
        var btfFunctions = new HashSet<string>();
        if (btf)
        {
            using var vmlinux = Btf.LoadVmlinux();
            foreach (var (kind, target) in attachments)
            {
                if (kind is AttachKind.TpBtf or AttachKind.RawTracepoint && vmlinux.Has("btf_trace_" + target, BtfKind.Typedef))
                    btfTracepoints.Add(target);
                if (kind == AttachKind.Fentry && vmlinux.Has(target, BtfKind.Func))
                    btfFunctions.Add(target);
            }
        }

        var (kprobes, kprobesEvidence) = DetectKprobes(release);
        var kprobeTargets = attachments.Where(a => a.Kind == AttachKind.Kprobe).Select(a => a.Target).ToHashSet();
        var kallsyms = FindInKallsyms(kprobeTargets);

        var tracefs = FindTracefs();
        var tracepoints = new HashSet<string>();
        if (tracefs != null)
            foreach (var (kind, target) in attachments)
                if (kind == AttachKind.Tracepoint && Directory.Exists(Path.Combine(tracefs, "events", target)))
                    tracepoints.Add(target);

        bool root = geteuid() == 0;
        var (fentry, fentryEvidence) = btf ? DetectFentry(root) : (false, "no kernel BTF");
        var (perf, perfEvidence) = DetectPerfEvents(root);

        return new KernelCapabilities
        {
            KernelRelease = release,
            BtfPresent = btf,
            BtfPath = VmlinuxBtf,
            BtfSizeBytes = btf ? new FileInfo(VmlinuxBtf).Length : 0,
            KprobesAvailable = kprobes,
            KprobesEvidence = kprobesEvidence,
            FentryAvailable = fentry,
            FentryEvidence = fentryEvidence,
            TracefsMounted = tracefs != null,
            TracefsPath = tracefs ?? "",
            BtfTracepoints = btfTracepoints,
            BtfFunctions = btfFunctions,
            KallsymsFunctions = kallsyms,
            Tracepoints = tracepoints,
            LibbpfVersion = $"{Native.libbpf_major_version()}.{Native.libbpf_minor_version()}",
            IsRoot = root,
            PerfEventsAvailable = perf,
            PerfEventsEvidence = perfEvidence,
        };
    }

    /// <summary>perf_event_paranoid exists only with CONFIG_PERF_EVENTS; CPU-wide events need privilege above level 0.</summary>
    private static (bool, string) DetectPerfEvents(bool root)
    {
        var paranoid = ReadTrimmed("/proc/sys/kernel/perf_event_paranoid");
        if (paranoid == null) return (false, "no /proc/sys/kernel/perf_event_paranoid (CONFIG_PERF_EVENTS off?)");
        if (root) return (true, $"perf_event_paranoid={paranoid}, root");
        return int.TryParse(paranoid, out var level) && level <= 0
            ? (true, $"perf_event_paranoid={paranoid}")
            : (false, $"perf_event_paranoid={paranoid} and not root: CPU-wide events need CAP_PERFMON");
    }

    /// <summary>CONFIG_KPROBES from the kernel config plus the kprobe PMU / kprobe_events as runtime evidence.</summary>
    private static (bool, string) DetectKprobes(string release)
    {
        var evidence = new List<string>();
        bool? config = null;
        foreach (var (path, gz) in new[] { ("/proc/config.gz", true), ($"/boot/config-{release}", false) })
        {
            var line = ReadConfigLine(path, gz, "CONFIG_KPROBES");
            if (line == null) continue;
            config = line == "CONFIG_KPROBES=y";
            evidence.Add($"{line} ({path})");
            break;
        }
        bool pmu = Directory.Exists("/sys/bus/event_source/devices/kprobe");
        evidence.Add(pmu ? "kprobe PMU present" : "no kprobe PMU in /sys/bus/event_source/devices");
        bool events = File.Exists("/sys/kernel/tracing/kprobe_events") || File.Exists("/sys/kernel/debug/tracing/kprobe_events");
        if (events) evidence.Add("kprobe_events present");
        // The config is authoritative; without it, the kprobe PMU or kprobe_events file is the evidence.
        if (config == null) evidence.Insert(0, "kernel config not readable");
        return (config ?? (pmu || events), string.Join("; ", evidence));
    }

    private static string? ReadConfigLine(string path, bool gz, string key)
    {
        try
        {
            if (!File.Exists(path)) return null;
            using Stream file = File.OpenRead(path);
            using Stream s = gz ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var r = new StreamReader(s);
            string? line;
            while ((line = r.ReadLine()) != null)
                if (line.StartsWith(key + "=", StringComparison.Ordinal) || line == $"# {key} is not set")
                    return line;
            return $"# {key} is not set";
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (InvalidDataException) { return null; }
    }

    private static HashSet<string> FindInKallsyms(HashSet<string> names)
    {
        var found = new HashSet<string>();
        if (names.Count == 0) return found;
        try
        {
            foreach (var line in File.ReadLines("/proc/kallsyms"))
            {
                // "ffffffff81234560 T tcp_set_state" (+ optional " [module]")
                int a = line.IndexOf(' '), b = a < 0 ? -1 : line.IndexOf(' ', a + 1);
                if (b < 0) continue;
                var type = line[a + 1];
                if (type is not ('T' or 't')) continue;
                int end = line.IndexOf('\t', b + 1);
                var name = end < 0 ? line[(b + 1)..] : line[(b + 1)..end];
                if (names.Contains(name)) found.Add(name);
            }
        }
        catch (IOException) { }
        return found;
    }

    private static string? FindTracefs()
    {
        try
        {
            // thread-self: a thread may have its own mount namespace (libbpf resolves tracepoint ids on this thread).
            var mounts = File.Exists("/proc/thread-self/mounts") ? "/proc/thread-self/mounts" : "/proc/self/mounts";
            foreach (var line in File.ReadLines(mounts))
            {
                var f = line.Split(' ');
                if (f.Length < 3) continue;
                if (f[2] == "tracefs") return f[1];
                if (f[2] == "debugfs" && Directory.Exists(Path.Combine(f[1], "tracing", "events"))) return Path.Combine(f[1], "tracing");
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>Loads capprobe.bpf.o's fentry program (no attach) and closes it again.</summary>
    private static (bool?, string) DetectFentry(bool root)
    {
        if (!root) return (null, "not root: the test load was not tried");
        try
        {
            using var obj = BpfObject.Open(EmbeddedObjects.Read("capprobe"), "nt_capprobe");
            obj.Load();
            return (true, "a test fentry program (tcp_set_state) loaded; closed without attaching");
        }
        catch (LibbpfException e) when (e.Errno is 3 /* ESRCH */ or 2 /* ENOENT */)
        {
            return (null, $"test target tcp_set_state not found: {e.LibbpfMessage}");
        }
        catch (LibbpfException e)
        {
            return (false, $"test fentry load refused: {e.LibbpfMessage} (errno {e.Errno})");
        }
    }

    private static string? ReadTrimmed(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
