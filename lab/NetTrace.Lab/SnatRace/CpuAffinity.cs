using System.Runtime.InteropServices;

namespace NetTrace.Lab.SnatRace;

/// <summary>
/// CPU placement and priority of OS threads for the labs (and the tests that build their own): pin the calling
/// thread to one CPU (each racing client sends, and its packet is NATed, on its own CPU; the stall runs on the CPU it
/// stalls), read and set other threads' masks, raise priority.
/// </summary>
public static class CpuAffinity
{
    public static void PinCurrentThread(int cpu)
    {
        Span<ulong> mask = stackalloc ulong[16];
        mask.Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        unsafe
        {
            fixed (ulong* p = mask)
                if (sched_setaffinity(0, (nint)(mask.Length * sizeof(ulong)), p) != 0)
                    throw new LabException($"cannot pin thread to CPU {cpu}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    /// <summary>CPUs this process may run on (cgroup cpusets and taskset included), in order.</summary>
    public static IReadOnlyList<int> Allowed()
    {
        Span<ulong> mask = stackalloc ulong[16];
        unsafe
        {
            fixed (ulong* p = mask)
                if (sched_getaffinity(0, (nint)(mask.Length * sizeof(ulong)), p) < 0)
                    return Enumerable.Range(0, Environment.ProcessorCount).ToList();
        }
        var cpus = new List<int>();
        for (int i = 0; i < mask.Length * 64; i++)
            if ((mask[i / 64] & (1UL << (i % 64))) != 0) cpus.Add(i);
        return cpus;
    }

    /// <summary>The CPU mask of one thread of this process (tid), or null if it is gone.</summary>
    public static ulong[]? ThreadMask(int tid)
    {
        var mask = new ulong[16];
        unsafe
        {
            fixed (ulong* p = mask)
                return sched_getaffinity(tid, (nint)(mask.Length * sizeof(ulong)), p) < 0 ? null : mask;
        }
    }

    /// <summary>Sets one thread's CPU mask; false if the thread is gone (or the mask is refused).</summary>
    public static bool SetThreadMask(int tid, ReadOnlySpan<ulong> mask)
    {
        unsafe
        {
            fixed (ulong* p = mask)
                return sched_setaffinity(tid, (nint)(mask.Length * sizeof(ulong)), p) == 0;
        }
    }

    /// <summary>Sets the calling thread's nice value (Linux: per thread); the error text if refused.</summary>
    public static string? TryNice(int nice) =>
        setpriority(0 /* PRIO_PROCESS */, 0 /* this thread */, nice) == 0 ? null : Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    /// <summary>Makes the calling thread SCHED_FIFO at <paramref name="priority"/>. Only for threads that never wait for
    /// another thread of this process on their CPU (a real-time managed thread waiting for a GC starves the GC's thread).</summary>
    public static void MakeRealtime(int priority)
    {
        unsafe
        {
            int p = priority;
            if (sched_setscheduler(0, 1 /* SCHED_FIFO */, &p) != 0)
                throw new LabException($"cannot make the thread SCHED_FIFO: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [DllImport("libc", SetLastError = true)] private static extern unsafe int sched_setscheduler(int pid, int policy, int* param);
    [DllImport("libc", SetLastError = true)] private static extern int setpriority(int which, int who, int prio);
    [DllImport("libc", SetLastError = true)] private static extern unsafe int sched_setaffinity(int pid, nint size, ulong* mask);
    [DllImport("libc", SetLastError = true)] private static extern unsafe int sched_getaffinity(int pid, nint size, ulong* mask);
}
