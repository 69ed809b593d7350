using NetTrace.TestSupport;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTrace.Lab.Netns;
using NetTrace.Lab.SnatRace;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Tracer.Tests.Stalls;

/// <summary>
/// A real one-CPU NET_RX stall (KERNEL-NOTES "Real softirq stalls here"): a sender namespace and a receiver
/// namespace joined by veth, the receiver's rx-0 steered to CPU1 with RPS (a NIC queue whose IRQ lands on CPU1);
/// pings and a TCP stream sent from CPU0; and a third namespace with a large IPv6 route table whose device MTU is
/// changed from a process pinned to CPU1 — each change walks every route with bottom halves off, so packets queued
/// to CPU1 wait. Every namespace is removed on Dispose (also after a failed test).
/// </summary>
internal sealed class StallLab : IDisposable
{
    public const int SenderCpu = 0, StallCpu = 1;
    public const string SenderAddress = "10.231.0.1", ReceiverAddress = "10.231.0.2";
    public const int TcpPort = 7311;

    public string Sender { get; }
    public string Receiver { get; }
    public string RouteHolder { get; }
    private readonly List<string> _created = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Thread> _threads = [];
    private Process? _ping;
    private Socket? _listener;
    private int _mtu = 1500;

    // Held from Create to Dispose: other test processes stall CPUs on purpose too (see CpuStallLock).
    private readonly IDisposable _cpuStalls = CpuStallLock.Acquire();

    private StallLab()
    {
        var id = Convert.ToHexString(Guid.NewGuid().ToByteArray())[..6].ToLowerInvariant();
        Sender = "nts" + id;
        Receiver = "ntr" + id;
        RouteHolder = "ntm" + id;
    }

    public string ReceiverNetnsPath => "/run/netns/" + Receiver;

    public static StallLab Create(int routes, bool threadedNapi = false)
    {
        var lab = new StallLab();
        try
        {
            lab.Build(routes);
            if (threadedNapi) lab.UseThreadedNapi();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    private void Build(int routes)
    {
        foreach (var ns in new[] { Sender, Receiver, RouteHolder })
        {
            Ip("netns", "add", ns);
            _created.Add(ns);
            Ip("-n", ns, "link", "set", "lo", "up");
        }
        Ip("link", "add", "ve0", "netns", Sender, "type", "veth", "peer", "name", "ve1", "netns", Receiver);
        Ip("-n", Sender, "addr", "add", SenderAddress + "/24", "dev", "ve0");
        Ip("-n", Receiver, "addr", "add", ReceiverAddress + "/24", "dev", "ve1");
        Ip("-n", Sender, "link", "set", "ve0", "up");
        Ip("-n", Receiver, "link", "set", "ve1", "up");
        // The receiver's packets are processed on CPU1 (RPS), as if the NIC queue's interrupt were bound there.
        Run("ip", "netns", "exec", Receiver, "sh", "-c", $"echo {1 << StallCpu:x} > /sys/class/net/ve1/queues/rx-0/rps_cpus");

        Ip("-n", RouteHolder, "link", "add", "rt0", "type", "veth", "peer", "name", "rt1");
        Ip("-n", RouteHolder, "link", "set", "rt0", "up");
        Ip("-n", RouteHolder, "link", "set", "rt1", "up");
        Ip("-n", RouteHolder, "-6", "addr", "add", "2001:db8::1/64", "dev", "rt0", "nodad");
        var batch = Path.Combine(Path.GetTempPath(), $"{RouteHolder}.routes");
        using (var w = new StreamWriter(batch))
            for (int i = 0; i < routes; i++)
                w.WriteLine($"route add 2001:db8:{i >> 16:x}:{i & 0xffff:x}::/64 dev rt0");
        try { Run("ip", ["-n", RouteHolder, "-6", "-batch", batch], TimeSpan.FromSeconds(60)); }
        finally { File.Delete(batch); }
    }

    /// <summary>The receiver's NAPI kthread ("napi/ve1-N"), set by <c>threadedNapi</c>; its pid is what a tracer names.</summary>
    public (string Comm, int Pid)? NapiThread { get; private set; }

    /// <summary>
    /// Threaded NAPI instead of RPS: GRO on the receiving veth gives it a NAPI context (and TSO/GSO off on the sender
    /// makes its packets eligible for it), `threaded` moves that poll into a kthread, pinned to CPU1. Packets then
    /// wait in the veth's ring until the kthread gets the CPU: no NET_RX softirq is raised at all, which is the
    /// case where raise→entry timing sees nothing and only per-packet latency can.
    /// </summary>
    private void UseThreadedNapi()
    {
        Run("ip", "netns", "exec", Receiver, "sh", "-c", "echo 0 > /sys/class/net/ve1/queues/rx-0/rps_cpus");
        Run("ip", "netns", "exec", Sender, "ethtool", "-K", "ve0", "tso", "off", "gso", "off");
        Run("ip", "netns", "exec", Receiver, "ethtool", "-K", "ve1", "gro", "on");
        var before = NapiThreads();
        Run("ip", "netns", "exec", Receiver, "sh", "-c", "echo 1 > /sys/class/net/ve1/threaded");
        // Other namespaces may have a ve1 too: ours is the kthread that appeared just now.
        for (int i = 0; i < 50 && NapiThread == null; i++)
        {
            var born = NapiThreads().Where(t => t.Comm.StartsWith("napi/ve1-", StringComparison.Ordinal) && !before.Contains(t)).ToList();
            if (born.Count == 1) NapiThread = born[0];
            else Thread.Sleep(20);
        }
        if (NapiThread is not { } napi) throw new InvalidOperationException("no napi/ve1-* kthread appeared after enabling threaded NAPI");
        Run("taskset", "-p", "-c", StallCpu.ToString(), napi.Pid.ToString());
    }

    private static HashSet<(string Comm, int Pid)> NapiThreads()
    {
        var found = new HashSet<(string, int)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                if (comm.StartsWith("napi/", StringComparison.Ordinal)) found.Add((comm, pid));
            }
            catch (IOException) { }          // exited meanwhile
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    /// <summary>Keeps CPU1 busy for <paramref name="duration"/> from a real-time thread (SCHED_FIFO 10), so ordinary
    /// threads there — the NAPI kthread — wait. Spins on the clock only (no allocation: a GC never waits for it).
    /// Returns the spin's start (Unix seconds).</summary>
    public static double StarveStallCpu(TimeSpan duration)
    {
        double start = 0;
        var t = new Thread(() =>
        {
            CpuAffinity.PinCurrentThread(StallCpu);
            CpuAffinity.MakeRealtime(10);
            start = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
            long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < end) { }
        }) { IsBackground = true, Name = "cpu1-starver" };
        t.Start();
        t.Join();   // the thread ends, its real-time policy with it
        return start;
    }

    /// <summary>Pings every 2 ms and a TCP stream of 64-byte writes every 2 ms, both sent from CPU0, until Dispose.</summary>
    public void StartTraffic(TimeSpan duration)
    {
        var count = (int)(duration.TotalMilliseconds / 2);
        // Real-time priority (bounded: each sender sleeps 2 ms between packets): on a busy 2-CPU machine an ordinary
        // sender can be off the CPU for a whole stall, and a stall nobody sends into delays nothing.
        _ping = Process.Start(new ProcessStartInfo("chrt",
            ["-f", "10", "taskset", "-c", SenderCpu.ToString(), "ip", "netns", "exec", Sender, "ping", "-q", "-n", "-i", "0.002", "-W", "1", "-c", count.ToString(), ReceiverAddress])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;

        _listener = NetnsThread.Run("/run/netns/" + Receiver, () =>
        {
            var l = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            l.Bind(new IPEndPoint(IPAddress.Parse(ReceiverAddress), TcpPort));
            l.Listen();
            return l;
        });
        var listener = _listener;
        Start(() =>
        {
            try
            {
                using var conn = listener.Accept();
                var buf = new byte[4096];
                while (!_stop.IsCancellationRequested && conn.Receive(buf) > 0) { }
            }
            catch (SocketException) { } // closed by Dispose
            catch (ObjectDisposedException) { }
        });
        Start(() =>
        {
            NetnsThread.Enter("/run/netns/" + Sender);
            CpuAffinity.PinCurrentThread(SenderCpu);
            // Nice -20, not SCHED_FIFO: a real-time managed thread that waits for a GC run by a normal thread on its
            // CPU can starve that thread (the softirq-stall lab saw a stall start 860 ms late that way).
            if (CpuAffinity.TryNice(-20) is { } refused) throw new InvalidOperationException("cannot raise the sender's priority: " + refused);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.Connect(IPAddress.Parse(ReceiverAddress), TcpPort);
            var payload = new byte[64];
            var end = Stopwatch.StartNew();
            try
            {
                while (!_stop.IsCancellationRequested && end.Elapsed < duration)
                {
                    client.Send(payload);
                    Thread.Sleep(2);
                }
            }
            catch (SocketException) { }
        });
    }

    /// <summary>Sends <paramref name="count"/> 64-byte UDP datagrams from the sender namespace on CPU0 to a bound
    /// receiver socket nobody reads (its queue overflows: every datagram still crosses the receive path). Returns
    /// the elapsed time.</summary>
    public TimeSpan SendUdpFlood(int count, int port = 7312)
    {
        using var sink = NetnsThread.Run(ReceiverNetnsPath, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse(ReceiverAddress), port));
            return s;
        });
        return NetnsThread.Run("/run/netns/" + Sender, () =>
        {
            CpuAffinity.PinCurrentThread(SenderCpu);
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var to = new IPEndPoint(IPAddress.Parse(ReceiverAddress), port);
            var payload = new byte[64];
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i++) s.SendTo(payload, to);
            return clock.Elapsed;
        });
    }

    /// <summary>Packets the receiving veth dropped (its rx_dropped: a full RPS backlog on the target CPU counts here
    /// on this kernel), read with `ip -s -j link`.</summary>
    public long ReceiverRxDropped()
    {
        var r = CommandRunner.Run("ip", ["-n", Receiver, "-s", "-j", "link", "show", "ve1"]);
        if (r.ExitCode != 0) throw new LabCommandException("ip -s -j link show ve1", r.ExitCode, r.Stderr);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var rx = doc.RootElement[0].GetProperty("stats64").GetProperty("rx");
        return rx.GetProperty("dropped").GetInt64();
    }

    private void Start(Action body)
    {
        var t = new Thread(() => body()) { IsBackground = true, Name = "stall-lab" };
        _threads.Add(t);
        t.Start();
    }

    /// <summary>One MTU change of the route-holding namespace's device from a process pinned to CPU1: the kernel
    /// walks the whole IPv6 route table with bottom halves off. Returns the process id and its wall time.</summary>
    public (int Pid, TimeSpan Elapsed) ChangeMtuOnStallCpu()
    {
        _mtu = _mtu == 1500 ? 1400 : 1500;
        var psi = new ProcessStartInfo("taskset", ["-c", StallCpu.ToString(), "ip", "-n", RouteHolder, "link", "set", "rt0", "mtu", _mtu.ToString()])
            { RedirectStandardError = true, RedirectStandardOutput = true };
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        if (!p.WaitForExit(30_000)) { p.Kill(); throw new TimeoutException("ip link set mtu did not finish in 30 s"); }
        var elapsed = clock.Elapsed;
        if (p.ExitCode != 0) throw new InvalidOperationException("ip link set mtu failed: " + p.StandardError.ReadToEnd());
        return (p.Id, elapsed); // taskset execs ip: one pid
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _ping?.Kill(); } catch (InvalidOperationException) { }
        _ping?.Dispose();
        _listener?.Dispose();
        foreach (var t in _threads) t.Join(TimeSpan.FromSeconds(5));
        // Delete the route table's device while we still hold the lock: a namespace deleted with 100k routes is
        // flushed later by a kworker with bottom halves off, a 0.2 s stall on some CPU in whichever test runs next.
        if (_created.Contains(RouteHolder)) CommandRunner.Run("ip", ["-n", RouteHolder, "link", "del", "rt0"]);
        foreach (var ns in _created) CommandRunner.Run("ip", ["netns", "del", ns]);
        _cpuStalls.Dispose();
    }

    private static void Ip(params string[] args) => Run("ip", args);

    private static void Run(string file, params string[] args) => Run(file, args, null);

    private static void Run(string file, string[] args, TimeSpan? timeout)
    {
        var r = CommandRunner.Run(file, args, timeout);
        if (r.ExitCode != 0) throw new LabCommandException(file + " " + string.Join(' ', args), r.ExitCode, r.Stderr);
    }
}
