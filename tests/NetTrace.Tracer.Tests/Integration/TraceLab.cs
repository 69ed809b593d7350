using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using NetTrace.Lab.Netns;

namespace NetTrace.Tracer.Tests.Integration;

/// <summary>
/// Client and server namespaces joined by a veth, with a TCP server on 10.214.1.1:8080, nothing on :8081, an
/// iptables DROP in the server for :9090 (SYNs go unanswered) and for pings to its second address 10.214.1.3.
/// Traffic stays between these two namespaces.
/// </summary>
internal sealed class TraceLab : IAsyncDisposable
{
    public static readonly IPAddress ClientIp = IPAddress.Parse("10.214.1.2");
    public static readonly IPAddress ServerIp = IPAddress.Parse("10.214.1.1");
    public static readonly IPAddress DroppedIp = IPAddress.Parse("10.214.1.3");
    public const int OpenPort = 8080, ClosedPort = 8081, BlackholedPort = 9090;

    private readonly NetnsLab _lab;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _acceptLoop;

    public NetworkNamespace Client { get; private set; } = null!;
    public NetworkNamespace Server { get; private set; } = null!;

    private TraceLab(NetnsLab lab) => _lab = lab;

    public static async Task<TraceLab> StartAsync()
    {
        var t = new TraceLab(new NetnsLab("tr"));
        try
        {
            t.Client = await t._lab.AddNamespaceAsync("c");
            t.Server = await t._lab.AddNamespaceAsync("s");
            var link = await t._lab.ConnectAsync(t.Client, ClientIp + "/24", t.Server, ServerIp + "/24");
            await t.Server.AddAddressAsync(link.B.Device, DroppedIp + "/24");
            await t.Server.IptablesAsync("-A", "INPUT", "-p", "tcp", "--dport", BlackholedPort.ToString(), "-j", "DROP");
            await t.Server.IptablesAsync("-A", "INPUT", "-d", DroppedIp.ToString(), "-p", "icmp", "-j", "DROP");
            t._listener = await t.Server.RunInsideAsync(() =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(ServerIp, OpenPort));
                s.Listen(64);
                return s;
            });
            t._acceptLoop = t.AcceptLoopAsync();
            return t;
        }
        catch
        {
            await t.DisposeAsync();
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var s = await _listener!.AcceptAsync(_stop.Token);
                s.Dispose();
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    public sealed record ConnectResult(IPEndPoint Local, bool Connected, SocketError? Error, TimeSpan Elapsed);

    /// <summary>Connects from the client namespace; gives up after <paramref name="timeout"/> (closing the socket).</summary>
    public async Task<ConnectResult> ConnectAsync(IPAddress ip, int port, TimeSpan timeout)
    {
        using var s = await Client.RunInsideAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        // Bind first so the local port is known even when the connect never completes.
        s.Bind(new IPEndPoint(ClientIp, 0));
        var local = (IPEndPoint)s.LocalEndPoint!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await s.ConnectAsync(new IPEndPoint(ip, port), cts.Token);
            return new ConnectResult(local, true, null, clock.Elapsed);
        }
        catch (OperationCanceledException)
        {
            return new ConnectResult(local, false, SocketError.TimedOut, clock.Elapsed);
        }
        catch (SocketException e)
        {
            return new ConnectResult(local, false, e.SocketErrorCode, clock.Elapsed);
        }
    }

    /// <summary>Sends ICMP echo requests (our own id and sequence numbers) from the client; true per answered one.</summary>
    public async Task<bool[]> PingAsync(IPAddress target, ushort id, ushort firstSeq, int count, TimeSpan wait)
    {
        using var s = await Client.RunInsideAsync(() => new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp));
        var answered = new bool[count];
        for (var i = 0; i < count; i++)
        {
            var seq = (ushort)(firstSeq + i);
            await s.SendToAsync(EchoRequest(id, seq), new IPEndPoint(target, 0));
            using var cts = new CancellationTokenSource(wait);
            var buf = new byte[1500];
            try
            {
                while (true)
                {
                    var r = await s.ReceiveFromAsync(buf, new IPEndPoint(IPAddress.Any, 0), cts.Token);
                    var ihl = (buf[0] & 0x0F) * 4;
                    if (r.ReceivedBytes >= ihl + 8 && buf[ihl] == 0
                        && BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(ihl + 4)) == id
                        && BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(ihl + 6)) == seq)
                    {
                        answered[i] = true;
                        break;
                    }
                }
            }
            catch (OperationCanceledException) { }
        }
        return answered;
    }

    private static byte[] EchoRequest(ushort id, ushort seq)
    {
        var p = new byte[8 + 24];
        p[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), seq);
        "nettrace integration"u8.CopyTo(p.AsSpan(8));
        uint sum = 0;
        for (var i = 0; i < p.Length; i += 2) sum += (uint)(p[i] << 8 | p[i + 1]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)~sum);
        return p;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Dispose();
        if (_acceptLoop != null) await _acceptLoop;
        await _lab.DisposeAsync();
        _stop.Dispose();
    }
}
