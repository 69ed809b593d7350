namespace NetTrace.Lab.SnatRace;

/// <summary>
/// Releases a fixed number of threads at the same instant, round after round. The race window (between SNAT
/// choosing a port and conntrack confirming the entry) is a few microseconds, so waiters spin instead of sleeping:
/// a kernel wake-up would stagger the releases by far more than the window. With no more threads than CPUs,
/// spinning costs nothing else; with more, SpinWait falls back to yielding.
/// </summary>
internal sealed class SpinBarrier(int participants)
{
    private int _arrived;
    private volatile int _generation;
    private volatile bool _broken;

    /// <summary>A participant failed and will never arrive again: release everyone waiting, now and later.</summary>
    public void Break() => _broken = true;

    public void SignalAndWait(CancellationToken ct)
    {
        int gen = _generation;
        if (_broken) throw new OperationCanceledException("another racing client failed");
        if (Interlocked.Increment(ref _arrived) == participants)
        {
            _arrived = 0;
            _generation = gen + 1;   // volatile write publishes the reset of _arrived too
            return;
        }
        var spin = new SpinWait();
        while (_generation == gen)
        {
            if (participants <= Environment.ProcessorCount) Thread.SpinWait(8);
            else spin.SpinOnce(sleep1Threshold: -1);
            ct.ThrowIfCancellationRequested();
            if (_broken) throw new OperationCanceledException("another racing client failed");
        }
    }
}
