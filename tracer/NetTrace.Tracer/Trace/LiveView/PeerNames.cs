using NetTrace.Events;

namespace NetTrace.Tracer.Trace.LiveView;

/// <summary>How the terminal views spell enrichment: "shop/checkout-7f9c (checkout)", "shop/payments (ClusterIP)".</summary>
public static class PeerNames
{
    /// <summary>"namespace/pod (container)"; null when the event carries no pod.</summary>
    public static string? Of(PodRef? p) =>
        p == null || p.Name.Length == 0 ? null
        : p.Container.Length > 0 ? $"{p.Namespace}/{p.Name} ({p.Container})" : $"{p.Namespace}/{p.Name}";

    /// <summary>"namespace/pod", "namespace/service (ClusterIP)", "node NAME"; null when unknown.</summary>
    public static string? Of(PeerRef? p) => p == null || p.Name.Length == 0 ? null : p.Kind switch
    {
        PeerKind.Service => $"{p.Namespace}/{p.Name} ({(p.Detail.Length == 0 ? "Service" : p.Detail)})",
        PeerKind.Node => $"node {p.Name}",
        _ => $"{p.Namespace}/{p.Name}",
    };

    /// <summary>"10.96.0.10:443 [shop/payments (ClusterIP)]", or the endpoint alone without a name.</summary>
    public static string With(string endpoint, string? name) => name == null ? endpoint : $"{endpoint} [{name}]";
}
