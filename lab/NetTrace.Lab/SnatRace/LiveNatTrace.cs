using NetTrace.Tracer.Conntrack;

namespace NetTrace.Lab.SnatRace;

/// <summary>The conntrack NAT probe running in the lab's node namespace, polled on its own thread while the race runs.</summary>
internal sealed class LiveNatTrace : IDisposable
{
    private readonly ConntrackNatProbe _probe;
    private readonly List<ConntrackNatEvent> _events = [];
    private readonly Thread _poller;
    private volatile bool _stop;
    private Exception? _error;

    public LiveNatTrace(string nodeNetnsPath)
    {
        _probe = ConntrackNatProbe.Start(nodeNetnsPath, e => _events.Add(e));
        _poller = new Thread(() =>
        {
            try { while (!_stop) _probe.Poll(50); _probe.Poll(0); }
            catch (Exception e) { _error = e; }
        }) { IsBackground = true, Name = "conntrack-nat-poll" };
        _poller.Start();
    }

    public int Priority => _probe.Priority;

    /// <summary>Stops polling (after draining what is queued) and returns every event with the lost count.</summary>
    public (IReadOnlyList<ConntrackNatEvent> Events, ulong Lost) Stop()
    {
        _stop = true;
        _poller.Join();
        if (_error != null) throw new LabException($"conntrack NAT probe failed while polling: {_error.Message}");
        return (_events.ToList(), _probe.Lost);
    }

    public void Dispose()
    {
        _stop = true;
        _poller.Join();
        _probe.Dispose();
    }
}
