using System.Runtime.InteropServices;

namespace NetTrace.Tracer.Libbpf;

/// <summary>perf_event_open for the one kind of event the probes use: a software cpu-clock sampling event
/// bound to one CPU (all tasks), hrtimer driven, so it fires on idle CPUs too.</summary>
internal static unsafe partial class PerfEvents
{
    private const uint PerfTypeSoftware = 1;
    private const ulong PerfCountSwCpuClock = 0;
    private const ulong PerfFlagFdCloexec = 8;

    /// <summary>The first 64 bytes of struct perf_event_attr (PERF_ATTR_SIZE_VER0): enough for a plain sampling event.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PerfEventAttr
    {
        public uint Type;
        public uint Size;
        public ulong Config;
        public ulong SamplePeriod;
        public ulong SampleType;
        public ulong ReadFormat;
        public ulong Flags;        // bit 0 disabled, bit 10 freq: all clear = enabled now, fixed period
        public uint WakeupEvents;
        public uint BpType;
        public ulong Config1;
    }

    /// <summary>Opens a cpu-clock event sampling <paramref name="cpu"/> every <paramref name="periodNs"/>. Returns the fd.</summary>
    public static int OpenCpuClock(int cpu, ulong periodNs)
    {
        var attr = new PerfEventAttr { Type = PerfTypeSoftware, Size = (uint)sizeof(PerfEventAttr), Config = PerfCountSwCpuClock, SamplePeriod = periodNs };
        long fd = syscall(SysPerfEventOpen, (nint)(&attr), -1, cpu, -1, (nint)PerfFlagFdCloexec);
        if (fd < 0) throw new LibbpfException($"perf_event_open(cpu-clock, cpu {cpu})", Marshal.GetLastPInvokeError(), "");
        return (int)fd;
    }

    public static void Close(int fd) => close(fd);

    /// <summary>The online CPUs from /sys/devices/system/cpu/online ("0-3,6").</summary>
    public static IReadOnlyList<int> OnlineCpus()
    {
        var text = File.ReadAllText("/sys/devices/system/cpu/online").Trim();
        var cpus = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-');
            int first = int.Parse(range[0]), last = range.Length > 1 ? int.Parse(range[1]) : first;
            for (int c = first; c <= last; c++) cpus.Add(c);
        }
        return cpus;
    }

    private static long SysPerfEventOpen => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 298,
        Architecture.Arm64 => 241,
        var a => throw new PlatformNotSupportedException($"perf_event_open syscall number unknown for {a}"),
    };

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, nint attr, int pid, int cpu, int groupFd, nint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
