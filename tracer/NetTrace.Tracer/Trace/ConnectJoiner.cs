using NetTrace.Events;
using K = NetTrace.Tracer.Probes;

namespace NetTrace.Tracer.Trace;

/// <summary>
/// Joins the kernel's per-step connect events (Start, SynRetransmit..., outcome) by socket into one outcome with the
/// retransmit times. The kernel already counts retransmits and latency; this adds when each retransmit happened.
/// </summary>
public sealed class ConnectJoiner
{
    private sealed class Pending
    {
        public ulong StartNs;
        public readonly List<ulong> RetransmitOffsets = [];
    }

    private readonly Dictionary<ulong, Pending> _pending = [];

    public int PendingCount => _pending.Count;

    /// <summary>Returns the outcome and retransmit offsets when <paramref name="e"/> ends a connect, else null.</summary>
    public (ConnectOutcome Outcome, List<ulong> RetransmitOffsetsNs)? Add(in K.TcpConnectEvent e)
    {
        switch (e.Kind)
        {
            case K.TcpConnectKind.Start:
                _pending[e.SocketId] = new Pending { StartNs = e.StartNs != 0 ? e.StartNs : e.Header.TimestampNs };
                return null;
            case K.TcpConnectKind.SynRetransmit:
                if (!_pending.TryGetValue(e.SocketId, out var p))
                    _pending[e.SocketId] = p = new Pending { StartNs = e.StartNs };
                if (e.Header.TimestampNs >= p.StartNs) p.RetransmitOffsets.Add(e.Header.TimestampNs - p.StartNs);
                return null;
        }
        var offsets = _pending.Remove(e.SocketId, out var done) ? done.RetransmitOffsets : [];
        var outcome = e.Kind switch
        {
            K.TcpConnectKind.Established => ConnectOutcome.Established,
            K.TcpConnectKind.Refused => ConnectOutcome.Refused,
            K.TcpConnectKind.TimedOut => ConnectOutcome.TimedOut,
            K.TcpConnectKind.Aborted => ConnectOutcome.Aborted,
            K.TcpConnectKind.Failed => ConnectOutcome.Failed,
            _ => ConnectOutcome.Unspecified,
        };
        // Retransmit events can be lost (full ring); keep the kernel's count authoritative.
        if (offsets.Count > e.SynRetransmits) offsets.RemoveRange(e.SynRetransmits, offsets.Count - e.SynRetransmits);
        return (outcome, offsets);
    }

    /// <summary>Forgets starts whose outcome never came (lost event, socket reused) after <paramref name="age"/>.</summary>
    public void Expire(TimeSpan age, ulong nowMonotonicNs)
    {
        var limit = (ulong)age.TotalNanoseconds;
        foreach (var (id, p) in _pending.ToList())
            if (nowMonotonicNs > p.StartNs && nowMonotonicNs - p.StartNs > limit) _pending.Remove(id);
    }
}
