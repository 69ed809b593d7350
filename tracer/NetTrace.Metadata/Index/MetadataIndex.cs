using System.Collections.Frozen;
using System.Net;
using NetTrace.Metadata.Cri;

namespace NetTrace.Metadata.Index;

/// <summary>
/// The resolver the trace runner uses. Sources publish whole snapshots (<see cref="ApplyCri"/>, an
/// <see cref="IIpDirectory"/> for the apiserver); each publish swaps one reference, so readers on the event path never
/// lock and never see half an update. A sandbox missing from the latest CRI snapshot is gone from the index at once:
/// network namespace inodes are reused by the kernel, so a stopped pod's inode must not keep its name.
/// </summary>
public sealed class MetadataIndex : IMetadataResolver
{
    private sealed record CriView(
        FrozenDictionary<ulong, PodIdentity> ByNetns,
        FrozenDictionary<ulong, ContainerIdentity> ByCgroup,
        FrozenDictionary<IPAddress, IpOwner> ByPodIp,
        CriSnapshot Snapshot);

    private static readonly CriView EmptyView = new(
        FrozenDictionary<ulong, PodIdentity>.Empty, FrozenDictionary<ulong, ContainerIdentity>.Empty,
        FrozenDictionary<IPAddress, IpOwner>.Empty, CriSnapshot.Empty);

    private volatile CriView _cri = EmptyView;
    private volatile IIpDirectory? _cluster;

    /// <summary>The last CRI snapshot applied (empty before the first).</summary>
    public CriSnapshot Cri => _cri.Snapshot;

    public void ApplyCri(CriSnapshot snapshot)
    {
        var byNetns = new Dictionary<ulong, PodIdentity>();
        var byPodIp = new Dictionary<IPAddress, IpOwner>();
        foreach (var s in snapshot.Sandboxes)
        {
            byNetns[s.NetnsInode] = s.Pod;
            foreach (var ip in s.Ips)
                byPodIp[Normalize(ip)] = new IpOwner(IpOwnerKind.Pod, s.Pod.Name, s.Pod.Namespace, s.Pod.Uid, "");
        }
        var byCgroup = new Dictionary<ulong, ContainerIdentity>();
        foreach (var c in snapshot.Containers)
            if (c.CgroupId != 0)
                byCgroup[c.CgroupId] = c.Container;
        _cri = new CriView(byNetns.ToFrozenDictionary(), byCgroup.ToFrozenDictionary(), byPodIp.ToFrozenDictionary(), snapshot);
    }

    /// <summary>Forget everything CRI said (the runtime stopped answering for too long).</summary>
    public void ClearCri() => _cri = EmptyView;

    /// <summary>Where cluster-wide IPs come from (the apiserver watcher); null to stop using it.</summary>
    public void UseClusterDirectory(IIpDirectory? directory) => _cluster = directory;

    public PodIdentity? ResolveNetns(ulong inode) => _cri.ByNetns.GetValueOrDefault(inode);

    /// <summary>
    /// The ready sandboxes of this node whose pod matches (for `--pod` / `--namespace` filters: their netns inodes
    /// go to the kernel filter). A null or empty argument matches any; a name ending in '*' matches a prefix
    /// (pods of a Deployment: "checkout-*").
    /// </summary>
    public IReadOnlyList<SandboxEntry> FindPods(string? name, string? @namespace) =>
        _cri.Snapshot.Sandboxes.Where(s => Matches(s.Pod.Name, name) && Matches(s.Pod.Namespace, @namespace)).ToList();

    private static bool Matches(string value, string? pattern) =>
        string.IsNullOrEmpty(pattern) ||
        (pattern.EndsWith('*') ? value.StartsWith(pattern[..^1], StringComparison.Ordinal) : value == pattern);

    public ContainerIdentity? ResolveCgroup(ulong id) => _cri.ByCgroup.GetValueOrDefault(id);

    public IpOwner? ResolveIp(IPAddress address)
    {
        var ip = Normalize(address);
        return _cluster?.Lookup(ip) ?? _cri.ByPodIp.GetValueOrDefault(ip);
    }

    internal static IPAddress Normalize(IPAddress ip) => ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
}

/// <summary>A read-only address book of cluster IPs (pods, services, nodes), swapped whole on every change.</summary>
public interface IIpDirectory
{
    IpOwner? Lookup(IPAddress address);
}
