using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// Keeps every other thread of this process off the stalled CPU while the lab stalls it.
/// <para>Why: a stall disables bottom halves, and with them preemption, on that CPU. A managed thread of this
/// process that is runnable there (preempted by the stall driver in the middle of managed code) cannot reach a GC
/// safe point until the stall ends; a garbage collection that starts meanwhile suspends every managed thread —
/// the prober on the other CPU included — for the rest of the stall. The prober then sends nothing while the stall
/// runs and the lab cannot observe its own stall. Measured with one
/// busy managed thread on the stalled CPU: without the fence 2 of 6 stalls delayed no probe at all (max 0.1 ms) and
/// another had 22 probes in flight over 60 ms instead of ~90; with it, 6 of 6 delayed probes by about their length.
/// In the test host (many busy threads) 2 of 3 stalls went unobserved in one CI run.</para>
/// <para>Up only around each stall's system call. Threads created meanwhile inherit their creator's mask, so they stay
/// off too. On dispose every thread gets back the mask it had (unless it chose another meanwhile), and threads born
/// meanwhile get the mask the process had.</para>
/// </summary>
internal sealed class StallCpuFence : IDisposable
{
    private readonly int _cpu;
    private readonly int _keepTid;
    private readonly ulong[] _processMask;
    private readonly Dictionary<int, (ulong[] Mask, ulong[] Fenced)> _original = [];
    private readonly HashSet<int> _existing = [];   // threads there when the fence went up (moved or not)

    /// <param name="cpu">the stalled CPU</param>
    /// <param name="keepTid">the thread that stalls it (stays where it is)</param>
    public StallCpuFence(int cpu, int keepTid)
    {
        _cpu = cpu;
        _keepTid = keepTid;
        _processMask = CpuAffinity.ThreadMask(Environment.ProcessId) ?? throw new LabException("cannot read this process's CPU mask");
        Refresh();
    }

    /// <summary>Threads of this process moved off the stalled CPU so far.</summary>
    public int Moved => _original.Count;

    private void Refresh()
    {
        foreach (var tid in Threads())
        {
            _existing.Add(tid);
            if (tid == _keepTid) continue;
            var mask = CpuAffinity.ThreadMask(tid);
            if (mask == null || !Has(mask, _cpu)) continue;
            var off = Fenced(mask);
            // A thread pinned to the stalled CPU alone goes to the process's other CPUs.
            if (off.All(w => w == 0)) off = Fenced(_processMask);
            if (off.All(w => w == 0)) continue;   // nowhere else to go (validated against before the lab starts)
            if (CpuAffinity.SetThreadMask(tid, off)) _original.TryAdd(tid, (mask, off));
        }
    }

    public void Dispose()
    {
        var bornFenced = Fenced(_processMask);
        foreach (var tid in Threads())
        {
            if (tid == _keepTid || CpuAffinity.ThreadMask(tid) is not { } now) continue;
            // Only masks still as the fence left them: a thread that re-pinned itself meanwhile keeps its choice.
            if (_original.TryGetValue(tid, out var o)) { if (now.AsSpan().SequenceEqual(o.Fenced)) CpuAffinity.SetThreadMask(tid, o.Mask); }
            // Born under the fence with the mask it inherited: give it the process's. (A thread that was there before
            // and is merely pinned elsewhere — the prober on CPU 0 — is not touched.)
            else if (!_existing.Contains(tid) && now.AsSpan().SequenceEqual(bornFenced)) CpuAffinity.SetThreadMask(tid, _processMask);
        }
    }

    private ulong[] Fenced(ulong[] mask)
    {
        var off = (ulong[])mask.Clone();
        Clear(off, _cpu);
        return off;
    }

    private static IEnumerable<int> Threads()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            if (int.TryParse(Path.GetFileName(dir), out var tid)) yield return tid;
    }

    private static bool Has(ulong[] mask, int cpu) => (mask[cpu / 64] & (1UL << (cpu % 64))) != 0;
    private static void Clear(ulong[] mask, int cpu) => mask[cpu / 64] &= ~(1UL << (cpu % 64));
}
