using System.Diagnostics;
using NetTrace.CaptureGen.Writers;

namespace NetTrace.CaptureGen;

/// <summary>
/// Generates a node's traffic as a time-ordered packet stream. Each conversation (a TCP connection, a DNS lookup, a
/// ping) is scripted in full when it starts — its packets go into one priority queue keyed by time — and packets
/// leave the queue in time order straight into the writer. Memory is bounded by the conversations in flight.
/// </summary>
public sealed class TrafficGenerator
{
    private const long Micro = 1_000, Milli = 1_000_000, Second = 1_000_000_000;

    private readonly TrafficProfile _profile;
    private readonly Rng _rng;
    private readonly Topology _topology;
    private readonly StallModel _stalls;
    private readonly FrameBuilder _frames;
    private readonly PriorityQueue<Pending, PendingKey> _queue = new(PendingKeyComparer.Instance);
    private readonly ushort[] _nextPort;
    private readonly Flow[] _pingers;
    private readonly ushort[] _pingSeq;
    private readonly Server[] _pingTargets;
    private readonly GenerationTruth _truth = new();
    private long _order, _scheduledPackets, _liveConnections;
    private int _connectionsStarted;
    private bool _arrivalsStopped;

    public TrafficGenerator(TrafficProfile profile)
    {
        if (profile.TargetPackets is null && profile.TargetConnections is null)
            throw new ArgumentException("set TargetPackets or TargetConnections");
        _profile = profile;
        _rng = new Rng(profile.Seed);
        _topology = new Topology(profile.ClientPods);
        _frames = new FrameBuilder(_rng);
        _stalls = new StallModel(new Rng(profile.Seed ^ 0x5747A11), profile, profile.StartUnixSeconds * Second);
        _nextPort = new ushort[profile.ClientPods];
        for (int i = 0; i < _nextPort.Length; i++) _nextPort[i] = (ushort)_rng.Next(32768, 61000);
        _pingers = new Flow[profile.Pingers];
        _pingSeq = new ushort[profile.Pingers];
        _pingTargets = new Server[profile.Pingers];
        for (int i = 0; i < profile.Pingers; i++) _pingers[i] = NewPinger(i);
    }

    /// <summary>Writes the whole capture; returns what went into it.</summary>
    public GenerationTruth Generate(ICaptureWriter writer, Action<long>? progressEveryMillionFrames = null)
    {
        var clock = Stopwatch.StartNew();
        long start = _profile.StartUnixSeconds * Second;
        Tick(PendingKind.NextConnection, 0, start + (long)_rng.Exponential(Second / _profile.ConnectionsPerSecond));
        for (int i = 0; i < _pingers.Length; i++)
            Tick(PendingKind.NextPing, i, start + (long)(_rng.NextDouble() * _profile.PingIntervalSeconds * Second));

        while (_queue.TryDequeue(out var p, out var key))
        {
            long t = key.TimeNanos;
            switch (p.Kind)
            {
                case PendingKind.NextConnection:
                    if (TargetReached()) { _arrivalsStopped = true; break; }
                    StartConnection(t);
                    Tick(PendingKind.NextConnection, 0, t + 1 + (long)_rng.Exponential(Second / _profile.ConnectionsPerSecond));
                    break;
                case PendingKind.NextRound:
                    NextRound(p.Flow!, t);
                    break;
                case PendingKind.NextPing:
                    if (_arrivalsStopped) break;
                    Ping(p.Aux, t);
                    Tick(PendingKind.NextPing, p.Aux, t + (long)(_profile.PingIntervalSeconds * Second) + (long)(_rng.Uniform(0, 80) * Micro));
                    break;
                default:
                    var frame = _frames.Build(in p, t);
                    writer.Write(t, frame);
                    Count(in p, t);
                    if (progressEveryMillionFrames != null && _truth.Frames % 1_000_000 == 0) progressEveryMillionFrames(_truth.Frames);
                    break;
            }
        }
        _truth.Profile = _profile.Name;
        _truth.Seed = _profile.Seed;
        _truth.StallWindows = _stalls.WindowsStartingBefore((long)(_truth.LastTime * 1e9));
        _truth.FileBytes = writer.BytesWritten;
        _truth.GenerateSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3);
        return _truth;
    }

    private bool TargetReached() =>
        (_profile.TargetPackets is long packets && _scheduledPackets >= packets) ||
        (_profile.TargetConnections is int connections && _connectionsStarted >= connections);

    private void Tick(PendingKind kind, int index, long time) =>
        _queue.Enqueue(new Pending { Kind = kind, Aux = index }, new PendingKey(time, _order++));

    private void Send(Pending p, long time)
    {
        p.Flow!.PacketsScheduled++;
        _queue.Enqueue(p, new PendingKey(time, _order++));
        _scheduledPackets++;
    }

    private void SendTcp(Flow flow, bool fromClient, byte flags, uint seq, uint ack, int payload, long time) =>
        Send(new Pending { Flow = flow, Kind = PendingKind.Tcp, FromClient = fromClient, TcpFlags = flags, Seq = seq, Ack = ack, PayloadLength = payload }, time);

    /// <summary>When the capture sees a packet that reached the node at <paramref name="arrivalNanos"/>.</summary>
    private long Inbound(Flow flow, long arrivalNanos) => _stalls.Seen(flow.RxQueue, arrivalNanos);

    private long Rtt(Server server)
    {
        double micros = _rng.LogNormal(server.MedianRttMicros, 0.25);
        if (_rng.Chance(0.01)) micros *= _rng.Uniform(3, 15); // a slow path now and then, not only in stalls
        return (long)(micros * Micro);
    }

    private ushort NextPort(int pod)
    {
        // Linux hands out ephemeral ports in steps; wrapping inside 32768-60999 like ip_local_port_range.
        int port = _nextPort[pod] + _rng.Next(1, 4);
        if (port > 60999) port = 32768 + (port - 61000);
        _nextPort[pod] = (ushort)port;
        return (ushort)port;
    }

    private Flow NewFlow(byte[] client, byte[] server, ushort clientPort, ushort serverPort, ushort vlan, byte protocol, byte ttl) => new()
    {
        ClientIp = client, ServerIp = server, ClientPort = clientPort, ServerPort = serverPort, Vlan = vlan,
        Protocol = protocol, ServerTtl = ttl,
        RxQueue = Flow.RssQueue(client, server, clientPort, serverPort, protocol is 6 or 17, _profile.RxQueues),
        ClientTsOffset = _rng.NextU32(), ServerTsOffset = _rng.NextU32(),
        ClientIpId = (ushort)_rng.NextU32(), ServerIpId = (ushort)_rng.NextU32(),
    };

    private void StartConnection(long t)
    {
        _connectionsStarted++;
        int pod = _rng.Next(0, _profile.ClientPods);
        bool v6 = _rng.Chance(_profile.Ipv6Share);
        var server = Topology.Pick(v6 ? _topology.V6Servers : _topology.V4Servers, _rng);
        bool refused = _rng.Chance(_profile.RefusedRate);
        bool unanswered = !refused && _rng.Chance(_profile.UnansweredRate);
        if (_rng.Chance(_profile.DnsLookupShare)) t = DnsLookup(pod, t, v6) + (long)(_rng.Uniform(30, 150) * Micro);

        var flow = NewFlow(_topology.ClientIp(pod, v6), server.Ip, NextPort(pod), refused ? Topology.ClosedPort : server.Port,
                           server.Vlan, 6, server.MedianRttMicros > 10_000 ? (byte)52 : (byte)62);
        _truth.TcpConnections++;

        // Lost SYNs are retransmitted after the initial RTO (1 s), doubling: SYNs at 0, 1, 3, 7 s.
        int retransmits = unanswered ? 3 : _rng.Chance(_profile.SynRetransmitTwiceRate) ? 2 : _rng.Chance(_profile.SynRetransmitOnceRate) ? 1 : 0;
        uint isn = _rng.NextU32();
        long synTime = t, gap = Second;
        SendTcp(flow, true, TcpFlags.Syn, isn, 0, 0, synTime);
        for (int r = 0; r < retransmits; r++)
        {
            synTime += gap + (long)(_rng.Uniform(0.05, 4) * Milli); // jiffy-granular timer slack
            gap *= 2;
            SendTcp(flow, true, TcpFlags.Syn, isn, 0, 0, synTime);
        }
        _truth.SynRetransmits += retransmits;
        if (unanswered) { _truth.ConnectsUnanswered++; return; }
        if (retransmits == 1) _truth.ConnectsAnsweredAfter1s++;
        if (retransmits == 2) _truth.ConnectsAnsweredAfter3s++;

        long rtt = Rtt(server);
        long answer = Inbound(flow, synTime + rtt);
        if (answer != synTime + rtt) _truth.HandshakesHitByStall++;
        if (refused)
        {
            SendTcp(flow, false, TcpFlags.Rst | TcpFlags.Ack, 0, isn + 1, 0, answer);
            _truth.ConnectsRefused++;
            return;
        }
        _truth.HandshakesEstablished++;
        uint serverIsn = _rng.NextU32();
        SendTcp(flow, false, TcpFlags.Syn | TcpFlags.Ack, serverIsn, isn + 1, 0, answer);
        long now = answer + (long)(_rng.Uniform(15, 60) * Micro);
        SendTcp(flow, true, TcpFlags.Ack, isn + 1, serverIsn + 1, 0, now);

        bool pooled = _rng.Chance(_profile.PooledShare);
        flow.Exchange = new TcpExchange
        {
            Server = server, Pooled = pooled, ClientNext = isn + 1, ServerNext = serverIsn + 1,
            RoundsLeft = pooled ? _rng.Next(4, _profile.PooledMaxRequests + 1) : _rng.Next(1, 4),
        };
        // Count the rounds not yet scheduled towards the packet target, so long connections don't overshoot it.
        _scheduledPackets += (long)flow.Exchange.RoundsLeft * PacketsPerRoundEstimate;
        NextRound(flow, now);
    }

    private const int PacketsPerRoundEstimate = 4; // request, ~1.5 response segments, ~1 ACK

    /// <summary>
    /// One request/response round of an established connection, or its close after the last. Rounds are scheduled one
    /// at a time (the next one when this one's last packet is due), so a connection with thousands of requests holds
    /// only one round's packets in the queue.
    /// </summary>
    private void NextRound(Flow flow, long now)
    {
        var x = flow.Exchange!;
        var server = x.Server;
        uint c = x.ClientNext, s = x.ServerNext;
        if (x.RoundsLeft == 0)
        {
            flow.Exchange = null;
            long fin = now + (long)(_rng.Uniform(50, 400) * Micro);
            SendTcp(flow, true, TcpFlags.Fin | TcpFlags.Ack, c, s, 0, fin);
            c++;
            long serverFin = Inbound(flow, fin + Rtt(server));
            SendTcp(flow, false, TcpFlags.Fin | TcpFlags.Ack, s, c, 0, serverFin);
            s++;
            SendTcp(flow, true, TcpFlags.Ack, c, s, 0, serverFin + (long)(_rng.Uniform(15, 40) * Micro));
            return;
        }

        _scheduledPackets -= PacketsPerRoundEstimate; // this round's real packets are counted as they are sent
        long think = x.Rounds == 0 ? (long)(_rng.Uniform(20, 200) * Micro)
                   : x.Pooled ? (long)(_rng.LogNormal(40, 1.0) * Milli) : (long)(_rng.Uniform(0.2, 3) * Milli);
        long request = now + think;
        int requestBytes = (int)Math.Clamp(_rng.LogNormal(_profile.RequestMedianBytes, 0.6), 40, 1400);
        SendTcp(flow, true, TcpFlags.Psh | TcpFlags.Ack, c, s, requestBytes, request);
        c += (uint)requestBytes;

        int mss = flow.V6 ? 1428 : 1448; // MSS minus the 12-byte timestamp option
        long sent = request + Rtt(server) + (long)(_rng.LogNormal(400, 0.8) * Micro);
        int responseBytes = (int)Math.Clamp(_rng.LogNormal(_profile.ResponseMedianBytes, 1.2), 60, 200_000);
        int unacked = 0, segment = 0;
        while (responseBytes > 0)
        {
            int len = Math.Min(mss, responseBytes);
            responseBytes -= len;
            long seen = Inbound(flow, sent);
            SendTcp(flow, false, responseBytes == 0 ? (byte)(TcpFlags.Psh | TcpFlags.Ack) : TcpFlags.Ack, s, c, len, seen);
            s += (uint)len;
            if (++unacked == 2 || responseBytes == 0)
            {
                now = seen + (long)(_rng.Uniform(8, 40) * Micro); // delayed ACK: every second segment, and the last
                SendTcp(flow, true, TcpFlags.Ack, c, s, 0, now);
                unacked = 0;
            }
            sent += (long)(_rng.Uniform(6, 14) * Micro);
            if (++segment % 10 == 0) sent += Rtt(server); // the congestion window opens one round trip at a time
        }
        x.ClientNext = c;
        x.ServerNext = s;
        x.RoundsLeft--;
        x.Rounds++;
        _queue.Enqueue(new Pending { Flow = flow, Kind = PendingKind.NextRound }, new PendingKey(now, _order++));
    }

    /// <summary>A lookup at kube-dns before a connect; returns when the answer was seen. A lost query costs 5 s.</summary>
    private long DnsLookup(int pod, long t, bool aaaa)
    {
        var dns = _topology.Dns;
        var flow = NewFlow(_topology.ClientIp(pod, false), dns.Ip, (ushort)_rng.Next(32768, 61000), dns.Port, 0, 17, 63);
        int name = _rng.Next(0, FrameBuilder.DnsNameCount) | (aaaa ? 0x100 : 0);
        ushort id = (ushort)_rng.NextU32();
        var query = new Pending { Flow = flow, Kind = PendingKind.DnsQuery, FromClient = true, Aux = name, Aux2 = id };
        Send(query, t);
        if (_rng.Chance(_profile.DnsLossRate))
        {
            _truth.DnsQueriesLost++;
            t += 5 * Second + (long)(_rng.Uniform(0.1, 2) * Milli);
            Send(query, t);
        }
        long answer = Inbound(flow, t + Rtt(dns));
        Send(new Pending { Flow = flow, Kind = PendingKind.DnsResponse, FromClient = false, Aux = name, Aux2 = id }, answer);
        return answer;
    }

    private Flow NewPinger(int index)
    {
        // Node-to-node pings: the first two go to peers where stalls show, then one over the VLAN, then the internet.
        var (target, v6) = (index % 4) switch
        {
            0 => (_topology.V4Servers[0], false),
            1 => (_topology.V6Servers[0], true),
            2 => (_topology.V4Servers[3], false),
            _ => (_topology.V4Servers[4], false),
        };
        var flow = NewFlow(v6 ? Topology.NodeIp6 : Topology.NodeIp, target.Ip, 0, 0, target.Vlan, v6 ? (byte)58 : (byte)1,
                           target.MedianRttMicros > 10_000 ? (byte)52 : (byte)62);
        _pingTargets[index] = target;
        return flow;
    }

    private void Ping(int index, long t)
    {
        var flow = _pingers[index];
        ushort seq = ++_pingSeq[index];
        ushort id = (ushort)(0x4e00 + index);
        Send(new Pending { Flow = flow, Kind = PendingKind.EchoRequest, FromClient = true, Aux = seq, Aux2 = id }, t);
        if (_rng.Chance(_profile.PingLossRate)) { _truth.IcmpEchoUnanswered++; return; }
        long rtt = (long)(_rng.LogNormal(_pingTargets[index].MedianRttMicros * 0.6, 0.15) * Micro);
        if (_rng.Chance(_profile.PingLateRate)) rtt *= (long)_rng.Uniform(20, 200);
        long seen = Inbound(flow, t + rtt);
        if (seen != t + rtt) _truth.IcmpEchoesHitByStall++;
        Send(new Pending { Flow = flow, Kind = PendingKind.EchoReply, FromClient = false, Aux = seq, Aux2 = id, EchoRequestNanos = t }, seen);
    }

    private void Count(in Pending p, long t)
    {
        var flow = p.Flow!;
        var tr = _truth;
        double seconds = t / 1e9;
        if (tr.Frames == 0) tr.FirstTime = seconds;
        tr.LastTime = seconds;
        tr.Frames++;
        if (flow.V6) tr.Ipv6++; else tr.Ipv4++;
        if (flow.Vlan != 0) tr.VlanTagged++;
        switch (p.Kind)
        {
            case PendingKind.Tcp:
                tr.Tcp++;
                byte f = p.TcpFlags;
                if ((f & TcpFlags.Syn) != 0) { if ((f & TcpFlags.Ack) != 0) tr.SynAck++; else tr.Syn++; }
                if ((f & TcpFlags.Rst) != 0) tr.Rst++;
                if ((f & TcpFlags.Fin) != 0) tr.Fin++;
                if (p.PayloadLength > 0) tr.TcpDataSegments++;
                if (flow.PacketsWritten == 0 && ++_liveConnections > tr.MaxLiveTcpConnections) tr.MaxLiveTcpConnections = _liveConnections;
                if (++flow.PacketsWritten == flow.PacketsScheduled && flow.Exchange == null) _liveConnections--;
                break;
            case PendingKind.DnsQuery: tr.Udp++; tr.DnsQueries++; break;
            case PendingKind.DnsResponse: tr.Udp++; tr.DnsResponses++; break;
            case PendingKind.EchoRequest:
            case PendingKind.EchoReply:
                if (flow.V6) tr.Icmpv6++; else tr.Icmp++;
                if (p.Kind == PendingKind.EchoRequest) tr.IcmpEchoRequests++; else tr.IcmpEchoReplies++;
                break;
        }
    }
}
