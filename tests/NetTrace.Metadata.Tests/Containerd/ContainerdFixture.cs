using System.Diagnostics;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Cri.V1;
using NetTrace.TestSupport;
using Xunit;

namespace NetTrace.Metadata.Tests.Containerd;

/// <summary>Every test that needs containerd runs in this collection: one containerd, tests one after another.</summary>
[CollectionDefinition(ContainerdFixture.Collection)]
public sealed class ContainerdCollection : ICollectionFixture<ContainerdFixture>;

/// <summary>
/// A private containerd (scripts/containerd/start.sh) shared by the containerd collection. Started on first use, after
/// the test called Privileged.Require; torn down in DisposeAsync: sandboxes stopped and removed through CRI first,
/// then scripts/containerd/stop.sh (containerd, shims, netns files, bridge, pod cgroups, the private dir).
/// </summary>
public sealed class ContainerdFixture : IAsyncLifetime
{
    public const string Collection = "containerd";

    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly List<string> _podUids = [];
    private CriClient? _client;

    public string Dir { get; } = Path.Combine("/tmp", "nt-ctrd-" + Guid.NewGuid().ToString("N")[..8]);
    public IReadOnlyDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();
    public string SandboxImage => Env["SANDBOX_IMAGE"];
    public CriClient Client => _client ?? throw new InvalidOperationException("containerd not started");

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async Task<CriClient> StartAsync()
    {
        await _startLock.WaitAsync();
        try
        {
            if (_client != null) return _client;
            var output = await Script.RunAsync(Path.Combine(RepoRoot.Path, "scripts/containerd/start.sh"), Dir);
            Env = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            _client = new CriClient(CriEndpoint.Parse(Env["CONTAINERD_SOCKET"]));
            return _client;
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>RunPodSandbox as kubelet would call it for a best-effort pod.</summary>
    public async Task<string> RunSandboxAsync(string name, string ns, string uid)
    {
        lock (_podUids)
        {
            _podUids.Add(uid);
            File.AppendAllText(Path.Combine(Dir, "pod-uids"), uid + "\n");   // stop.sh removes these cgroup parents
        }
        var response = await Client.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = SandboxConfig(name, ns, uid) },
            deadline: DateTime.UtcNow.AddSeconds(30));
        return response.PodSandboxId;
    }

    public PodSandboxConfig SandboxConfig(string name, string ns, string uid) => new()
    {
        Metadata = new PodSandboxMetadata { Name = name, Namespace = ns, Uid = uid, Attempt = 0 },
        Hostname = name,
        LogDirectory = Path.Combine(Dir, "pod-logs", $"{ns}_{name}_{uid}"),
        Labels = { ["io.kubernetes.pod.name"] = name, ["io.kubernetes.pod.namespace"] = ns, ["io.kubernetes.pod.uid"] = uid },
        Linux = new LinuxPodSandboxConfig
        {
            CgroupParent = $"/kubepods/besteffort/pod{uid}",
            SecurityContext = new LinuxSandboxSecurityContext
            {
                NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Pod, Ipc = NamespaceMode.Pod },
            },
        },
    };

    /// <summary>A container running the pause binary in its own pid namespace (kubelet's default for v1 pods).</summary>
    public async Task<string> RunContainerAsync(string sandboxId, string containerName, PodSandboxConfig sandboxConfig)
    {
        var create = await Client.Runtime.CreateContainerAsync(new CreateContainerRequest
        {
            PodSandboxId = sandboxId,
            SandboxConfig = sandboxConfig,
            Config = new ContainerConfig
            {
                Metadata = new ContainerMetadata { Name = containerName },
                Image = new ImageSpec { Image = SandboxImage },
                Command = { "/pause" },
                LogPath = containerName + ".log",
                Linux = new LinuxContainerConfig
                {
                    SecurityContext = new LinuxContainerSecurityContext
                    {
                        NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Pid = NamespaceMode.Container, Ipc = NamespaceMode.Pod },
                    },
                },
            },
        }, deadline: DateTime.UtcNow.AddSeconds(30));
        await Client.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = create.ContainerId },
            deadline: DateTime.UtcNow.AddSeconds(30));
        return create.ContainerId;
    }

    public async Task StopAndRemoveSandboxAsync(string sandboxId)
    {
        await Client.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = sandboxId }, deadline: DateTime.UtcNow.AddSeconds(30));
        await Client.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = sandboxId }, deadline: DateTime.UtcNow.AddSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (_client != null && File.Exists(_client.Endpoint.SocketPath))
        {
            try
            {
                foreach (var sandbox in await _client.ListAllSandboxesAsync())
                    await StopAndRemoveSandboxAsync(sandbox.Id);
            }
            catch (Exception e)
            {
                // stop.sh still removes everything through ctr; say why the CRI path did not.
                Console.Error.WriteLine($"containerd fixture: CRI teardown failed, falling back to stop.sh: {e.Message}");
            }
        }
        _client?.Dispose();
        if (Directory.Exists(Dir))
            await Script.RunAsync(Path.Combine(RepoRoot.Path, "scripts/containerd/stop.sh"), Dir);
    }
}

internal static class Script
{
    public static async Task<string> RunAsync(string path, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(path);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(path)} {string.Join(' ', args)} failed ({p.ExitCode}): {await stderr}{await stdout}");
        return await stdout;
    }
}
