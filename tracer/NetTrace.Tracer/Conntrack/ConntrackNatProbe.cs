using System.Net;
using System.Runtime.InteropServices;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Probes.Native;

namespace NetTrace.Tracer.Conntrack;

/// <summary>
/// The conntrack NAT probe (bpf/conntrack_nat.bpf.c), attached in one network namespace — where the NAT happens:
/// the host's on a real node, the lab's node namespace in the lab. Netfilter hooks are per namespace, so the link
/// is created on a thread that has entered it. The clash-drop program is a global tracepoint, filtered in the
/// kernel to that namespace's inode.
/// <code>
///   using var probe = ConntrackNatProbe.Start("/run/netns/node", e => ...);
///   while (...) probe.Poll(100);     // events are delivered on the polling thread
/// </code>
/// </summary>
public sealed class ConntrackNatProbe : IDisposable
{
    /// <summary>Right after the nat chain (100, which a BPF hook may not share: EBUSY) and before confirm.</summary>
    public const int PreferredPriority = 101;

    private readonly BpfObject _obj;
    private readonly BpfLink _dropLink;
    private readonly int _nfLinkFd;
    private readonly RingBuffer _rb;
    private readonly Action<ConntrackNatEvent> _sink;
    public uint NetnsInode { get; }
    public int Priority { get; }
    public long Delivered { get; private set; }

    private ConntrackNatProbe(BpfObject obj, BpfLink dropLink, int nfLinkFd, RingBuffer rb, Action<ConntrackNatEvent> sink, uint inode, int prio)
    {
        _obj = obj; _dropLink = dropLink; _nfLinkFd = nfLinkFd; _rb = rb; _sink = sink; NetnsInode = inode; Priority = prio;
    }

    /// <param name="netnsPath">/run/netns/NAME or /proc/PID/ns/net; null = the caller's namespace.</param>
    public static ConntrackNatProbe Start(string? netnsPath, Action<ConntrackNatEvent> sink)
    {
        uint inode = NetnsInodeOf(netnsPath);
        var obj = BpfObject.Open(EmbeddedObjects.Read("conntrack_nat"), "conntrack_nat");
        BpfLink? dropLink = null;
        RingBuffer? rb = null;
        int nfFd = -1;
        try
        {
            var prog = NetfilterNative.bpf_object__find_program_by_name(obj.Ptr, "ct_nat_post");
            if (prog == 0) throw new InvalidOperationException("conntrack_nat.bpf.o has no ct_nat_post program");
            Check(NetfilterNative.bpf_program__set_type(prog, NetfilterNative.BpfProgTypeNetfilter), "bpf_program__set_type(netfilter)");
            Check(NetfilterNative.bpf_program__set_expected_attach_type(prog, NetfilterNative.BpfAttachNetfilter), "bpf_program__set_expected_attach_type(netfilter)");
            obj.SetReadOnlyGlobal("cfg", new CtNatConfigNative { Netns = inode });
            obj.Load();
            dropLink = obj.Program("ct_clash_drop").Attach();
            int progFd = NetfilterNative.bpf_program__fd(prog);
            int prio = PreferredPriority;
            nfFd = NetnsThread.Run(netnsPath, () =>
            {
                // The priority must be unique per hook: step past one another session holds.
                for (int p = PreferredPriority; p < PreferredPriority + 20; p++)
                {
                    int fd = NetfilterNative.CreateNetfilterLink(progFd, NetfilterNative.NfprotoIpv4, NetfilterNative.NfInetPostRouting, p);
                    if (fd >= 0) { prio = p; return fd; }
                    if (fd != -16 /* EBUSY */) throw new LibbpfException("bpf(BPF_LINK_CREATE, netfilter POST_ROUTING)", fd, "");
                }
                throw new LibbpfException("bpf(BPF_LINK_CREATE, netfilter POST_ROUTING): priorities 101-120 all taken", -16, "");
            });
            rb = new RingBuffer();
            var probe = new ConntrackNatProbe(obj, dropLink, nfFd, rb, sink, inode, prio);
            rb.Add(obj.Map("events"), probe.OnSample);
            return probe;
        }
        catch
        {
            rb?.Dispose();
            if (nfFd >= 0) NetfilterNative.close(nfFd);
            dropLink?.Dispose();
            obj.Dispose();
            throw;
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0) throw new LibbpfException(what, rc, "");
    }

    /// <summary>Delivers waiting events to the sink on this thread; returns how many.</summary>
    public int Poll(int timeoutMs) => _rb.Poll(timeoutMs);

    /// <summary>Events the kernel could not queue (ring buffer full), summed over CPUs.</summary>
    public ulong Lost
    {
        get
        {
            ulong sum = 0;
            foreach (var v in _obj.Map("lost_events").LookupPerCpu<ulong>()) sum += v;
            return sum;
        }
    }

    private void OnSample(ReadOnlySpan<byte> data)
    {
        if (data.Length < CtNatEventNative.Size) return;
        var n = MemoryMarshal.Read<CtNatEventNative>(data);
        var orig = n.Orig;
        var reply = n.Reply;
        var e = new ConntrackNatEvent((ConntrackNatKind)n.Kind, n.TsNs, n.Ct, n.Netns, (int)n.Cpu, orig.Protocol,
            Endpoint(ref orig, source: true), Endpoint(ref orig, source: false), Endpoint(ref reply, source: false), n.Status);
        Delivered++;
        _sink(e);
    }

    private static unsafe IPEndPoint Endpoint(ref NtTuple t, bool source)
    {
        fixed (byte* s = t.Saddr)
        fixed (byte* d = t.Daddr)
        {
            var bytes = new ReadOnlySpan<byte>(source ? s : d, t.Family == 10 ? 16 : 4);
            return new IPEndPoint(new IPAddress(bytes), source ? t.Sport : t.Dport);
        }
    }

    /// <summary>Inode of a network namespace, as the kernel's ns.inum (what the BPF side filters on).</summary>
    public static uint NetnsInodeOf(string? netnsPath) => NetnsThread.Run(netnsPath, () =>
    {
        var target = new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? "";   // "net:[4026532001]"
        int a = target.IndexOf('['), b = target.IndexOf(']');
        return a >= 0 && b > a ? uint.Parse(target[(a + 1)..b]) : throw new NetnsException($"unexpected namespace link '{target}'");
    });

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Detach first so nothing writes into a ring buffer that is going away.
        if (_nfLinkFd >= 0) NetfilterNative.close(_nfLinkFd);
        _dropLink.Dispose();
        _rb.Dispose();
        _obj.Dispose();
    }
}
