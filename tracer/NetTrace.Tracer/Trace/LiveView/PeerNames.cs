using NetTrace.Events;

namespace NetTrace.Tracer.Trace.LiveView;

/// <summary>How the terminal views spell enrichment: "shop/checkout-7f9c (checkout)", "shop/payments (ClusterIP)".</summary>
public static class PeerNames
{
    public static string? Of(PodRef? p) => EnrichmentNames.Of(p);

    public static string? Of(PeerRef? p) => EnrichmentNames.Of(p);

    /// <summary>"10.96.0.10:443 [shop/payments (ClusterIP)]", or the endpoint alone without a name.</summary>
    public static string With(string endpoint, string? name) => name == null ? endpoint : $"{endpoint} [{name}]";
}
