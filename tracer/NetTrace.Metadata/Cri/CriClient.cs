using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using NetTrace.Metadata.Cri.V1;

namespace NetTrace.Metadata.Cri;

/// <summary>
/// A CRI runtime v1 client over the runtime's unix socket (HTTP/2 without TLS, as kubelet talks to it).
/// <see cref="Runtime"/> is the generated client for anything not wrapped here.
/// </summary>
public sealed class CriClient : IDisposable
{
    private readonly GrpcChannel _channel;

    public CriEndpoint Endpoint { get; }
    public RuntimeService.RuntimeServiceClient Runtime { get; }
    /// <summary>Deadline for each call; a wedged runtime must not hang the tracer.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public CriClient(CriEndpoint endpoint)
    {
        Endpoint = endpoint;
        var socketPath = endpoint.SocketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The authority is a placeholder: the connect callback decides where the bytes go.
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 32 * 1024 * 1024,   // verbose statuses carry whole OCI specs
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
    }

    public CallOptions Options(CancellationToken ct) => new(deadline: DateTime.UtcNow + CallTimeout, cancellationToken: ct);

    public async Task<VersionResponse> VersionAsync(CancellationToken ct = default) =>
        await Runtime.VersionAsync(new VersionRequest { Version = "v1" }, Options(ct)).ConfigureAwait(false);

    public async Task<IReadOnlyList<PodSandbox>> ListReadySandboxesAsync(CancellationToken ct = default)
    {
        var request = new ListPodSandboxRequest
        {
            Filter = new PodSandboxFilter { State = new PodSandboxStateValue { State = PodSandboxState.SandboxReady } },
        };
        var response = await Runtime.ListPodSandboxAsync(request, Options(ct)).ConfigureAwait(false);
        return response.Items;
    }

    public async Task<IReadOnlyList<PodSandbox>> ListAllSandboxesAsync(CancellationToken ct = default) =>
        (await Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), Options(ct)).ConfigureAwait(false)).Items;

    public async Task<PodSandboxStatusResponse> SandboxStatusAsync(string sandboxId, CancellationToken ct = default) =>
        await Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = sandboxId, Verbose = true }, Options(ct))
            .ConfigureAwait(false);

    public async Task<IReadOnlyList<Container>> ListRunningContainersAsync(CancellationToken ct = default)
    {
        var request = new ListContainersRequest
        {
            Filter = new ContainerFilter { State = new ContainerStateValue { State = ContainerState.ContainerRunning } },
        };
        return (await Runtime.ListContainersAsync(request, Options(ct)).ConfigureAwait(false)).Containers;
    }

    public async Task<ContainerStatusResponse> ContainerStatusAsync(string containerId, CancellationToken ct = default) =>
        await Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = containerId, Verbose = true }, Options(ct))
            .ConfigureAwait(false);

    public void Dispose() => _channel.Dispose();
}
