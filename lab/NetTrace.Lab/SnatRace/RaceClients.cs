using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NetTrace.Tracer.Conntrack;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// One thread per pod, each inside its pod's namespace and pinned to its own CPU. Every round all threads bind
/// the same source port (their own pod address, so the binds do not conflict), meet at a spinning barrier and call
/// connect() at the same instant: the SYNs reach the node's MASQUERADE together, both keep the source port because
/// neither conntrack entry is confirmed yet, and the one confirmed second fails its insert and is dropped.
/// The connect itself is asynchronous (the SYN still leaves on the pinned thread, inside connect()), so a loser's
/// 1 s wait for its retransmit does not hold up later rounds.
/// </summary>
internal sealed class RaceClients
{
    private readonly SnatRaceTopology _topo;
    private readonly IPEndPoint _server;
    private readonly int _rounds, _basePort;
    private readonly bool _ephemeral;
    private readonly List<ConnectSample> _samples = [];
    private readonly List<Socket> _open = [];
    private int _pending;

    public RaceClients(SnatRaceTopology topo, IPEndPoint server, int rounds, int basePort, bool ephemeralPorts)
    {
        _topo = topo; _server = server; _rounds = rounds; _basePort = basePort; _ephemeral = ephemeralPorts;
    }

    /// <summary>Runs all rounds, then waits up to <paramref name="drain"/> for connects still retrying.</summary>
    public IReadOnlyList<ConnectSample> Run(TimeSpan drain, Action<int>? roundDone, CancellationToken ct)
    {
        var cpus = CpuAffinity.Allowed();
        var barrier = new SpinBarrier(_topo.Pods);
        var errors = new Exception?[_topo.Pods];
        var threads = Enumerable.Range(0, _topo.Pods).Select(pod => new Thread(() =>
        {
            try
            {
                NetnsThread.Enter(_topo.NetnsPath(_topo.Names.Pod(pod)));
                CpuAffinity.PinCurrentThread(cpus[pod % cpus.Count]);
                for (int r = 0; r < _rounds; r++)
                {
                    StartConnect(pod, r, barrier, ct);
                    if (pod == 0) roundDone?.Invoke(r + 1);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { errors[pod] = e; barrier.Break(); }   // the others would spin for a partner that never comes
        }) { IsBackground = true, Name = $"snat-race-pod{pod}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e != null) is { } err)
        {
            CloseAll();
            throw new LabException($"racing client failed: {err.Message}");
        }

        // Losers complete one initial RTO (1 s) later; give them that, and a second retransmit (3 s) a chance.
        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref _pending) > 0 && deadline.Elapsed < drain && !ct.IsCancellationRequested)
            Thread.Sleep(20);
        CloseAll();
        lock (_samples) return _samples.OrderBy(s => s.Round).ThenBy(s => s.Pod).ToList();
    }

    private void StartConnect(int pod, int round, SpinBarrier barrier, CancellationToken ct)
    {
        var ip = SnatRaceTopology.PodIp(pod);
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // RST on close: no TIME_WAIT piles up in the pod, and the node's conntrack entry closes at once.
        s.LingerState = new LingerOption(true, 0);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(ip, _ephemeral ? 0 : _basePort + round));
        var client = s.LocalEndPoint!.ToString()!;
        lock (_open) _open.Add(s);

        var args = new SocketAsyncEventArgs { RemoteEndPoint = _server };
        barrier.SignalAndWait(ct);
        double startUnix = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        long t0 = Stopwatch.GetTimestamp();
        args.Completed += (_, a) => Complete(pod, round, client, startUnix, t0, s, a);
        Interlocked.Increment(ref _pending);
        if (!s.ConnectAsync(args)) Complete(pod, round, client, startUnix, t0, s, args);
    }

    private void Complete(int pod, int round, string client, double startUnix, long t0, Socket s, SocketAsyncEventArgs a)
    {
        try
        {
            double latency = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            ConnectSample sample = a.SocketError == SocketError.Success
                ? new(pod, round, client, startUnix, latency, TcpInfo.TotalRetrans(s), null)
                : new(pod, round, client, startUnix, null, null, $"connect: {a.SocketError} after {latency:F3} s");
            lock (_samples) _samples.Add(sample);
        }
        finally
        {
            lock (_open) _open.Remove(s);
            s.Dispose();
            a.Dispose();
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Closes connects that never completed; each is recorded as failed.</summary>
    private void CloseAll()
    {
        Socket[] left;
        lock (_open) left = _open.ToArray();
        foreach (var s in left) s.Dispose();   // pending ConnectAsync completes with OperationAborted -> recorded
        var wait = Stopwatch.StartNew();
        while (Volatile.Read(ref _pending) > 0 && wait.ElapsedMilliseconds < 2000) Thread.Sleep(5);
    }
}

/// <summary>TCP_INFO of a connected socket: how many segments (here: SYNs) the kernel retransmitted.</summary>
internal static class TcpInfo
{
    private const int SolTcp = 6, TcpInfoOpt = 11;
    private const int TotalRetransOffset = 100;   // struct tcp_info: 8 bytes of u8 fields, then u32s; total_retrans is the 24th

    public static int? TotalRetrans(Socket s)
    {
        Span<byte> buf = stackalloc byte[232];
        try
        {
            int n = s.GetRawSocketOption(SolTcp, TcpInfoOpt, buf);
            return n >= TotalRetransOffset + 4 ? BitConverter.ToInt32(buf.Slice(TotalRetransOffset, 4)) : null;
        }
        catch (SocketException) { return null; }
        // The lab's shutdown (CloseAll on Ctrl-C / SIGTERM) may close a socket whose connect has just completed: its
        // completion still runs on the thread pool, where an escaping exception would abort the whole process.
        catch (ObjectDisposedException) { return null; }
    }
}
