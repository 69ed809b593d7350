namespace NetTrace.Events;

/// <summary>
/// One spelling of enrichment for every reader (live view, analyzer, report): "shop/checkout-7f9c (checkout)" for a
/// local pod and its container, "shop/payments (ClusterIP)" for a Service, "shop/db-0" for a pod, "node n1".
/// </summary>
public static class EnrichmentNames
{
    /// <summary>"namespace/pod (container)", or "namespace/pod" without a container; null when the event has no pod.</summary>
    public static string? Of(PodRef? p) =>
        p == null || p.Name.Length == 0 ? null
        : p.Container.Length > 0 ? $"{p.Namespace}/{p.Name} ({p.Container})" : $"{p.Namespace}/{p.Name}";

    /// <summary>"namespace/pod", "namespace/service (ClusterIP)", "node NAME"; null when the owner is unknown.</summary>
    public static string? Of(PeerRef? p) => p == null || p.Name.Length == 0 ? null : p.Kind switch
    {
        PeerKind.Service => $"{p.Namespace}/{p.Name} ({(p.Detail.Length == 0 ? "Service" : p.Detail)})",
        PeerKind.Node => $"node {p.Name}",
        _ => p.Namespace.Length > 0 ? $"{p.Namespace}/{p.Name}" : p.Name,
    };
}
