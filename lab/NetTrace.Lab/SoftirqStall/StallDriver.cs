using System.Diagnostics;
using System.Runtime.InteropServices;
using NetTrace.Lab.SnatRace;

namespace NetTrace.Lab.SoftirqStall;

/// <summary>
/// The task that holds the stall CPU's bottom halves off: one thread inside the server namespace, pinned to that
/// CPU, that makes one long BH-disabled system call per stall at planned times and measures each call itself.
/// <list type="bullet">
/// <item>Mtu: ioctl(SIOCSIFMTU) on the route table's device. addrconf's NETDEV_CHANGEMTU handler runs
///   rt6_mtu_change, which walks every IPv6 route of the namespace under the table lock with BH disabled.</item>
/// <item>Agent: pread() of a few bytes at the tail of /proc/thread-self/net/ipv6_route. The seq_file iterator
///   re-walks the route tree from the start up to the offset inside rcu_read_lock_bh (the thread's own namespace:
///   /proc/net would follow the process's main thread).</item>
/// </list>
/// Its comm (prctl PR_SET_NAME) is what a tracer names as the task that held the CPU.
/// </summary>
internal sealed partial class StallDriver
{
    public const string MtuTaskName = "nt-stall-mtu";
    public const string AgentTaskName = "nt-stall-agent";

    private readonly SoftirqStallOptions _o;
    private readonly SoftirqStallTopology _topo;

    public StallDriver(SoftirqStallOptions o, SoftirqStallTopology topo) { _o = o; _topo = topo; }

    /// <summary>Runs the stalls at <paramref name="origin"/> + baseline + i × gap (Stopwatch time). Blocks.</summary>
    public IReadOnlyList<StallSample> Run(long origin, CancellationToken ct)
    {
        var samples = new List<StallSample>();
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                NetTrace.Tracer.Conntrack.NetnsThread.Enter(_topo.Server.Path);
                CpuAffinity.PinCurrentThread(_o.StallCpu);
                SetComm(_o.Mechanism == StallMechanism.Mtu ? MtuTaskName : AgentTaskName);
                using IStallCall call = _o.Mechanism == StallMechanism.Mtu
                    ? new MtuChange(_topo.StallDevice)
                    : new AgentRead(_o.Routes);
                for (int i = 0; i < _o.Stalls; i++)
                {
                    var due = origin + Stopwatch.Frequency * (_o.BaselineMs + (long)i * _o.GapMs) / 1000;
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        ct.ThrowIfCancellationRequested();
                        var left = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                        if (left > 2) Thread.Sleep((int)Math.Min(left - 1, 50));
                    }
                    DateTime wall;
                    long c0, c1, t0, t1;
                    // Only around the call: the rest of the time this process's threads may use every CPU.
                    using (new StallCpuFence(_o.StallCpu, gettid()))
                    {
                        wall = DateTime.UtcNow;
                        c0 = ThreadCpuNs();
                        t0 = Stopwatch.GetTimestamp();
                        call.Once(i);
                        t1 = Stopwatch.GetTimestamp();
                        c1 = ThreadCpuNs();
                    }
                    samples.Add(new StallSample(i, (wall - DateTime.UnixEpoch).TotalSeconds,
                        (t1 - t0) * 1000.0 / Stopwatch.Frequency, (c1 - c0) / 1e6, sched_getcpu(), ReadComm(), Environment.ProcessId, gettid()));
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { error = e; }
        }) { IsBackground = true, Name = "softirq-stall-driver" };
        t.Start();
        t.Join();
        if (error != null) throw new LabException($"stall driver failed: {error.Message}");
        ct.ThrowIfCancellationRequested();
        return samples;
    }

    private interface IStallCall : IDisposable { void Once(int index); }

    private sealed class MtuChange : IStallCall
    {
        private readonly int _fd;
        private readonly string _dev;
        public MtuChange(string device)
        {
            _dev = device;
            _fd = socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
            if (_fd < 0) throw new LabException($"socket: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        public unsafe void Once(int index)
        {
            var ifr = stackalloc byte[40];
            new Span<byte>(ifr, 40).Clear();
            System.Text.Encoding.ASCII.GetBytes(_dev, new Span<byte>(ifr, 15));
            *(int*)(ifr + 16) = index % 2 == 0 ? 1400 : 1500;   // alternate, so every call is a real change
            if (ioctl(_fd, 0x8922 /* SIOCSIFMTU */, ifr) != 0)
                throw new LabException($"MTU change of {_dev}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        public void Dispose() => close(_fd);
    }

    private sealed class AgentRead : IStallCall
    {
        private readonly int _fd;
        private readonly long _offset;
        public unsafe AgentRead(int routes)
        {
            _fd = open("/proc/thread-self/net/ipv6_route", 0x80000 /* O_RDONLY|O_CLOEXEC */);
            if (_fd < 0) throw new LabException($"open /proc/thread-self/net/ipv6_route: {Marshal.GetLastPInvokeErrorMessage()}");
            // Lines are fixed-width; the first one (offset 0, cheap) gives the width.
            var buf = stackalloc byte[512];
            var n = pread(_fd, buf, 512, 0);
            var line = n > 0 ? new Span<byte>(buf, (int)n).IndexOf((byte)'\n') + 1 : 0;
            if (line <= 0) throw new LabException("cannot read the first line of /proc/thread-self/net/ipv6_route");
            _offset = (long)line * (routes - 1);
        }

        public unsafe void Once(int index)
        {
            var buf = stackalloc byte[64];
            if (pread(_fd, buf, 64, _offset) < 0)
                throw new LabException($"read of ipv6_route at {_offset}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        public void Dispose() => close(_fd);
    }

    private static unsafe long ThreadCpuNs()
    {
        long* ts = stackalloc long[2];
        clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, ts);
        return ts[0] * 1_000_000_000 + ts[1];
    }

    private static void SetComm(string name) => prctl(15 /* PR_SET_NAME */, name, 0, 0, 0);

    private static string ReadComm() => File.ReadAllText($"/proc/self/task/{gettid()}/comm").Trim();

    [LibraryImport("libc", SetLastError = true)] private static partial int socket(int domain, int type, int protocol);
    [LibraryImport("libc", SetLastError = true)] private static unsafe partial int ioctl(int fd, ulong request, byte* arg);
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial int open(string path, int flags);
    [LibraryImport("libc", SetLastError = true)] private static unsafe partial nint pread(int fd, byte* buf, nint count, long offset);
    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc")] private static partial int sched_getcpu();
    [LibraryImport("libc")] private static unsafe partial int clock_gettime(int clock, long* ts);
    [LibraryImport("libc")] private static partial int gettid();
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial int prctl(int option, string arg2, nint arg3, nint arg4, nint arg5);
}
