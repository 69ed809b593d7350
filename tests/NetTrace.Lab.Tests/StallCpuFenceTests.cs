using System.Runtime.InteropServices;
using NetTrace.Lab.SnatRace;
using NetTrace.Lab.SoftirqStall;
using Xunit;

namespace NetTrace.Lab.Tests;

/// <summary>The fence that keeps this process's other threads off the CPU the lab stalls (see <see cref="StallCpuFence"/>).</summary>
[Collection("snat-race-lab")]   // it moves every thread of the test host: not while another lab measures
public partial class StallCpuFenceTests
{
    [LibraryImport("libc")] private static partial int gettid();

    private static bool On(int tid, int cpu) => CpuAffinity.ThreadMask(tid) is { } m && (m[cpu / 64] & (1UL << (cpu % 64))) != 0;

    /// <summary>A thread that reports its tid, then waits; optionally re-pins itself when told.</summary>
    private sealed class Parked : IDisposable
    {
        private readonly ManualResetEventSlim _step = new(), _stepped = new(), _exit = new();
        private readonly Thread _t;
        public readonly int Tid;
        public int? RepinTo;
        public Parked()
        {
            int tid = 0;
            using var ready = new ManualResetEventSlim();
            _t = new Thread(() =>
            {
                tid = gettid();
                ready.Set();
                if (WaitHandle.WaitAny([_step.WaitHandle, _exit.WaitHandle]) == 1) return;
                if (RepinTo is { } cpu) CpuAffinity.PinCurrentThread(cpu);
                _stepped.Set();
                _exit.Wait();
            }) { IsBackground = true };
            _t.Start();
            ready.Wait();
            Tid = tid;
        }
        public void Step() { _step.Set(); _stepped.Wait(); }
        public void Dispose() { _exit.Set(); _t.Join(); }
    }

    [Fact]
    public void Other_threads_leave_the_stalled_cpu_and_get_their_masks_back()
    {
        Assert.True(CpuAffinity.Allowed().Count >= 2, "needs two CPUs");
        int stalled = CpuAffinity.Allowed()[1], other = CpuAffinity.Allowed()[0];
        using var free = new Parked();
        using var keeper = new Parked();
        using var pinnedThere = new Parked();
        using var repins = new Parked { RepinTo = stalled };
        using var pinnedElsewhere = new Parked();   // like the prober: pinned to the other CPU before the fence
        Assert.True(CpuAffinity.SetThreadMask(pinnedThere.Tid, Mask(stalled)));
        Assert.True(CpuAffinity.SetThreadMask(pinnedElsewhere.Tid, Mask(other)));
        Assert.True(On(free.Tid, stalled) && On(repins.Tid, stalled));

        using (var fence = new StallCpuFence(stalled, keeper.Tid))
        {
            Assert.False(On(free.Tid, stalled));
            Assert.False(On(Environment.ProcessId, stalled));
            Assert.True(On(keeper.Tid, stalled), "the stalling thread stays");
            // Pinned to the stalled CPU alone: moved to the process's other CPUs, not left there.
            Assert.False(On(pinnedThere.Tid, stalled));
            Assert.True(On(pinnedThere.Tid, other));
            // Born under the fence: inherits a mask without the stalled CPU.
            using var born = new Parked();
            Assert.False(On(born.Tid, stalled));
            repins.Step();   // re-pins itself to the stalled CPU (its own choice) while the fence is up
            Assert.True(fence.Moved >= 4);
            fence.Dispose();
            Assert.True(On(free.Tid, stalled), "original mask restored");
            Assert.True(On(born.Tid, stalled), "a thread born under the fence gets the process mask");
        }
        Assert.Equal(Mask(stalled), CpuAffinity.ThreadMask(pinnedThere.Tid));
        Assert.Equal(Mask(stalled), CpuAffinity.ThreadMask(repins.Tid));
        Assert.Equal(Mask(other), CpuAffinity.ThreadMask(pinnedElsewhere.Tid));
        Assert.True(On(Environment.ProcessId, stalled) && On(Environment.ProcessId, other));
    }

    private static ulong[] Mask(int cpu)
    {
        var m = new ulong[16];
        m[cpu / 64] = 1UL << (cpu % 64);
        return m;
    }
}
