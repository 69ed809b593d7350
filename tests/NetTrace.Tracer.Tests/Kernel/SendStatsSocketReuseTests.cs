using System.Net;
using System.Net.Sockets;
using NetTrace.TestSupport;
using Xunit;
using NetTrace.Tracer.Planning;
using NetTrace.Tracer.Session;

namespace NetTrace.Tracer.Tests.Kernel;

/// <summary>The kernel gives a closed socket's memory to the next connection; tcp-sendmsg records must still be one
/// per connection, never one merged record under the first connection's tuple.</summary>
[Collection("kernel-bpf")]
public sealed class SendStatsSocketReuseTests
{
    [Fact]
    public void Sequential_connections_on_reused_socket_addresses_give_one_exact_record_each()
    {
        Privileged.Require("root + BPF");
        const int connections = 300;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(connections + 64); // handshakes complete into the backlog: no accept needed
        ushort port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        using var session = TraceSession.Start(new TraceSessionOptions
        {
            Probes = ProbeKinds.TcpSendmsg, Pid = Environment.ProcessId, Ports = [port],
        }, new CollectingSink());

        // One connection at a time from this thread, closed before the next opens, so the kernel reuses sockets.
        var expected = new Dictionary<ushort, int>(connections);
        for (int i = 0; i < connections; i++)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Connect(IPAddress.Loopback, port);
            int bytes = i % 17 + 1;
            s.Send(new byte[bytes]);
            s.Send(new byte[100]);
            using var peer = listener.AcceptSocket();
            expected.Add((ushort)((IPEndPoint)s.LocalEndPoint!).Port, bytes + 100); // Add: source ports are distinct
        }

        var sends = session.ReadSendStats().Where(s => s.DestinationPort == port).ToList();
        int socketAddresses = sends.Select(s => s.SocketId).Distinct().Count();
        Assert.True(socketAddresses < connections,
            $"the kernel reused no socket address ({socketAddresses} for {sends.Count} records), so this run did not exercise the reuse case");
        Assert.Equal(connections, sends.Count);
        Assert.Equal(expected.Keys.Order(), sends.Select(s => s.SourcePort).Order());
        foreach (var f in sends)
        {
            Assert.Equal((ulong)expected[f.SourcePort], f.Bytes);
            Assert.Equal(2UL, f.Calls);
            Assert.Equal(IPAddress.Loopback, f.Source);
            Assert.Equal(IPAddress.Loopback, f.Destination);
            Assert.Equal(Environment.ProcessId, f.Pid);
        }
        Assert.Empty(session.ReadSendStats().Where(s => s.DestinationPort == port)); // deleted by the drain
    }
}
