using System.Text.Json;
using NetTrace.Cli;
using NetTrace.Cli.Commands;
using NetTrace.TestSupport;
using NetTrace.Tracer.Tests.Planning;
using Xunit;

namespace NetTrace.Tracer.Tests.Kernel;

[Collection("kernel-bpf")]
public sealed class ProbeCommandTests
{
    private static (int code, string stdout, string stderr) Run(bool json, Func<NetTrace.Tracer.Planning.KernelCapabilities>? detect = null)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = ProbeHandler.Run(new ProbeOptions { Json = json }, o, e, CancellationToken.None, detect);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Json_names_each_probes_choice_and_the_rejections_for_a_simulated_kernel()
    {
        var (code, stdout, _) = Run(json: true, () => SimulatedKernels.NoFentry with { LibbpfVersion = "1.4" });
        Assert.Equal(Program.ExitOk, code);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("6.8.0-generic", root.GetProperty("kernel").GetProperty("release").GetString());
        Assert.Equal("1.4", root.GetProperty("kernel").GetProperty("libbpf").GetProperty("version").GetString());
        Assert.False(root.GetProperty("kernel").GetProperty("fentry").GetProperty("available").GetBoolean());
        // Pod metadata sources are always reported (answered or not, with the reason).
        var sources = root.GetProperty("metadataSources").EnumerateArray().ToList();
        Assert.Contains(sources, m => m.GetProperty("name").GetString()!.StartsWith("CRI ") && m.GetProperty("detail").GetString()!.Length > 0);
        Assert.Contains(sources, m => m.GetProperty("name").GetString()!.StartsWith("apiserver"));
        var tcp = root.GetProperty("probes").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "tcpconnect");
        var state = tcp.GetProperty("hooks").EnumerateArray().First();
        Assert.Equal("kprobe", state.GetProperty("chosen").GetProperty("kind").GetString());
        Assert.Equal("tcp_set_state", state.GetProperty("chosen").GetProperty("targets")[0].GetString());
        var rejected = state.GetProperty("rejected").EnumerateArray().ToList();
        Assert.Contains(rejected, r => r.GetProperty("attachPoint").GetProperty("kind").GetString() == "fentry" &&
                                       r.GetProperty("reason").GetString()!.Contains("fentry refused"));
    }

    [Fact]
    public async Task Help_shows_examples()
    {
        var output = new StringWriter();
        var code = await Program.BuildRoot().Parse(["probe", "--help"]).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });
        Assert.Equal(0, code);
        Assert.Contains("nettrace probe --json", output.ToString());
    }

    [Fact]
    public void A_kernel_without_BTF_is_reported_as_unusable_with_exit_code_1()
    {
        var (code, stdout, _) = Run(json: false, () => SimulatedKernels.NoBtf);
        Assert.Equal(Program.ExitWarnings, code);
        Assert.Contains("BTF       missing", stdout);
        Assert.Contains("UNAVAILABLE", stdout);
        Assert.Contains("CO-RE needs kernel BTF", stdout);
    }

    [Fact]
    public void On_this_machine_every_probe_is_usable_through_tp_btf_and_nothing_stays_loaded()
    {
        Privileged.Require("root + BPF");
        Assert.Empty(BpfLinks.OwnProgramIds());
        var (code, stdout, stderr) = Run(json: true);
        Assert.True(code == Program.ExitOk, stderr + stdout);
        var root = JsonDocument.Parse(stdout).RootElement;
        var k = root.GetProperty("kernel");
        Assert.True(k.GetProperty("btf").GetProperty("present").GetBoolean());
        Assert.True(k.GetProperty("btf").GetProperty("sizeBytes").GetInt64() > 1_000_000);
        Assert.StartsWith("1.", k.GetProperty("libbpf").GetProperty("version").GetString());
        // KERNEL-NOTES: CONFIG_KPROBES is off and fentry loads are refused with EPERM on this kernel.
        Assert.False(k.GetProperty("kprobes").GetProperty("available").GetBoolean());
        Assert.Contains("CONFIG_KPROBES", k.GetProperty("kprobes").GetProperty("evidence").GetString());
        Assert.False(k.GetProperty("fentry").GetProperty("available").GetBoolean());
        Assert.Contains("Operation not permitted", k.GetProperty("fentry").GetProperty("evidence").GetString());
        foreach (var p in root.GetProperty("probes").EnumerateArray())
        {
            Assert.True(p.GetProperty("usable").GetBoolean());
            foreach (var h in p.GetProperty("hooks").EnumerateArray())
                Assert.Contains(h.GetProperty("chosen").GetProperty("kind").GetString(), new[] { "tp_btf", "raw_tracepoint", "perf_event" });
        }
        Assert.Empty(BpfLinks.OwnLinkIds());
        Assert.Empty(BpfLinks.OwnProgramIds()); // the fentry test program was closed again
    }
}
