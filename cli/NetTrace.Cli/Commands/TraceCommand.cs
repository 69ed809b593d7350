using System.CommandLine;
using System.Runtime.InteropServices;

namespace NetTrace.Cli.Commands;

/// <summary>`nettrace trace`: live eBPF tracing of the network path, with a live view, JSON lines and recordings.</summary>
public static class TraceCommand
{
    public static Command Create()
    {
        var duration = new Option<string?>("--duration", "-d") { Description = "How long to trace (30s, 5m, 1h, 250ms). Default: until Ctrl-C / SIGTERM." };
        var netns = new Option<string[]>("--netns") { Description = "Only this network namespace: a name in /var/run/netns or a path such as /proc/PID/ns/net (repeatable).", AllowMultipleArgumentsPerToken = false };
        var pid = new Option<int[]>("--pid") { Description = "Only connects and sends of this process (tgid; repeatable)." };
        var port = new Option<int[]>("--port", "-p") { Description = "Only traffic with this source or destination port (repeatable)." };
        var cidr = new Option<string[]>("--cidr") { Description = "Only traffic with an address in this prefix, e.g. 10.244.0.0/16 (repeatable)." };
        var probes = new Option<string[]>("--probes") { Description = "Probes to attach (comma-separated or repeated): tcp-connect, tcp-sendmsg, icmp-echo, drops, softirq, rx-latency, cpu-gaps, all. Default: all." };
        var output = new Option<string?>("--output", "-o") { Description = "Write a recording (FILE.ntrace) for `nettrace analyze` / `nettrace report`." };
        var json = CommonOptions.Json();
        json.Description = "Write events as JSON lines to stdout (one event per line, plus periodic \"stats\" lines with lost counts).";
        var quiet = CommonOptions.Quiet();
        var view = new Option<string>("--view") { Description = "Live view: auto (table on a terminal, rolling lines otherwise), table, lines, none.", DefaultValueFactory = _ => "auto" };
        view.AcceptOnlyFromAmong("auto", "table", "lines", "none");
        var softirqMs = new Option<double>("--softirq-threshold-ms") { Description = "Report softirq delays/run times above this (ms); histograms see every run.", DefaultValueFactory = _ => 1.0 };
        var stallThreshold = new Option<string?>("--stall-threshold")
        {
            Description = "Stream received packets that waited at least this long between being queued to a CPU and the stack " +
                          "processing them (rx-latency probe; the per-CPU histograms count every packet). E.g. 0.5ms, 2ms, 10ms. Default 2ms.",
        };
        var unspecified = new Option<bool>("--include-unspecified-drops") { Description = "Also report drops whose reason is NOT_SPECIFIED (noisy)." };
        var excludeDrops = new Option<string[]>("--exclude-drop-reasons")
        {
            Description = "Drop reasons never streamed, comma-separated, at most 8 (default QUEUE_PURGE: packets still queued " +
                "when a socket closes, one per short connection). 'none' streams every reason.",
            AllowMultipleArgumentsPerToken = true,
        };
        var pod = new Option<string[]>("--pod") { Description = "Only this pod on this node: a name or a prefix ending in * (repeatable); resolved through the CRI runtime to its network namespace." };
        var podNamespace = new Option<string?>("--namespace") { Description = "Only pods of this Kubernetes namespace on this node (alone, or narrowing --pod)." };
        var criEndpoint = CommonOptions.CriEndpoint();
        var kubeconfig = CommonOptions.Kubeconfig();
        var noMetadata = new Option<bool>("--no-metadata") { Description = "Do not ask the CRI runtime or the apiserver for pod names; events keep raw ids." };

        var cmd = new Command("trace",
            "Trace the kernel's network path live with eBPF: TCP connects (latency, outcome, SYN retransmits), TCP sends per " +
            "flow, ICMP echo handling (CPU, context, lateness), drops with reasons, NET_RX softirq delays per CPU with the task " +
            "that held the CPU, per-packet receive-path latency (which flows waited, ICMP vs TCP), and CPU clock gaps " +
            "(whole-VM pauses vs one-CPU stalls). Needs root.\n\n" +
            "Examples:\n" +
            "  nettrace trace --duration 30s\n" +
            "  nettrace trace --netns cni-1234 --port 443 -o node.ntrace\n" +
            "  nettrace trace --netns /proc/4242/ns/net --probes tcp-connect,drops --json | jq .\n" +
            "  nettrace trace --cidr 10.96.0.0/12 --duration 5m -o svc.ntrace && nettrace analyze svc.ntrace\n" +
            "  nettrace trace --namespace shop --pod 'checkout-*' --probes tcp-connect --json\n" +
            "  nettrace trace --probes softirq,rx-latency,cpu-gaps --stall-threshold 5ms -d 2m -o stalls.ntrace\n" +
            "      (RX stalls: which CPU, which task held NET_RX off, which flows waited; then `nettrace analyze stalls.ntrace`)\n\n" +
            "Events name their pod and container when the CRI runtime answers (containerd's or CRI-O's socket, or " +
            "--cri-endpoint); `nettrace probe` shows which metadata sources answer.");
        foreach (var o in new Option[] { duration, netns, pid, port, cidr, probes, output, json, quiet, view, softirqMs, stallThreshold, unspecified, excludeDrops,
                     pod, podNamespace, criEndpoint, kubeconfig, noMetadata })
            cmd.Options.Add(o);

        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var options = new TraceOptions
            {
                Duration = pr.GetValue(duration),
                Netns = pr.GetValue(netns) ?? [],
                Pids = pr.GetValue(pid) ?? [],
                Ports = pr.GetValue(port) ?? [],
                Cidrs = pr.GetValue(cidr) ?? [],
                Probes = pr.GetValue(probes) ?? [],
                Output = pr.GetValue(output),
                Json = pr.GetValue(json),
                Quiet = pr.GetValue(quiet),
                View = pr.GetValue(view) ?? "auto",
                SoftirqThresholdMs = pr.GetValue(softirqMs),
                StallThreshold = pr.GetValue(stallThreshold),
                IncludeUnspecifiedDrops = pr.GetValue(unspecified),
                ExcludedDropReasons = pr.GetResult(excludeDrops) is not null && pr.GetValue(excludeDrops) is { } ex
                    ? ex.SelectMany(x => x.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        .Where(x => !x.Equals("none", StringComparison.OrdinalIgnoreCase)).ToList()
                    : null,
                Pods = pr.GetValue(pod) ?? [],
                Namespace = pr.GetValue(podNamespace),
                CriEndpoint = pr.GetValue(criEndpoint),
                Kubeconfig = pr.GetValue(kubeconfig),
                NoMetadata = pr.GetValue(noMetadata),
            };
            // SIGINT / SIGTERM end the trace cleanly: the handler drains, writes the end of the recording and detaches.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            // Buffered stdout: JSON lines at tens of thousands per second must not cost a write() each.
            await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            var handler = new TraceHandler(options, stdout, Console.Error,
                stdoutIsTerminal: !Console.IsOutputRedirected, stderrIsTerminal: !Console.IsErrorRedirected);
            return await handler.RunAsync(stop.Token);
        });
        return cmd;
    }
}
