using System.Net;
using NetTrace.CaptureGen.Writers;

namespace NetTrace.CaptureGen.Stall;

/// <summary>
/// Writes a <see cref="StallScenario"/> capture. Probes are scripted in time order; each script's packets go into a
/// time-ordered queue and leave it once no later probe can write anything earlier. Stalls are drawn first, one per
/// time slot so windows never overlap and each truth window is unambiguous.
/// </summary>
public sealed class StallScenarioGenerator
{
    private const long Micro = 1_000, Milli = 1_000_000, Second = 1_000_000_000;

    private readonly StallScenario _s;
    private readonly Rng _rng;
    private readonly ToeplitzQueue _rss;
    private readonly FrameBuilder _frames;
    private readonly PriorityQueue<Pending, PendingKey> _queue = new(PendingKeyComparer.Instance);
    private readonly List<Window> _windows = [];
    private readonly StallTruth _truth = new();
    private long _order, _slowStart, _slowEnd;
    private ushort _nextPort = 33000;
    private ushort _pingSeq;

    private sealed class Window
    {
        public long Start, End;
        public int? Queue;            // null = every queue
        public long Released;         // packets already let through at its end
        public required StallTruthWindow Truth;
    }

    public StallScenarioGenerator(StallScenario scenario)
    {
        _s = scenario;
        _rng = new Rng(scenario.Seed);
        _rss = new ToeplitzQueue(scenario.Key, scenario.Queues);
        _frames = new FrameBuilder(new Rng(scenario.Seed ^ 0xF4A3E));
        _truth.Seed = scenario.Seed;
        _truth.Capture = scenario.Capture.ToString().ToLowerInvariant();
        _truth.Requester = new IPAddress(scenario.RequesterIp).ToString();
        _truth.Responder = new IPAddress(scenario.ResponderIp).ToString();
        _truth.Queues = scenario.Queues;
        _truth.Key = Convert.ToHexString(scenario.Key).ToLowerInvariant();
        _truth.IcmpQueue = _rss.Queue(scenario.RequesterIp, scenario.ResponderIp, 0, 0, withPorts: false);
        DrawWindows();
    }

    /// <summary>
    /// Each stall gets its own slot of the capture, placed at random inside it; the slow-path decoy gets a slot of its
    /// own long enough to hold it, so no stall overlaps it and each truth window is unambiguous.
    /// </summary>
    private void DrawWindows()
    {
        long start = _s.StartUnixSeconds * Second;
        int stalls = _s.OneQueueStalls + _s.Pauses;
        long slowLength = (long)(_s.SlowPathSeconds * Second);
        long slowSlot = slowLength > 0 ? slowLength + Second : 0;
        long usable = (long)((_s.DurationSeconds - 2) * Second) - slowSlot;
        if (usable <= 0) throw new ArgumentException("the scenario is too short for its slow-path stretch");
        long slot = usable / Math.Max(1, stalls);
        int slowAfter = slowLength > 0 ? _rng.Next(0, stalls + 1) : -1; // the decoy's slot comes after this many stalls
        var pauses = new HashSet<int>();
        while (pauses.Count < Math.Min(_s.Pauses, stalls)) pauses.Add(_rng.Next(0, stalls));
        long at = start + Second;
        for (int k = 0; k <= stalls; k++)
        {
            if (k == slowAfter)
            {
                _slowStart = at + Second / 2;
                _slowEnd = _slowStart + slowLength;
                _truth.SlowPathStart = _slowStart / 1e9;
                _truth.SlowPathEnd = _slowEnd / 1e9;
                at += slowSlot;
            }
            if (k == stalls) break;
            long length = (long)(_rng.Uniform(_s.StallMinMs, _s.StallMaxMs) * Milli);
            // Leave room after the window for its burst to drain before the next slot.
            long begin = at + (long)(_rng.NextDouble() * Math.Max(0, slot - length - 100 * Milli));
            bool pause = pauses.Contains(k);
            int? queue = pause ? null : _rng.Chance(_s.IcmpQueueShare) ? _truth.IcmpQueue : _rng.Next(0, _s.Queues);
            var truth = new StallTruthWindow { Kind = pause ? "pause" : "one-queue", Queue = queue, Start = begin / 1e9, End = (begin + length) / 1e9 };
            _windows.Add(new Window { Start = begin, End = begin + length, Queue = queue, Truth = truth });
            _truth.Windows.Add(truth);
            at += slot;
        }
    }

    public StallTruth Generate(ICaptureWriter writer)
    {
        long start = _s.StartUnixSeconds * Second, end = start + (long)(_s.DurationSeconds * Second);
        long nextPing = start + (long)(_rng.NextDouble() * _s.PingIntervalMs * Milli);
        long nextConnect = start + (long)_rng.Exponential(Second / _s.ConnectsPerSecond);
        var pinger = NewFlow(0, 0, _s.V6 ? (byte)58 : (byte)1);
        while (true)
        {
            long t = Math.Min(nextPing, nextConnect);
            if (t >= end) break;
            Flush(writer, t);
            if (t == nextPing)
            {
                Ping(pinger, t);
                nextPing += (long)(_s.PingIntervalMs * Milli) + (long)(_rng.Uniform(0, 50) * Micro);
            }
            else
            {
                Connect(t);
                nextConnect += 1 + (long)_rng.Exponential(Second / _s.ConnectsPerSecond);
            }
        }
        Flush(writer, long.MaxValue);
        return _truth;
    }

    private void Flush(ICaptureWriter writer, long before)
    {
        while (_queue.TryPeek(out _, out var key) && key.TimeNanos < before)
        {
            var p = _queue.Dequeue();
            writer.Write(key.TimeNanos, _frames.Build(in p, key.TimeNanos));
            _truth.Frames++;
        }
    }

    private Flow NewFlow(ushort clientPort, ushort serverPort, byte protocol) => new()
    {
        ClientIp = _s.RequesterIp, ServerIp = _s.ResponderIp, ClientPort = clientPort, ServerPort = serverPort,
        Protocol = protocol, ServerTtl = 64,
        RxQueue = _rss.Queue(_s.RequesterIp, _s.ResponderIp, clientPort, serverPort, protocol is 6 or 17),
        ClientTsOffset = _rng.NextU32(), ServerTsOffset = _rng.NextU32(),
        ClientIpId = (ushort)_rng.NextU32(), ServerIpId = (ushort)_rng.NextU32(),
    };

    private long OneWay(long t)
    {
        long d = (long)(_rng.LogNormal(_s.OneWayMicros, 0.15) * Micro);
        if (t >= _slowStart && t < _slowEnd) d += (long)(_s.SlowPathExtraMs / 2 * Milli * _rng.Uniform(0.8, 1.2));
        return d;
    }

    /// <summary>
    /// When the responder processes a packet that reached its NIC at <paramref name="arrival"/> on <paramref name="queue"/>:
    /// at once, or — inside a stall of that queue or a pause — when the stall ends, after the backlog before it.
    /// </summary>
    private long Processed(long arrival, int queue, bool probe, bool icmp)
    {
        foreach (var w in _windows)
        {
            if (arrival < w.Start || arrival >= w.End || (w.Queue is int q && q != queue)) continue;
            long at = w.End + w.Released++ * 2 * Micro; // softirq drains the ring a few µs per packet
            if (probe)
            {
                w.Truth.ProbesHeld++;
                if (at - arrival >= 5 * Milli) w.Truth.ProbesHeldOver5Ms++;
                if (icmp) w.Truth.IcmpHeld++; else w.Truth.TcpHeld++;
            }
            return at;
        }
        return arrival;
    }

    private void Emit(Pending p, long requesterSide, long responderSide)
    {
        long t = _s.Capture == StallCapturePoint.Sender ? requesterSide : responderSide;
        _queue.Enqueue(p, new PendingKey(t, _order++));
    }

    private long Outlier()
    {
        if (!_rng.Chance(_s.OutlierRate)) return 0;
        _truth.Outliers++;
        return (long)(_rng.Uniform(20, 150) * Milli);
    }

    private void Ping(Flow flow, long t)
    {
        _truth.Pings++;
        ushort seq = ++_pingSeq;
        const ushort id = 0x5a17;
        long arrival = t + OneWay(t);
        long processed = Processed(arrival, flow.RxQueue, probe: true, icmp: true);
        long replySent = processed + (long)(_rng.Uniform(8, 20) * Micro);
        long replyBack = replySent + OneWay(t) + Outlier();
        Emit(new Pending { Flow = flow, Kind = PendingKind.EchoRequest, FromClient = true, Aux = seq, Aux2 = id }, t, arrival);
        Emit(new Pending { Flow = flow, Kind = PendingKind.EchoReply, FromClient = false, Aux = seq, Aux2 = id, EchoRequestNanos = t }, replyBack, replySent);
    }

    private void Connect(long t)
    {
        _truth.Connects++;
        int port = _nextPort + _rng.Next(1, 4);
        if (port > 60999) port = 32768 + (port - 61000);
        _nextPort = (ushort)port;
        var flow = NewFlow(_nextPort, _s.ServerPort, 6);
        uint isn = _rng.NextU32(), serverIsn = _rng.NextU32();

        long synArrival = t + OneWay(t);
        long synSeen = Processed(synArrival, flow.RxQueue, probe: true, icmp: false);
        long synAckSent = synSeen + (long)(_rng.Uniform(15, 40) * Micro);
        long synAckBack = synAckSent + OneWay(t) + Outlier();
        Tcp(flow, true, TcpFlags.Syn, isn, 0, t, synArrival);
        Tcp(flow, false, TcpFlags.Syn | TcpFlags.Ack, serverIsn, isn + 1, synAckBack, synAckSent);

        long ack = synAckBack + (long)(_rng.Uniform(10, 30) * Micro);
        long ackArrival = ack + OneWay(ack);
        Tcp(flow, true, TcpFlags.Ack, isn + 1, serverIsn + 1, ack, ackArrival);
        // The client closes right away (a health-check style connect); the server's FIN follows its processing of ours.
        long fin = ack + (long)(_rng.Uniform(100, 400) * Micro);
        long finArrival = fin + OneWay(fin);
        long finSeen = Processed(Math.Max(finArrival, ackArrival), flow.RxQueue, probe: false, icmp: false);
        long serverFin = finSeen + (long)(_rng.Uniform(20, 60) * Micro);
        long serverFinBack = serverFin + OneWay(fin);
        Tcp(flow, true, TcpFlags.Fin | TcpFlags.Ack, isn + 1, serverIsn + 1, fin, finArrival);
        Tcp(flow, false, TcpFlags.Fin | TcpFlags.Ack, serverIsn + 1, isn + 2, serverFinBack, serverFin);
        long lastAck = serverFinBack + (long)(_rng.Uniform(10, 30) * Micro);
        Tcp(flow, true, TcpFlags.Ack, isn + 2, serverIsn + 2, lastAck, lastAck + OneWay(lastAck));
    }

    private void Tcp(Flow flow, bool fromClient, byte flags, uint seq, uint ack, long requesterSide, long responderSide) =>
        Emit(new Pending { Flow = flow, Kind = PendingKind.Tcp, FromClient = fromClient, TcpFlags = flags, Seq = seq, Ack = ack }, requesterSide, responderSide);
}
