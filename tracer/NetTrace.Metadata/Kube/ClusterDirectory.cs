using System.Collections.Frozen;
using System.Net;
using NetTrace.Metadata.Index;

namespace NetTrace.Metadata.Kube;

/// <summary>
/// An immutable IP → owner map built from the apiserver's objects. When two objects claim one address the more
/// specific wins: a pod (from the pod list) over an endpoint slice's pod reference over a service's endpoint, and
/// services' ClusterIPs and nodes' addresses do not collide with those in a sane cluster.
/// </summary>
public sealed class ClusterDirectory : IIpDirectory
{
    private readonly FrozenDictionary<IPAddress, IpOwner> _byIp;

    public static ClusterDirectory Empty { get; } = new(FrozenDictionary<IPAddress, IpOwner>.Empty);

    private ClusterDirectory(FrozenDictionary<IPAddress, IpOwner> byIp) => _byIp = byIp;

    public int Count => _byIp.Count;
    public IpOwner? Lookup(IPAddress address) => _byIp.GetValueOrDefault(MetadataIndex.Normalize(address));

    /// <summary>One object's claim on some addresses; lower Rank wins a collision.</summary>
    public sealed record Claim(IpOwner Owner, IReadOnlyList<IPAddress> Addresses, int Rank);

    public static ClusterDirectory Build(IEnumerable<Claim> claims)
    {
        var best = new Dictionary<IPAddress, (IpOwner Owner, int Rank)>();
        foreach (var claim in claims)
            foreach (var raw in claim.Addresses)
            {
                var ip = MetadataIndex.Normalize(raw);
                if (!best.TryGetValue(ip, out var current) || claim.Rank < current.Rank)
                    best[ip] = (claim.Owner, claim.Rank);
            }
        return new ClusterDirectory(best.ToFrozenDictionary(p => p.Key, p => p.Value.Owner));
    }
}
