namespace NetTrace.Metadata.Sources;

/// <summary>
/// Whether one metadata source answered. Examples of <see cref="ToString"/>:
/// "CRI: /run/containerd/containerd.sock: containerd 1.6.20, 12 ready pod sandboxes" (answered),
/// "CRI: /var/run/crio/crio.sock: no such file", "apiserver: no in-cluster config and no kubeconfig".
/// </summary>
public sealed record SourceStatus(string Source, string Target, bool Answered, string Detail)
{
    public override string ToString() => Target.Length == 0 ? $"{Source}: {Detail}" : $"{Source}: {Target}: {Detail}";
}

/// <summary>Which sources to use and how to reach them; the CLI fills it from --cri-endpoint / --kubeconfig.</summary>
public sealed record MetadataOptions
{
    /// <summary>null: try containerd's and CRI-O's default sockets.</summary>
    public string? CriEndpoint { get; init; }
    /// <summary>null: in-cluster, then $KUBECONFIG, then ~/.kube/config.</summary>
    public string? Kubeconfig { get; init; }
    public bool UseCri { get; init; } = true;
    public bool UseApiserver { get; init; } = true;
    /// <summary>How often the CRI inventory is taken again (pods come and go).</summary>
    public TimeSpan CriRefreshInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>After this long without a successful CRI refresh the CRI part of the index is dropped (inodes get reused).</summary>
    public TimeSpan CriMaxStaleness { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
