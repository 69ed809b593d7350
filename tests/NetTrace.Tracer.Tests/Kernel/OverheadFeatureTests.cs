using System.Net;
using System.Net.Sockets;
using NetTrace.TestSupport;
using Xunit;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Session;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>The cost-cutting paths on this kernel: the batched tcp-sendmsg drain across several batches, and drop
/// reasons excluded in the kernel (QUEUE_PURGE by default).</summary>
[Collection("kernel-bpf")]
public sealed class OverheadFeatureTests
{
    [Fact]
    public void The_batched_send_drain_returns_every_flow_once_across_several_batches()
    {
        Privileged.Require("root + BPF");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(3000); // the kernel completes handshakes into the backlog: no accept needed
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        using var session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.TcpSendmsg, Pid = Environment.ProcessId, Ports = [port],
        }, new CollectingSink());

        // More open flows than one drain batch (1024) holds; open at once, so no socket address is reused.
        const int flows = 1300;
        var clients = new List<Socket>(flows);
        try
        {
            for (int i = 0; i < flows; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(s);
                s.Connect(IPAddress.Loopback, port);
                s.Send(new byte[i % 7 + 1]);
            }
            var sends = session.ReadSendStats().Where(s => s.DestinationPort == port).ToList();
            var expected = clients.ToDictionary(c => (ushort)((IPEndPoint)c.LocalEndPoint!).Port, c => 0);
            Assert.Equal(flows, sends.Count);
            Assert.Equal(expected.Keys.Order(), sends.Select(s => s.SourcePort).Order());
            for (int i = 0; i < flows; i++)
            {
                var p = (ushort)((IPEndPoint)clients[i].LocalEndPoint!).Port;
                var f = sends.Single(s => s.SourcePort == p);
                Assert.Equal((ulong)(i % 7 + 1), f.Bytes);
                Assert.Equal(1UL, f.Calls);
            }
            Assert.Empty(session.ReadSendStats().Where(s => s.DestinationPort == port)); // deleted by the drain
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public void Queue_purge_drops_are_left_out_by_default_and_streamed_when_no_reason_is_excluded()
    {
        Privileged.Require("root + BPF");
        Assert.Equal(0, CountQueuePurges(TraceSessionOptions.DefaultExcludedDropReasons));
        Assert.True(CountQueuePurges([]) > 0, "no QUEUE_PURGE drop seen with nothing excluded");
    }

    [Fact]
    public void An_unknown_drop_reason_name_is_refused_with_the_known_names()
    {
        Privileged.Require("root + BPF");
        var e = Assert.Throws<ArgumentException>(() => TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.Drops, ExcludedDropReasons = ["NO_SUCH_REASON"],
        }, new CollectingSink()));
        Assert.Contains("NO_SUCH_REASON", e.Message);
        Assert.Contains("QUEUE_PURGE", e.Message);
    }

    /// <summary>Short loopback connections shaped like the benchmark's: at close the peer's FIN is still queued,
    /// which the kernel frees as a QUEUE_PURGE drop.</summary>
    private static int CountQueuePurges(IReadOnlyList<string> excluded)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        var sink = new CollectingSink();
        using var session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.Drops, Ports = [port], ExcludedDropReasons = excluded, WakeupBytes = 0,
        }, sink);
        var buf = new byte[32];
        for (int i = 0; i < 20; i++)
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            using (var server = listener.AcceptTcpClient())
            {
                client.GetStream().Write(buf);
                server.GetStream().ReadExactly(buf);
                server.GetStream().Write(buf);
            }
            client.GetStream().ReadExactly(buf);
            Assert.Equal(0, client.GetStream().Read(buf)); // the server's FIN
        }
        session.Poll(100);
        return sink.Drops.Count(d => d.Reason == "QUEUE_PURGE");
    }
}
