using System.Net.Sockets;
using Grpc.Core;
using k8s;
using NetTrace.Metadata.Cri;
using NetTrace.Metadata.Kube;

namespace NetTrace.Metadata.Sources;

/// <summary>
/// For `nettrace probe`: asks each metadata source one cheap question and reports who answered and why not.
/// Read-only: a CRI Version + ListPodSandbox, an apiserver list of one node and one pod.
/// </summary>
public static class MetadataProbe
{
    public static async Task<IReadOnlyList<SourceStatus>> CheckAsync(MetadataOptions options, CancellationToken ct = default)
    {
        var result = new List<SourceStatus>();
        if (options.UseCri) result.AddRange(await CheckCriAsync(options, ct).ConfigureAwait(false));
        else result.Add(new SourceStatus("CRI", "", false, "disabled"));
        if (options.UseApiserver) result.Add(await CheckApiserverAsync(options, ct).ConfigureAwait(false));
        else result.Add(new SourceStatus("apiserver", "", false, "disabled"));
        return result;
    }

    /// <summary>One status per endpoint tried: the one given, or each default socket.</summary>
    public static async Task<IReadOnlyList<SourceStatus>> CheckCriAsync(MetadataOptions options, CancellationToken ct = default)
    {
        IReadOnlyList<CriEndpoint> endpoints;
        try
        {
            endpoints = options.CriEndpoint != null ? [CriEndpoint.Parse(options.CriEndpoint)] : CriEndpoint.Defaults;
        }
        catch (FormatException e)
        {
            return [new SourceStatus("CRI", options.CriEndpoint!, false, e.Message)];
        }
        var statuses = new List<SourceStatus>();
        foreach (var endpoint in endpoints)
            statuses.Add(await CheckCriEndpointAsync(endpoint, options.ProbeTimeout, ct).ConfigureAwait(false));
        return statuses;
    }

    public static async Task<SourceStatus> CheckCriEndpointAsync(CriEndpoint endpoint, TimeSpan timeout, CancellationToken ct = default)
    {
        if (!File.Exists(endpoint.SocketPath))   // true for sockets too
            return new SourceStatus("CRI", endpoint.SocketPath, false, "no such file");
        try
        {
            using var client = new CriClient(endpoint) { CallTimeout = timeout };
            var version = await client.VersionAsync(ct).ConfigureAwait(false);
            var sandboxes = await client.ListReadySandboxesAsync(ct).ConfigureAwait(false);
            return new SourceStatus("CRI", endpoint.SocketPath, true,
                $"{version.RuntimeName} {version.RuntimeVersion} (CRI {version.RuntimeApiVersion}), {sandboxes.Count} ready pod sandboxes");
        }
        catch (RpcException e)
        {
            return new SourceStatus("CRI", endpoint.SocketPath, false, Describe(e));
        }
        catch (Exception e) when (e is SocketException or HttpRequestException or IOException or UnauthorizedAccessException)
        {
            return new SourceStatus("CRI", endpoint.SocketPath, false, e.Message);
        }
    }

    public static async Task<SourceStatus> CheckApiserverAsync(MetadataOptions options, CancellationToken ct = default)
    {
        var resolved = KubeConfigSource.Resolve(options.Kubeconfig);
        if (resolved.Config == null) return new SourceStatus("apiserver", "", false, resolved.Problem ?? "no configuration");
        var host = resolved.Config.Host ?? "";
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ProbeTimeout);
            using var client = new Kubernetes(resolved.Config);
            var nodes = await client.CoreV1.ListNodeAsync(limit: 1, cancellationToken: timeout.Token).ConfigureAwait(false);
            await client.CoreV1.ListPodForAllNamespacesAsync(limit: 1, cancellationToken: timeout.Token).ConfigureAwait(false);
            return new SourceStatus("apiserver", host, true,
                $"via {resolved.Origin}: pods and nodes listable (resourceVersion {nodes.Metadata?.ResourceVersion})");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SourceStatus("apiserver", host, false, $"via {resolved.Origin}: no answer within {options.ProbeTimeout.TotalSeconds:0} s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new SourceStatus("apiserver", host, false, $"via {resolved.Origin}: {Describe(e)}");
        }
    }

    internal static string Describe(Exception e) => e switch
    {
        k8s.Autorest.HttpOperationException h when h.Response != null =>
            $"HTTP {(int)h.Response.StatusCode} {h.Response.ReasonPhrase}: {StatusMessage(h.Response.Content)}",
        RpcException r => r.StatusCode == StatusCode.Unimplemented
            ? "does not implement the CRI runtime v1 API"
            : $"{r.StatusCode}: {r.Status.Detail}",
        HttpRequestException { InnerException: { } inner } => inner.Message,
        _ => e.Message,
    };

    /// <summary>The message of a Kubernetes Status body, else the body itself (shortened).</summary>
    private static string StatusMessage(string? body)
    {
        if (body != null && body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(body);
                if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.String)
                    return m.GetString()!;
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return Trim(body);
    }

    private static string Trim(string? s) => s == null ? "" : s.Length > 200 ? s[..200] + "…" : s;
}
