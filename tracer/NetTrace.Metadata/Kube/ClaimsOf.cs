using System.Net;
using k8s.Models;
using NetTrace.Metadata.Index;

namespace NetTrace.Metadata.Kube;

/// <summary>Which addresses each kind of Kubernetes object owns. Only these small claims are kept, not the objects.</summary>
internal static class ClaimsOf
{
    public const int PodRank = 0, NodeRank = 1, ServiceRank = 2, SliceTargetRank = 3, SliceServiceRank = 4;

    public static ClusterDirectory.Claim? Pod(V1Pod pod)
    {
        // hostNetwork pods share their node's address; the node claims it.
        if (pod.Spec?.HostNetwork == true) return null;
        var ips = new List<IPAddress>();
        foreach (var p in pod.Status?.PodIPs ?? []) Add(ips, p.Ip);
        if (ips.Count == 0) Add(ips, pod.Status?.PodIP);
        if (ips.Count == 0) return null;
        var m = pod.Metadata;
        return new(new IpOwner(IpOwnerKind.Pod, m?.Name ?? "", m?.NamespaceProperty ?? "", m?.Uid ?? "", pod.Spec?.NodeName ?? ""), ips, PodRank);
    }

    public static ClusterDirectory.Claim? Service(V1Service service)
    {
        var ips = new List<IPAddress>();
        foreach (var ip in service.Spec?.ClusterIPs ?? []) Add(ips, ip);
        if (ips.Count == 0) Add(ips, service.Spec?.ClusterIP);
        foreach (var ip in service.Spec?.ExternalIPs ?? []) Add(ips, ip);
        foreach (var ingress in service.Status?.LoadBalancer?.Ingress ?? []) Add(ips, ingress.Ip);
        if (ips.Count == 0) return null;
        var m = service.Metadata;
        return new(new IpOwner(IpOwnerKind.Service, m?.Name ?? "", m?.NamespaceProperty ?? "", m?.Uid ?? "", service.Spec?.Type ?? "ClusterIP"), ips, ServiceRank);
    }

    public static ClusterDirectory.Claim? Node(V1Node node)
    {
        var ips = new List<IPAddress>();
        foreach (var a in node.Status?.Addresses ?? [])
            if (a.Type is "InternalIP" or "ExternalIP") Add(ips, a.Address);
        if (ips.Count == 0) return null;
        var m = node.Metadata;
        return new(new IpOwner(IpOwnerKind.Node, m?.Name ?? "", "", m?.Uid ?? "", ""), ips, NodeRank);
    }

    /// <summary>
    /// An endpoint slice's addresses: those that reference a pod name that pod (useful when the pod list is filtered
    /// or lags); the others (selector-less services, external endpoints) name the service the slice belongs to.
    /// </summary>
    public static IEnumerable<ClusterDirectory.Claim> Slice(V1EndpointSlice slice)
    {
        var ns = slice.Metadata?.NamespaceProperty ?? "";
        string? service = null;
        slice.Metadata?.Labels?.TryGetValue("kubernetes.io/service-name", out service);
        foreach (var endpoint in slice.Endpoints ?? [])
        {
            var ips = new List<IPAddress>();
            foreach (var a in endpoint.Addresses ?? []) Add(ips, a);
            if (ips.Count == 0) continue;
            var target = endpoint.TargetRef;
            if (target is { Kind: "Pod" })
                yield return new(new IpOwner(IpOwnerKind.Pod, target.Name ?? "", target.NamespaceProperty ?? ns, target.Uid ?? "", endpoint.NodeName ?? ""), ips, SliceTargetRank);
            else if (service != null)
                yield return new(new IpOwner(IpOwnerKind.Service, service, ns, "", "endpoint"), ips, SliceServiceRank);
        }
    }

    private static void Add(List<IPAddress> ips, string? text)
    {
        if (!string.IsNullOrEmpty(text) && text != "None" && IPAddress.TryParse(text, out var ip)) ips.Add(ip);
    }
}
