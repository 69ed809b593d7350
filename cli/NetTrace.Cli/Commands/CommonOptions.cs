using System.CommandLine;

namespace NetTrace.Cli.Commands;

/// <summary>Options several commands share, defined once so their names and help stay the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Write machine-readable JSON to stdout instead of the terminal summary." };
    public static Option<FileInfo?> Html() => new("--html") { Description = "Also write a self-contained HTML report to this file." };
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "No progress output on stderr." };
    public static Option<string?> CriEndpoint() => new("--cri-endpoint")
    {
        Description = "CRI runtime socket for pod names (unix:///path or a path). Default: containerd's, then CRI-O's.",
    };
    public static Option<string?> Kubeconfig() => new("--kubeconfig")
    {
        Description = "kubeconfig for the apiserver (remote IPs to pods/services). Default: in-cluster, $KUBECONFIG, ~/.kube/config.",
    };
}
