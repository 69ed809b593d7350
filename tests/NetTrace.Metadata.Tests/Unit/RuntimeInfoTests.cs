using NetTrace.Metadata.Cri;
using Xunit;

namespace NetTrace.Metadata.Tests.Unit;

/// <summary>Parsing the runtime's verbose info, on JSON recorded from this machine's containerd 1.6.20.</summary>
public sealed class RuntimeInfoTests
{
    private static Dictionary<string, string> Info(string fixture) =>
        new() { ["info"] = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cri", fixture)) };

    [Fact]
    public void Sandbox_info_gives_the_pause_pid_and_the_cni_netns_path()
    {
        var info = RuntimeInfo.Parse(Info("containerd-1.6-sandbox-info.json"));
        Assert.Equal(28304, info.Pid);
        Assert.Equal("/var/run/netns/cni-a5e7caad-6bc7-afbd-8231-d95225eb5d75", info.NetnsPath);
        Assert.StartsWith("/kubepods/besteffort/pod5dfeece1-6070-414f-8132-78ded9e8f291/", info.CgroupsPath);
    }

    [Fact]
    public void Container_info_gives_its_own_pid_and_cgroups_path()
    {
        var info = RuntimeInfo.Parse(Info("containerd-1.6-container-info.json"));
        Assert.Equal(28335, info.Pid);
        Assert.Equal("/proc/28304/ns/net", info.NetnsPath);   // joins the sandbox's netns
        Assert.EndsWith("/b998f895df25e00493adc93f445d188004066cc0cc3fc07f1f0a3134c9652fd8", info.CgroupsPath);
    }

    [Fact]
    public void Info_under_another_key_or_missing_or_damaged_is_handled()
    {
        var other = new Dictionary<string, string> { ["sandboxInfo"] = """{"pid":42,"runtimeSpec":{"linux":{"namespaces":[{"type":"network","path":"/var/run/netns/x"}]}}}""" };
        Assert.Equal(new RuntimeInfo(42, "/var/run/netns/x", null), RuntimeInfo.Parse(other));
        Assert.Equal(RuntimeInfo.Empty, RuntimeInfo.Parse(new Dictionary<string, string>()));
        Assert.Equal(RuntimeInfo.Empty, RuntimeInfo.Parse(new Dictionary<string, string> { ["info"] = "{\"pid\": 12" }));
        Assert.Equal(RuntimeInfo.Empty, RuntimeInfo.Parse(new Dictionary<string, string> { ["info"] = "not json" }));
    }
}
