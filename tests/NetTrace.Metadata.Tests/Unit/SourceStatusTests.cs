using System.Net;
using NetTrace.Metadata.Index;
using NetTrace.Metadata.Kube;
using NetTrace.Metadata.Sources;
using Xunit;

namespace NetTrace.Metadata.Tests.Unit;

/// <summary>Every source is optional: without one, the reason is said and lookups answer "unknown".</summary>
public sealed class SourceStatusTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_missing_cri_socket_is_reported_as_no_such_file()
    {
        var statuses = await MetadataProbe.CheckAsync(new MetadataOptions { CriEndpoint = "/run/nettrace-none/containerd.sock", UseApiserver = false }, Ct);
        Assert.Equal("CRI: /run/nettrace-none/containerd.sock: no such file", statuses[0].ToString());
        Assert.False(statuses[0].Answered);
        Assert.Equal("apiserver: disabled", statuses[1].ToString());
    }

    [Fact]
    public async Task A_file_that_is_no_cri_socket_is_reported_with_the_reason()
    {
        var path = Path.GetTempFileName();
        try
        {
            var status = Assert.Single(await MetadataProbe.CheckCriAsync(new MetadataOptions { CriEndpoint = path }, Ct));
            Assert.False(status.Answered);
            Assert.NotEqual("no such file", status.Detail);
            Assert.NotEmpty(status.Detail);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Default_cri_sockets_are_both_tried()
    {
        var statuses = await MetadataProbe.CheckCriAsync(new MetadataOptions(), Ct);
        Assert.Equal(["/run/containerd/containerd.sock", "/var/run/crio/crio.sock"], statuses.Select(s => s.Target));
    }

    [Fact]
    public void Without_in_cluster_config_or_kubeconfig_the_apiserver_reason_says_so()
    {
        var home = Directory.CreateTempSubdirectory("nt-home-").FullName;
        try
        {
            var result = KubeConfigSource.Resolve(null, name => name == "HOME" ? home : null, () => false);
            Assert.Null(result.Config);
            Assert.Equal("no in-cluster config and no kubeconfig (use --kubeconfig PATH)", result.Problem);
            var missing = KubeConfigSource.Resolve("/nonexistent/kubeconfig", _ => null, () => false);
            Assert.Equal("/nonexistent/kubeconfig: no such file", missing.Problem);
        }
        finally
        {
            Directory.Delete(home, true);
        }
    }

    [Fact]
    public async Task A_session_without_any_source_still_resolves_to_unknown()
    {
        await using var session = await MetadataSession.StartAsync(
            new MetadataOptions { CriEndpoint = "/run/nettrace-none/crio.sock", Kubeconfig = "/nonexistent/kubeconfig" }, Ct);
        Assert.All(session.Sources, s => Assert.False(s.Answered));
        Assert.Equal(["CRI: /run/nettrace-none/crio.sock: no such file", "apiserver: /nonexistent/kubeconfig: no such file"],
            session.Sources.Select(s => s.ToString()));
        Assert.Null(session.Resolver.ResolveNetns(4026531840));
        Assert.Null(session.Resolver.ResolveCgroup(1));
        Assert.Null(session.Resolver.ResolveIp(IPAddress.Loopback));
    }
}
