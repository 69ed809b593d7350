using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The lab's own load tester, in the client namespace on the sender CPU: every tick one ICMP echo (always the same
/// flow, so always the stalled queue) and two TCP connects, each from a new source port (a new flow): one whose RSS
/// queue is the stalled one and one on another queue (see <see cref="RssSteering"/>). Not `ping -i`: ping's short intervals
/// are not kept (it sends every ~16 ms and pauses after unanswered requests) and it would hide the very clustering
/// the lab shows. Replies are timed by the kernel (see <see cref="ProbeSample"/>).
/// <para>The sending thread runs at nice -20: it stands for a load tester on another machine, so the lab machine's
/// own load should not decide when it sends. Measured without it: one busy thread sharing the sender CPU paused the
/// sends for 4-30 ms dozens of times per second, and a 20 ms stall fell into such a pause with one probe in flight.
/// Not SCHED_FIFO: a real-time managed thread that spin-waits for a garbage collection run by a normal thread on
/// its CPU starves that very thread (seen: a stall started 860 ms late, until real-time throttling let it run).</para>
/// </summary>
internal sealed partial class Prober
{
    private readonly SoftirqStallOptions _o;
    private readonly SoftirqStallTopology _topo;
    private readonly ushort _icmpId = (ushort)Random.Shared.Next(1, 0xfffe);
    private readonly double[] _icmpSend, _icmpReply;          // [tick], NaN = none
    private readonly List<ProbeSample> _tcp = [];
    private readonly int _ticks;          // capacity: twice the planned run, for stalls that run late on a loaded machine
    private long _endAt = long.MaxValue;  // Stopwatch time the probing ends (set once the stalls are done)
    private volatile bool _stop;
    private int _sent;                    // ticks actually sent

    public Prober(SoftirqStallOptions o, SoftirqStallTopology topo)
    {
        _o = o;
        _topo = topo;
        _ticks = (int)Math.Min(65_535, Math.Ceiling(2 * o.PlannedDuration.TotalMilliseconds / o.IntervalMs));
        if (o.PlannedDuration.TotalMilliseconds / o.IntervalMs > 65_535)
            throw new ArgumentException("too many probe ticks for 16-bit ICMP sequence numbers: raise --interval-ms");
        _icmpSend = NaNs(_ticks);
        _icmpReply = NaNs(_ticks);
        Steering = new RssSteering(SoftirqStallTopology.ClientIp, SoftirqStallTopology.ServerIp, o.ServerPort);
        if (Steering.StalledPorts.Count == 0 || Steering.ControlPorts.Count == 0)
            throw new LabException("no source port hashes to the stalled RX queue (or none to the others)");
    }

    public RssSteering Steering { get; }

    /// <summary>Why the sender could not raise its priority (then it ran at normal priority), or null.</summary>
    public string? PriorityRefused { get; private set; }

    private static double[] NaNs(int n) { var a = new double[n]; Array.Fill(a, double.NaN); return a; }

    /// <summary>Ends the probing <paramref name="tail"/> after now (call when the last stall is over). Until then the
    /// prober keeps going, up to twice the planned duration.</summary>
    public void EndAfter(TimeSpan tail) =>
        Interlocked.Exchange(ref _endAt, Stopwatch.GetTimestamp() + (long)(tail.TotalSeconds * Stopwatch.Frequency));

    /// <summary>Probes from <paramref name="origin"/> (Stopwatch time) until <see cref="EndAfter"/>'s time (or its
    /// capacity), then waits a little for the last replies. Blocks; returns every probe sent.</summary>
    public IReadOnlyList<ProbeSample> Run(long origin, CancellationToken ct)
    {
        Socket? icmp = null;
        Exception? error = null;
        Thread? receiver = null;
        var sender = new Thread(() =>
        {
            try
            {
                NetTrace.Tracer.Conntrack.NetnsThread.Enter(_topo.Client.Path);
                CpuAffinity.PinCurrentThread(_o.SenderCpu);
                PriorityRefused = CpuAffinity.TryNice(-20);
                icmp = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp) { ReceiveTimeout = 100 };
                KernelStamp(icmp);   // turns receive timestamping on before the first reply
                receiver = new Thread(() => Receive(icmp)) { IsBackground = true, Name = "softirq-lab-icmp-rx" };
                receiver.Start();
                Send(icmp, origin, ct);
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "softirq-lab-prober" };
        sender.Start();
        sender.Join();
        _stop = true;
        receiver?.Join();
        icmp?.Dispose();
        if (error != null) throw new LabException($"prober failed: {error.Message}");
        ct.ThrowIfCancellationRequested();
        return Samples();
    }

    private sealed class PendingConnect(Socket s, ProbePath path, int tick, double sendUnix, long sendTs, int port)
    {
        public Socket Socket = s; public ProbePath Path = path; public int Tick = tick;
        public double SendUnix = sendUnix; public long SendTs = sendTs; public int Port = port;
    }

    private void Send(Socket icmp, long origin, CancellationToken ct)
    {
        var tcpTarget = new IPEndPoint(SoftirqStallTopology.ServerIp, _o.ServerPort);
        var icmpTarget = new IPEndPoint(SoftirqStallTopology.ServerIp, 0);
        IReadOnlyList<ushort>[] ports = [Steering.StalledPorts, Steering.ControlPorts];
        var pending = new List<PendingConnect>();
        var packet = new byte[16];
        long drainUntil = 0;
        for (int tick = 0; ; )
        {
            ct.ThrowIfCancellationRequested();
            long now = Stopwatch.GetTimestamp();
            long due = origin + (long)(tick * _o.IntervalMs * Stopwatch.Frequency / 1000);
            if (tick < _ticks && now >= Interlocked.Read(ref _endAt))
            {
                _sent = tick;
                tick = _ticks;
                drainUntil = now + Stopwatch.Frequency * 3 / 10;
                continue;
            }
            if (tick < _ticks && now >= due)
            {
                EchoRequest(packet, _icmpId, (ushort)tick);
                _icmpSend[tick] = UnixNow();
                icmp.SendTo(packet, icmpTarget);
                // Ports are reused after a full cycle (thousands of probes later); the RST close leaves no TIME_WAIT.
                for (int p = 0; p < 2; p++)
                    pending.Add(StartConnect((ProbePath)p, tick, ports[p][tick % ports[p].Count], tcpTarget));
                tick++;
                if (tick == _ticks) { _sent = tick; drainUntil = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 3 / 10; }
                continue;
            }
            if (tick == _ticks && (now >= drainUntil || pending.Count == 0)) break;
            long waitUs = tick < _ticks ? (due - now) * 1_000_000 / Stopwatch.Frequency : 1000;
            Complete(pending, (int)Math.Clamp(waitUs, 0, 100_000));
        }
        foreach (var c in pending)
        {
            lock (_tcp) _tcp.Add(new ProbeSample(c.Path, ProbeKind.Tcp, c.Tick, c.SendUnix, null, c.Port));
            c.Socket.Dispose();
        }
    }

    private static PendingConnect StartConnect(ProbePath path, int tick, int port, IPEndPoint target)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        s.LingerState = new LingerOption(true, 0);   // RST on close: no TIME_WAIT pile-up over thousands of probes
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(SoftirqStallTopology.ClientIp, port));
        var sendUnix = UnixNow();
        var ts = Stopwatch.GetTimestamp();
        try { s.Connect(target); }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress) { }
        return new PendingConnect(s, path, tick, sendUnix, ts, port);
    }

    /// <summary>Waits up to <paramref name="timeoutUs"/> for pending connects and records the finished ones.</summary>
    private void Complete(List<PendingConnect> pending, int timeoutUs)
    {
        if (pending.Count == 0)
        {
            // Sleep, not spin: the prober shares its CPU with the control path's receive processing.
            if (timeoutUs > 0) usleep((uint)timeoutUs);
            return;
        }
        var write = pending.Select(p => p.Socket).ToList();
        var error = pending.Select(p => p.Socket).ToList();
        Socket.Select(null, write, error, timeoutUs);
        if (write.Count == 0 && error.Count == 0) return;
        var done = new HashSet<Socket>(write.Concat(error));
        long now = Stopwatch.GetTimestamp();
        for (int i = pending.Count - 1; i >= 0; i--)
        {
            var c = pending[i];
            if (!done.Contains(c.Socket)) continue;
            pending.RemoveAt(i);
            double? latency = null;
            int? cpu = null;
            if ((int)c.Socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)! == 0)
            {
                var (rttUs, retrans) = TcpInfo(c.Socket);
                latency = rttUs > 0 && retrans == 0 ? rttUs / 1000.0 : (now - c.SendTs) * 1000.0 / Stopwatch.Frequency;
                cpu = IncomingCpu(c.Socket);
            }
            lock (_tcp) _tcp.Add(new ProbeSample(c.Path, ProbeKind.Tcp, c.Tick, c.SendUnix, latency, c.Port, cpu));
            c.Socket.Dispose();
        }
    }

    /// <summary>tcpi_rtt (µs, offset 68) and tcpi_total_retrans (offset 100) of struct tcp_info.</summary>
    private static (uint RttUs, uint Retrans) TcpInfo(Socket s)
    {
        Span<byte> info = stackalloc byte[232];
        int n = s.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
        return n >= 104 ? (BinaryPrimitives.ReadUInt32LittleEndian(info[68..]), BinaryPrimitives.ReadUInt32LittleEndian(info[100..])) : (0, 0);
    }

    /// <summary>SO_INCOMING_CPU: the CPU whose receive processing last delivered to this socket (here: the SYN-ACK).</summary>
    private static int? IncomingCpu(Socket s)
    {
        Span<byte> v = stackalloc byte[4];
        return s.GetRawSocketOption(1 /* SOL_SOCKET */, 49 /* SO_INCOMING_CPU */, v) == 4 ? BinaryPrimitives.ReadInt32LittleEndian(v) : null;
    }

    private void Receive(Socket icmp)
    {
        try
        {
            CpuAffinity.PinCurrentThread(_o.SenderCpu);
            var buf = new byte[1500];
            while (!_stop)
            {
                int n;
                try { n = icmp.Receive(buf); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock) { continue; }
                double stamp = KernelStamp(icmp);
                int ihl = (buf[0] & 0xf) * 4;
                if (n < ihl + 8 || buf[ihl] != 0 /* echo reply */) continue;
                ushort id = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(ihl + 4));
                ushort seq = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(ihl + 6));
                if (id != _icmpId || seq >= _ticks || double.IsNaN(stamp)) continue;
                Volatile.Write(ref _icmpReply[seq], stamp);
            }
        }
        catch (ObjectDisposedException) { }
    }

    private static void EchoRequest(byte[] p, ushort id, ushort seq)
    {
        Array.Clear(p);
        p[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), seq);
        uint sum = 0;
        for (int i = 0; i < p.Length; i += 2) sum += (uint)(p[i] << 8 | p[i + 1]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)~sum);
    }

    /// <summary>The receive time of the socket's last packet (SIOCGSTAMPNS), Unix seconds; NaN if none.</summary>
    private static unsafe double KernelStamp(Socket s)
    {
        long* ts = stackalloc long[2];
        if (ioctl((int)s.Handle, 0x8907 /* SIOCGSTAMPNS */, ts) != 0) return double.NaN;
        return ts[0] + ts[1] / 1e9;
    }

    private List<ProbeSample> Samples()
    {
        var all = new List<ProbeSample>();
        for (int t = 0; t < _sent; t++)
        {
            double send = _icmpSend[t];
            if (double.IsNaN(send)) continue;
            double reply = Volatile.Read(ref _icmpReply[t]);
            all.Add(new ProbeSample(ProbePath.Stalled, ProbeKind.Icmp, t, send, double.IsNaN(reply) ? null : (reply - send) * 1000));
        }
        lock (_tcp) all.AddRange(_tcp);
        return all.OrderBy(s => s.SendUnixSeconds).ToList();
    }

    internal static double UnixNow() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 1e7;

    [LibraryImport("libc")] private static partial int usleep(uint usec);
    [LibraryImport("libc", SetLastError = true)] private static unsafe partial int ioctl(int fd, ulong request, long* arg);
}
