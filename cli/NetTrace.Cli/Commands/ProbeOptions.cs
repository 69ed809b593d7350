namespace NetTrace.Cli.Commands;

public sealed record ProbeOptions
{
    public bool Json { get; init; }
    /// <summary>CRI socket to check (null: containerd's and CRI-O's defaults).</summary>
    public string? CriEndpoint { get; init; }
    /// <summary>kubeconfig for the apiserver check (null: in-cluster, $KUBECONFIG, ~/.kube/config).</summary>
    public string? Kubeconfig { get; init; }
}
