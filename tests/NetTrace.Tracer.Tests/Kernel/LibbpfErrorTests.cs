using NetTrace.TestSupport;
using NetTrace.Tracer.Libbpf;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Probes;
using NetTrace.Tracer.Session;
using Xunit;

namespace NetTrace.Tracer.Tests.Kernel;

[Collection("kernel-bpf")]
public sealed class LibbpfErrorTests
{
    /// <summary>What the planner avoids, done by hand: the kernel's refusal arrives as an exception with libbpf's
    /// message and log, and nothing stays loaded.</summary>
    [Fact]
    public void Forcing_an_fentry_candidate_on_this_kernel_fails_with_libbpfs_log()
    {
        Privileged.Require("root + BPF");
        using (var obj = BpfObject.Open(EmbeddedObjects.Read("tcpconnect"), "nt_forced"))
        {
            foreach (var p in obj.Programs()) p.SetAutoload(p.Name == "tcpconnect_state_fentry");
            var e = Assert.Throws<LibbpfException>(obj.Load);
            Assert.Equal("bpf_object__load(nt_forced)", e.Operation);
            Assert.Equal(1, e.Errno); // EPERM: fentry is refused here (KERNEL-NOTES)
            Assert.Contains("tcpconnect_state_fentry", e.Log);
            Assert.Contains(e.LibbpfMessage, e.Message);
        }
        Assert.Empty(BpfLinks.OwnProgramIds());
    }

    [Theory]
    [InlineData(5, 0, 3, 1 << 20, "ports")]
    [InlineData(0, 0, 3, 1000, "ring buffer")]
    [InlineData(0, -1, 3, 1 << 20, "pid")]
    [InlineData(0, 0, 12, 1 << 20, "vector")]
    public void Bad_options_are_refused_before_anything_loads(int ports, int pid, int vec, int ring, string mentions)
    {
        var o = new TraceSessionOptions
        {
            Ports = Enumerable.Range(1, ports).Select(i => (ushort)i).ToList(), Pid = pid, SoftirqVector = vec,
            RingBufferBytes = ring, WakeupBytes = 0,
        };
        var e = Assert.Throws<ArgumentException>(() => TraceSession.Start(o, new CollectingSink()));
        Assert.Contains(mentions, e.Message);
    }
}
