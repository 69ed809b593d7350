namespace NetTrace.Metadata.Cri;

/// <summary>Where a CRI runtime listens. Accepts "unix:///path", "unix:/path" or a plain path.</summary>
public sealed record CriEndpoint(string SocketPath)
{
    /// <summary>The sockets kubelet would use by default, in the order we try them.</summary>
    public static IReadOnlyList<CriEndpoint> Defaults { get; } =
    [
        new("/run/containerd/containerd.sock"),
        new("/var/run/crio/crio.sock"),
    ];

    public static CriEndpoint Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var path = text.Trim();
        if (path.StartsWith("unix://", StringComparison.Ordinal)) path = path["unix://".Length..];
        else if (path.StartsWith("unix:", StringComparison.Ordinal)) path = path["unix:".Length..];
        else if (path.Contains("://", StringComparison.Ordinal))
            throw new FormatException($"CRI endpoint '{text}': only unix sockets are supported (unix:///path or a path)");
        if (!path.StartsWith('/'))
            throw new FormatException($"CRI endpoint '{text}': the socket path must be absolute");
        return new CriEndpoint(path);
    }

    public override string ToString() => SocketPath;
}
