using k8s;

namespace NetTrace.Metadata.Kube;

/// <summary>
/// Finds how to reach the apiserver, in kubectl's order: an explicit --kubeconfig, the in-cluster service account
/// (a DaemonSet), $KUBECONFIG, ~/.kube/config. Says why when there is none.
/// </summary>
public static class KubeConfigSource
{
    public sealed record Result(KubernetesClientConfiguration? Config, string Origin, string? Problem);

    public static Result Resolve(string? explicitKubeconfig)
    {
        if (!string.IsNullOrEmpty(explicitKubeconfig))
            return FromFile(explicitKubeconfig, "--kubeconfig");

        if (KubernetesClientConfiguration.IsInCluster())
        {
            try
            {
                return new Result(KubernetesClientConfiguration.InClusterConfig(), "in-cluster service account", null);
            }
            catch (Exception e)
            {
                return new Result(null, "in-cluster service account", $"in-cluster config unusable: {e.Message}");
            }
        }

        var env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrEmpty(env))
        {
            var first = env.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
            if (first != null) return FromFile(first, "$KUBECONFIG");
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        var defaultPath = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".kube", "config");
        if (defaultPath != null && File.Exists(defaultPath)) return FromFile(defaultPath, "~/.kube/config");

        return new Result(null, "none", "no in-cluster config and no kubeconfig (use --kubeconfig PATH)");
    }

    private static Result FromFile(string path, string how)
    {
        if (!File.Exists(path)) return new Result(null, $"{how} {path}", $"{path}: no such file");
        try
        {
            return new Result(KubernetesClientConfiguration.BuildConfigFromConfigFile(path), $"{how} {path}", null);
        }
        catch (Exception e)
        {
            return new Result(null, $"{how} {path}", $"{path}: {e.Message}");
        }
    }
}
