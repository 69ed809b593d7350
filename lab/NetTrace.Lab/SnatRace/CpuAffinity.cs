using System.Runtime.InteropServices;

namespace NetTrace.Lab.SnatRace;

/// <summary>Pins the calling OS thread to one CPU, so each racing client sends (and its packet is NATed) on its own CPU.</summary>
internal static class CpuAffinity
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

    [DllImport("libc", SetLastError = true)] private static extern unsafe int sched_setaffinity(int pid, nint size, ulong* mask);
    [DllImport("libc", SetLastError = true)] private static extern unsafe int sched_getaffinity(int pid, nint size, ulong* mask);
}
