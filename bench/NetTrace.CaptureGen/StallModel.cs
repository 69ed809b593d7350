namespace NetTrace.CaptureGen;

/// <summary>
/// Receive-side stalls of the capturing node, one RX queue at a time: while softirq processing on that queue's CPU
/// is held off, arriving packets wait in the ring and are seen (by the capture, which taps after the ring) only when
/// the stall ends — then all at once, in order. That is the "latency cluster" of story 1.
/// Windows are drawn lazily per queue as time advances, so any capture length works.
/// </summary>
internal sealed class StallModel
{
    private readonly Rng _rng;
    private readonly TrafficProfile _profile;
    private readonly List<long>[] _starts, _ends;
    private readonly long[] _horizon;
    private const long Lookahead = 10_000_000_000; // scripts reach at most ~8 s ahead

    /// <summary>Backlog drains this many times faster than it built up.</summary>
    private const long DrainSpeedup = 50;

    /// <summary>Stall windows drawn so far that began before <paramref name="nanos"/> (some are drawn ahead of time).</summary>
    public int WindowsStartingBefore(long nanos)
    {
        int n = 0;
        foreach (var starts in _starts) foreach (var s in starts) if (s < nanos) n++;
        return n;
    }

    public StallModel(Rng rng, TrafficProfile profile, long startNanos)
    {
        _rng = rng; _profile = profile;
        int q = profile.RxQueues;
        _starts = new List<long>[q]; _ends = new List<long>[q]; _horizon = new long[q];
        for (int i = 0; i < q; i++) { _starts[i] = []; _ends[i] = []; _horizon[i] = startNanos; }
    }

    /// <summary>When a packet that reached the node's NIC at <paramref name="arrivalNanos"/> is seen by the capture.</summary>
    public long Seen(int queue, long arrivalNanos)
    {
        if (_profile.StallsPerQueuePerMinute <= 0) return arrivalNanos;
        Extend(queue, arrivalNanos + Lookahead);
        var starts = _starts[queue];
        int i = starts.BinarySearch(arrivalNanos);
        if (i < 0) i = ~i - 1;
        if (i < 0) return arrivalNanos;
        long s = starts[i], e = _ends[queue][i];
        long drainEnd = e + (e - s) / (DrainSpeedup - 1);
        return arrivalNanos < drainEnd ? e + (arrivalNanos - s) / DrainSpeedup : arrivalNanos;
    }

    private void Extend(int queue, long until)
    {
        double meanGapNanos = 60e9 / _profile.StallsPerQueuePerMinute;
        while (_horizon[queue] < until)
        {
            long start = _horizon[queue] + (long)_rng.Exponential(meanGapNanos);
            long duration = (long)(_rng.Uniform(_profile.StallMinMillis, _profile.StallMaxMillis) * 1e6);
            _starts[queue].Add(start);
            _ends[queue].Add(start + duration);
            // the next stall cannot begin before this one's backlog has drained
            _horizon[queue] = start + duration + duration / (DrainSpeedup - 1) + 1;
        }
    }
}
