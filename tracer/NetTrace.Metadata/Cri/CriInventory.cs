using System.Net;
using Grpc.Core;
using NetTrace.Metadata.Cri.V1;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Linux;

namespace NetTrace.Metadata.Cri;

/// <summary>
/// Takes <see cref="CriSnapshot"/>s: lists ready sandboxes and running containers, asks each new one for its verbose
/// status, and turns pids / netns paths / cgroup paths into the inode and cgroup ids events carry. A sandbox's netns
/// and a running container's cgroup never change, so later snapshots only ask about ids not seen before (two list
/// calls when nothing changed); whatever is no longer listed is dropped. One caller at a time.
/// </summary>
public sealed class CriInventory(CriClient client, CgroupIds cgroups)
{
    private Dictionary<string, SandboxEntry> _knownSandboxes = [];
    private Dictionary<string, ContainerEntry> _knownContainers = [];

    /// <summary>Verbose status calls made so far (diagnostics; shows the cache working).</summary>
    public long StatusCalls { get; private set; }

    public async Task<CriSnapshot> TakeAsync(CancellationToken ct = default)
    {
        var version = await client.VersionAsync(ct).ConfigureAwait(false);
        var problems = new List<string>();

        var ready = await client.ListReadySandboxesAsync(ct).ConfigureAwait(false);
        var sandboxes = new Dictionary<string, SandboxEntry>();
        foreach (var sandbox in ready)
        {
            var entry = _knownSandboxes.GetValueOrDefault(sandbox.Id) ?? await DescribeSandboxAsync(sandbox, problems, ct).ConfigureAwait(false);
            if (entry != null) sandboxes[sandbox.Id] = entry;
        }
        var podsBySandbox = sandboxes.Values.ToDictionary(s => s.SandboxId, s => s.Pod);
        // A sandbox that is ready but whose netns we could not read still names its containers' pod.
        foreach (var s in ready)
            podsBySandbox.TryAdd(s.Id, ToPod(s.Metadata));

        var containers = new Dictionary<string, ContainerEntry>();
        foreach (var container in await client.ListRunningContainersAsync(ct).ConfigureAwait(false))
        {
            if (!podsBySandbox.TryGetValue(container.PodSandboxId, out var pod)) continue;   // sandbox went away meanwhile
            var entry = _knownContainers.GetValueOrDefault(container.Id) is { CgroupId: not 0 } known
                ? known
                : await DescribeContainerAsync(container, pod, problems, ct).ConfigureAwait(false);
            if (entry != null) containers[container.Id] = entry;
        }

        // The sandbox (pause) process has a cgroup too; map it to the pod with an empty container name.
        foreach (var s in sandboxes.Values)
        {
            var key = "sandbox/" + s.SandboxId;
            if (_knownContainers.GetValueOrDefault(key) is { } known) containers[key] = known;
            else if (cgroups.IdOfPid(s.Pid) is { } sandboxCgroup)
                containers[key] = new ContainerEntry(new ContainerIdentity(s.Pod, "", s.SandboxId), s.SandboxId, s.Pid, sandboxCgroup.Id, sandboxCgroup.Path);
        }

        _knownSandboxes = sandboxes;
        _knownContainers = containers;
        return new CriSnapshot(DateTimeOffset.UtcNow, $"{version.RuntimeName} {version.RuntimeVersion}",
            sandboxes.Values.ToList(), containers.Values.ToList(), problems);
    }

    private async Task<SandboxEntry?> DescribeSandboxAsync(PodSandbox sandbox, List<string> problems, CancellationToken ct)
    {
        PodSandboxStatusResponse status;
        try
        {
            StatusCalls++;
            status = await client.SandboxStatusAsync(sandbox.Id, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;   // removed between list and status
        }
        if (status.Status.State != PodSandboxState.SandboxReady) return null;

        var pod = ToPod(status.Status.Metadata ?? sandbox.Metadata);
        var info = RuntimeInfo.Parse(status.Info);
        // Prefer the netns file: it works without the host's pid namespace (a DaemonSet without hostPID).
        var inode = (info.NetnsPath != null ? FileInode.Of(info.NetnsPath) : null) ?? FileInode.NetnsOfPid(info.Pid);
        if (inode is null or 0)
        {
            problems.Add($"sandbox {Short(sandbox.Id)} ({pod}): network namespace not readable " +
                         $"(netns path {info.NetnsPath ?? "none"}, pid {info.Pid}); is /var/run/netns or the host pid namespace visible?");
            return null;
        }
        return new SandboxEntry(sandbox.Id, pod, inode.Value, info.NetnsPath, info.Pid, PodIps(status.Status.Network));
    }

    private async Task<ContainerEntry?> DescribeContainerAsync(Container container, PodIdentity pod, List<string> problems, CancellationToken ct)
    {
        ContainerStatusResponse status;
        try
        {
            StatusCalls++;
            status = await client.ContainerStatusAsync(container.Id, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        var info = RuntimeInfo.Parse(status.Info);
        var identity = new ContainerIdentity(pod, container.Metadata?.Name ?? "", container.Id);
        var paths = CgroupIds.PathsOfPid(info.Pid);
        // Without a readable /proc/PID (no host pid namespace) the OCI spec's cgroupfs path still names the cgroup.
        if (paths.Unified == null && CgroupfsPath(info.CgroupsPath) is { } specPath) paths = (specPath, specPath);
        if (cgroups.IdOf(paths) is not { } cgroup)
        {
            problems.Add($"container {identity} ({Short(container.Id)}): no cgroup id " +
                         $"(pid {info.Pid}, v2 path {paths.Unified ?? "unknown"}, cpu path {paths.Cpu ?? "unknown"})");
            return new ContainerEntry(identity, container.PodSandboxId, info.Pid, 0, paths.Unified);
        }
        return new ContainerEntry(identity, container.PodSandboxId, info.Pid, cgroup.Id, cgroup.Path);
    }

    /// <summary>cgroupfs-style paths ("/kubepods/...") are directories; systemd ones ("slice:prefix:name") are not.</summary>
    private static string? CgroupfsPath(string? cgroupsPath) =>
        cgroupsPath != null && cgroupsPath.StartsWith('/') ? cgroupsPath : null;

    private static PodIdentity ToPod(PodSandboxMetadata? m) => new(m?.Name ?? "", m?.Namespace ?? "", m?.Uid ?? "");

    private static IReadOnlyList<IPAddress> PodIps(PodSandboxNetworkStatus? network)
    {
        if (network == null) return [];
        var ips = new List<IPAddress>();
        if (IPAddress.TryParse(network.Ip, out var ip)) ips.Add(ip);
        foreach (var extra in network.AdditionalIps)
            if (IPAddress.TryParse(extra.Ip, out var more)) ips.Add(more);
        return ips;
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
