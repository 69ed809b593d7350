using System.Net;

namespace NetTrace.Metadata.Index;

/// <summary>
/// Per-event enrichment: kernel ids and addresses to Kubernetes names. Every call is a lookup in an immutable,
/// already-built index (no I/O, no locks, no allocation); null means "not known", never "an error".
/// </summary>
public interface IMetadataResolver
{
    /// <summary>The pod whose sandbox owns this network namespace (events' netns_ino).</summary>
    PodIdentity? ResolveNetns(ulong inode);

    /// <summary>The container whose tasks run in this cgroup (events' cgroup_id: the cgroup v2 id).</summary>
    ContainerIdentity? ResolveCgroup(ulong id);

    /// <summary>The pod, service (ClusterIP) or node that owns this address; v4-mapped IPv6 is treated as IPv4.</summary>
    IpOwner? ResolveIp(IPAddress address);
}
