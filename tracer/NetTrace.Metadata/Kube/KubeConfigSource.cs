using k8s;

namespace NetTrace.Metadata.Kube;

/// <summary>
/// Finds how to reach the apiserver, in kubectl's order: an explicit --kubeconfig, the in-cluster service account
/// (a DaemonSet), $KUBECONFIG, ~/.kube/config. Says why when there is none.
/// </summary>
public static class KubeConfigSource
{
    public sealed record Result(KubernetesClientConfiguration? Config, string Origin, string? Problem);

    public static Result Resolve(string? explicitKubeconfig) =>
        Resolve(explicitKubeconfig, Environment.GetEnvironmentVariable, KubernetesClientConfiguration.IsInCluster);

    /// <summary>The same, with the environment and the in-cluster check given (tests).</summary>
    internal static Result Resolve(string? explicitKubeconfig, Func<string, string?> environment, Func<bool> isInCluster)
    {
        if (!string.IsNullOrEmpty(explicitKubeconfig))
            return FromFile(explicitKubeconfig, "--kubeconfig");

        if (isInCluster())
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

        var env = environment("KUBECONFIG");
        if (!string.IsNullOrEmpty(env))
        {
            var first = env.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
            if (first != null) return FromFile(first, "$KUBECONFIG");
        }

        var home = environment("HOME");
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
